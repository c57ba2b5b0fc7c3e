"""Accounts administration by coordinators: list, invite, disable, re-enable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.people.models import AuditEvent, Role, User
from tests.factories import link_in, read_mails
from tests.people.conftest import invite


@pytest.fixture
def orgs(create_org: Any) -> tuple[Any, Any]:
    return create_org("Savoir Devenir"), create_org("Autre Organisme")


@pytest.fixture
def coordinator(create_user: Any, login: Any, orgs: tuple[Any, Any]) -> User:
    user = create_user("coordinator", organisations=[orgs[0]], name="Claire Coord")
    login(user)
    return user


def events(db_session: Any, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("path", ["/comptes", "/comptes/inviter", "/journal"])
@pytest.mark.parametrize("role", ["trainer", "learner", "jury"])
def test_coordinator_pages_are_forbidden_to_other_roles(
    client: Any, create_user: Any, login: Any, path: str, role: str
) -> None:
    login(create_user(role))
    assert client.get(path).status_code == 403


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/comptes"),
        ("get", "/comptes/inviter"),
        ("get", "/journal"),
        ("post", "/comptes/1/desactiver"),
        ("post", "/comptes/1/reactiver"),
    ],
)
def test_coordinator_pages_need_a_login(client: Any, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/connexion")


def test_list_shows_only_accounts_wholly_of_my_organisations(
    client: Any, coordinator: User, create_user: Any, orgs: tuple[Any, Any]
) -> None:
    mine = create_user("learner", organisations=[orgs[0]], name="Awa Diallo")
    both = create_user("trainer", organisations=orgs, name="Bruno Deux")
    loose = create_user("jury", name="Jules Sans-Orga")
    other = create_user("learner", organisations=[orgs[1]], name="Zoé Ailleurs")
    html = client.get("/comptes").get_data(as_text=True)
    for user in (coordinator, mine):
        assert user.full_name in html and user.email in html
    # Organisations are walls (app/access.py): an account shared with another organisation,
    # or attached to none, is managed by no coordinator alone.
    for user in (both, loose, other):
        assert user.full_name not in html and user.email not in html
    assert "Apprenant·e" in html and "actif" in html


def test_invite_creates_an_inactive_account_and_sends_the_link(
    client: Any, coordinator: User, orgs: tuple[Any, Any], outbox: Path, db_session: Any
) -> None:
    response = invite(
        client, orgs[0], full_name="  Anne-Sophie d'Arc  ", email="AS.Darc@Exemple.fr"
    )
    assert response.status_code == 302 and response.headers["Location"] == "/comptes"
    user = db_session.scalar(sa.select(User).where(User.email == "as.darc@exemple.fr"))
    assert user.full_name == "Anne-Sophie d'Arc"
    assert user.roles == {Role.LEARNER} and user.organisations == [orgs[0]]
    assert not user.active and user.password_hash is None
    (event,) = events(db_session, "user.invite")
    assert event.actor_id == coordinator.id and event.object_id == user.id
    assert event.details == {"roles": ["learner"], "organisations": ["Savoir Devenir"]}
    (message,) = read_mails(outbox)
    assert link_in(message).startswith("/invitation/")
    page = client.get("/comptes").get_data(as_text=True)
    assert "Invitation envoyée à as.darc@exemple.fr." in page
    assert "invitation envoyée" in page


def test_invite_form_preselects_a_single_organisation(client: Any, coordinator: User) -> None:
    html = client.get("/comptes/inviter").get_data(as_text=True)
    assert '<input checked id="organisations-0"' in html
    assert "Autre Organisme" not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"roles": []}, "Choisissez au moins un rôle."),
        ({"email": "pas-une-adresse"}, "Saisissez une adresse e-mail valide"),
        ({"email": "deja@exemple.fr"}, "Un compte existe déjà avec cette adresse e-mail."),
        ({"full_name": " "}, "Indiquez le nom de la personne."),
        ({"full_name": "Nom\u0007bizarre"}, "caractères non imprimables"),
        ({"organisations": []}, "Choisissez au moins une organisation."),
        ({"roles": ["admin"]}, "admin"),
    ],
)
def test_invite_refuses_bad_input(
    client: Any,
    coordinator: User,
    create_user: Any,
    orgs: tuple[Any, Any],
    outbox: Path,
    db_session: Any,
    data: dict[str, Any],
    message: str,
) -> None:
    create_user("learner", email="deja@exemple.fr")
    before = db_session.scalar(sa.select(sa.func.count(User.id)))
    response = invite(client, orgs[0], **data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'value="Marie Curie"' in html or data.get("full_name") is not None
    assert db_session.scalar(sa.select(sa.func.count(User.id))) == before
    assert read_mails(outbox) == []


def test_invite_into_someone_elses_organisation_is_refused(
    client: Any, coordinator: User, orgs: tuple[Any, Any], outbox: Path, db_session: Any
) -> None:
    response = invite(client, orgs[1])
    assert response.status_code == 200
    assert db_session.scalar(sa.select(User).where(User.email == "marie@exemple.fr")) is None


def test_html_in_a_name_is_shown_escaped(
    client: Any, coordinator: User, orgs: tuple[Any, Any], outbox: Path
) -> None:
    invite(client, orgs[0], full_name="<script>alert('x')</script>", email="x@exemple.fr")
    html = client.get("/comptes").get_data(as_text=True)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_disable_and_enable(
    client: Any, coordinator: User, create_user: Any, orgs: tuple[Any, Any], db_session: Any
) -> None:
    user = create_user("learner", organisations=[orgs[0]], name="Awa Diallo")
    version = user.session_version
    response = client.post(f"/comptes/{user.id}/desactiver")
    assert response.status_code == 302
    db_session.refresh(user)
    assert not user.active and user.session_version == version + 1
    assert "Le compte de Awa Diallo est désactivé." in client.get("/comptes").get_data(as_text=True)
    assert client.post(f"/comptes/{user.id}/reactiver").status_code == 302
    db_session.refresh(user)
    assert user.active
    assert [e.object_id for e in events(db_session, "user.disable")] == [user.id]
    assert [e.object_id for e in events(db_session, "user.enable")] == [user.id]


def test_a_coordinator_cannot_disable_themself(
    client: Any, coordinator: User, db_session: Any
) -> None:
    response = client.post(f"/comptes/{coordinator.id}/desactiver")
    assert response.status_code == 302
    assert "Vous ne pouvez pas désactiver votre propre compte." in client.get("/comptes").get_data(
        as_text=True
    )
    db_session.refresh(coordinator)
    assert coordinator.active
    assert events(db_session, "user.disable") == []


def test_accounts_of_other_organisations_are_not_found(
    client: Any, coordinator: User, create_user: Any, orgs: tuple[Any, Any], db_session: Any
) -> None:
    other = create_user("learner", organisations=[orgs[1]])
    other.active = False
    db_session.commit()
    assert client.post(f"/comptes/{other.id}/reactiver").status_code == 404
    other.active = True
    db_session.commit()
    assert client.post(f"/comptes/{other.id}/desactiver").status_code == 404
    assert client.post("/comptes/999999/desactiver").status_code == 404
    db_session.refresh(other)
    assert other.active


def test_accounts_without_organisation_belong_to_nobody(
    client: Any, coordinator: User, create_user: Any, db_session: Any
) -> None:
    loose = create_user("learner")
    assert client.post(f"/comptes/{loose.id}/desactiver").status_code == 404
    db_session.refresh(loose)
    assert loose.active


def test_reenabling_someone_who_never_accepted_sends_a_new_invitation(
    client: Any, coordinator: User, orgs: tuple[Any, Any], outbox: Path, db_session: Any
) -> None:
    invite(client, orgs[0])
    user = db_session.scalar(sa.select(User).where(User.email == "marie@exemple.fr"))
    client.post(f"/comptes/{user.id}/desactiver")  # cancels the invitation
    first = link_in(read_mails(outbox)[0])
    assert client.post(f"/comptes/{user.id}/reactiver").status_code == 302
    mails = read_mails(outbox)
    assert len(mails) == 2
    second = link_in(mails[1])
    client.post("/deconnexion")
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    db_session.refresh(user)
    assert not user.active  # until they choose a password
    assert len(events(db_session, "user.reinvite")) == 1


def test_post_without_csrf_token_is_refused(
    app: Flask, client: Any, create_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = create_user("learner")
    data = {"email": user.email, "password": "motdepasse-solide-42"}
    refused = client.post("/connexion", data=data)
    assert refused.status_code == 400
    assert client.get("/compte/mot-de-passe").status_code == 302
    # With the token of the page, the same request goes through.
    page = client.get("/connexion").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    accepted = client.post("/connexion", data={**data, "csrf_token": token})
    assert accepted.status_code == 302
    # The logout button of the header carries its token too.
    home = client.get("/").get_data(as_text=True)
    logout_token = home.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/deconnexion").status_code == 400
    assert client.post("/deconnexion", data={"csrf_token": logout_token}).status_code == 302
