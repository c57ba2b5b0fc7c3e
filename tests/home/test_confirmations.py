"""Irreversible actions ask first, in a page that works without JavaScript."""

from __future__ import annotations

from typing import Any

from app.frameworks.models import VersionStatus


def test_retiring_a_version_asks_first(
    client: Any, login: Any, coordinator: Any, version: Any, db_session: Any
) -> None:
    from app.people.models import Organisation, OrganisationKind

    # Only the certifier's coordinators retire versions (issue #11).
    certifier = Organisation(name="Le Labo", kind=OrganisationKind.CERTIFIER)
    coordinator.organisations.append(certifier)
    db_session.commit()
    login(coordinator)
    listing = client.get("/edition/").get_data(as_text=True)
    # The list offers a link to the question, not a button that retires at once.
    assert f'href="/edition/{version.id}/retirer"' in listing
    page = client.get(f"/edition/{version.id}/retirer")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Aucune nouvelle promotion ne pourra plus être ouverte" in text
    assert f'action="/edition/{version.id}/retirer"' in text and 'method="post"' in text
    db_session.refresh(version)
    assert version.status is VersionStatus.PUBLISHED  # asking changed nothing


def test_disabling_an_account_asks_first(
    client: Any,
    login: Any,
    coordinator: Any,
    create_user: Any,
    organisation: Any,
    db_session: Any,
) -> None:
    trainer = create_user("trainer", name="Hugo Martin", organisations=[organisation])
    login(coordinator)
    listing = client.get("/comptes").get_data(as_text=True)
    assert f'href="/comptes/{trainer.id}/desactiver"' in listing
    text = client.get(f"/comptes/{trainer.id}/desactiver").get_data(as_text=True)
    assert "Hugo Martin ne pourra plus se connecter" in text
    db_session.refresh(trainer)
    assert trainer.active
