"""Stale pages, published versions, who may edit, CSRF."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.db import db
from app.frameworks import draft_items, services
from app.frameworks import editing_services as editing
from app.frameworks.models import FrameworkVersion, ImmutableVersionError, VersionStatus
from tests.editor.conftest import audit_actions, document, item, reload

STALE = "Ce brouillon a été modifié par quelqu&#39;un d&#39;autre depuis l&#39;ouverture de la page"


def _edits(version: FrameworkVersion) -> list[tuple[str, dict[str, Any]]]:
    """One POST per kind of edit, each valid on the small référentiel."""
    bloc = item(version, "bloc", "BC01")
    crit = item(version, "critere", "C1.1.a")
    domain = item(version, "domaine", "D1")
    comp = item(version, "competence", "C1.1")
    metadata = {
        "label": "v1",
        "title": "Nouveau titre",
        "level": "6",
        "certifier_name": "Autre",
        "competency_rule": "all",
    }
    return [
        ("identite", metadata),
        ("bloc/ajouter", {"code": "BC02", "title": "Deux"}),
        (f"bloc/{bloc.id}", {"code": "BC01", "title": "Autre titre"}),
        (
            f"activite/ajouter?dans={domain.id}",
            {"code": "A9", "title": "T", "domain_id": domain.id},
        ),
        (f"competence/{comp.id}", {"code": "C1.1", "statement": "Autre énoncé"}),
        (f"critere/{crit.id}/supprimer", {}),
        (f"critere/{crit.id}/deplacer", {"direction": "down"}),
    ]


def test_a_stale_revision_is_refused_and_nothing_applied(
    client: Any, draft: FrameworkVersion
) -> None:
    # Someone else saved in between: the draft's structure (its revision) and two items (their
    # own revisions) changed since the page the editor holds was loaded.
    bloc, comp = item(draft, "bloc", "BC01"), item(draft, "competence", "C1.1")
    draft_items.update_item(draft, bloc.revision, editing.KINDS["bloc"], bloc, {"title": "X"})
    draft_items.update_item(
        draft, comp.revision, editing.KINDS["competence"], comp, {"statement": "Énoncé revu"}
    )
    draft_items.add_item(
        draft,
        draft.revision,
        editing.KINDS["modalite"],
        bloc,
        {"code": "M1.9", "title": "Étude de cas"},
    )
    from app.db import commit

    commit()
    stale = reload(draft.id).revision - 1
    before = document(draft.id)
    actions = audit_actions(draft.id)
    item_pages = {
        f"bloc/{bloc.id}": "bloc de compétences BC01",
        f"competence/{comp.id}": "compétence C1.1",
    }
    for path, data in _edits(reload(draft.id)):
        loaded = 1 if path in item_pages else stale
        response = client.post(f"/edition/{draft.id}/{path}", data={**data, "revision": loaded})
        if response.status_code == 302:  # buttons flash the refusal on the edit page
            html = client.get(response.headers["Location"]).get_data(as_text=True)
        else:
            assert response.status_code == 409, path
            html = response.get_data(as_text=True)
            for value in data.values():  # what was typed is kept
                assert str(value).replace("'", "&#39;") in html, path
        if path in item_pages:
            assert f"Quelqu&#39;un d&#39;autre a enregistré {item_pages[path]} depuis" in html
        else:
            assert STALE in html, path
        assert document(draft.id) == before, path
        assert reload(draft.id).revision == stale + 1
    assert audit_actions(draft.id) == actions


def test_two_editors_one_wins(client: Any, draft: FrameworkVersion) -> None:
    bloc = item(draft, "bloc", "BC01")
    loaded = draft.revision
    first = client.post(
        f"/edition/{draft.id}/bloc/{bloc.id}",
        data={"code": "BC01", "title": "Première", "revision": loaded},
    )
    second = client.post(
        f"/edition/{draft.id}/bloc/{bloc.id}",
        data={"code": "BC01", "title": "Seconde", "revision": loaded},
    )
    assert first.status_code == 302 and second.status_code == 409
    assert item(reload(draft.id), "bloc", "BC01").title == "Première"


def test_editors_of_different_items_do_not_block_each_other(
    client: Any, draft: FrameworkVersion
) -> None:
    comp, crit = item(draft, "competence", "C1.1"), item(draft, "critere", "C1.1.a")
    # Both pages are open at the same time, each at its item's revision.
    comp_page = client.get(f"/edition/{draft.id}/competence/{comp.id}").get_data(as_text=True)
    crit_page = client.get(f"/edition/{draft.id}/critere/{crit.id}").get_data(as_text=True)
    assert 'name="revision" type="hidden" value="1"' in comp_page
    # Statements are long: the box is sized for them.
    assert 'class="long-text"' in crit_page and 'rows="6"' in crit_page
    first = client.post(
        f"/edition/{draft.id}/competence/{comp.id}",
        data={"code": "C1.1", "statement": "Animer la gouvernance partagée", "revision": 1},
        follow_redirects=True,
    )
    second = client.post(
        f"/edition/{draft.id}/critere/{crit.id}",
        data={"code": "C1.1.a", "statement": "Les rôles sont clarifiés", "revision": 1},
        follow_redirects=True,
    )
    assert first.status_code == 200 and second.status_code == 200
    # The messages name the item by its code as written, the participle agreeing with it.
    assert "Compétence C1.1 enregistrée." in first.get_data(as_text=True)
    assert "Critère d&#39;évaluation C1.1.a enregistré." in second.get_data(as_text=True)
    draft = reload(draft.id)
    assert item(draft, "competence", "C1.1").statement == "Animer la gouvernance partagée"
    assert item(draft, "critere", "C1.1.a").statement == "Les rôles sont clarifiés"
    # The same item, saved again from the page loaded before: refused, nothing applied.
    stale = client.post(
        f"/edition/{draft.id}/critere/{crit.id}",
        data={"code": "C1.1.a", "statement": "Autre chose", "revision": 1},
    )
    assert stale.status_code == 409
    assert (
        "Quelqu&#39;un d&#39;autre a enregistré critère d&#39;évaluation C1.1.a depuis"
        in stale.get_data(as_text=True)
    )
    assert item(reload(draft.id), "critere", "C1.1.a").statement == "Les rôles sont clarifiés"


@pytest.fixture
def published(create_version: Any, coordinator: Any) -> FrameworkVersion:
    return create_version(publish=True)


def test_a_published_version_cannot_be_edited(client: Any, published: FrameworkVersion) -> None:
    version = reload(published.id)
    before, revision = document(published.id), version.revision
    edits = _edits(version)
    response = client.get(f"/edition/{published.id}")
    assert response.status_code == 409
    assert "n&#39;est plus un brouillon" in response.get_data(as_text=True)
    for path, data in [*edits, ("publier", {})]:
        if not path.endswith(("supprimer", "deplacer", "publier")):
            assert client.get(f"/edition/{published.id}/{path}").status_code == 409, path
        response = client.post(
            f"/edition/{published.id}/{path}", data={**data, "revision": revision}
        )
        assert response.status_code == 409, path
        assert "n&#39;est plus un brouillon" in response.get_data(as_text=True)
    assert document(published.id) == before
    version = reload(published.id)
    assert version.status is VersionStatus.PUBLISHED and version.revision == revision
    assert audit_actions(published.id) == []


def test_the_services_refuse_a_published_version_too(
    app: Flask, published: FrameworkVersion
) -> None:
    version = reload(published.id)
    bloc = item(version, "bloc", "BC01")
    kind = editing.KINDS["bloc"]
    with app.test_request_context():
        with pytest.raises(ImmutableVersionError):
            draft_items.update_item(version, version.revision, kind, bloc, {"title": "X"})
        with pytest.raises(ImmutableVersionError):
            draft_items.publish_draft(version, version.revision)
    # And the ORM guard stops a write that bypasses the editing services.
    bloc.title = "X"
    with pytest.raises(ImmutableVersionError):
        db.session.flush()
    db.session.rollback()
    assert item(reload(published.id), "bloc", "BC01").title == "Animer une coopération"


def test_a_version_published_while_editing_is_refused(client: Any, draft: FrameworkVersion) -> None:
    bloc = item(draft, "bloc", "BC01")
    revision = draft.revision
    services.publish(draft)
    from app.db import commit

    commit()
    response = client.post(
        f"/edition/{draft.id}/bloc/{bloc.id}",
        data={"code": "BC01", "title": "Trop tard", "revision": revision},
    )
    assert response.status_code == 409
    assert item(reload(draft.id), "bloc", "BC01").title == "Animer une coopération"


def _routes(version_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/edition/"),
        ("get", "/edition/nouveau"),
        ("post", "/edition/nouveau"),
        ("get", f"/edition/{version_id}"),
        ("get", f"/edition/{version_id}/copier"),
        ("post", f"/edition/{version_id}/copier"),
        ("get", f"/edition/{version_id}/identite"),
        ("post", f"/edition/{version_id}/identite"),
        ("get", f"/edition/{version_id}/bloc/ajouter"),
        ("post", f"/edition/{version_id}/bloc/ajouter"),
        ("post", f"/edition/{version_id}/publier"),
        ("post", f"/edition/{version_id}/retirer"),
    ]


@pytest.mark.parametrize("role", ["trainer", "learner", "jury"])
def test_only_coordinators_edit(
    client: Any, create_version: Any, create_user: Any, login: Any, role: str
) -> None:
    version = create_version()
    bloc = item(reload(version.id), "bloc", "BC01")
    login(create_user(role))
    before = document(version.id)
    routes = [
        *_routes(version.id),
        ("get", f"/edition/{version.id}/bloc/{bloc.id}"),
        ("post", f"/edition/{version.id}/bloc/{bloc.id}"),
        ("post", f"/edition/{version.id}/bloc/{bloc.id}/supprimer"),
        ("post", f"/edition/{version.id}/bloc/{bloc.id}/deplacer"),
    ]
    data = {"code": "BCX", "title": "X", "revision": version.revision, "label": "v9"}
    for method, url in routes:
        response = getattr(client, method)(url, data=data if method == "post" else None)
        assert response.status_code == 403, (method, url)
    assert document(version.id) == before


def test_anonymous_people_are_sent_to_log_in(client: Any, create_version: Any) -> None:
    version = create_version()
    for method, url in _routes(version.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert "/connexion" in response.headers["Location"]


def test_forms_need_the_csrf_token(app: Flask, client: Any, draft: FrameworkVersion) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        bloc = item(draft, "bloc", "BC01")
        response = client.post(
            f"/edition/{draft.id}/bloc/{bloc.id}",
            data={"code": "BC01", "title": "Sans jeton", "revision": draft.revision},
        )
        assert response.status_code == 400
        page = client.get(f"/edition/{draft.id}").get_data(as_text=True)
        assert 'name="csrf_token"' in page
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert item(reload(draft.id), "bloc", "BC01").title == "Animer une coopération"
