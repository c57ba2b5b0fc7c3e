"""Failed-login throttling, stored in the database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import utcnow
from app.people.models import LoginThrottle
from tests.people.conftest import PASSWORD

LOCKED = "Trop de tentatives de connexion ont échoué"


def fail(form_login: Any, email: str, times: int) -> None:
    for _ in range(times):
        response = form_login(email, "mauvais-mot-de-passe")
        assert response.status_code == 200


def row(db_session: Any, key: str) -> LoginThrottle | None:
    return db_session.scalar(
        sa.select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .execution_options(populate_existing=True)
    )


def test_five_failures_lock_the_address_for_a_while(
    client: Any, create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    response = form_login(user.email, PASSWORD)  # even the right password is refused now
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert LOCKED in html and "réessayez dans 15 minute(s)" in html
    assert response.headers["Retry-After"] == "900"
    assert client.get("/compte/mot-de-passe").status_code == 302
    lock = row(db_session, f"email:{user.email}")
    assert lock is not None and lock.failures == 5
    assert lock.locked_until is not None
    assert timedelta(minutes=14) < lock.locked_until - utcnow() <= timedelta(minutes=15)


def test_attempts_while_locked_do_not_extend_the_lock(
    create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    until = row(db_session, f"email:{user.email}").locked_until  # type: ignore[union-attr]
    assert form_login(user.email, "encore-faux").status_code == 429
    assert row(db_session, f"email:{user.email}").locked_until == until  # type: ignore[union-attr]


def test_unknown_addresses_are_locked_the_same_way(form_login: Any) -> None:
    fail(form_login, "personne@nulle-part.fr", 5)
    response = form_login("personne@nulle-part.fr", "mauvais-mot-de-passe")
    assert response.status_code == 429 and LOCKED in response.get_data(as_text=True)


def test_the_email_key_ignores_case(create_user: Any, form_login: Any) -> None:
    user = create_user("learner", email="awa@exemple.fr")
    fail(form_login, "AWA@exemple.fr", 3)
    fail(form_login, "awa@EXEMPLE.FR", 2)
    assert form_login(user.email, PASSWORD).status_code == 429


def test_lock_ends_after_its_time(
    client: Any, create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    lock = row(db_session, f"email:{user.email}")
    assert lock is not None
    lock.locked_until = utcnow() - timedelta(seconds=1)
    lock.first_failure_at = utcnow() - timedelta(minutes=16)
    db_session.commit()
    assert form_login(user.email, PASSWORD).status_code == 302
    assert row(db_session, f"email:{user.email}") is None  # success forgets the failures


def test_one_failure_after_the_lock_starts_a_new_count(
    create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    lock = row(db_session, f"email:{user.email}")
    assert lock is not None
    lock.locked_until = utcnow() - timedelta(seconds=1)
    db_session.commit()
    fail(form_login, user.email, 1)
    lock = row(db_session, f"email:{user.email}")
    assert lock is not None and lock.failures == 1 and lock.locked_until is None


def test_failures_outside_the_window_are_forgotten(
    create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 4)
    counted = row(db_session, f"email:{user.email}")
    assert counted is not None and counted.failures == 4
    counted.first_failure_at = utcnow() - timedelta(minutes=16)
    db_session.commit()
    fail(form_login, user.email, 1)
    assert form_login(user.email, PASSWORD).status_code == 302


def test_success_resets_the_count(create_user: Any, form_login: Any, client: Any) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 4)
    assert form_login(user.email, PASSWORD).status_code == 302
    client.post("/deconnexion")
    fail(form_login, user.email, 4)
    assert form_login(user.email, PASSWORD).status_code == 302


def test_limits_are_settings(
    app: Flask, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_LOCK_MINUTES", 3)
    user = create_user("learner")
    fail(form_login, user.email, 2)
    response = form_login(user.email, PASSWORD)
    assert response.status_code == 429 and "réessayez dans 3 minute(s)" in response.get_data(
        as_text=True
    )


def test_one_client_address_trying_many_accounts_is_locked(
    app: Flask, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_ADDRESS_FAILURES", 3)
    user = create_user("learner")
    for n in range(3):
        fail(form_login, f"essai{n}@exemple.fr", 1)
    assert form_login(user.email, PASSWORD).status_code == 429
    # Another address is not affected.
    other = form_login(user.email, PASSWORD, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 302
