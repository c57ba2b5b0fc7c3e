"""`flask demo`: a realistic pilot, built once."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from app.assessment.models import Result, ResultHead
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus, LearnerIdentity
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.insertion.models import SurveyAnswer
from app.jury.models import JurySession
from app.people.models import AuditEvent, Role, User, UserRole
from app.people.passwords import verify_password


def count(db_session: Any, model: Any) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_builds_a_pilot_once(runner: Any, db_session: Any) -> None:
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert {a["role"] for a in accounts} == {"coordinator", "trainer", "learner", "jury"}
    assert all(set(a) == {"role", "email", "password", "name", "cohorts"} for a in accounts)

    versions = db_session.scalars(sa.select(FrameworkVersion)).all()
    assert len(versions) == 2 and all(v.status is VersionStatus.PUBLISHED for v in versions)
    cohorts = db_session.scalars(sa.select(Cohort).order_by(Cohort.start_date)).all()
    assert len(cohorts) == 2
    finished, running = cohorts
    assert finished.end_date < running.end_date
    for cohort in cohorts:
        assert 12 <= len(cohort.enrolments) <= 20
        assert len(cohort.trainers) == 1
    assert finished.trainers[0].id != running.trainers[0].id
    statuses = {e.status for c in cohorts for e in c.enrolments}
    assert EnrolmentStatus.WITHDRAWN in statuses
    assert count(db_session, LearnerIdentity) == count(db_session, Enrolment)

    # Every account can log in with the password the JSON gives, and has its cohorts.
    by_email = {u.email: u for u in db_session.scalars(sa.select(User))}
    assert len(by_email) == len(accounts)
    for account in accounts[:5] + accounts[-2:]:
        user = by_email[account["email"]]
        assert verify_password(user.password_hash, account["password"])
        assert Role(account["role"]) in user.roles
    trainer = next(a for a in accounts if a["role"] == "trainer")
    assert trainer["cohorts"] == [
        c.name for c in cohorts if by_email[trainer["email"]] in c.trainers
    ]
    names = {a["name"] for a in accounts if a["role"] == "learner"}
    assert any(not n.isascii() or "'" in n or "-" in n for n in names)

    # The finished cohort went through a closed jury; the running one has partial results.
    assert count(db_session, Result) > 1000
    assert count(db_session, JurySession) == 1
    assert db_session.scalar(sa.select(JurySession.closed_at)) is not None
    certified = [e for e in finished.enrolments if e.status is EnrolmentStatus.CERTIFIED]
    assert certified and all(e.certified_on for e in certified)
    assert not any(e.status is EnrolmentStatus.CERTIFIED for e in running.enrolments)
    assert count(db_session, SurveyAnswer) >= 1
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(ResultHead)
            .join(Enrolment)
            .where(Enrolment.cohort_id == running.id)
        )
        > 0
    )

    before = (count(db_session, User), count(db_session, Enrolment), count(db_session, UserRole))
    events = count(db_session, AuditEvent)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "déjà présente" in second.output
    after = (count(db_session, User), count(db_session, Enrolment), count(db_session, UserRole))
    assert after == before and count(db_session, AuditEvent) == events
    assert json.loads(runner.invoke(args=["demo", "--json"]).output) == accounts


def test_demo_dates_agree_with_each_other(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    for version in db_session.scalars(sa.select(FrameworkVersion)):
        year, month = (int(p) for p in version.label.split("-")[:2])
        assert version.published_at is not None
        assert (version.published_at.year, version.published_at.month) == (year, month)
    for jury in db_session.scalars(sa.select(JurySession)):
        if jury.closed_at is not None:
            assert jury.closed_at.date() == jury.session_date
