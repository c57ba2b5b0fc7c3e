"""What each person's home ("Mon espace") shows: their work, read in a fixed number of queries.

Every reader here takes the `select` of what the person may see from `app.access` and never
widens it; the counts are grouped queries, so the number of statements does not depend on the
number of cohorts, blocs or sessions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import joinedload

from app.assessment.models import EvaluationSession, ResultHead
from app.assessment.progress import progress
from app.assessment.rules import BlocStatus
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.exports_history.models import ExportRecord, ExportStatus
from app.frameworks.models import (
    Bloc,
    Certification,
    Competency,
    Criterion,
    FrameworkVersion,
    VersionStatus,
)
from app.frameworks.structure import structure
from app.jury.models import BlocDecision, JuryPresentation, JurySession

# Failed exports stay on the coordinator's home this long, then only in the exports history.
FAILED_EXPORTS_SHOWN_DAYS = 7


@dataclass(frozen=True)
class BlocProgress:
    """One bloc of one cohort: its grid's filled cells out of all, and open disagreements."""

    code: str
    title: str
    filled: int
    cells: int
    disagreements: int

    @property
    def percent(self) -> int:
        return round(100 * self.filled / self.cells) if self.cells else 0


@dataclass
class CohortSummary:
    cohort: Cohort
    learners: int  # still enrolled or certified (withdrawn ones are not in the grids)
    blocs: list[BlocProgress] = field(default_factory=list)

    @property
    def filled(self) -> int:
        return sum(b.filled for b in self.blocs)

    @property
    def cells(self) -> int:
        return sum(b.cells for b in self.blocs)

    @property
    def disagreements(self) -> int:
        return sum(b.disagreements for b in self.blocs)


@dataclass(frozen=True)
class JurySummary:
    session: JurySession
    presented: int
    blocs: int
    decided: int  # (learner, bloc) pairs with a decision

    @property
    def to_decide(self) -> int:
        return self.presented * self.blocs - self.decided

    @property
    def is_due(self) -> bool:
        """The session's date has come and it is still open."""
        return self.session.session_date <= dt.date.today()


@dataclass(frozen=True)
class DossierGap:
    """Something the certification dossier still lacks (see `dossier_gaps`)."""

    label: str
    url: str | None = None


def cohort_summaries(cohorts_query: sa.Select[Any]) -> list[CohortSummary]:
    """The cohorts of `cohorts_query`, each with the progress of every bloc (4 queries)."""
    cohorts = list(
        db.session.scalars(
            cohorts_query.options(
                joinedload(Cohort.organisation),
                joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
            ).order_by(Cohort.start_date.desc(), Cohort.name, Cohort.id)
        ).unique()
    )
    if not cohorts:
        return []
    cohort_ids = [c.id for c in cohorts]
    version_ids = sorted({c.version_id for c in cohorts})
    in_grid = Enrolment.status != EnrolmentStatus.WITHDRAWN

    # Blocs of the versions, with their number of criteria.
    blocs_by_version: dict[int, list[tuple[int, str, str, int]]] = defaultdict(list)
    for bloc_id, version_id, code, title, criteria in db.session.execute(
        sa.select(Bloc.id, Bloc.version_id, Bloc.code, Bloc.title, sa.func.count(Criterion.id))
        .select_from(Bloc)
        .outerjoin(Competency, Competency.bloc_id == Bloc.id)
        .outerjoin(Criterion, Criterion.competency_id == Competency.id)
        .where(Bloc.version_id.in_(version_ids))
        .group_by(Bloc.id, Bloc.version_id, Bloc.code, Bloc.title, Bloc.position)
        .order_by(Bloc.version_id, Bloc.position)
    ):
        blocs_by_version[version_id].append((bloc_id, code, title, criteria))

    learners = dict(
        db.session.execute(
            sa.select(Enrolment.cohort_id, sa.func.count(Enrolment.id))
            .where(Enrolment.cohort_id.in_(cohort_ids), in_grid)
            .group_by(Enrolment.cohort_id)
        ).all()
    )

    # Filled cells and disagreements per (cohort, bloc), from the cells' current values.
    counts: dict[tuple[int, int], tuple[int, int]] = {}
    for cohort_id, bloc_id, filled, disagreements in db.session.execute(
        sa.select(
            Enrolment.cohort_id,
            Competency.bloc_id,
            sa.func.count(ResultHead.level_id),
            sa.func.count(sa.case((ResultHead.disagreement.is_(True), 1))),
        )
        .select_from(ResultHead)
        .join(Enrolment, Enrolment.id == ResultHead.enrolment_id)
        .join(Criterion, Criterion.id == ResultHead.criterion_id)
        .join(Competency, Competency.id == Criterion.competency_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), in_grid)
        .group_by(Enrolment.cohort_id, Competency.bloc_id)
    ):
        counts[(cohort_id, bloc_id)] = (filled, disagreements)

    summaries = []
    for cohort in cohorts:
        size = learners.get(cohort.id, 0)
        summary = CohortSummary(cohort, size)
        for bloc_id, code, title, criteria in blocs_by_version[cohort.version_id]:
            filled, disagreements = counts.get((cohort.id, bloc_id), (0, 0))
            summary.blocs.append(BlocProgress(code, title, filled, size * criteria, disagreements))
        summaries.append(summary)
    return summaries


