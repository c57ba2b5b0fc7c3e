"""How assessment is controlled (criterion 4°), in figures computed from what the app holds.

Every figure comes from the append-only history: evaluation sessions and their assessors,
results (one row per mark ever given), the current value of each cell and its disagreement
flag, jury sessions and their members. Six queries whatever the number of promotions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from app.assessment.models import EvaluationSession, Result, ResultHead, session_assessors
from app.cohorts.models import Enrolment
from app.db import db
from app.jury.models import JuryPresentation, JurySession, jury_members


@dataclass(frozen=True)
class AssessmentControl:
    sessions: int  # evaluation sessions of the promotions
    double_marked_sessions: int  # sessions with two assessors or more
    assessors_min: int  # fewest assessors on a session (0 when there is none)
    marks: int  # every mark ever given (results, corrections included)
    cells: int  # learner × criterion cells marked
    disagreements_raised: int  # cells two assessors marked differently in one session
    disagreements_open: int  # cells whose current latest marks still differ
    jury_sessions: int  # jury sessions the promotions' learners were presented to
    jury_sessions_closed: int
    jury_members_min: int  # fewest members on a jury session (0 when there is none)

    @property
    def corrections(self) -> int:
        return self.marks - self.cells

    @property
    def disagreements_settled(self) -> int:
        return max(self.disagreements_raised - self.disagreements_open, 0)

    @property
    def empty(self) -> bool:
        return self.sessions == 0 and self.jury_sessions == 0


def assessment_control(cohort_ids: Sequence[int]) -> AssessmentControl:
    """The figures of the given promotions."""
    ids = list(cohort_ids)
    enrolments = sa.select(Enrolment.id).where(Enrolment.cohort_id.in_(ids)).scalar_subquery()

    per_session = (
        sa.select(
            EvaluationSession.id.label("id"),
            sa.func.count(session_assessors.c.user_id).label("assessors"),
        )
        .outerjoin(session_assessors, session_assessors.c.session_id == EvaluationSession.id)
        .where(EvaluationSession.cohort_id.in_(ids))
        .group_by(EvaluationSession.id)
        .subquery()
    )
    sessions, double, fewest = db.session.execute(
        sa.select(
            sa.func.count(per_session.c.id),
            sa.func.count(per_session.c.id).filter(per_session.c.assessors >= 2),
            sa.func.min(per_session.c.assessors),
        )
    ).one()

    marks = db.session.scalar(
        sa.select(sa.func.count(Result.id)).where(Result.enrolment_id.in_(enrolments))
    )
    cells, still_open = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(ResultHead.disagreement.is_(True)),
        ).where(ResultHead.enrolment_id.in_(enrolments))
    ).one()

    # A disagreement was raised on a cell when, within one session, two assessors gave it
    # different levels at some point of its history.
    raised_cells = (
        sa.select(Result.enrolment_id, Result.criterion_id)
        .where(Result.enrolment_id.in_(enrolments), Result.session_id.is_not(None))
        .group_by(Result.enrolment_id, Result.criterion_id, Result.session_id)
        .having(
            sa.func.count(sa.distinct(Result.assessor_id)) > 1,
            sa.func.count(sa.distinct(Result.level_id)) > 1,
        )
        .distinct()
        .subquery()
    )
    raised = db.session.scalar(sa.select(sa.func.count()).select_from(raised_cells))

    per_jury = (
        sa.select(
            JurySession.id.label("id"),
            JurySession.closed_at.label("closed_at"),
            sa.func.count(jury_members.c.user_id).label("members"),
        )
        .outerjoin(jury_members, jury_members.c.jury_session_id == JurySession.id)
        .where(
            JurySession.id.in_(
                sa.select(JuryPresentation.jury_session_id).where(
                    JuryPresentation.enrolment_id.in_(enrolments)
                )
            )
        )
        .group_by(JurySession.id, JurySession.closed_at)
        .subquery()
    )
    juries, closed, fewest_members = db.session.execute(
        sa.select(
            sa.func.count(per_jury.c.id),
            sa.func.count(per_jury.c.id).filter(per_jury.c.closed_at.is_not(None)),
            sa.func.min(per_jury.c.members),
        )
    ).one()

    return AssessmentControl(
        sessions=sessions or 0,
        double_marked_sessions=double or 0,
        assessors_min=fewest or 0,
        marks=marks or 0,
        cells=cells or 0,
        disagreements_raised=raised or 0,
        disagreements_open=still_open or 0,
        jury_sessions=juries or 0,
        jury_sessions_closed=closed or 0,
        jury_members_min=fewest_members or 0,
    )
