"""Logging in and out: credentials, disabled accounts, rehashing, the `next` URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.people.models import AuditEvent, User
from app.people.passwords import needs_rehash
from app.people.routes import is_safe_next
from tests.people.conftest import PASSWORD

BAD_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def is_logged_in(client: Any) -> bool:
    response = client.get("/compte/mot-de-passe")
    return response.status_code == 200


def test_login_with_the_right_password(
    client: Any, create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner", name="Awa Diallo")
    response = form_login(user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/mon-espace"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    assert is_logged_in(client)
    assert "Awa Diallo" in client.get("/").get_data(as_text=True)
    db_session.refresh(user)
    assert user.last_login_at is not None
    assert db_session.scalar(
        sa.select(AuditEvent).where(
            AuditEvent.action == "user.login", AuditEvent.actor_id == user.id
        )
    )


def test_email_is_case_insensitive(client: Any, create_user: Any, form_login: Any) -> None:
    user = create_user("learner", email="awa.diallo@exemple.fr")
    assert form_login("  Awa.Diallo@EXEMPLE.fr ").status_code == 302
    assert is_logged_in(client)
    assert user.email == "awa.diallo@exemple.fr"


def test_wrong_password_is_refused(client: Any, create_user: Any, form_login: Any) -> None:
    user = create_user("learner")
    response = form_login(user.email, "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert BAD_CREDENTIALS in html
    assert f'value="{user.email}"' in html  # the typed address is kept, the password is not
    assert "pas-le-bon-mot-de-passe" not in html
    assert not is_logged_in(client)


def test_unknown_email_gets_the_same_answer(client: Any, create_user: Any, form_login: Any) -> None:
    user = create_user("learner", email="connu@exemple.fr")
    known = form_login(user.email, "pas-le-bon-mot-de-passe")
    unknown = form_login("inconnu@exemple.fr", "pas-le-bon-mot-de-passe")
    assert unknown.status_code == known.status_code == 200
    normalised = unknown.get_data(as_text=True).replace("inconnu@", "connu@")
    assert normalised == known.get_data(as_text=True)
    assert not is_logged_in(client)


def test_empty_fields_are_errors_next_to_the_fields(client: Any) -> None:
    html = client.post("/connexion", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "Indiquez votre adresse e-mail." in html
    assert "Indiquez votre mot de passe." in html


def test_disabled_account_cannot_log_in(
    client: Any, create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    user.active = False
    db_session.commit()
    response = form_login(user.email)
    assert response.status_code == 200
    assert "Ce compte est désactivé" in response.get_data(as_text=True)
    assert not is_logged_in(client)
    # With a wrong password, nothing tells the account exists.
    assert BAD_CREDENTIALS in form_login(user.email, "mauvais-mot-de-passe").get_data(as_text=True)


def test_invited_person_without_password_cannot_log_in(
    client: Any, db_session: Any, form_login: Any
) -> None:
    db_session.add(User(email="invite@exemple.fr", full_name="Invitée", active=False))
    db_session.commit()
    assert BAD_CREDENTIALS in form_login("invite@exemple.fr", PASSWORD).get_data(as_text=True)
    assert not is_logged_in(client)


def test_outdated_hash_is_replaced_on_login(
    client: Any, create_user: Any, form_login: Any, db_session: Any
) -> None:
    user = create_user("learner")
    # Parameters other than the configuration's (PASSWORD_HASHING): an older hash.
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    db_session.commit()
    assert needs_rehash(user.password_hash)
    assert form_login(user.email).status_code == 302
    db_session.refresh(user)
    assert user.password_hash is not None and not needs_rehash(user.password_hash)
    assert user.password_hash.startswith("$argon2id$")


def test_logged_in_person_visiting_login_goes_home(
    client: Any, create_user: Any, login: Any
) -> None:
    login(create_user("learner"))
    response = client.get("/connexion")
    assert response.status_code == 302 and response.headers["Location"] == "/mon-espace"


def test_logout_is_a_post(client: Any, create_user: Any, login: Any) -> None:
    login(create_user("learner"))
    assert client.get("/deconnexion").status_code == 405
    response = client.post("/deconnexion")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert not is_logged_in(client)


def test_protected_page_sends_to_login_and_back(
    client: Any, create_user: Any, form_login: Any
) -> None:
    user = create_user("learner")
    response = client.get("/compte/mot-de-passe")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=")
    back = form_login(user.email, query_string={"next": "/compte/mot-de-passe"})
    assert back.headers["Location"] == "/compte/mot-de-passe"


@pytest.mark.parametrize(
    "target",
    [
        "https://pirate.example/",
        "//pirate.example/",
        "/\\pirate.example/",
        "\\\\pirate.example",
        "javascript:alert(1)",
        "http:/pirate.example",
        "/\t/pirate.example",
        "pirate.example",
        "",
    ],
)
def test_unsafe_next_goes_home(client: Any, create_user: Any, form_login: Any, target: str) -> None:
    user = create_user("learner")
    response = client.post(
        "/connexion?next=" + quote(target, safe=""),
        data={"email": user.email, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/mon-espace"


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/comptes", True),
        ("/referentiels/X/v1?a=1#b", True),
        ("//pirate.example", False),
        ("/\\pirate.example", False),
        ("https://pirate.example", False),
        ("/ok\r\nSet-Cookie: x", False),
        (None, False),
    ],
)
def test_is_safe_next(target: str | None, safe: bool) -> None:
    assert is_safe_next(target) is safe
