"""Retention periods: what is past its period, and removing it.

Four kinds of data, each with its period in the configuration (`RETENTION_*_DAYS`, 0: kept
without limit): insertion-survey answers, evidence files, audit entries, inactive accounts.
`plan()` only reads; `apply()` removes (accounts are erased as on request: a pseudonym, the
certification evidence kept) and writes one audit entry saying what was done. The caller
commits; evidence files are unlinked once the commit is done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.assessment.evidence import stored_path
from app.assessment.models import EvidenceFile
from app.cohorts.models import Cohort, Enrolment
from app.db import db, utcnow
from app.insertion.models import SurveyAnswer
from app.people.models import AuditEvent, User
from app.privacy.erasure import erase_person, files_after_commit

EXAMPLES = 5


@dataclass
class KindReport:
    """One kind of data: its period, the cutoff, and what is (or was) past it."""

    kind: str
    label: str
    days: int
    cutoff: datetime | None
    ids: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.ids)

    def as_details(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "cutoff": self.cutoff.isoformat() if self.cutoff else None,
            "count": self.count,
        }


KINDS = {
    "survey_answers": ("RETENTION_SURVEY_ANSWERS_DAYS", "réponses à l'enquête d'insertion"),
    "evidence_files": ("RETENTION_EVIDENCE_DAYS", "pièces justificatives"),
    "audit_events": ("RETENTION_AUDIT_DAYS", "entrées du journal"),
    "inactive_accounts": ("RETENTION_INACTIVE_ACCOUNTS_DAYS", "comptes inactifs"),
}


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def plan(now: datetime | None = None) -> list[KindReport]:
    """What each retention period would remove now; reads only."""
    now = now or utcnow()
    reports = []
    for kind, (setting, label) in KINDS.items():
        days = int(current_app.config[setting])
        report = KindReport(kind, label, days, now - timedelta(days=days) if days > 0 else None)
        if report.cutoff is not None:
            _FINDERS[kind](report, report.cutoff)
        reports.append(report)
    return reports


def _survey_answers(report: KindReport, cutoff: datetime) -> None:
    rows = db.session.execute(
        sa.select(SurveyAnswer.id, SurveyAnswer.recorded_at)
        .where(SurveyAnswer.recorded_at < cutoff)
        .order_by(SurveyAnswer.recorded_at, SurveyAnswer.id)
    ).all()
    report.ids = [row.id for row in rows]
    report.examples = [f"réponse n° {r.id} enregistrée le {_day(r.recorded_at)}" for r in rows]


def _evidence_files(report: KindReport, cutoff: datetime) -> None:
    rows = db.session.execute(
        sa.select(EvidenceFile.id, EvidenceFile.size_bytes, Cohort.end_date)
        .join(Enrolment, Enrolment.id == EvidenceFile.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Cohort.end_date < cutoff.date())
        .order_by(Cohort.end_date, EvidenceFile.id)
    ).all()
    report.ids = [row.id for row in rows]
    report.examples = [
        f"pièce n° {r.id} ({r.size_bytes} octets), promotion terminée le {r.end_date}" for r in rows
    ]


def _audit_events(report: KindReport, cutoff: datetime) -> None:
    rows = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.at, AuditEvent.action)
        .where(AuditEvent.at < cutoff)
        .order_by(AuditEvent.at, AuditEvent.id)
    ).all()
    report.ids = [row.id for row in rows]
    report.examples = [f"entrée n° {r.id} ({r.action}) du {_day(r.at)}" for r in rows]


def _inactive_accounts(report: KindReport, cutoff: datetime) -> None:
    last_seen = sa.func.coalesce(User.last_login_at, User.created_at)
    running = sa.exists().where(
        Enrolment.learner_id == User.id,
        Enrolment.cohort_id == Cohort.id,
        Cohort.end_date >= cutoff.date(),
    )
    rows = db.session.execute(
        sa.select(User.id, last_seen.label("last_seen"))
        .where(User.erased_at.is_(None), last_seen < cutoff, ~running)
        .order_by(User.id)
    ).all()
    report.ids = [row.id for row in rows]
    report.examples = [
        f"compte n° {r.id}, dernière activité le {_day(_aware(r.last_seen))}" for r in rows
    ]


def _aware(moment: datetime | str) -> datetime:
    """coalesce() loses the column type on SQLite: read the stored text back."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


_FINDERS = {
    "survey_answers": _survey_answers,
    "evidence_files": _evidence_files,
    "audit_events": _audit_events,
    "inactive_accounts": _inactive_accounts,
}


def apply(now: datetime | None = None) -> list[KindReport]:
    """Remove what is past its period, as `plan()` says, and audit it (the caller commits)."""
    reports = plan(now)
    by_kind = {report.kind: report for report in reports}
    ids = by_kind["survey_answers"].ids
    if ids:
        db.session.execute(sa.delete(SurveyAnswer).where(SurveyAnswer.id.in_(ids)))
    ids = by_kind["evidence_files"].ids
    if ids:
        names = db.session.scalars(
            sa.select(EvidenceFile.stored_name).where(EvidenceFile.id.in_(ids))
        ).all()
        paths = [stored_path(name) for name in names]
        db.session.execute(sa.delete(EvidenceFile).where(EvidenceFile.id.in_(ids)))

        def unlink() -> None:
            for path in paths:
                path.unlink(missing_ok=True)

        files_after_commit(unlink)
    ids = by_kind["audit_events"].ids
    if ids:
        db.session.execute(sa.delete(AuditEvent).where(AuditEvent.id.in_(ids)))
    for user_id in by_kind["inactive_accounts"].ids:
        person = db.session.get(User, user_id)
        if person is not None:
            erase_person(person, actor=None)
    db.session.flush()
    summary = ", ".join(f"{r.count} {r.label}" for r in reports if r.cutoff is not None)
    db.session.add(
        AuditEvent(
            actor=None,
            action="retention.apply",
            object_type="retention",
            object_id=None,
            summary=f"Durées de conservation appliquées : {summary or 'aucune durée fixée'}",
            details={r.kind: r.as_details() for r in reports},
        )
    )
    return reports
