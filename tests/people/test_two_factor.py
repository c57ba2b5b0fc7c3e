"""Two-factor authentication: set up from the account page or at login, asked after the
password, single-use codes and recovery codes, required for coordinators and jury members
where configured, turned off only with the password; every change audited."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import utcnow
from app.people import two_factor
from app.people.models import AuditEvent, RecoveryCode, User
from config import DevelopmentConfig, ProductionConfig, TestingConfig
from tests.people.conftest import PASSWORD

SETTINGS = "/compte/double-authentification"


def code_for(secret: str, steps_ahead: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + steps_ahead)


def secret_on_page(html: str) -> str:
    match = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', html)
    assert match, html
    return match.group(1).replace(" ", "")


def codes_on_page(html: str) -> list[str]:
    return re.findall(r"<li><code>([0-9A-Z-]{19})</code></li>", html)


def actions(db_session: Any, user: User) -> list[str]:
    return list(
        db_session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.object_type == "users", AuditEvent.object_id == user.id)
            .order_by(AuditEvent.id)
        )
    )


@pytest.fixture
def enrolled(client: Any, create_user: Any, login: Any) -> tuple[User, str, list[str]]:
    """A trainer who turned two-factor authentication on from the account page, logged out."""
    user = create_user("trainer")
    login(user)
    secret = secret_on_page(client.get(SETTINGS).get_data(as_text=True))
    page = client.post(SETTINGS, data={"code": code_for(secret)})
    codes = codes_on_page(page.get_data(as_text=True))
    client.post("/deconnexion")
    return user, secret, codes


def test_setting_up_from_the_account_page(
    client: Any, create_user: Any, login: Any, db_session: Any
) -> None:
    user = create_user("trainer")
    login(user)
    account = client.get("/compte/mot-de-passe").get_data(as_text=True)
    assert f'href="{SETTINGS}"' in account and "Non activée" in account
    page = client.get(SETTINGS)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<svg width="' in html and 'class="qr-code"' in html and "<title>Code QR" in html
    secret = secret_on_page(html)
    assert secret_on_page(client.get(SETTINGS).get_data(as_text=True)) == secret  # kept
    db_session.refresh(user)
    assert user.totp_secret == secret and not two_factor.is_enabled(user)

    wrong = client.post(SETTINGS, data={"code": "000000"})
    assert "Ce code ne correspond pas" in wrong.get_data(as_text=True)
    db_session.refresh(user)
    assert not two_factor.is_enabled(user)

    done = client.post(SETTINGS, data={"code": code_for(secret)})
    codes = codes_on_page(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    db_session.refresh(user)
    assert two_factor.is_enabled(user)
    stored = db_session.scalars(
        sa.select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)
    ).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h or code in h for code in codes for h in stored)
    assert "user.two_factor_enable" in actions(db_session, user)
    status = client.get(SETTINGS).get_data(as_text=True)
    assert "Activée" in status and "Il vous reste 10 codes de secours." in status


def test_login_asks_for_the_code_after_the_password(
    client: Any, enrolled: tuple[User, str, list[str]], form_login: Any, db_session: Any
) -> None:
    user, secret, _codes = enrolled
    response = form_login(user.email, query_string={"next": "/compte/mot-de-passe"})
    assert response.status_code == 302 and response.headers["Location"] == "/connexion/code"
    assert client.get("/compte/mot-de-passe").status_code == 302  # no session yet
    assert "user.login" not in actions(db_session, user)
    wrong = client.post("/connexion/code", data={"code": "123456"})
    assert wrong.status_code == 200 and "est pas valable" in wrong.get_data(as_text=True)
    code = code_for(secret, 1)  # the current step was spent when setting up
    done = client.post("/connexion/code", data={"code": code})
    assert done.status_code == 302 and done.headers["Location"] == "/compte/mot-de-passe"
    assert client.get("/compte/mot-de-passe").status_code == 200
    assert actions(db_session, user)[-1] == "user.login"

    # The same code does not open a second session.
    client.post("/deconnexion")
    form_login(user.email)
    again = client.post("/connexion/code", data={"code": code})
    assert again.status_code == 200 and "est pas valable" in again.get_data(as_text=True)


def test_the_code_page_needs_the_password_first(client: Any) -> None:
    response = client.get("/connexion/code")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    assert client.post("/connexion/code", data={"code": "123456"}).status_code == 302


def test_the_wait_for_the_code_expires(
    client: Any, enrolled: tuple[User, str, list[str]], form_login: Any
) -> None:
    user, secret, _codes = enrolled
    form_login(user.email)
    with client.session_transaction() as session:
        session["pending_login"] = {**session["pending_login"], "until": utcnow().timestamp() - 1}
    response = client.post("/connexion/code", data={"code": code_for(secret, 1)})
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"


def test_a_recovery_code_works_once(
    client: Any, enrolled: tuple[User, str, list[str]], form_login: Any, db_session: Any
) -> None:
    user, _secret, codes = enrolled
    form_login(user.email)
    typed = codes[3].lower().replace("-", " ")  # as read aloud or typed from paper
    assert client.post("/connexion/code", data={"code": typed}).status_code == 302
    assert "user.two_factor_recovery_code_used" in actions(db_session, user)
    client.post("/deconnexion")
    form_login(user.email)
    again = client.post("/connexion/code", data={"code": codes[3]})
    assert again.status_code == 200
    assert two_factor.codes_left(user) == 9


def test_wrong_codes_are_throttled(
    client: Any, enrolled: tuple[User, str, list[str]], form_login: Any
) -> None:
    user, secret, _codes = enrolled
    form_login(user.email)
    for n in range(5):
        assert client.post("/connexion/code", data={"code": f"00000{n}"}).status_code == 200
    refused = client.post("/connexion/code", data={"code": code_for(secret, 1)})
    assert refused.status_code == 429 and "Trop de codes incorrects" in refused.get_data(
        as_text=True
    )
    assert client.get("/compte/mot-de-passe").status_code == 302


@pytest.fixture
def required(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "TWO_FACTOR_REQUIRED", True)


@pytest.mark.parametrize("role", ["coordinator", "jury"])
def test_required_roles_set_it_up_at_login(
    client: Any, create_user: Any, form_login: Any, required: None, db_session: Any, role: str
) -> None:
    user = create_user(role)
    response = form_login(user.email)
    assert response.headers["Location"] == "/connexion/double-authentification"
    assert client.get("/compte/mot-de-passe").status_code == 302
    page = client.get("/connexion/double-authentification").get_data(as_text=True)
    assert "obligatoire" in page
    secret = secret_on_page(page)
    done = client.post("/connexion/double-authentification", data={"code": code_for(secret)})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and len(codes_on_page(html)) == 10
    assert 'href="/mon-espace"' in html  # then on to where the login was going
    assert client.get("/compte/mot-de-passe").status_code == 200  # logged in now
    db_session.refresh(user)
    assert two_factor.is_enabled(user)
    assert actions(db_session, user)[-2:] == ["user.two_factor_enable", "user.login"]


@pytest.mark.parametrize("role", ["trainer", "learner"])
def test_other_roles_may_go_without(
    create_user: Any, form_login: Any, required: None, role: str
) -> None:
    response = form_login(create_user(role).email)
    assert response.headers["Location"] not in (
        "/connexion/code",
        "/connexion/double-authentification",
    )


def test_turning_it_off_needs_the_password(
    client: Any, enrolled: tuple[User, str, list[str]], login: Any, db_session: Any
) -> None:
    user, _secret, _codes = enrolled
    login(user)
    wrong = client.post(f"{SETTINGS}/desactiver", data={"disable-password": "pas-le-bon-1"})
    assert wrong.status_code == 200
    assert "Le mot de passe est incorrect" in wrong.get_data(as_text=True)
    db_session.refresh(user)
    assert two_factor.is_enabled(user)
    done = client.post(f"{SETTINGS}/desactiver", data={"disable-password": PASSWORD})
    assert done.status_code == 302
    db_session.refresh(user)
    assert not two_factor.is_enabled(user) and user.totp_secret is None
    assert two_factor.codes_left(user) == 0
    assert actions(db_session, user)[-1] == "user.two_factor_disable"


def test_required_roles_cannot_turn_it_off(
    client: Any, create_user: Any, login: Any, db_session: Any, required: None
) -> None:
    user = create_user("coordinator")
    login(user)
    secret = secret_on_page(client.get(SETTINGS).get_data(as_text=True))
    client.post(SETTINGS, data={"code": code_for(secret)})
    response = client.post(f"{SETTINGS}/desactiver", data={"disable-password": PASSWORD})
    assert response.status_code == 302
    db_session.refresh(user)
    assert two_factor.is_enabled(user)


def test_new_recovery_codes_replace_the_old_ones(
    client: Any, enrolled: tuple[User, str, list[str]], login: Any, db_session: Any
) -> None:
    user, _secret, old = enrolled
    login(user)
    page = client.post(f"{SETTINGS}/codes", data={"codes-password": PASSWORD})
    new = codes_on_page(page.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert actions(db_session, user)[-1] == "user.two_factor_recovery_codes"
    client.post("/deconnexion")
    client.post("/connexion", data={"email": user.email, "password": PASSWORD})
    assert client.post("/connexion/code", data={"code": old[0]}).status_code == 200
    assert client.post("/connexion/code", data={"code": new[0]}).status_code == 302


def test_required_in_production_only() -> None:
    assert ProductionConfig.TWO_FACTOR_REQUIRED is True
    assert DevelopmentConfig.TWO_FACTOR_REQUIRED is False
    assert TestingConfig.TWO_FACTOR_REQUIRED is False
