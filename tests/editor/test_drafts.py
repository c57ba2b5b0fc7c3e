"""Starting drafts (empty or copied), the version list, publishing and retiring."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.db import db
from app.frameworks import services
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from tests.editor.conftest import audit_actions, document, reload

NEW = {
    "code": "ANIM",
    "label": "v1",
    "title": "Animateur·rice de coopération territoriale",
    "level": "5",
    "certifier_name": "Le Labo de l'ESS",
}


def _versions() -> int:
    return db.session.scalar(sa.select(sa.func.count(FrameworkVersion.id))) or 0


def test_index_lists_versions_with_edit_and_copy(
    client: Any, create_version: Any, coordinator: Any, mini_doc: dict[str, Any]
) -> None:
    published = create_version(publish=True)
    mini_doc["version"]["label"] = "v2"
    draft = create_version(mini_doc)
    html = client.get("/edition/").get_data(as_text=True)
    assert f'href="/edition/{draft.id}"' in html and "Éditer" in html
    assert f'href="/edition/{published.id}"' not in html
    assert f"/edition/{published.id}/copier" in html
    assert f"/edition/{published.id}/retirer" in html
    assert "/edition/nouveau" in html


def test_start_an_empty_draft_of_a_new_certification(client: Any, coordinator: Any) -> None:
    response = client.post("/edition/nouveau", data=NEW)
    assert response.status_code == 302
    version = db.session.scalar(
        sa.select(FrameworkVersion).join(Certification).where(Certification.code == "ANIM")
    )
    assert version is not None
    assert response.headers["Location"].endswith(f"/edition/{version.id}")
    assert version.status is VersionStatus.DRAFT
    assert (version.title, version.level, version.certifier_name) == (
        NEW["title"],
        5,
        "Le Labo de l'ESS",
    )
    doc = document(version.id)
    assert doc["activity_domains"] == [] and doc["blocs"] == [] and doc["scale"]["levels"] == []
    assert audit_actions(version.id) == ["framework.create"]
    # Invalid while being edited: the checks say what is missing.
    html = client.get(f"/edition/{version.id}").get_data(as_text=True)
    assert "Vérifications : 3 problèmes" in html
    assert "aucun domaine d&#39;activité" in html
    assert "aucun bloc de compétences" in html
    assert "il faut au moins deux niveaux" in html
    assert "/publier" not in html


def test_start_a_draft_of_an_existing_certification(
    client: Any, create_version: Any, coordinator: Any
) -> None:
    existing = create_version(publish=True)
    response = client.post("/edition/nouveau", data={**NEW, "code": "MINI", "label": "v2"})
    assert response.status_code == 302
    assert [v.label for v in reload(existing.id).certification.versions] == ["v1", "v2"]


def test_new_draft_bad_input_is_refused_next_to_the_fields(
    client: Any, create_version: Any, coordinator: Any
) -> None:
    create_version()
    before = _versions()
    cases = [
        ({"level": "9"}, "Le niveau va de 1 à 8."),
        ({"level": "cinq"}, "Saisissez un nombre entier."),
        ({"code": "AN IM"}, "Code invalide"),
        ({"title": "   "}, "Ce champ est obligatoire."),
        ({"code": "MINI", "label": "v1"}, "Cette certification a déjà une version de ce libellé."),
    ]
    for change, message in cases:
        response = client.post("/edition/nouveau", data={**NEW, **change})
        html = response.get_data(as_text=True)
        assert response.status_code == 200, change
        assert message in html, change
        assert 'aria-invalid="true"' in html
        for value in change.values():
            if value.strip():
                assert f'value="{value}"' in html, change
    assert _versions() == before


def test_copy_a_published_version(client: Any, create_version: Any, coordinator: Any) -> None:
    source = create_version(publish=True)
    response = client.post(f"/edition/{source.id}/copier", data={"label": "v2"})
    assert response.status_code == 302
    copy = services.load_version("MINI", "v2")
    assert copy.status is VersionStatus.DRAFT and copy.id != source.id
    original, copied = document(source.id), document(copy.id)
    assert copied["version"]["label"] == "v2"
    copied["version"]["label"] = original["version"]["label"]
    assert copied == original
    assert audit_actions(copy.id) == ["framework.copy"]
    # The source did not change.
    assert reload(source.id).status is VersionStatus.PUBLISHED


def test_copy_a_real_file_keeps_every_link(
    client: Any, create_version: Any, coordinator: Any
) -> None:
    from app.frameworks import documents
    from tests.conftest import REAL_FILES

    source = create_version(documents.load(REAL_FILES[0]), publish=True)
    client.post(f"/edition/{source.id}/copier", data={"label": "copie"})
    copy = services.load_version(source.certification.code, "copie")
    original, copied = document(source.id), document(copy.id)
    copied["version"]["label"] = original["version"]["label"]
    assert copied == original


def test_copy_needs_a_free_label(client: Any, create_version: Any, coordinator: Any) -> None:
    source = create_version(publish=True)
    before = _versions()
    html = client.post(f"/edition/{source.id}/copier", data={"label": "v1"}).get_data(as_text=True)
    assert "Cette certification a déjà une version de ce libellé." in html
    html = client.post(f"/edition/{source.id}/copier", data={"label": "v 2"}).get_data(as_text=True)
    assert "Code invalide" in html and 'value="v 2"' in html
    assert _versions() == before


def test_publish_is_refused_while_invalid_then_accepted(client: Any, coordinator: Any) -> None:
    client.post("/edition/nouveau", data=NEW)
    version = services.load_version("ANIM", "v1")
    response = client.post(f"/edition/{version.id}/publier", data={"revision": version.revision})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "ne peut pas être publié" in html and "Vérifications : 3 problèmes" in html
    assert reload(version.id).status is VersionStatus.DRAFT

    # Fill it in through the editor until the checks pass.
    def add(kind: str, data: dict[str, Any], parent: int | None = None) -> None:
        revision = reload(version.id).revision
        url = f"/edition/{version.id}/{kind}/ajouter" + (f"?dans={parent}" if parent else "")
        assert client.post(url, data={**data, "revision": revision}).status_code == 302

    add("niveau", {"code": "NA", "label": "Non acquis"})
    add("niveau", {"code": "A", "label": "Acquis", "counts_as_acquired": "y"})
    add("domaine", {"code": "D1", "title": "Animer"})
    domain = reload(version.id).domains[0]
    add("activite", {"code": "A1", "title": "Animer", "domain_id": domain.id}, domain.id)
    add(
        "bloc",
        {
            "code": "B1",
            "title": "Bloc",
            "validation_rule": "Tous les critères acquis",
            "validity": "unlimited",
        },
    )
    bloc = reload(version.id).blocs[0]
    add("modalite", {"code": "M1", "title": "Étude de cas"}, bloc.id)
    activity = reload(version.id).domains[0].activities[0]
    add("competence", {"code": "C1", "statement": "Animer", "activity_ids": activity.id}, bloc.id)
    competency = reload(version.id).blocs[0].competencies[0]
    modality = reload(version.id).blocs[0].modalities[0]
    add(
        "critere",
        {"code": "C1.a", "statement": "Ça marche", "modality_ids": modality.id},
        competency.id,
    )
    assert "Vérifications : 0 problème" in client.get(f"/edition/{version.id}").get_data(
        as_text=True
    )

    revision = reload(version.id).revision
    response = client.post(f"/edition/{version.id}/publier", data={"revision": revision})
    assert response.status_code == 302
    published = reload(version.id)
    assert published.status is VersionStatus.PUBLISHED
    assert audit_actions(version.id)[-1] == "framework.publish"
    assert audit_actions(version.id).count("framework.add") == 8


def test_publish_with_a_stale_revision_is_refused(client: Any, draft: Any) -> None:
    response = client.post(f"/edition/{draft.id}/publier", data={"revision": draft.revision - 1})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Ce brouillon a été modifié par quelqu&#39;un d&#39;autre" in follow
    assert reload(draft.id).status is VersionStatus.DRAFT


def test_retire_a_published_version(client: Any, create_version: Any, coordinator: Any) -> None:
    version = create_version(publish=True)
    assert client.post(f"/edition/{version.id}/retirer").status_code == 302
    assert reload(version.id).status is VersionStatus.RETIRED
    assert audit_actions(version.id) == ["framework.retire"]
    # Twice: refused with a message, nothing changes.
    response = client.post(f"/edition/{version.id}/retirer", follow_redirects=True)
    assert "n&#39;est pas publiée" in response.get_data(as_text=True)
    assert audit_actions(version.id) == ["framework.retire"]


def test_a_draft_cannot_be_retired(client: Any, draft: Any) -> None:
    client.post(f"/edition/{draft.id}/retirer")
    assert reload(draft.id).status is VersionStatus.DRAFT