def jury_summaries(sessions_query: sa.Select[Any], *, open_only: bool) -> list[JurySummary]:
    """Jury sessions of `sessions_query` (the open ones with `open_only`), soonest first, each
    with what is left to decide (4 queries)."""
    query = sessions_query.options(
        joinedload(JurySession.version).joinedload(FrameworkVersion.certification)
    )
    if open_only:
        query = query.where(JurySession.closed_at.is_(None))
    sessions = list(
        db.session.scalars(query.order_by(JurySession.session_date, JurySession.id)).unique()
    )
    if not sessions:
        return []
    ids = [s.id for s in sessions]
    presented = dict(
        db.session.execute(
            sa.select(JuryPresentation.jury_session_id, sa.func.count(JuryPresentation.id))
            .where(JuryPresentation.jury_session_id.in_(ids))
            .group_by(JuryPresentation.jury_session_id)
        ).all()
    )
    decided_pairs = (
        sa.select(JuryPresentation.jury_session_id, BlocDecision.bloc_id, JuryPresentation.id)
        .join(BlocDecision, BlocDecision.presentation_id == JuryPresentation.id)
        .where(JuryPresentation.jury_session_id.in_(ids))
        .distinct()
        .subquery()
    )
    decided: dict[int, int] = dict(
        db.session.execute(
            sa.select(decided_pairs.c.jury_session_id, sa.func.count()).group_by(
                decided_pairs.c.jury_session_id
            )
        ).all()
    )
    blocs = dict(
        db.session.execute(
            sa.select(Bloc.version_id, sa.func.count(Bloc.id))
            .where(Bloc.version_id.in_({s.version_id for s in sessions}))
            .group_by(Bloc.version_id)
        ).all()
    )
    return [
        JurySummary(s, presented.get(s.id, 0), blocs.get(s.version_id, 0), decided.get(s.id, 0))
        for s in sessions
    ]


def evaluation_sessions(cohort_id: int) -> Sequence[EvaluationSession]:
    """The cohort's evaluation sessions, latest first (1 query)."""
    return db.session.scalars(
        sa.select(EvaluationSession)
        .where(EvaluationSession.cohort_id == cohort_id)
        .options(joinedload(EvaluationSession.bloc))
        .order_by(EvaluationSession.session_date.desc(), EvaluationSession.id.desc())
    ).all()


def cohort_jury_sessions(sessions_query: sa.Select[Any], cohort_id: int) -> Sequence[JurySession]:
    """Sessions of `sessions_query` where a learner of the cohort is presented (1 query)."""
    presented = (
        sa.select(JuryPresentation.jury_session_id)
        .join(Enrolment, Enrolment.id == JuryPresentation.enrolment_id)
        .where(Enrolment.cohort_id == cohort_id)
    )
    return db.session.scalars(
        sessions_query.where(JurySession.id.in_(presented)).order_by(
            JurySession.session_date.desc(), JurySession.id.desc()
        )
    ).all()


