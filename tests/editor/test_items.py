"""Adding, changing, deleting and reordering the items of a draft."""

from __future__ import annotations

import re
from typing import Any

import pytest

from app.db import db
from app.frameworks import editing_services as editing
from app.frameworks.models import FrameworkVersion
from tests.editor.conftest import audit_actions, document, item, reload


def post(client: Any, version_id: int, path: str, data: dict[str, Any] | None = None) -> Any:
    """POST to an editor URL of a version with its current revision (an item's own revision
    when the URL saves one item)."""
    revision = reload(version_id).revision
    saved = re.fullmatch(r"(\w+)/(\d+)", path)
    if saved:
        db.session.expire_all()
        revision = db.session.get(editing.KINDS[saved[1]].model, int(saved[2])).revision
    return client.post(f"/edition/{version_id}/{path}", data={"revision": revision, **(data or {})})


def codes(version_id: int, kind: str) -> list[str]:
    doc = document(version_id)
    if kind == "activite":
        return [a["code"] for d in doc["activity_domains"] for a in d["activities"]]
    if kind == "niveau":
        return [lvl["code"] for lvl in doc["scale"]["levels"]]
    if kind == "bloc":
        return [b["code"] for b in doc["blocs"]]
    if kind == "modalite":
        return [m["code"] for b in doc["blocs"] for m in b["modalities"]]
    if kind == "competence":
        return [c["code"] for b in doc["blocs"] for c in b["competencies"]]
    if kind == "critere":
        return [k["code"] for b in doc["blocs"] for c in b["competencies"] for k in c["criteria"]]
    return [d["code"] for d in doc["activity_domains"]]


def test_edit_page_shows_every_part(client: Any, draft: FrameworkVersion) -> None:
    html = client.get(f"/edition/{draft.id}").get_data(as_text=True)
    assert "Vérifications : 0 problème" in html
    for code in ("NA", "D1", "A1.1", "BC01", "M1.1", "C1.1", "C1.1.a"):
        assert code in html
    assert f'action="/edition/{draft.id}/publier"' in html
    assert f'name="revision" value="{draft.revision}"' in html


def test_edit_page_runs_a_fixed_number_of_queries(
    client: Any, create_version: Any, coordinator: Any, count_queries: Any
) -> None:
    from app.frameworks import documents
    from tests.conftest import REAL_FILES

    small = create_version().id
    big = create_version(documents.load(REAL_FILES[0])).id
    client.get(f"/edition/{small}")
    with count_queries() as on_small:
        assert client.get(f"/edition/{small}").status_code == 200
    with count_queries() as on_big:
        assert client.get(f"/edition/{big}").status_code == 200
    assert on_big.count == on_small.count <= 14


@pytest.mark.parametrize(
    ("kind", "parent", "data", "field", "new_value"),
    [
        ("niveau", None, {"code": "EC", "label": "En cours"}, "label", "En cours d'acquisition"),
        ("domaine", None, {"code": "D2", "title": "Développer"}, "title", "Faire grandir"),
        ("bloc", None, {"code": "BC02", "title": "Développer"}, "title", "Faire émerger"),
        ("modalite", ("bloc", "BC01"), {"code": "M1.2", "title": "Étude de cas"}, "title", "Oral"),
        (
            "critere",
            ("competence", "C1.1"),
            {"code": "C1.1.c", "statement": "Clair"},
            "statement",
            "Très clair",
        ),
    ],
)
def test_add_edit_delete_an_item(
    client: Any,
    draft: FrameworkVersion,
    kind: str,
    parent: tuple[str, str] | None,
    data: dict[str, Any],
    field: str,
    new_value: str,
) -> None:
    where = f"?dans={item(reload(draft.id), *parent).id}" if parent else ""
    revision = draft.revision
    # The add form starts with the draft's revision.
    page = client.get(f"/edition/{draft.id}/{kind}/ajouter{where}").get_data(as_text=True)
    assert f'name="revision" type="hidden" value="{revision}"' in page
    assert post(client, draft.id, f"{kind}/ajouter{where}", data).status_code == 302
    assert data["code"] in codes(draft.id, kind)
    assert reload(draft.id).revision == revision + 1

    added = item(reload(draft.id), kind, data["code"])
    page = client.get(f"/edition/{draft.id}/{kind}/{added.id}").get_data(as_text=True)
    assert f'value="{data["code"]}"' in page or data["code"] in page
    changed = {**data, field: new_value, "code": data["code"] + "x"}
    assert post(client, draft.id, f"{kind}/{added.id}", changed).status_code == 302
    saved = item(reload(draft.id), kind, data["code"] + "x")
    assert getattr(saved, field) == new_value
    assert data["code"] not in codes(draft.id, kind)
    # A save bumps the item's own revision, not the draft's: other items are not blocked.
    assert saved.revision == 2
    assert reload(draft.id).revision == revision + 1

    assert post(client, draft.id, f"{kind}/{added.id}/supprimer").status_code == 302
    assert data["code"] + "x" not in codes(draft.id, kind)
    assert audit_actions(draft.id) == ["framework.add", "framework.update", "framework.delete"]
    assert reload(draft.id).revision == revision + 2


