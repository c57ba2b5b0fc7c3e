"""Invitations and password resets: single-use, expiring links sent by e-mail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import utcnow
from app.people.models import AuditEvent, OneTimeToken, TokenPurpose, User
from tests.factories import link_in, read_mails
from tests.people.conftest import NEW_PASSWORD, PASSWORD, invite

INVALID = "Ce lien n'est plus valable"


@pytest.fixture
def invited(
    client: Any, create_user: Any, create_org: Any, login: Any, outbox: Path, db_session: Any
) -> tuple[User, str]:
    """A person invited through the page; returns them and the path of their link."""
    org = create_org("Le Labo de l'ESS")
    login(create_user("coordinator", organisations=[org], name="Claire Coord"))
    response = invite(
        client,
        org,
        full_name="Élodie N'Diaye-Martin",
        email="Elodie@Exemple.fr",
        roles=["trainer", "jury"],
    )
    assert response.status_code == 302
    client.post("/deconnexion")
    user = db_session.scalar(sa.select(User).where(User.email == "elodie@exemple.fr"))
    (message,) = read_mails(outbox)
    return user, link_in(message)


def set_password(client: Any, path: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(path, data={"new_password": password, "confirm": password})


def test_invitation_mail_is_written_to_the_outbox(invited: tuple[User, str], outbox: Path) -> None:
    user, path = invited
    (message,) = read_mails(outbox)
    assert message["To"] == "elodie@exemple.fr"
    body = message.get_content()
    assert "Bonjour Élodie N'Diaye-Martin" in body and "Claire Coord" in body
    assert path.startswith("/invitation/")
    assert not user.active and user.password_hash is None
    token = path.rsplit("/", 1)[1]
    # Only the digest is stored.
    assert not any(token in t.token_hash for t in user_tokens(user))


def user_tokens(user: User) -> list[OneTimeToken]:
    from app.db import db

    return list(db.session.scalars(sa.select(OneTimeToken).where(OneTimeToken.user_id == user.id)))


def test_invitation_link_sets_the_password_and_activates(
    client: Any, invited: tuple[User, str], form_login: Any, db_session: Any
) -> None:
    user, path = invited
    page = client.get(path)
    assert page.status_code == 200
    assert "Activer votre compte" in page.get_data(as_text=True)
    response = set_password(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    db_session.refresh(user)
    assert user.active and user.password_hash
    assert form_login("elodie@exemple.fr", NEW_PASSWORD).status_code == 302
    assert db_session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.accept_invitation", AuditEvent.actor_id == user.id
        )
    )


def test_invitation_link_works_once(
    client: Any, invited: tuple[User, str], db_session: Any
) -> None:
    user, path = invited
    set_password(client, path)
    db_session.refresh(user)
    first_hash = user.password_hash
    again = set_password(client, path, "un-tout-autre-mot-de-passe")
    assert again.status_code == 410
    assert INVALID in again.get_data(as_text=True)
    assert client.get(path).status_code == 410
    db_session.refresh(user)
    assert user.password_hash == first_hash


def test_invitation_link_expires(
    client: Any, invited: tuple[User, str], db_session: Any, app: Flask
) -> None:
    user, path = invited
    (token,) = user_tokens(user)
    assert abs(token.expires_at - utcnow() - timedelta(hours=7 * 24)) < timedelta(minutes=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    response = set_password(client, path)
    assert response.status_code == 410 and INVALID in response.get_data(as_text=True)
    db_session.refresh(user)
    assert not user.active and user.password_hash is None


def test_invitation_refuses_a_weak_password(
    client: Any, invited: tuple[User, str], db_session: Any
) -> None:
    user, path = invited
    html = set_password(client, path, "elodie-ndiaye-2024").get_data(as_text=True)
    assert "ni votre nom ni votre adresse e-mail" in html
    db_session.refresh(user)
    assert not user.active and user.password_hash is None
    assert set_password(client, path).status_code == 302  # the link still works


def test_unknown_token(client: Any) -> None:
    for path in (
        "/invitation/nimporte-quoi",
        "/reinitialisation/nimporte-quoi",
        "/invitation/" + "x" * 500,
    ):
        response = client.get(path)
        assert response.status_code == 410 and INVALID in response.get_data(as_text=True)


def test_reset_token_is_not_an_invitation(client: Any, create_user: Any, outbox: Path) -> None:
    user = create_user("learner")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    (message,) = read_mails(outbox)
    token = link_in(message).rsplit("/", 1)[1]
    assert client.get(f"/invitation/{token}").status_code == 410


# --- password reset ---------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_addresses(
    client: Any, create_user: Any, outbox: Path
) -> None:
    user = create_user("learner", email="connu@exemple.fr")
    known = client.post("/mot-de-passe-oublie", data={"email": user.email})
    unknown = client.post("/mot-de-passe-oublie", data={"email": "inconnu@exemple.fr"})
    assert known.status_code == unknown.status_code == 200
    assert known.get_data() == unknown.get_data()
    assert "Si un compte actif correspond" in known.get_data(as_text=True)
    (message,) = read_mails(outbox)
    assert message["To"] == "connu@exemple.fr"


def test_no_reset_mail_for_a_disabled_account(
    client: Any, create_user: Any, outbox: Path, db_session: Any
) -> None:
    user = create_user("learner")
    user.active = False
    db_session.commit()
    assert client.post("/mot-de-passe-oublie", data={"email": user.email}).status_code == 200
    assert read_mails(outbox) == []


def test_reset_link_sets_a_new_password_once_and_ends_sessions(
    client: Any, app: Flask, create_user: Any, outbox: Path, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    laptop = app.test_client()
    form_login(user.email, target=laptop)
    client.post("/mot-de-passe-oublie", data={"email": user.email.upper()})
    (message,) = read_mails(outbox)
    path = link_in(message)
    assert path.startswith("/reinitialisation/")
    (token,) = user_tokens(user)
    assert token.purpose is TokenPurpose.PASSWORD_RESET
    assert abs(token.expires_at - utcnow() - timedelta(minutes=60)) < timedelta(minutes=1)

    assert client.get(path).status_code == 200
    assert set_password(client, path).status_code == 302
    assert laptop.get("/compte/mot-de-passe").status_code == 302  # the old session ended
    assert form_login(user.email, PASSWORD).status_code == 200
    assert form_login(user.email, NEW_PASSWORD).status_code == 302
    client.post("/deconnexion")
    again = set_password(client, path, "encore-un-autre-mot-de-passe")
    assert again.status_code == 410 and INVALID in again.get_data(as_text=True)
    assert form_login(user.email, NEW_PASSWORD).status_code == 302


def test_reset_link_expires(
    client: Any, create_user: Any, outbox: Path, db_session: Any, app: Flask, monkeypatch: Any
) -> None:
    monkeypatch.setitem(app.config, "PASSWORD_RESET_TTL_MINUTES", 5)
    user = create_user("learner")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    path = link_in(read_mails(outbox)[0])
    (token,) = user_tokens(user)
    assert abs(token.expires_at - utcnow() - timedelta(minutes=5)) < timedelta(minutes=1)
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    before = user.password_hash
    assert set_password(client, path).status_code == 410
    db_session.refresh(user)
    assert user.password_hash == before


def test_a_new_reset_link_replaces_the_previous_one(
    client: Any, create_user: Any, outbox: Path
) -> None:
    user = create_user("learner")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    first, second = (link_in(m) for m in read_mails(outbox))
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_disabling_revokes_pending_links(
    client: Any, create_user: Any, create_org: Any, login: Any, outbox: Path
) -> None:
    org = create_org("Savoir Devenir")
    user = create_user("learner", organisations=[org])
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    path = link_in(read_mails(outbox)[0])
    login(create_user("coordinator", organisations=[org]))
    client.post(f"/comptes/{user.id}/desactiver")
    client.post("/deconnexion")
    assert client.get(path).status_code == 410


def test_mail_goes_over_smtp_when_configured(
    client: Any, create_user: Any, app: Flask, monkeypatch: Any, tmp_path: Path
) -> None:
    sent: list[Any] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            sent.append(("connect", host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: Any) -> None:
            sent.append(("quit",))

        def starttls(self) -> None:
            sent.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            sent.append(("login", user, password))

        def send_message(self, message: Any) -> None:
            sent.append(("send", message["To"], message.get_content()))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    for key, value in {
        "MAIL_SERVER": "smtp.exemple.fr",
        "MAIL_PORT": 587,
        "MAIL_USERNAME": "robot",
        "MAIL_PASSWORD": "secret",
        "MAIL_USE_TLS": True,
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
    }.items():
        monkeypatch.setitem(app.config, key, value)
    user = create_user("learner")
    client.post("/mot-de-passe-oublie", data={"email": user.email})
    assert [step[0] for step in sent] == ["connect", "starttls", "login", "send", "quit"]
    assert sent[0][1:] == ("smtp.exemple.fr", 587)
    assert sent[3][1] == user.email and "/reinitialisation/" in sent[3][2]
    assert not (tmp_path / "outbox").exists()


def test_unreachable_smtp_still_gives_the_same_answer(
    client: Any, create_user: Any, app: Flask, monkeypatch: Any
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionRefusedError

    monkeypatch.setattr("smtplib.SMTP", refuse)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.exemple.fr")
    user = create_user("learner")
    response = client.post("/mot-de-passe-oublie", data={"email": user.email})
    assert response.status_code == 200
    assert "Si un compte actif correspond" in response.get_data(as_text=True)
