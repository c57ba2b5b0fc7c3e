"""The learner's page (/me): each enrolment's blocs and competencies, progress picture,
upcoming sessions, jury decisions and the first page of history (a fixed number of queries)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.assessment.grid import person
from app.assessment.models import CompetencyComment, EvaluationSession
from app.assessment.progress import current_levels, validated_blocs
from app.assessment.rules import BlocStatus, bloc_status, competency_progress
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.db import db
from app.frameworks.models import Bloc, EvaluationModality
from app.frameworks.structure import Structure, structure
from app.glossary import BLOC_STATUS, DECISION
from app.people.models import User
from app.progress.history import HISTORY_ON_PAGE, HistoryPage, history
from app.progress.records import closed_decisions, jury_dates, own_enrolments

# The progress picture: one labelled horizontal bar per bloc, in SVG user units.
CHART_WIDTH = 320
CHART_ROW = 46
CHART_LABEL_Y = 16
CHART_BAR_Y = 24
CHART_BAR_HEIGHT = 14


@dataclass(frozen=True)
class CommentLine:
    text: str
    author: str
    recorded_at: datetime


CRITERION_STATES = {
    "acquired": _l("acquis"),
    "in_progress": _l("en cours"),
    "not_acquired": _l("non acquis"),
    "not_assessed": _l("pas encore évalué"),
}


@dataclass(frozen=True)
class CriterionLine:
    """Where a learner stands on one criterion: its state and the level recorded, if any."""

    code: str
    statement: str
    state: str  # a key of CRITERION_STATES
    level: str  # the scale level's label ("" when not assessed)

    @property
    def state_label(self) -> str:
        return str(CRITERION_STATES[self.state])


@dataclass(frozen=True)
class CompetencyLine:
    code: str
    statement: str
    acquired: int  # criteria at an acquired level
    total: int
    is_acquired: bool
    comment: CommentLine | None  # the latest feedback on it
    criteria: tuple[CriterionLine, ...] = ()


@dataclass(frozen=True)
class BlocLine:
    id: int
    code: str
    title: str
    optional: bool
    status: BlocStatus
    competencies: list[CompetencyLine]
    jury_date: dt.date | None  # the jury that validated it

    @property
    def acquired(self) -> int:
        return sum(c.acquired for c in self.competencies)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.competencies)

    @property
    def percent(self) -> int:
        return round(100 * self.acquired / self.total) if self.total else 0

    @property
    def status_label(self) -> str:
        return str(BLOC_STATUS[self.status])


@dataclass(frozen=True)
class ChartBar:
    code: str
    status: str  # BlocStatus value, for the bar's colour
    acquired: int
    total: int
    percent: int
    label_y: int
    bar_y: int
    width: float  # of the filled part


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    width: int = CHART_WIDTH
    bar_height: int = CHART_BAR_HEIGHT

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * CHART_ROW


def chart(blocs: Sequence[BlocLine]) -> Chart:
    """The geometry of the progress picture: acquired criteria out of all, per bloc."""
    bars = []
    for i, bloc in enumerate(blocs):
        ratio = bloc.acquired / bloc.total if bloc.total else 0.0
        bars.append(
            ChartBar(
                code=bloc.code,
                status=bloc.status.value,
                acquired=bloc.acquired,
                total=bloc.total,
                percent=bloc.percent,
                label_y=i * CHART_ROW + CHART_LABEL_Y,
                bar_y=i * CHART_ROW + CHART_BAR_Y,
                width=round(CHART_WIDTH * ratio, 1),
            )
        )
    return Chart(bars)


@dataclass(frozen=True)
class UpcomingSession:
    date: dt.date
    title: str
    bloc_code: str
    bloc_title: str
    modality: str


@dataclass(frozen=True)
class DecisionLine:
    session_date: dt.date
    bloc_code: str
    bloc_title: str
    decision: str  # Decision value
    reason: str

    @property
    def label(self) -> str:
        return str(DECISION[self.decision])


@dataclass
class EnrolmentView:
    id: int
    cohort: str
    organisation: str
    certification_code: str
    certification_title: str
    level: int
    version_label: str
    start_date: dt.date
    end_date: dt.date
    status: str  # EnrolmentStatus value
    certified_on: dt.date | None
    blocs: list[BlocLine]
    sessions: list[UpcomingSession]
    decisions: list[DecisionLine]

    @property
    def chart(self) -> Chart:
        return chart(self.blocs)

    @property
    def validated_count(self) -> int:
        return sum(1 for b in self.blocs if b.status is BlocStatus.VALIDATED)


@dataclass
class LearnerPage:
    enrolments: list[EnrolmentView]
    history: HistoryPage


def _latest_comments(enrolment_ids: list[int]) -> dict[tuple[int, int], CommentLine]:
    """The latest comment per enrolment and competency, with its author (one query)."""
    if not enrolment_ids:
        return {}
    latest = (
        sa.select(sa.func.max(CompetencyComment.id))
        .where(CompetencyComment.enrolment_id.in_(enrolment_ids))
        .group_by(CompetencyComment.enrolment_id, CompetencyComment.competency_id)
    )
    rows = db.session.scalars(
        sa.select(CompetencyComment)
        .where(CompetencyComment.id.in_(latest))
        .options(person(CompetencyComment.author))
    )
    return {
        (c.enrolment_id, c.competency_id): CommentLine(c.text, c.author.full_name, c.recorded_at)
        for c in rows
    }


def _upcoming(cohort_ids: list[int], today: dt.date) -> dict[int, list[UpcomingSession]]:
    """Evaluation sessions from `today` on, per cohort, soonest first (one query)."""
    out: dict[int, list[UpcomingSession]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(
            EvaluationSession.cohort_id,
            EvaluationSession.session_date,
            EvaluationSession.title,
            Bloc.code,
            Bloc.title,
            EvaluationModality.title,
        )
        .join(Bloc, Bloc.id == EvaluationSession.bloc_id)
        .outerjoin(EvaluationModality, EvaluationModality.id == EvaluationSession.modality_id)
        .where(EvaluationSession.cohort_id.in_(cohort_ids), EvaluationSession.session_date >= today)
        .order_by(EvaluationSession.session_date, EvaluationSession.id)
    )
    for cohort_id, date, title, bloc_code, bloc_title, modality in rows:
        out[cohort_id].append(UpcomingSession(date, title, bloc_code, bloc_title, modality or ""))
    return out


def _criterion_state(tree: Structure, level_id: int | None) -> str:
    """Acquired (a level that counts as acquired), not acquired (the scale's first level), in
    progress (any other level) or not assessed (no level)."""
    if level_id is None:
        return "not_assessed"
    if level_id in tree.acquired_levels:
        return "acquired"
    if tree.scale_levels and level_id == tree.scale_levels[0].id:
        return "not_acquired"
    return "in_progress"


def _blocs(
    enrolment: Enrolment,
    tree: Structure,
    levels: dict[int, int | None],
    validated: set[int],
    dates: dict[int, dt.date],
    comments: dict[tuple[int, int], CommentLine],
) -> list[BlocLine]:
    blocs = []
    for bloc in tree.blocs:
        lines = []
        for comp in bloc.competencies:
            state = competency_progress(
                (c.id for c in comp.criteria),
                levels,
                tree.acquired_levels,
                tree.competency_rule,
                tree.minimum_criteria,
            )
            lines.append(
                CompetencyLine(
                    comp.code,
                    comp.statement,
                    state.acquired,
                    state.total,
                    state.is_acquired,
                    comments.get((enrolment.id, comp.id)),
                    tuple(
                        CriterionLine(
                            crit.code,
                            crit.statement,
                            _criterion_state(tree, levels.get(crit.id)),
                            tree.level_labels.get(levels.get(crit.id) or 0, ""),
                        )
                        for crit in comp.criteria
                    ),
                )
            )
        status = bloc_status((c.is_acquired for c in lines), validated=bloc.id in validated)
        blocs.append(
            BlocLine(
                bloc.id,
                bloc.code,
                bloc.title,
                bloc.optional,
                status,
                lines,
                dates.get(bloc.id) if status is BlocStatus.VALIDATED else None,
            )
        )
    return blocs


def learner_page(user: User, today: dt.date) -> LearnerPage:
    """Everything /me shows, for `user` only (a fixed number of queries)."""
    enrolments = own_enrolments(user)
    ids = [e.id for e in enrolments]
    levels = current_levels(ids)
    validated = validated_blocs(ids)
    decisions = closed_decisions(ids)
    comments = _latest_comments(ids)
    active = [e.cohort_id for e in enrolments if e.status is EnrolmentStatus.ENROLLED]
    sessions = _upcoming(active, today)
    views = []
    for enrolment in enrolments:
        cohort, version = enrolment.cohort, enrolment.cohort.version
        tree = structure(version)
        bloc_by_id = tree.bloc_by_id
        views.append(
            EnrolmentView(
                id=enrolment.id,
                cohort=cohort.name,
                organisation=cohort.organisation.name,
                certification_code=version.certification.code,
                certification_title=version.title,
                level=version.level,
                version_label=version.label,
                start_date=cohort.start_date,
                end_date=cohort.end_date,
                status=enrolment.status.value,
                certified_on=enrolment.certified_on,
                blocs=_blocs(
                    enrolment,
                    tree,
                    levels.get(enrolment.id, {}),
                    validated.get(enrolment.id, set()),
                    jury_dates(decisions, validated.get(enrolment.id, set()), enrolment.id),
                    comments,
                ),
                sessions=sessions.get(cohort.id, []),
                decisions=[
                    DecisionLine(
                        d.session_date,
                        bloc_by_id[d.bloc_id].code,
                        bloc_by_id[d.bloc_id].title,
                        d.decision.value,
                        d.reason,
                    )
                    for d in reversed(decisions)
                    if d.enrolment_id == enrolment.id
                ],
            )
        )
    page = history(enrolments, decisions, page=1, per_page=HISTORY_ON_PAGE)
    return LearnerPage(views, page)