def test_add_edit_delete_an_activity(client: Any, draft: FrameworkVersion) -> None:
    domain = item(reload(draft.id), "domaine", "D1")
    data = {"code": "A1.3", "title": "Rédiger le compte rendu", "domain_id": domain.id}
    assert post(client, draft.id, f"activite/ajouter?dans={domain.id}", data).status_code == 302
    assert codes(draft.id, "activite") == ["A1.1", "A1.2", "A1.3"]
    activity = item(reload(draft.id), "activite", "A1.3")
    data = {**data, "description": "Sous 48 heures"}
    assert post(client, draft.id, f"activite/{activity.id}", data).status_code == 302
    assert item(reload(draft.id), "activite", "A1.3").description == "Sous 48 heures"
    assert post(client, draft.id, f"activite/{activity.id}/supprimer").status_code == 302
    assert codes(draft.id, "activite") == ["A1.1", "A1.2"]


def test_move_an_activity_to_another_domain(client: Any, draft: FrameworkVersion) -> None:
    post(client, draft.id, "domaine/ajouter", {"code": "D2", "title": "Développer"})
    version = reload(draft.id)
    activity, d2 = item(version, "activite", "A1.1"), item(version, "domaine", "D2")
    data = {"code": "A1.1", "title": activity.title, "domain_id": d2.id}
    assert post(client, draft.id, f"activite/{activity.id}", data).status_code == 302
    doc = document(draft.id)
    assert [[a["code"] for a in d["activities"]] for d in doc["activity_domains"]] == [
        ["A1.2"],
        ["A1.1"],
    ]
    version = reload(draft.id)
    assert [a.position for d in version.domains for a in d.activities] == [0, 0]
    # Its competency keeps the link.
    assert doc["blocs"][0]["competencies"][0]["activities"] == ["A1.1"]


def test_competency_with_activity_links(client: Any, draft: FrameworkVersion) -> None:
    version = reload(draft.id)
    bloc = item(version, "bloc", "BC01")
    a1, a2 = item(version, "activite", "A1.1"), item(version, "activite", "A1.2")
    data = {
        "code": "C1.3",
        "statement": "Évaluer une réunion afin de l'améliorer",
        "activity_ids": [a2.id, a1.id],
    }
    assert post(client, draft.id, f"competence/ajouter?dans={bloc.id}", data).status_code == 302
    doc = document(draft.id)
    added = doc["blocs"][0]["competencies"][-1]
    assert added == {
        "code": "C1.3",
        "statement": data["statement"],
        "activities": ["A1.1", "A1.2"],  # in the order of the référentiel d'activités
        "criteria": [],
    }
    comp = item(reload(draft.id), "competence", "C1.3")
    page = client.get(f"/edition/{draft.id}/competence/{comp.id}").get_data(as_text=True)
    assert page.count("checked") == 2
    data["activity_ids"] = [a2.id]
    assert post(client, draft.id, f"competence/{comp.id}", data).status_code == 302
    assert document(draft.id)["blocs"][0]["competencies"][-1]["activities"] == ["A1.2"]
    # Unlinked from all activities: allowed in a draft, reported by the checks.
    data.pop("activity_ids")
    assert post(client, draft.id, f"competence/{comp.id}", data).status_code == 302
    html = client.get(f"/edition/{draft.id}").get_data(as_text=True)
    assert "compétence C1.3 : liée à aucune activité" in html
    assert "compétence C1.3 : aucun critère d&#39;évaluation" in html
    assert post(client, draft.id, f"competence/{comp.id}/supprimer").status_code == 302
    assert codes(draft.id, "competence") == ["C1.1", "C1.2"]


