"""Migrations bring an empty database to the models, both ways, on the engine under test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from app import create_app
from app.assessment.models import Result, ResultHead
from app.cohorts.models import AccessRoute, Cohort, Enrolment, LearnerIdentity
from app.db import db
from app.frameworks import services
from app.people.models import Organisation, OrganisationKind, User
from app.registry.models import is_search_index
from tests.conftest import own_database


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, emptied first."""
    with own_database(tmp_path, "migrations") as url:
        app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


def table_names() -> set[str]:
    """The tables the models describe (the register's full-text index is not one of them)."""
    names = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    return {name for name in names if not is_search_index(name)}


def test_upgrade_downgrade_upgrade(fresh_app: Flask) -> None:
    upgrade()
    tables = table_names()
    assert {"certifications", "framework_versions", "criteria"} <= tables
    assert tables == set(db.metadata.tables)
    assert fresh_app.test_cli_runner().invoke(args=["db", "check"]).exit_code == 0
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert table_names() == tables


def test_check_fails_when_models_and_migrations_disagree(fresh_app: Flask) -> None:
    upgrade()
    extra = sa.Table("not_migrated", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
        assert result.exit_code == 1
    finally:
        db.metadata.remove(extra)


def test_constraint_names_follow_the_convention(fresh_app: Flask) -> None:
    upgrade()
    inspector = sa.inspect(db.engine)
    checks = {c["name"] for c in inspector.get_check_constraints("framework_versions")}
    assert "ck_framework_versions_level_range" in checks
    uniques = {c["name"] for c in inspector.get_unique_constraints("criteria")}
    assert uniques == {"uq_criteria_version_id_code"}


def test_disagreement_flags_are_computed_for_existing_results(
    fresh_app: Flask, mini_doc: dict[str, Any]
) -> None:
    """The revision adding result_heads.disagreement fills it from the results already there."""
    upgrade()
    version = services.import_document(mini_doc)
    services.publish(version)
    a, b, learner = (User(email=f"{n}@example.org", full_name=n) for n in ("a", "b", "learner"))
    enrolment = Enrolment(
        cohort=Cohort(
            name="Promotion",
            organisation=Organisation(name="Organisme", kind=OrganisationKind.TRAINING),
            version=version,
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 12, 18),
            access_route=AccessRoute.CONTINUING_TRAINING,
        ),
        learner=learner,
    )
    db.session.add_all([a, b, enrolment])
    db.session.flush()
    split, agreed, cleared = [k.id for c in version.blocs[0].competencies for k in c.criteria][:3]
    low, high = version.scale_levels[0].id, version.scale_levels[-1].id
    opinions = {split: (low, high), agreed: (high, high), cleared: (low, None)}
    for criterion, levels in opinions.items():
        for assessor, level in zip((a, b), levels, strict=True):
            db.session.add(
                Result(
                    enrolment_id=enrolment.id,
                    criterion_id=criterion,
                    level_id=level,
                    assessor_id=assessor.id,
                )
            )
            db.session.flush()
        latest = db.session.scalar(sa.select(sa.func.max(Result.id)))
        db.session.add(
            ResultHead(
                enrolment_id=enrolment.id,
                criterion_id=criterion,
                result_id=latest,
                level_id=levels[-1],
            )
        )
    db.session.commit()

    downgrade(revision="8ee2040a407d")
    upgrade()
    rows = db.session.execute(sa.select(ResultHead.criterion_id, ResultHead.disagreement)).all()
    flags = {criterion: bool(flag) for criterion, flag in rows}
    assert flags == {split: True, agreed: False, cleared: False}


def test_first_names_become_a_list_as_the_exporter_read_them(fresh_app: Flask) -> None:
    """The revision storing first names as a list splits the old text the way the accrochage
    did (commas, else spaces) and stores one apostrophe, the straight one."""
    upgrade(revision="d4f1a7c2e9b3")
    texts = {1: "Marie, Anne", 2: "Jean Pierre", 3: "Ma’ïa", 4: " Zoé  "}
    with db.engine.begin() as connection:
        for user_id, first_names in texts.items():
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, full_name, active, session_version, created_at)"
                    " VALUES (:id, :email, 'x', true, 1, CURRENT_TIMESTAMP)"
                ),
                {"id": user_id, "email": f"p{user_id}@example.org"},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO learner_identities (user_id, birth_name, first_names, "
                    "updated_at, revision) VALUES (:id, 'N’Diaye', :first, CURRENT_TIMESTAMP, 1)"
                ),
                {"id": user_id, "first": first_names},
            )
    upgrade()
    identities = {
        identity.user_id: identity for identity in db.session.scalars(sa.select(LearnerIdentity))
    }
    assert {k: v.first_names for k, v in identities.items()} == {
        1: ["Marie", "Anne"],
        2: ["Jean", "Pierre"],
        3: ["Ma'ïa"],
        4: ["Zoé"],
    }
    assert {v.birth_name for v in identities.values()} == {"N'Diaye"}
    db.session.remove()
    downgrade(revision="d4f1a7c2e9b3")
    with db.engine.connect() as connection:
        back = dict(
            connection.execute(sa.text("SELECT user_id, first_names FROM learner_identities")).all()
        )
    assert back == {1: "Marie, Anne", 2: "Jean, Pierre", 3: "Ma'ïa", 4: "Zoé"}
