"""Two saves of the same cell at the same moment, on PostgreSQL: the second waits for the
first to commit, then sees its result and reports a conflict instead of overwriting it.

This test commits for real (two connections cannot share a rolled-back transaction), on data
of its own that it deletes at the end.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from app.assessment.grid import load_grid
from app.assessment.inputs import CellInput
from app.assessment.models import Result, ResultHead
from app.assessment.saving import SaveOutcome, save_grid
from app.cohorts.models import Cohort, Enrolment
from app.db import commit, db
from app.frameworks import services as frameworks
from app.frameworks.models import Certification
from app.people.models import AuditEvent, Organisation, OrganisationKind, Role, User, UserRole
from tests.factories import doc_variant, new_cohort

pytestmark = pytest.mark.postgres_only


def _build(mini_doc: dict[str, Any], tag: str) -> dict[str, int]:
    doc = doc_variant(mini_doc, code=f"LOCK-{tag}")
    version = frameworks.import_document(doc)
    frameworks.publish(version)
    org = Organisation(name=f"Organisme {tag}", kind=OrganisationKind.TRAINING)
    trainers = [
        User(
            email=f"{who}-{tag}@verrou.test",
            full_name=f"{who.title()} {tag}",
            role_rows=[UserRole(role=Role.TRAINER)],
            organisations=[org],
        )
        for who in ("anne", "bruno")
    ]
    learner = User(email=f"zoe-{tag}@verrou.test", full_name="Zoé N'Diaye")
    cohort = new_cohort(
        db.session,
        org,
        version,
        f"Promotion {tag}",
        trainers,
        start_date=dt.date(2025, 1, 6),
        end_date=dt.date(2025, 12, 19),
    )
    enrolment = Enrolment(cohort=cohort, learner=learner)
    db.session.add_all([org, learner, enrolment])
    db.session.flush()
    ids = {
        "cohort": cohort.id,
        "enrolment": enrolment.id,
        "criterion": version.blocs[0].competencies[0].criteria[0].id,
        "a": trainers[0].id,
        "b": trainers[1].id,
        "acquired": next(lvl.id for lvl in version.scale_levels if lvl.counts_as_acquired),
        "not_acquired": next(lvl.id for lvl in version.scale_levels if not lvl.counts_as_acquired),
        "version": version.id,
        "org": org.id,
    }
    commit()
    return ids


def _cleanup(ids: dict[str, int], tag: str) -> None:
    """Delete what the test committed (plain SQL: the ORM refuses to delete results)."""
    with db.engine.begin() as conn:
        conn.execute(
            sa.delete(ResultHead.__table__).where(ResultHead.enrolment_id == ids["enrolment"])
        )
        conn.execute(sa.delete(Result.__table__).where(Result.enrolment_id == ids["enrolment"]))
        conn.execute(
            sa.delete(AuditEvent.__table__).where(AuditEvent.actor_id.in_([ids["a"], ids["b"]]))
        )
        conn.execute(sa.delete(Enrolment.__table__).where(Enrolment.id == ids["enrolment"]))
        conn.execute(sa.delete(Cohort.__table__).where(Cohort.id == ids["cohort"]))
        conn.execute(
            sa.delete(UserRole.__table__).where(UserRole.user_id.in_([ids["a"], ids["b"]]))
        )
        conn.execute(sa.delete(User.__table__).where(User.email.like(f"%-{tag}@verrou.test")))
        conn.execute(sa.delete(Organisation.__table__).where(Organisation.id == ids["org"]))
        certification = Certification.__table__
        conn.execute(
            sa.text("DELETE FROM framework_versions WHERE id = :id"), {"id": ids["version"]}
        )
        conn.execute(sa.delete(certification).where(certification.c.code == f"LOCK-{tag}"))


def _save(app: Flask, ids: dict[str, int], who: str, level: str) -> tuple[SaveOutcome, Any]:
    """Save the cell as loaded empty; return the outcome and the still-open session."""
    grid = load_grid(db.session.get(Cohort, ids["cohort"]), "BC01")
    assert grid is not None
    with force_locale("fr"):
        outcome = save_grid(
            grid,
            db.session.get(User, ids[who]),
            [CellInput(ids["enrolment"], ids["criterion"], ids[level], 0)],
        )
    return outcome, db.session


def test_a_concurrent_save_waits_then_conflicts(app: Flask, mini_doc: dict[str, Any]) -> None:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises writers: no row locks to test")
        tag = uuid.uuid4().hex[:8]
        ids = _build(mini_doc, tag)
    first_saved = threading.Event()
    report: dict[str, Any] = {}

    def first() -> None:
        with app.app_context():
            outcome, _session = _save(app, ids, "a", "acquired")
            report["first"] = outcome
            first_saved.set()
            time.sleep(0.6)  # hold the locks a while before committing
            commit()

    def second() -> None:
        first_saved.wait(5)
        with app.app_context():
            start = time.perf_counter()
            outcome, _session = _save(app, ids, "b", "not_acquired")
            report["waited"] = time.perf_counter() - start
            report["second"] = outcome
            db.session.rollback()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15)
        assert report["first"].saved and report["first"].results == 1
        assert report["waited"] >= 0.4  # blocked on the first save's locks
        conflicts = report["second"].conflicts
        assert len(conflicts) == 1
        assert conflicts[0].theirs == ids["acquired"] and conflicts[0].mine == ids["not_acquired"]
        with app.app_context():
            levels = db.session.scalars(
                sa.select(Result.level_id).where(Result.enrolment_id == ids["enrolment"])
            ).all()
            assert levels == [ids["acquired"]]
    finally:
        with app.app_context():
            _cleanup(ids, tag)
