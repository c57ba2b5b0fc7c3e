"""`flask users create`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.people.models import AuditEvent, Role, User
from app.people.passwords import verify_password

GOOD = "trois-pommes-sur-la-table"


def create(runner: Any, *extra: str, password: str | None = GOOD + "\n") -> Any:
    args = ["users", "create", "--email", "Claire@Exemple.fr", "--name", "Claire Coord"]
    return runner.invoke(args=[*args, *extra], input=password)


def test_create_an_active_account(
    runner: Any, db_session: Any, create_org: Any, client: Any, form_login: Any
) -> None:
    create_org("Savoir Devenir")
    result = create(
        runner,
        "--role",
        "coordinator",
        "--role",
        "trainer",
        "--password-stdin",
        "--organisation",
        "Savoir Devenir",
    )
    assert result.exit_code == 0, result.output
    assert "compte créé : claire@exemple.fr" in result.output
    user = db_session.scalar(sa.select(User).where(User.email == "claire@exemple.fr"))
    assert user.active and user.full_name == "Claire Coord"
    assert user.roles == {Role.COORDINATOR, Role.TRAINER}
    assert [o.name for o in user.organisations] == ["Savoir Devenir"]
    assert verify_password(user.password_hash, GOOD)
    (event,) = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user.create"))
    assert event.actor_id is None and event.object_id == user.id
    assert form_login("claire@exemple.fr", GOOD).status_code == 302


def test_duplicate_email(runner: Any, db_session: Any, create_user: Any) -> None:
    create_user("learner", email="claire@exemple.fr")
    result = create(runner, "--role", "coordinator", "--password-stdin")
    assert result.exit_code == 1
    assert "Un compte existe déjà avec cette adresse e-mail." in result.output
    assert db_session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_weak_password(runner: Any, db_session: Any) -> None:
    result = create(runner, "--role", "learner", "--password-stdin", password="azertyuiop123\n")
    assert result.exit_code == 1
    assert "Ce mot de passe fait partie des plus courants" in result.output
    result = create(runner, "--role", "learner", "--password-stdin", password="court\n")
    assert result.exit_code == 1 and "au moins 12 caractères" in result.output
    assert db_session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_missing_password(runner: Any, db_session: Any) -> None:
    result = create(runner, "--role", "learner", "--password-stdin", password="")
    assert result.exit_code == 1 and "aucun mot de passe" in result.output
    result = create(runner, "--role", "learner")
    assert result.exit_code == 1 and "--password-stdin" in result.output
    assert db_session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_bad_role_email_or_organisation(runner: Any, db_session: Any) -> None:
    assert create(runner, "--role", "admin", "--password-stdin").exit_code == 2
    assert create(runner, "--password-stdin").exit_code == 2  # --role is required
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "pas-une-adresse",
            "--name",
            "X",
            "--role",
            "jury",
            "--password-stdin",
        ],
        input=GOOD,
    )
    assert result.exit_code == 1 and "adresse e-mail valide" in result.output
    result = create(runner, "--role", "learner", "--password-stdin", "--organisation", "Inconnue")
    assert result.exit_code == 1 and "Organisation inconnue : Inconnue" in result.output
    assert db_session.scalar(sa.select(sa.func.count(User.id))) == 0