@dataclass(frozen=True)
class CompetencyLine:
    code: str
    statement: str
    acquired: int
    assessed: int
    total: int
    is_acquired: bool


@dataclass(frozen=True)
class BlocLine:
    code: str
    title: str
    optional: bool
    status: BlocStatus
    competencies: list[CompetencyLine]


@dataclass(frozen=True)
class LearnerRecord:
    enrolment: Enrolment
    blocs: list[BlocLine]


def learner_record(cohort: Cohort, enrolment_id: int) -> LearnerRecord | None:
    """Where one learner of `cohort` stands on each bloc and competency, for its staff."""
    enrolment = db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.id == enrolment_id, Enrolment.cohort_id == cohort.id)
        .options(joinedload(Enrolment.learner))
    )
    if enrolment is None:
        return None
    tree = structure(cohort.version)
    state = progress(tree, [enrolment.id])[enrolment.id]
    blocs = []
    for bloc in tree.blocs:
        lines = []
        for comp in bloc.competencies:
            found = state.competencies.get(comp.id)
            lines.append(
                CompetencyLine(
                    comp.code,
                    comp.statement,
                    found.acquired if found else 0,
                    found.assessed if found else 0,
                    found.total if found else len(comp.criteria),
                    found.is_acquired if found else False,
                )
            )
        status = state.blocs.get(bloc.id, BlocStatus.IN_PROGRESS)
        blocs.append(BlocLine(bloc.code, bloc.title, bloc.optional, status, lines))
    return LearnerRecord(enrolment, blocs)


def unfinished_exports(exports_query: sa.Select[Any]) -> Sequence[ExportRecord]:
    """Exports still waiting or running, and those that failed lately (1 query)."""
    since = utcnow() - dt.timedelta(days=FAILED_EXPORTS_SHOWN_DAYS)
    return db.session.scalars(
        exports_query.where(
            sa.or_(
                ExportRecord.status.in_([ExportStatus.PENDING, ExportStatus.RUNNING]),
                sa.and_(
                    ExportRecord.status == ExportStatus.FAILED, ExportRecord.created_at >= since
                ),
            )
        )
        .order_by(ExportRecord.created_at.desc(), ExportRecord.id.desc())
        .limit(10)
    ).all()


def dossier_gaps(user: Any) -> list[DossierGap] | None:
    """What the dossiers of the certifications `user` may file still lack, one line per
    certification (its latest version in use), from the readiness check
    (app/dossier/readiness.py)."""
    from app.dossier.readiness import Level, check
    from app.frameworks.services import load_version

    latest_ids = (
        sa.select(sa.func.max(FrameworkVersion.id))
        .where(FrameworkVersion.status != VersionStatus.RETIRED)
        .group_by(FrameworkVersion.certification_id)
    )
    from app.access import owned_certifications

    latest = db.session.execute(
        sa.select(Certification.code, FrameworkVersion.label)
        .join(FrameworkVersion, FrameworkVersion.certification_id == Certification.id)
        .where(FrameworkVersion.id.in_(latest_ids), owned_certifications(user))
        .order_by(Certification.code)
    ).all()
    if not latest:
        return None  # nothing this coordinator files: no section on their home
    gaps = []
    for code, label in latest:
        readiness = check(load_version(code, label))
        counts = {
            level: sum(1 for _c, gap in readiness.gaps() if gap.level is level) for level in Level
        }
        if not counts[Level.BLOCKING] and not counts[Level.TO_COMPLETE]:
            continue
        gaps.append(
            DossierGap(
                _(
                    "%(code)s %(label)s : %(blocking)s, %(to_complete)s",
                    code=code,
                    label=label,
                    blocking=ngettext(
                        "%(num)d point bloquant", "%(num)d points bloquants", counts[Level.BLOCKING]
                    ),
                    to_complete=ngettext(
                        "%(num)d à compléter", "%(num)d à compléter", counts[Level.TO_COMPLETE]
                    ),
                ),
                url_for("dossier.readiness", cert_code=code, label=label),
            )
        )
    return gaps
