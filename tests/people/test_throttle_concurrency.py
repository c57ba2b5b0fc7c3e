"""Login throttling under concurrency, on a real database of its own (a SQLite file, or a
fresh PostgreSQL database when TEST_DATABASE_URL names one): 40 wrong passwords sent at the
same moment on one address check at most 5 of them."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import profiles
from flask import Flask

from app import create_app
from app.db import db
from app.people import passwords
from app.people.models import Role, User, UserRole
from tests.conftest import own_database
from tests.people.conftest import PASSWORD
from tests.people.test_throttle import CountingHasher

ATTEMPTS = 40


@pytest.fixture
def real_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own database: every request commits for real, as in production."""
    with own_database(tmp_path, "throttle") as url:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": ATTEMPTS, "max_overflow": 5},
            WTF_CSRF_ENABLED=False,
            INSTANCE_DIR=tmp_path / "instance",
            # Production's cost: each check takes its real time (~0.1 s), so the attempts
            # overlap while passwords are being checked, as an attack's would.
            PASSWORD_HASHING="recommended",
        )
        with app.app_context():
            db.create_all()
            db.session.add(
                User(
                    email="cible@exemple.fr",
                    full_name="Camille Cible",
                    password_hash=passwords.hash_password(PASSWORD),
                    role_rows=[UserRole(role=Role.COORDINATOR)],
                )
            )
            db.session.commit()
            db.session.remove()
        yield app
        with app.app_context():
            db.engine.dispose()


def test_forty_simultaneous_wrong_logins_check_at_most_five_passwords(
    real_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    hasher = CountingHasher(profiles.RFC_9106_LOW_MEMORY)
    monkeypatch.setitem(passwords.HASHERS, "recommended", hasher)
    start = threading.Barrier(ATTEMPTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def attack(n: int) -> None:
        try:
            attacker = real_app.test_client()
            start.wait()
            response = attacker.post(
                "/connexion", data={"email": "cible@exemple.fr", "password": f"essai-{n}"}
            )
            statuses.append(response.status_code)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=attack, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    answers = Counter(statuses)
    attacked = [p for p in hasher.checked if p.startswith("essai-")]
    print(f"\n{len(attacked)} passwords checked of {ATTEMPTS} simultaneous attempts: {answers}")
    assert len(attacked) <= 5
    assert answers == {200: len(attacked), 429: ATTEMPTS - len(attacked)}

    # The person, from another client, is not locked out by the attacker.
    person = real_app.test_client()
    response = person.post(
        "/connexion",
        data={"email": "cible@exemple.fr", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    assert response.status_code == 302
    assert person.get("/compte/mot-de-passe").status_code == 200
    # The attacker's client is still paused, even with the right password.
    late = real_app.test_client().post(
        "/connexion", data={"email": "cible@exemple.fr", "password": PASSWORD}
    )
    assert late.status_code == 429
