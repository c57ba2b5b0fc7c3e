"""Ending sessions: logout, password change and disabling end every copy of a session; idle
sessions expire."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from tests.people.conftest import NEW_PASSWORD, PASSWORD


def logged_in(client: Any) -> bool:
    return client.get("/compte/mot-de-passe").status_code == 200


@pytest.fixture
def copy_of(app: Flask):  # type: ignore[no-untyped-def]
    """Another browser holding a copy of `client`'s session cookie."""

    def copy(client: Any) -> Any:
        other = app.test_client()
        other.set_cookie("session", client.get_cookie("session").value)
        return other

    return copy


def test_logout_ends_copies_of_the_session(
    client: Any, create_user: Any, form_login: Any, copy_of: Any
) -> None:
    user = create_user("learner")
    form_login(user.email)
    stolen = copy_of(client)
    assert logged_in(stolen)
    client.post("/deconnexion")
    assert not logged_in(client)
    assert not logged_in(stolen)


def test_logout_ends_the_sessions_on_other_devices(
    client: Any, app: Flask, create_user: Any, form_login: Any
) -> None:
    user = create_user("learner")
    phone = app.test_client()
    form_login(user.email)
    form_login(user.email, target=phone)
    assert logged_in(phone)
    client.post("/deconnexion")
    assert not logged_in(phone)


def test_password_change_ends_other_sessions_but_keeps_this_one(
    client: Any, create_user: Any, form_login: Any, copy_of: Any, db_session: Any
) -> None:
    user = create_user("learner")
    form_login(user.email)
    stolen = copy_of(client)
    response = client.post(
        "/compte/mot-de-passe",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert logged_in(client)
    assert not logged_in(stolen)
    client.post("/deconnexion")
    assert form_login(user.email).status_code == 200  # the old password no longer works
    assert form_login(user.email, NEW_PASSWORD).status_code == 302


def test_password_change_needs_the_current_password(refused_password_change: Any) -> None:
    html = refused_password_change("pas-le-bon", NEW_PASSWORD, NEW_PASSWORD)
    assert "Le mot de passe actuel est incorrect." in html


def test_password_change_refuses_a_mismatched_confirmation(
    refused_password_change: Any,
) -> None:
    html = refused_password_change(PASSWORD, NEW_PASSWORD, "autre")
    assert "Les deux mots de passe ne sont pas identiques." in html


def test_disabling_ends_the_persons_sessions(
    client: Any, app: Flask, create_user: Any, create_org: Any, form_login: Any, login: Any
) -> None:
    org = create_org("Savoir Devenir")
    learner = create_user("learner", organisations=[org])
    browser = app.test_client()
    form_login(learner.email, target=browser)
    assert logged_in(browser)
    login(create_user("coordinator", organisations=[org]))
    assert client.post(f"/comptes/{learner.id}/desactiver").status_code == 302
    assert not logged_in(browser)
    assert "Ce compte est désactivé" in form_login(learner.email, target=browser).get_data(
        as_text=True
    )


def test_idle_session_expires(
    client: Any, app: Flask, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session cookie is signed with the time of the last request; after
    PERMANENT_SESSION_LIFETIME without a request it is refused."""
    lifetime = app.permanent_session_lifetime.total_seconds()
    start = time.time()
    user = create_user("learner")
    form_login(user.email)

    def at(seconds: float) -> None:
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(start + seconds))

    at(lifetime - 60)
    assert logged_in(client)  # activity renews the session...
    at(2 * lifetime - 120)
    assert logged_in(client)  # ...so it lasts beyond the first lifetime
    at(3 * lifetime)
    assert not logged_in(client)  # idle for longer than the lifetime: over
