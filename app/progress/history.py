"""The learner's history: what changed on their record, newest first, a page at a time
(a fixed number of queries)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.assessment.models import EvaluationSession, Result
from app.cohorts.models import Enrolment
from app.db import db
from app.frameworks.structure import BlocNode, CriterionNode, structure
from app.glossary import DECISION
from app.jury.models import BlocDecision, JuryPresentation, JurySession
from app.people.models import User
from app.progress.records import DecisionRow, closed_decisions, own_enrolments

HISTORY_ON_PAGE = 20  # entries on /me; the rest on the history pages
HISTORY_PER_PAGE = 50


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # "result" or "decision"
    at: datetime
    cohort: str
    bloc_code: str
    subject_code: str  # the criterion's code, or the bloc's for a decision
    subject: str  # the criterion's statement, or the bloc's title
    value: str  # the level's label or the decision; "" when a result was cleared
    previous: str | None  # the level before this result; None when there was none
    by: str  # the assessor ("" for a jury)
    detail: str  # the evaluation session, or the jury's reason
    jury_date: dt.date | None = None  # for a decision


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    has_more: bool


def history(
    enrolments: Sequence[Enrolment],
    decisions: Sequence[DecisionRow],
    *,
    page: int = 1,
    per_page: int = HISTORY_PER_PAGE,
) -> HistoryPage:
    """One page of what changed on the learner's record, newest first: their results and the
    decisions of closed juries (two queries). `enrolments` come from `own_enrolments()`."""
    ids = [e.id for e in enrolments]
    if not ids:
        return HistoryPage([], page, False)
    keys = sa.union_all(
        sa.select(
            sa.literal("result", sa.String).label("kind"),
            Result.id.label("id"),
            Result.recorded_at.label("at"),
        ).where(Result.enrolment_id.in_(ids)),
        sa.select(sa.literal("decision", sa.String), BlocDecision.id, JurySession.closed_at)
        .join(BlocDecision.presentation)
        .join(JuryPresentation.jury_session)
        .where(JuryPresentation.enrolment_id.in_(ids), JurySession.closed_at.is_not(None)),
    ).subquery()
    rows = db.session.execute(
        sa.select(keys.c.kind, keys.c.id)
        .order_by(keys.c.at.desc(), keys.c.kind.desc(), keys.c.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    result_ids = [id_ for kind, id_ in rows if kind == "result"]
    results = _result_rows(ids, result_ids)

    cohort_of = {e.id: e.cohort.name for e in enrolments}
    criteria: dict[int, tuple[BlocNode, CriterionNode]] = {}
    level_labels: dict[int, str] = {}
    blocs: dict[int, BlocNode] = {}
    for enrolment in enrolments:
        tree = structure(enrolment.cohort.version)
        level_labels.update(tree.level_labels)
        blocs.update(tree.bloc_by_id)
        criteria.update(tree.criterion_by_id)
    decision_by_id = {d.id: d for d in decisions}

    entries = []
    for kind, id_ in rows:
        if kind == "result":
            r = results[id_]
            bloc, crit = criteria[r.criterion_id]
            session = ""
            if r.session_date is not None:
                session = f"{r.session_date:%d/%m/%Y}" + (f" — {r.title}" if r.title else "")
            entries.append(
                HistoryEntry(
                    kind="result",
                    at=r.recorded_at,
                    cohort=cohort_of[r.enrolment_id],
                    bloc_code=bloc.code,
                    subject_code=crit.code,
                    subject=crit.statement,
                    value=level_labels.get(r.level_id, "") if r.level_id else "",
                    previous=level_labels.get(r.previous_level_id, "")
                    if r.previous_level_id
                    else None,
                    by=r.full_name,
                    detail=session,
                )
            )
        else:
            d = decision_by_id[id_]
            bloc = blocs[d.bloc_id]
            entries.append(
                HistoryEntry(
                    kind="decision",
                    at=d.closed_at,
                    cohort=cohort_of[d.enrolment_id],
                    bloc_code=bloc.code,
                    subject_code=bloc.code,
                    subject=bloc.title,
                    value=str(DECISION[d.decision]),
                    previous=None,
                    by="",
                    detail=d.reason,
                    jury_date=d.session_date,
                )
            )
    return HistoryPage(entries, page, has_more)


def _result_rows(enrolment_ids: list[int], result_ids: list[int]) -> dict[int, Any]:
    """The results of a history page, each with the level it replaced (one query, run even
    for none, so the page's count of queries never varies)."""
    cells = sa.select(Result.criterion_id).where(Result.id.in_(result_ids))
    previous = (
        sa.select(
            Result.id.label("id"),
            sa.func.lag(Result.level_id)
            .over(partition_by=(Result.enrolment_id, Result.criterion_id), order_by=Result.id)
            .label("previous_level_id"),
        )
        .where(Result.enrolment_id.in_(enrolment_ids), Result.criterion_id.in_(cells))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Result.id,
            Result.enrolment_id,
            Result.criterion_id,
            Result.level_id,
            previous.c.previous_level_id,
            Result.recorded_at,
            User.full_name,
            EvaluationSession.session_date,
            EvaluationSession.title,
        )
        .join(previous, previous.c.id == Result.id)
        .join(User, User.id == Result.assessor_id)
        .outerjoin(EvaluationSession, EvaluationSession.id == Result.session_id)
        .where(Result.id.in_(result_ids))
    )
    return {row.id: row for row in rows}


def history_page(user: User, page: int) -> HistoryPage:
    """One page of `user`'s history (a fixed number of queries)."""
    enrolments = own_enrolments(user)
    decisions = closed_decisions(e.id for e in enrolments)
    return history(enrolments, decisions, page=page, per_page=HISTORY_PER_PAGE)