def test_deleting_an_activity_unlinks_it(client: Any, draft: FrameworkVersion) -> None:
    activity = item(reload(draft.id), "activite", "A1.1")
    assert post(client, draft.id, f"activite/{activity.id}/supprimer").status_code == 302
    doc = document(draft.id)
    assert doc["blocs"][0]["competencies"][0]["activities"] == []


def test_deleting_a_bloc_deletes_its_content(client: Any, draft: FrameworkVersion) -> None:
    bloc = item(reload(draft.id), "bloc", "BC01")
    assert post(client, draft.id, f"bloc/{bloc.id}/supprimer").status_code == 302
    assert document(draft.id)["blocs"] == []
    # The codes are free again.
    assert post(client, draft.id, "bloc/ajouter", {"code": "C1.1", "title": "B"}).status_code == 302


@pytest.mark.parametrize(
    ("kind", "code", "siblings"),
    [
        ("niveau", "NA", ["NA", "A"]),
        ("activite", "A1.1", ["A1.1", "A1.2"]),
        ("competence", "C1.1", ["C1.1", "C1.2"]),
        ("critere", "C1.2.a", ["C1.2.a", "C1.2.b"]),
    ],
)
def test_reorder(
    client: Any, draft: FrameworkVersion, kind: str, code: str, siblings: list[str]
) -> None:
    target = item(reload(draft.id), kind, code)
    loaded = draft.revision
    assert (
        post(client, draft.id, f"{kind}/{target.id}/deplacer", {"direction": "down"}).status_code
        == 302
    )
    assert [c for c in codes(draft.id, kind) if c in siblings] == siblings[::-1]
    assert reload(draft.id).revision == loaded + 1
    # Already last: refused with a message, nothing changes.
    revision = reload(draft.id).revision
    response = post(client, draft.id, f"{kind}/{target.id}/deplacer", {"direction": "down"})
    assert "ne peut pas aller plus loin" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert reload(draft.id).revision == revision
    assert (
        post(client, draft.id, f"{kind}/{target.id}/deplacer", {"direction": "up"}).status_code
        == 302
    )
    assert [c for c in codes(draft.id, kind) if c in siblings] == siblings
    assert audit_actions(draft.id) == ["framework.move", "framework.move"]


def test_reorder_blocs_and_domains(client: Any, draft: FrameworkVersion) -> None:
    post(client, draft.id, "bloc/ajouter", {"code": "BC02", "title": "Deux"})
    post(client, draft.id, "bloc/ajouter", {"code": "BC03", "title": "Trois"})
    bc03 = item(reload(draft.id), "bloc", "BC03")
    post(client, draft.id, f"bloc/{bc03.id}/deplacer", {"direction": "up"})
    post(client, draft.id, f"bloc/{bc03.id}/deplacer", {"direction": "up"})
    assert codes(draft.id, "bloc") == ["BC03", "BC01", "BC02"]
    assert [b.position for b in reload(draft.id).blocs] == [0, 1, 2]
    post(client, draft.id, "domaine/ajouter", {"code": "D2", "title": "Deux"})
    d2 = item(reload(draft.id), "domaine", "D2")
    post(client, draft.id, f"domaine/{d2.id}/deplacer", {"direction": "up"})
    assert codes(draft.id, "domaine") == ["D2", "D1"]


def test_deleting_a_scale_level_renumbers_the_rest(client: Any, draft: FrameworkVersion) -> None:
    post(client, draft.id, "niveau/ajouter", {"code": "EC", "label": "En cours"})
    post(
        client,
        draft.id,
        "niveau/ajouter",
        {"code": "EX", "label": "Expert", "counts_as_acquired": "y"},
    )
    na = item(reload(draft.id), "niveau", "NA")
    assert post(client, draft.id, f"niveau/{na.id}/supprimer").status_code == 302
    levels = reload(draft.id).scale_levels
    assert [(lvl.code, lvl.position) for lvl in levels] == [("A", 0), ("EC", 1), ("EX", 2)]


