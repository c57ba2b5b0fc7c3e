"""Login throttling: per address-and-client pair with growing pauses, a looser per-client
ceiling, counted in the database before any password is checked."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, Literal

import pytest
import sqlalchemy as sa
from argon2 import Parameters, PasswordHasher, profiles
from flask import Flask

from app.db import utcnow
from app.people import counters, passwords
from app.people.models import RateCounter
from tests.people.conftest import PASSWORD

PAUSED = "Trop de tentatives de connexion ont échoué depuis votre poste"
HOME = "127.0.0.1"  # the test client's address
ELSEWHERE = {"REMOTE_ADDR": "198.51.100.23"}


class CountingHasher(PasswordHasher):
    """The real Argon2 hasher, counting the passwords it verifies (thread-safe)."""

    def __init__(self, cost: Parameters = profiles.CHEAPEST) -> None:
        """`cost`: the tests' parameters (PASSWORD_HASHING) unless told."""
        super().__init__(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_cost,
            parallelism=cost.parallelism,
            hash_len=cost.hash_len,
            salt_len=cost.salt_len,
            type=cost.type,
        )
        self.checked: list[str] = []
        self.lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self.lock:
            self.checked.append(str(password))
        return super().verify(hash, password)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password actually verified."""
    hasher = CountingHasher()
    monkeypatch.setitem(passwords.HASHERS, "cheapest", hasher)
    return hasher.checked


def fail(form_login: Any, email: str, times: int, **kwargs: Any) -> None:
    for _ in range(times):
        response = form_login(email, "mauvais-mot-de-passe", **kwargs)
        assert response.status_code == 200


def pair(db_session: Any, email: str, client: str = HOME) -> RateCounter | None:
    return db_session.scalar(
        sa.select(RateCounter)
        .where(RateCounter.key == counters.key("login", email, client))
        .execution_options(populate_existing=True)
    )


def end_pause(db_session: Any, row: RateCounter) -> None:
    row.blocked_until = utcnow() - timedelta(seconds=1)
    db_session.commit()


def test_five_failures_pause_the_pair_without_checking_more_passwords(
    client: Any, create_user: Any, form_login: Any, db_session: Any, checks: list[str]
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    assert len(checks) == 5
    response = form_login(user.email, PASSWORD)  # even the right password waits now
    assert response.status_code == 429
    assert len(checks) == 5  # refused before its password was looked at
    html = response.get_data(as_text=True)
    assert PAUSED in html and "patientez 1 minute avant" in html
    assert response.headers["Retry-After"] == "60"
    assert client.get("/compte/mot-de-passe").status_code == 302
    row = pair(db_session, user.email)
    assert row is not None and row.hits == 5 and row.refused == 1
    assert row.blocked_until is not None
    assert timedelta(seconds=50) < row.blocked_until - utcnow() <= timedelta(seconds=60)


def test_the_person_logs_in_from_elsewhere_while_an_attacker_is_paused(
    create_user: Any, form_login: Any, checks: list[str]
) -> None:
    user = create_user("coordinator")
    fail(form_login, user.email, 5)
    assert form_login(user.email, PASSWORD).status_code == 429
    assert form_login(user.email, PASSWORD, environ_base=ELSEWHERE).status_code == 302


def test_pauses_grow_after_each_further_failure(
    create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    pauses = []
    for _ in range(4):
        row = pair(db_session, user.email)
        assert row is not None and row.blocked_until is not None
        pauses.append(round((row.blocked_until - utcnow()).total_seconds() / 60))
        end_pause(db_session, row)
        fail(form_login, user.email, 1)
    assert pauses == [1, 2, 4, 8]
    row = pair(db_session, user.email)
    assert row is not None and row.hits == 9


def test_pauses_stop_growing_at_the_maximum(
    app: Flask, create_user: Any, form_login: Any, db_session: Any, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_MAX_DELAY_MINUTES", 3)
    user = create_user("learner")
    fail(form_login, user.email, 5)
    for _ in range(3):
        row = pair(db_session, user.email)
        assert row is not None
        end_pause(db_session, row)
        fail(form_login, user.email, 1)
    row = pair(db_session, user.email)
    assert row is not None and row.blocked_until is not None
    assert timedelta(minutes=2) < row.blocked_until - utcnow() <= timedelta(minutes=3)


def test_attempts_during_a_pause_neither_count_nor_extend_it(
    create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    before = pair(db_session, user.email)
    assert before is not None
    until = before.blocked_until
    for _ in range(3):
        assert form_login(user.email, "encore-faux").status_code == 429
    after = pair(db_session, user.email)
    assert after is not None
    assert (after.hits, after.refused, after.blocked_until) == (5, 3, until)


def test_unknown_addresses_are_counted_the_same_way(form_login: Any) -> None:
    fail(form_login, "personne@nulle-part.fr", 5)
    response = form_login("personne@nulle-part.fr", "mauvais-mot-de-passe")
    assert response.status_code == 429 and PAUSED in response.get_data(as_text=True)


def test_the_pair_ignores_the_case_of_the_address(create_user: Any, form_login: Any) -> None:
    user = create_user("learner", email="awa@exemple.fr")
    fail(form_login, "AWA@exemple.fr", 3)
    fail(form_login, "awa@EXEMPLE.FR", 2)
    assert form_login(user.email, PASSWORD).status_code == 429


def test_success_forgets_the_pair(
    create_user: Any, form_login: Any, client: Any, db_session: Any
) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 4)
    assert form_login(user.email, PASSWORD).status_code == 302
    assert pair(db_session, user.email) is None
    client.post("/deconnexion")
    fail(form_login, user.email, 4)
    assert form_login(user.email, PASSWORD).status_code == 302


def test_a_quiet_pair_starts_over(create_user: Any, form_login: Any, db_session: Any) -> None:
    user = create_user("learner")
    fail(form_login, user.email, 5)
    row = pair(db_session, user.email)
    assert row is not None
    row.blocked_until = utcnow() - timedelta(hours=1)
    row.last_hit_at = utcnow() - timedelta(hours=25)
    db_session.commit()
    fail(form_login, user.email, 1)
    row = pair(db_session, user.email)
    assert row is not None and row.hits == 1 and row.blocked_until is None


def test_counters_keep_no_address(create_user: Any, form_login: Any, db_session: Any) -> None:
    user = create_user("learner", email="discret@exemple.fr")
    fail(form_login, user.email, 2)
    keys = db_session.scalars(sa.select(RateCounter.key)).all()
    assert keys and not any("discret" in key or HOME in key for key in keys)


def test_limits_are_settings(
    app: Flask, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_FAILURES", 2)
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_DELAY_SECONDS", 180)
    user = create_user("learner")
    fail(form_login, user.email, 2)
    response = form_login(user.email, PASSWORD)
    assert response.status_code == 429
    assert "patientez 3 minutes" in response.get_data(as_text=True)


def test_one_client_trying_many_accounts_reaches_its_ceiling(
    app: Flask, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_CLIENT_FAILURES", 3)
    user = create_user("learner")
    for n in range(3):
        fail(form_login, f"essai{n}@exemple.fr", 1)
    assert form_login(user.email, PASSWORD).status_code == 429
    # Another client is not affected.
    assert form_login(user.email, PASSWORD, environ_base=ELSEWHERE).status_code == 302


def test_successful_logins_do_not_fill_a_shared_office_ceiling(
    app: Flask, client: Any, create_user: Any, form_login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Colleagues behind one address: only failures count against the client."""
    monkeypatch.setitem(app.config, "LOGIN_THROTTLE_CLIENT_FAILURES", 3)
    colleagues = [create_user("trainer") for _ in range(4)]
    for person in colleagues:
        assert form_login(person.email, PASSWORD).status_code == 302
        client.post("/deconnexion")
    fail(form_login, colleagues[0].email, 2)
    assert form_login(colleagues[1].email, PASSWORD).status_code == 302
