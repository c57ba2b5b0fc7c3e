"""Reset and invitation links: built from PUBLIC_URL whatever the Host header says; reset
requests limited per address and per client, mailed from the job queue, answered with the
same work whether or not the address has an account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from app.db import db
from app.jobs import queue
from app.jobs.models import Job
from tests.factories import link_in, read_mails
from tests.people.conftest import NEW_PASSWORD, PASSWORD, invite

SITE = "https://certification.example.org"
FORGED = {"Host": "evil.example"}
EVIL = "http://evil.example"


@pytest.fixture
def site(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(app.config, "PUBLIC_URL", SITE)
    return SITE


@pytest.fixture
def queued(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """As in production: the request only queues the mail; a worker sends it."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)


def run_worker() -> int:
    return queue.work(burst=True, echo=lambda message: None)


def links_in(message: Any) -> list[str]:
    body = message.get_content()
    return [word for word in body.split() if "://" in word]


def test_a_reset_asked_with_a_forged_host_mails_the_configured_address(
    client: Any, create_user: Any, outbox: Path, site: str, queued: None
) -> None:
    email = create_user("coordinator").email
    response = client.post("/mot-de-passe-oublie", data={"email": email}, headers=FORGED)
    assert response.status_code == 200
    assert read_mails(outbox) == []  # queued, not sent within the request
    assert run_worker() == 1
    (message,) = read_mails(outbox)
    assert message["To"] == email
    (link,) = links_in(message)
    assert link.startswith(f"{SITE}/reinitialisation/")
    assert "evil" not in message.as_string()
    # The link works on the real site.
    assert client.get(link.removeprefix(SITE)).status_code == 200


def test_an_invitation_asked_with_a_forged_host_mails_the_configured_address(
    client: Any, create_user: Any, create_org: Any, outbox: Path, site: str
) -> None:
    org = create_org("Savoir Devenir")
    coordinator = create_user("coordinator", organisations=[org])
    with client.session_transaction(base_url=EVIL) as session:  # the cookie of that host
        session["_user_id"] = coordinator.get_id()
    response = invite(
        client,
        org,
        full_name="Inès Invitée",
        email="ines@exemple.fr",
        roles=["trainer"],
        base_url=EVIL,
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/comptes"
    (message,) = read_mails(outbox)
    (link,) = links_in(message)
    assert link.startswith(f"{SITE}/invitation/")
    assert "evil" not in message.as_string()


def test_production_serves_only_the_public_host(tmp_path: Path) -> None:
    app = create_app(
        "production",
        SECRET_KEY="production-test",
        PUBLIC_URL="https://certification.example.org/",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        INSTANCE_DIR=tmp_path,
    )
    assert app.config["TRUSTED_HOSTS"] == ["certification.example.org"]
    client = app.test_client()
    page = "/mot-de-passe-oublie"
    forged = client.get(page, headers=FORGED)
    assert forged.status_code == 400
    assert forged.get_data(as_text=True) == "Adresse du site non reconnue."
    assert client.get(page, base_url="https://certification.example.org").status_code == 200


@pytest.mark.parametrize("missing", [{"PUBLIC_URL": ""}, {"PUBLIC_URL": "javascript:alert(1)"}])
def test_production_refuses_to_start_without_a_public_address(
    tmp_path: Path, missing: dict[str, str]
) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_URL"):
        create_app("production", SECRET_KEY="production-test", INSTANCE_DIR=tmp_path, **missing)


def test_a_reset_link_dies_when_the_password_changes(
    client: Any, create_user: Any, outbox: Path, form_login: Any
) -> None:
    user = create_user("learner")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    path = link_in(read_mails(outbox)[0])
    assert client.get(path).status_code == 200
    assert form_login(user.email, PASSWORD).status_code == 302
    changed = client.post(
        "/compte/mot-de-passe",
        data={"current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert changed.status_code == 302
    client.post("/deconnexion")
    assert client.get(path).status_code == 410


def test_resets_for_one_address_are_limited(client: Any, create_user: Any, outbox: Path) -> None:
    user = create_user("learner")
    answers = [  # from 30 different clients, so that only the address's limit plays
        client.post(
            "/mot-de-passe-oublie",
            data={"email": user.email},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        )
        for n in range(30)
    ]
    assert {r.status_code for r in answers} == {200}
    assert len({r.get_data() for r in answers}) == 1  # the same answer, mail or not
    assert len(read_mails(outbox)) == 3
    # Only the last link works.
    paths = [link_in(m) for m in read_mails(outbox)]
    assert [client.get(p).status_code for p in paths] == [410, 410, 200]


def test_resets_from_one_client_are_limited(
    app: Flask, client: Any, create_user: Any, outbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_RESET_PER_CLIENT", 4)
    for n in range(4):
        response = client.post("/mot-de-passe-oublie", data={"email": f"n{n}@exemple.fr"})
        assert response.status_code == 200
    user = create_user("learner")
    refused = client.post("/mot-de-passe-oublie", data={"email": user.email})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "900"
    assert "Trop de demandes de réinitialisation" in refused.get_data(as_text=True)
    elsewhere = client.post(
        "/mot-de-passe-oublie",
        data={"email": user.email},
        environ_base={"REMOTE_ADDR": "198.51.100.4"},
    )
    assert elsewhere.status_code == 200
    assert [m["To"] for m in read_mails(outbox)] == [user.email]


def _statements(client: Any, email: str) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "SAVEPOINT" not in statement:  # the test's own transaction plumbing
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.post("/mot-de-passe-oublie", data={"email": email}).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_known_and_unknown_addresses_cost_the_same_work(
    client: Any, create_user: Any, db_session: Any, queued: None, app: Flask
) -> None:
    user = create_user("learner", email="connue@exemple.fr")
    known = _statements(client, user.email)
    unknown = _statements(client, "inconnue@exemple.fr")
    assert known == unknown  # the same SQL, statement for statement
    assert any("rate_counters" in s for s in known) and any("INSERT INTO jobs" in s for s in known)
    assert not any("FROM users" in s for s in known)  # the account is looked up by the job
    payloads = db_session.scalars(sa.select(Job.payload).order_by(Job.id)).all()
    assert payloads == [{"email": "connue@exemple.fr"}, {"email": "inconnue@exemple.fr"}]
