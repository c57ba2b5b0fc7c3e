"""Fixtures of the accounts tests: organisations, an outbox folder, logging in through the form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

PASSWORD = "motdepasse-solide-42"  # the create_user fixture's password
NEW_PASSWORD = "trois-pommes-sur-la-table"


def invite(client: Any, organisation: Any, base_url: str | None = None, **fields: Any) -> Any:
    """Post the invitation form for Marie Curie, learner of `organisation`, with `fields`
    changed."""
    data = {
        "full_name": "Marie Curie",
        "email": "marie@exemple.fr",
        "roles": ["learner"],
        "organisations": [str(organisation.id)],
        **fields,
    }
    return client.post("/comptes/inviter", data=data, base_url=base_url)


@pytest.fixture
def create_org(db_session: Any):  # type: ignore[no-untyped-def]
    from app.people.models import Organisation, OrganisationKind

    def create(name: str, kind: str = "training") -> Organisation:
        org = Organisation(name=name, kind=OrganisationKind(kind))
        db_session.add(org)
        db_session.commit()
        return org

    return create


@pytest.fixture(autouse=True)
def jobs_inline(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mails queued as jobs leave within the request, as in development."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)


@pytest.fixture
def outbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Mails are written here (no MAIL_SERVER)."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    return folder


@pytest.fixture
def form_login(client: Any):  # type: ignore[no-untyped-def]
    """Log in through the login form; returns the response."""

    def log_in(email: str, password: str = PASSWORD, *, target: Any = None, **kwargs: Any) -> Any:
        return (target or client).post(
            "/connexion", data={"email": email, "password": password}, **kwargs
        )

    return log_in


@pytest.fixture
def refused_password_change(client: Any, create_user: Any, login: Any, db_session: Any):  # type: ignore[no-untyped-def]
    """Post the password form as a new learner, check it is refused (the form again, the
    password unchanged), and return the page."""

    def post(current: str, new: str, confirm: str) -> str:
        user = create_user("learner")
        login(user)
        before = user.password_hash
        response = client.post(
            "/compte/mot-de-passe",
            data={"current_password": current, "new_password": new, "confirm": confirm},
        )
        assert response.status_code == 200
        db_session.refresh(user)
        assert user.password_hash == before
        return response.get_data(as_text=True)

    return post
