"""The learner's own enrolments and the closed jury decisions on them: what their page,
history and attestations all start from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from app.cohorts.models import Cohort, Enrolment
from app.db import db
from app.frameworks.models import FrameworkVersion
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.people.models import User


def own_enrolments(user: User) -> list[Enrolment]:
    """`user`'s enrolments, newest cohort first, with cohort, organisation, version and
    certification (one query). The versions' structure comes from `structure()`."""
    cohort = contains_eager(Enrolment.cohort)
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Enrolment.cohort)
            .where(Enrolment.learner_id == user.id)
            .options(
                cohort.joinedload(Cohort.organisation),
                cohort.joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
            )
            .order_by(Cohort.start_date.desc(), Cohort.id.desc())
        )
    )


@dataclass(frozen=True)
class DecisionRow:
    """A decision of a closed jury session on one of the learner's blocs."""

    id: int
    enrolment_id: int
    bloc_id: int
    decision: Decision
    reason: str
    session_date: dt.date
    closed_at: datetime


def closed_decisions(enrolment_ids: Iterable[int]) -> list[DecisionRow]:
    """Decisions of closed jury sessions, oldest session first (one query). Decisions of an
    open session are deliberations in progress: nobody outside the jury sees them yet."""
    ids = list(enrolment_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(
            BlocDecision.id,
            JuryPresentation.enrolment_id,
            BlocDecision.bloc_id,
            BlocDecision.decision,
            BlocDecision.reason,
            JurySession.session_date,
            JurySession.closed_at,
        )
        .join(BlocDecision.presentation)
        .join(JuryPresentation.jury_session)
        .where(JuryPresentation.enrolment_id.in_(ids), JurySession.closed_at.is_not(None))
        .order_by(JurySession.session_date, JurySession.id, BlocDecision.id)
    )
    return [
        DecisionRow(id_, enrolment_id, bloc_id, decision, reason, date, closed_at)
        for id_, enrolment_id, bloc_id, decision, reason, date, closed_at in rows
        if closed_at is not None  # always, by the query: narrows the type
    ]


def jury_dates(
    decisions: Sequence[DecisionRow], validated: set[int], enrolment_id: int
) -> dict[int, dt.date]:
    """The date of the jury whose decision validated each bloc that stands validated."""
    dates: dict[int, dt.date] = {}
    for row in decisions:  # oldest first: the latest validation wins
        if row.enrolment_id == enrolment_id and row.decision is Decision.VALIDATED:
            dates[row.bloc_id] = row.session_date
    return {bloc_id: date for bloc_id, date in dates.items() if bloc_id in validated}
