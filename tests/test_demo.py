"""`flask demo`: a realistic pilot, built once."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from app.access import cohort_query
from app.assessment.models import Result, ResultHead
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus, LearnerIdentity
from app.exports_history import services as exports
from app.exports_history.models import ExportKind, ExportStatus
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.insertion.models import SurveyAnswer
from app.jury.models import JurySession
from app.people.models import AuditEvent, Organisation, OrganisationKind, Role, User, UserRole
from app.people.passwords import verify_password
from app.settings.services import accrochage_ids
from app.validators import is_valid_siret
from exports.accrochage import validation_errors
from tests.factories import count_rows


def test_demo_builds_a_pilot_once(runner: Any, db_session: Any) -> None:
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)
    assert {a["role"] for a in accounts} == {"coordinator", "trainer", "learner", "jury"}
    assert all(
        set(a) == {"role", "email", "password", "name", "cohorts", "organisations"}
        for a in accounts
    )

    versions = db_session.scalars(sa.select(FrameworkVersion)).all()
    assert sorted((v.label, v.status) for v in versions) == [
        ("2025-04", VersionStatus.PUBLISHED),
        ("2025-04", VersionStatus.PUBLISHED),
        ("2026-12", VersionStatus.PUBLISHED),
        ("2026-12", VersionStatus.PUBLISHED),
    ]
    revised = [v for v in versions if v.label == "2026-12"]
    assert all(v.objectives_context and v.sectors and v.job_types for v in revised)
    assert all(v.regulated is False and v.partners and v.code_labels for v in revised)
    # Published in label order, never in the future.
    now = dt.datetime.now(dt.UTC)
    assert all(v.published_at is not None and v.published_at <= now for v in versions)
    for code in ("CTA", "CTD"):
        first, second = sorted(
            (v for v in versions if v.certification.code == code), key=lambda v: v.label
        )
        assert first.published_at < second.published_at and first.id < second.id
    cohorts = db_session.scalars(
        sa.select(Cohort).join(Organisation).where(Organisation.name == "Savoir Devenir")
    ).all()
    # The pilot cohorts, every one, stay on the first published version.
    assert {c.version.label for c in db_session.scalars(sa.select(Cohort))} == {"2025-04"}
    assert len(cohorts) == 2
    finished, running = sorted(cohorts, key=lambda c: c.start_date)
    assert finished.end_date < running.end_date
    for cohort in cohorts:
        assert 12 <= len(cohort.enrolments) <= 20
        assert len(cohort.trainers) == 1
    assert finished.trainers[0].id != running.trainers[0].id
    statuses = {e.status for c in cohorts for e in c.enrolments}
    assert count_rows(db_session, Cohort) == 3
    assert EnrolmentStatus.WITHDRAWN in statuses
    assert count_rows(db_session, LearnerIdentity) == count_rows(db_session, Enrolment)

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
    assert count_rows(db_session, Result) > 1000
    assert count_rows(db_session, JurySession) == 1
    assert db_session.scalar(sa.select(JurySession.closed_at)) is not None
    certified = [e for e in finished.enrolments if e.status is EnrolmentStatus.CERTIFIED]
    assert certified and all(e.certified_on for e in certified)
    assert not any(e.status is EnrolmentStatus.CERTIFIED for e in running.enrolments)
    assert count_rows(db_session, SurveyAnswer) >= 1
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(ResultHead)
            .join(Enrolment, Enrolment.id == ResultHead.enrolment_id)
            .where(Enrolment.cohort_id == running.id)
        )
        > 0
    )

    before = (
        count_rows(db_session, User),
        count_rows(db_session, Enrolment),
        count_rows(db_session, UserRole),
    )
    events = count_rows(db_session, AuditEvent)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "déjà présente" in second.output
    after = (
        count_rows(db_session, User),
        count_rows(db_session, Enrolment),
        count_rows(db_session, UserRole),
    )
    assert after == before and count_rows(db_session, AuditEvent) == events
    assert json.loads(runner.invoke(args=["demo", "--json"]).output) == accounts


def test_demo_dates_agree_with_each_other(runner: Any, db_session: Any) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    published = sa.select(FrameworkVersion).where(FrameworkVersion.published_at.is_not(None))
    for version in db_session.scalars(published):
        year, month = (int(p) for p in version.label.split("-")[:2])
        assert version.published_at is not None
        assert (version.published_at.year, version.published_at.month) == (year, month)
    for jury in db_session.scalars(sa.select(JurySession)):
        if jury.closed_at is not None:
            assert jury.closed_at.date() == jury.session_date


def test_demo_has_two_training_organisations_to_try_one_against_the_other(
    runner: Any, db_session: Any, app: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    result = runner.invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    accounts = json.loads(result.output)

    orgs = {o.name: o for o in db_session.scalars(sa.select(Organisation))}
    assert set(orgs) == {"Le Labo de l'ESS", "Savoir Devenir", "Ancrages Formation"}
    assert orgs["Le Labo de l'ESS"].kind is OrganisationKind.CERTIFIER
    training = [o for o in orgs.values() if o.kind is OrganisationKind.TRAINING]
    assert {o.name for o in training} == {"Savoir Devenir", "Ancrages Formation"}
    assert all(o.siret and is_valid_siret(o.siret) for o in orgs.values())
    assert len({o.siret for o in orgs.values()}) == 3

    # The JSON names each account's organisations as the database holds them: staff by
    # membership, learners by the organisation of their cohort.
    by_email = {u.email: u for u in db_session.scalars(sa.select(User))}
    for account in accounts:
        user = by_email[account["email"]]
        if account["role"] == "learner":
            held = sorted(
                {e.cohort.organisation.name for e in learner_enrolments(db_session, user)}
            )
            assert user.organisations == []
        else:
            held = [o.name for o in user.organisations]
        assert sorted(account["organisations"]) == sorted(held), account["email"]
        assert account["organisations"], account["email"]

    # Each training organisation has a coordinator, a trainer and a cohort of its own.
    for org in training:
        staff = [a for a in accounts if a["role"] != "learner" and org.name in a["organisations"]]
        assert {"coordinator", "trainer"} <= {a["role"] for a in staff}, org.name
        assert db_session.scalars(sa.select(Cohort).where(Cohort.organisation_id == org.id)).all()
    second = next(
        a
        for a in accounts
        if a["role"] == "coordinator" and a["organisations"] == ["Ancrages Formation"]
    )
    first = next(a for a in accounts if a["email"].startswith("coordination@"))
    assert "Ancrages Formation" not in first["organisations"]
    assert "Le Labo de l'ESS" in first["organisations"]  # the certifier's coordinator

    # The second organisation's cohort: the same published version as Savoir Devenir's first,
    # a few learners with results, dates within the demo's timeline.
    (cohort,) = db_session.scalars(
        sa.select(Cohort).where(Cohort.organisation_id == orgs["Ancrages Formation"].id)
    ).all()
    pilot = db_session.scalar(
        sa.select(Cohort).where(Cohort.name == "Promotion pilote 1 — Animation (2025)")
    )
    assert cohort.version_id == pilot.version_id
    assert cohort.version.status is VersionStatus.PUBLISHED
    assert pilot.end_date < cohort.start_date < cohort.end_date
    assert cohort.version.published_at.date() < cohort.start_date
    assert 5 <= len(cohort.enrolments) <= 12 and len(cohort.trainers) == 1
    assert cohort.trainers[0].organisations == [orgs["Ancrages Formation"]]
    assert cohort.name in second["cohorts"]
    results = db_session.scalars(
        sa.select(Result.recorded_at).join(Enrolment).where(Enrolment.cohort_id == cohort.id)
    ).all()
    assert len(results) > 20
    assert all(cohort.start_date <= r.date() <= dt.date.today() for r in results)
    assert not any(e.status is EnrolmentStatus.CERTIFIED for e in cohort.enrolments)
    identities = db_session.scalar(
        sa.select(sa.func.count(LearnerIdentity.user_id))
        .join(Enrolment, Enrolment.learner_id == LearnerIdentity.user_id)
        .where(Enrolment.cohort_id == cohort.id)
    )
    assert identities == len(cohort.enrolments)

    # One organisation's coordinator sees its own cohorts and none of the other's.
    for account, mine in ((first, "Savoir Devenir"), (second, "Ancrages Formation")):
        seen = db_session.scalars(cohort_query(by_email[account["email"]])).all()
        assert seen and {c.organisation.name for c in seen} == {mine}, account["email"]

    # The certifier's made-up identifiers are stored: its coordinator produces the accrochage
    # flow of the finished cohort (a test file) without setting anything.
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CLIENT", "")
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CONTRAT", "")
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(tmp_path / "exports"))
    ids = accrochage_ids(pilot.version)
    assert ids.certifier is not None and ids.certifier.name == "Le Labo de l'ESS"
    assert ids.missing == [] and not ids.from_configuration
    record = exports.start_export(
        ExportKind.ACCROCHAGE,
        cert_code=pilot.version.certification.code,
        label=pilot.version.label,
        actor=by_email[first["email"]],
        cohorts=[pilot],
        test_file=True,  # the demo's certifications have no RNCP number yet
    )
    db_session.flush()
    exports.perform_export(record.id, lambda percent: None)
    assert record.status is ExportStatus.DONE and record.details["test_file"] is True
    assert record.details["declared"] >= 1
    stored = exports.stored_file(record)
    assert stored is not None and validation_errors(stored.read_bytes()) == []


def learner_enrolments(db_session: Any, user: User) -> list[Enrolment]:
    return list(db_session.scalars(sa.select(Enrolment).where(Enrolment.learner_id == user.id)))