@pytest.mark.parametrize(
    ("kind", "data", "taken_by"),
    [
        ("activite", {"code": "BC01", "title": "X"}, "bloc de compétences BC01"),
        ("bloc", {"code": "A1.2", "title": "X"}, "activité A1.2"),
        ("critere", {"code": "C1.1.b", "statement": "X"}, "critère d&#39;évaluation C1.1.b"),
        ("niveau", {"code": "A", "label": "X"}, "niveau d&#39;échelle A"),
    ],
)
def test_duplicate_code_is_refused(
    client: Any, draft: FrameworkVersion, kind: str, data: dict[str, Any], taken_by: str
) -> None:
    version = reload(draft.id)
    parents = {"activite": ("domaine", "D1"), "critere": ("competence", "C1.2")}
    where = f"?dans={item(version, *parents[kind]).id}" if kind in parents else ""
    if kind == "activite":
        data = {**data, "domain_id": item(version, "domaine", "D1").id}
    before, revision = document(draft.id), draft.revision
    response = post(client, draft.id, f"{kind}/ajouter{where}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Ce code est déjà utilisé par : {taken_by}." in html
    assert f'value="{data["code"]}"' in html
    assert document(draft.id) == before
    assert reload(draft.id).revision == revision


def test_renaming_to_a_used_code_is_refused(client: Any, draft: FrameworkVersion) -> None:
    crit = item(reload(draft.id), "critere", "C1.1.a")
    response = post(client, draft.id, f"critere/{crit.id}", {"code": "C1.2", "statement": "X"})
    assert "Ce code est déjà utilisé par : compétence C1.2." in response.get_data(as_text=True)
    # Keeping its own code is fine.
    response = post(client, draft.id, f"critere/{crit.id}", {"code": "C1.1.a", "statement": "X"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("critere", {"code": "C9", "statement": "  "}, "Ce champ est obligatoire."),
        ("critere", {"code": "C 9", "statement": "Clair"}, "Code invalide"),
        ("critere", {"code": "", "statement": "Clair"}, "Ce champ est obligatoire."),
        ("critere", {"code": "C9", "statement": "x" * 4001}, "4000 caractères au plus."),
        ("bloc", {"code": "B9", "title": "x" * 301}, "300 caractères au plus."),
        ("niveau", {"code": "Ç", "label": "Acquis"}, "Code invalide"),
    ],
)
def test_invalid_values_are_refused(
    client: Any, draft: FrameworkVersion, kind: str, data: dict[str, Any], message: str
) -> None:
    where = f"?dans={item(reload(draft.id), 'competence', 'C1.1').id}" if kind == "critere" else ""
    before = document(draft.id)
    response = post(client, draft.id, f"{kind}/ajouter{where}", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in html and 'aria-invalid="true"' in html
    assert document(draft.id) == before
    assert audit_actions(draft.id) == []


def test_html_is_shown_as_text(client: Any, draft: FrameworkVersion) -> None:
    bloc = item(reload(draft.id), "bloc", "BC01")
    text = '<script>alert("x")</script> & <b>gras</b>'
    post(client, draft.id, f"bloc/{bloc.id}", {"code": "BC01", "title": text})
    assert item(reload(draft.id), "bloc", "BC01").title == text
    for url in (f"/edition/{draft.id}", f"/edition/{draft.id}/bloc/{bloc.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<b>gras</b>" not in html
        assert "&lt;script&gt;" in html


def test_unknown_things_are_404(
    client: Any, draft: FrameworkVersion, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    mini_doc["certification"]["code"] = "AUTRE"
    other = create_version(mini_doc)
    foreign = item(reload(other.id), "bloc", "BC01")
    bloc = item(reload(draft.id), "bloc", "BC01")
    assert client.get("/edition/999999").status_code == 404
    assert client.get(f"/edition/{draft.id}/inconnu/ajouter").status_code == 404
    assert client.get(f"/edition/{draft.id}/bloc/{foreign.id}").status_code == 404
    assert post(client, draft.id, f"bloc/{foreign.id}/supprimer").status_code == 404
    assert client.get(f"/edition/{draft.id}/modalite/ajouter").status_code == 404
    assert client.get(f"/edition/{draft.id}/modalite/ajouter?dans={foreign.id}").status_code == 404
    assert client.get(f"/edition/{draft.id}/modalite/ajouter?dans={bloc.id}").status_code == 200
    assert client.get("/edition/999999/copier").status_code == 404
