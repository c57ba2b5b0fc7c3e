"""Retention periods: each kind of data, reported by a dry run, removed by --execute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.assessment.evidence import attach, check_upload, stored_path
from app.assessment.models import EvidenceFile
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.insertion.models import Horizon, Situation, SurveyAnswer
from app.people.models import AuditEvent, User
from tests.factories import count_rows, new_cohort

PDF = b"%PDF-1.4\n% preuve\n%%EOF\n"
NOW = dt.datetime.now(dt.UTC)


def ago(days: int) -> dt.datetime:
    return NOW - dt.timedelta(days=days)


@pytest.fixture
def periods(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {
        "RETENTION_SURVEY_ANSWERS_DAYS": 1000,
        "RETENTION_EVIDENCE_DAYS": 365,
        "RETENTION_AUDIT_DAYS": 2000,
        "RETENTION_INACTIVE_ACCOUNTS_DAYS": 1095,
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return tmp_path


@pytest.fixture
def cohorts(db_session: Any, version: Any, organisation: Any, create_user: Any) -> dict[str, Any]:
    trainer = create_user("trainer", organisations=[organisation])

    def cohort(name: str, end: dt.date) -> Cohort:
        return new_cohort(
            db_session,
            organisation,
            version,
            name,
            [trainer],
            start_date=end - dt.timedelta(days=200),
            end_date=end,
        )

    old = cohort("Promotion 2021", (NOW - dt.timedelta(days=1500)).date())
    recent = cohort("Promotion en cours", (NOW + dt.timedelta(days=100)).date())
    db_session.commit()
    return {"old": old, "recent": recent, "trainer": trainer}


def run(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=["retention", "apply", *args])
    assert result.exit_code == 0, result.output
    return result


def test_survey_answers_past_their_period(
    runner: Any, db_session: Any, periods: Path, cohorts: dict[str, Any], create_user: Any
) -> None:
    learner = create_user("learner")
    enrolment = Enrolment(cohort=cohorts["old"], learner=learner, status=EnrolmentStatus.CERTIFIED)
    answers = [
        SurveyAnswer(
            enrolment=enrolment,
            horizon=Horizon.SIX_MONTHS,
            situation=Situation.TARGET_JOB,
            recorded_by=cohorts["trainer"],
            recorded_at=when,
        )
        for when in (ago(1200), ago(10))
    ]
    db_session.add_all(answers)
    db_session.commit()
    old_id, recent_id = (a.id for a in answers)

    dry = run(runner)
    assert "simulation" in dry.output
    assert "réponses à l'enquête d'insertion : 1000 jours" in dry.output
    assert f"réponse n° {old_id}" in dry.output and f"réponse n° {recent_id}" not in dry.output
    assert count_rows(db_session, SurveyAnswer) == 2
    assert not db_session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "retention.apply")
    )

    run(runner, "--execute")
    db_session.expire_all()
    assert db_session.scalars(sa.select(SurveyAnswer.id)).all() == [recent_id]
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "retention.apply")
    ).one()
    assert event.details["survey_answers"]["count"] == 1
    assert event.actor_id is None


def test_evidence_files_after_their_cohort_ended(
    runner: Any, db_session: Any, periods: Path, cohorts: dict[str, Any], create_user: Any
) -> None:
    files = {}
    for key in ("old", "recent"):
        enrolment = Enrolment(cohort=cohorts[key], learner=create_user("learner"))
        db_session.add(enrolment)
        db_session.flush()
        competency = cohorts[key].version.blocs[0].competencies[0]
        files[key] = attach(
            enrolment, competency, check_upload(PDF, "preuve.pdf", 10**6), cohorts["trainer"]
        )
    db_session.commit()
    paths = {key: stored_path(e.stored_name) for key, e in files.items()}

    dry = run(runner)
    assert f"pièce n° {files['old'].id}" in dry.output
    assert f"pièce n° {files['recent'].id}" not in dry.output
    assert all(p.is_file() for p in paths.values()) and count_rows(db_session, EvidenceFile) == 2

    run(runner, "--execute")
    db_session.expire_all()
    assert db_session.scalars(sa.select(EvidenceFile.id)).all() == [files["recent"].id]
    assert not paths["old"].exists() and paths["recent"].is_file()


def test_audit_entries_past_their_period(runner: Any, db_session: Any, periods: Path) -> None:
    entries = [
        AuditEvent(action="test", object_type="users", summary=label, details={}, at=when)
        for label, when in (("ancienne", ago(2100)), ("récente", ago(5)))
    ]
    db_session.add_all(entries)
    db_session.commit()

    dry = run(runner)
    assert f"entrée n° {entries[0].id} (test)" in dry.output
    assert count_rows(db_session, AuditEvent) == 2

    run(runner, "--execute")
    db_session.expire_all()
    summaries = db_session.scalars(sa.select(AuditEvent.summary).order_by(AuditEvent.id)).all()
    assert "ancienne" not in summaries and "récente" in summaries
    assert summaries[-1].startswith("Durées de conservation appliquées : ")
    assert "1 entrées du journal" in summaries[-1]


def test_inactive_accounts_are_erased_not_deleted(
    runner: Any, db_session: Any, periods: Path, cohorts: dict[str, Any], create_user: Any
) -> None:
    gone = create_user("learner", email="ancienne@exemple.fr", name="Ancienne Apprenante")
    active = create_user("learner", email="active@exemple.fr")
    # Never logged in for years, but in a cohort still running: kept.
    running = create_user("learner", email="en-cours@exemple.fr")
    gone.created_at, gone.last_login_at = ago(2000), ago(1500)
    active.created_at, active.last_login_at = ago(2000), ago(30)
    running.created_at = ago(1200)
    certified = Enrolment(
        cohort=cohorts["old"],
        learner=gone,
        status=EnrolmentStatus.CERTIFIED,
        certified_on=cohorts["old"].end_date,
    )
    db_session.add_all([certified, Enrolment(cohort=cohorts["recent"], learner=running)])
    cohorts["trainer"].created_at = ago(1)
    db_session.commit()

    dry = run(runner)
    assert f"compte n° {gone.id}," in dry.output
    assert f"compte n° {active.id}," not in dry.output
    assert f"compte n° {running.id}," not in dry.output
    assert "ancienne@exemple.fr" not in dry.output  # the report names no one
    assert db_session.get(User, gone.id).erased_at is None

    result = run(runner, "--execute")
    assert "effacé (pseudonyme)" in result.output or "effacés (pseudonyme)" in result.output
    db_session.expire_all()
    erased = db_session.get(User, gone.id)
    assert erased.erased_at is not None and erased.email.endswith("@pseudonyme.invalid")
    assert erased.full_name.startswith("Personne effacée ")
    assert db_session.get(Enrolment, certified.id).status is EnrolmentStatus.CERTIFIED
    assert db_session.get(User, active.id).erased_at is None
    assert db_session.get(User, running.id).erased_at is None
    # Applied again: nothing left to do.
    assert "comptes inactifs : 1095 jours" in run(runner).output
    assert f"compte n° {gone.id}," not in run(runner).output


def test_a_period_of_zero_keeps_without_limit(
    runner: Any, db_session: Any, periods: Path, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "RETENTION_AUDIT_DAYS", 0)
    db_session.add(
        AuditEvent(
            action="test", object_type="users", summary="très ancienne", details={}, at=ago(9000)
        )
    )
    db_session.commit()
    dry = run(runner)
    assert "entrées du journal : conservées sans limite (RETENTION_AUDIT_DAYS=0)" in dry.output
    run(runner, "--execute")
    assert db_session.scalar(sa.select(AuditEvent.id).where(AuditEvent.summary == "très ancienne"))
