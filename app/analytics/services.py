"""Cohort analytics: which competencies and criteria the training brings, and which it does not.

Reads only the current value of each cell (`ResultHead`), aggregated in SQL with GROUP BY
(`app.analytics.counts`): a fixed number of queries whatever the number of learners, the
length of the results history and the number of cohorts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import joinedload

from app.access import staff_cohort_query
from app.analytics.counts import (
    NO_COUNTS,
    Counts,
    Filters,
    Rate,
    Scope,
    band,
    competency_learner_counts,
    criterion_counts,
    learner_competency_counts,
    learner_counts,
    scope,
)
from app.assessment.grid import cohort_enrolments
from app.cohorts.models import AccessRoute, Cohort, Enrolment
from app.db import db
from app.frameworks.models import FrameworkVersion
from app.frameworks.structure import BlocNode, CompetencyNode, CriterionNode, Structure
from app.people.models import User

# --- what may be analysed -----------------------------------------------------------------------


def analysable_cohorts(user: User) -> list[Cohort]:
    """Cohorts `user` may analyse, newest first, with their version and organisation."""
    return list(
        db.session.scalars(
            staff_cohort_query(user)
            .options(
                joinedload(Cohort.organisation),
                joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
            )
            .order_by(Cohort.start_date.desc(), Cohort.name)
        )
    )


def find_cohort(user: User, cohort_id: int) -> Cohort | None:
    return db.session.scalar(
        staff_cohort_query(user)
        .where(Cohort.id == cohort_id)
        .options(joinedload(Cohort.organisation))
    )


def version_cohorts(user: User, version_id: int, route: AccessRoute | None) -> list[Cohort]:
    """Cohorts of the version that `user` may analyse, optionally of one access route."""
    query = staff_cohort_query(user).where(Cohort.version_id == version_id)
    if route is not None:
        query = query.where(Cohort.access_route == route)
    return list(
        db.session.scalars(
            query.options(joinedload(Cohort.organisation)).order_by(Cohort.start_date, Cohort.name)
        )
    )


def may_analyse_version(user: User, version_id: int) -> bool:
    query = staff_cohort_query(user).where(Cohort.version_id == version_id)
    return db.session.scalar(query.with_only_columns(Cohort.id).limit(1)) is not None


TOP_NOT_ACQUIRED = 10


# --- one cohort ---------------------------------------------------------------------------------


@dataclass(slots=True)
class HeatCell:
    competency: CompetencyNode
    acquired: int
    assessed: int
    total: int  # the competency's criteria
    is_acquired: bool

    @property
    def band(self) -> str:
        return "none" if not self.assessed else band(self.acquired / self.total)


@dataclass
class HeatRow:
    enrolment: Enrolment
    cells: list[HeatCell]

    @property
    def name(self) -> str:
        return self.enrolment.learner.full_name


@dataclass
class CompetencyRow:
    competency: CompetencyNode
    bloc: BlocNode
    learners: Rate  # learners who acquired the competency / learners counted
    criteria: Rate  # criteria acquired over all learners / criteria × learners


@dataclass
class CriterionRow:
    criterion: CriterionNode
    competency: CompetencyNode
    bloc: BlocNode
    acquired: int
    assessed: int
    learners: int

    @property
    def rate(self) -> Rate:
        return Rate(self.acquired, self.learners, self.assessed)

    @property
    def not_acquired(self) -> int:
        """Learners assessed at a level that does not count as acquired."""
        return self.assessed - self.acquired

    @property
    def not_assessed(self) -> int:
        return self.learners - self.assessed


@dataclass
class CohortAnalytics:
    cohort: Cohort
    scope: Scope
    filters: Filters
    rows: list[HeatRow]
    competencies: list[CompetencyRow]
    criteria: list[CriterionRow]

    @property
    def learners(self) -> int:
        return len(self.rows)

    @property
    def not_acquired(self) -> list[CriterionRow]:
        """The criteria most often assessed as not acquired (at most ten, none at zero)."""
        # A stable sort: equal criteria stay in the framework's order.
        ranked = sorted(
            (row for row in self.criteria if row.not_acquired),
            key=lambda row: (-row.not_acquired, row.acquired),
        )
        return ranked[:TOP_NOT_ACQUIRED]

    @property
    def weakest(self) -> CompetencyRow | None:
        """The least acquired competency: fewest learners who acquired it, then fewest
        criteria acquired, then the first in the framework's order."""
        assessed = [row for row in self.competencies if row.learners.assessed]
        if not assessed:
            return None  # not yet assessed is not weak
        return min(assessed, key=lambda row: (row.learners.ratio or 0.0, row.criteria.ratio or 0.0))


def cohort_analytics(
    cohort: Cohort, version: Structure, filters: Filters
) -> CohortAnalytics | None:
    """Heat map, rates and weakest criteria of one cohort on its `version` (loaded with
    `assessment.grid.load_version`): 3 queries; None for an unknown bloc."""
    s = scope(version, filters.bloc_code)
    if s is None:
        return None
    enrolments = cohort_enrolments(cohort.id, filters.statuses)
    cells = learner_competency_counts(s, [cohort.id], filters)
    per_criterion = criterion_counts(s, [cohort.id], filters)
    learners = len(enrolments)

    # Plain values out of the ORM rows once: the loop runs learners × competencies times.
    shape = [(comp, comp.id, len(comp.criteria), s.threshold(comp)) for comp in s.competencies]
    rows = []
    acquired_by: dict[int, int] = defaultdict(int)  # competency id → learners who acquired it
    criteria_by: dict[int, int] = defaultdict(int)  # competency id → criteria acquired, summed
    assessed_by: dict[int, int] = defaultdict(int)  # competency id → cells assessed, summed
    learners_assessed: dict[int, int] = defaultdict(int)  # competency id → learners assessed
    for enrolment in enrolments:
        enrolment_id = enrolment.id
        row = []
        for comp, comp_id, total, needed in shape:
            acquired, assessed = cells.get((enrolment_id, comp_id), NO_COUNTS)
            is_acquired = needed is not None and acquired >= needed
            row.append(HeatCell(comp, acquired, assessed, total, is_acquired))
            acquired_by[comp_id] += is_acquired
            criteria_by[comp_id] += acquired
            assessed_by[comp_id] += assessed
            learners_assessed[comp_id] += assessed > 0
        rows.append(HeatRow(enrolment, row))

    competencies = [
        CompetencyRow(
            comp,
            s.bloc_of[comp.id],
            Rate(acquired_by[comp.id], learners, learners_assessed[comp.id]),
            Rate(criteria_by[comp.id], learners * len(comp.criteria), assessed_by[comp.id]),
        )
        for comp in s.competencies
    ]
    criteria = []
    for comp in s.competencies:
        for crit in comp.criteria:
            counts = per_criterion.get((cohort.id, crit.id), NO_COUNTS)
            criteria.append(
                CriterionRow(
                    crit, comp, s.bloc_of[comp.id], counts.acquired, counts.assessed, learners
                )
            )
    return CohortAnalytics(cohort, s, filters, rows, competencies, criteria)


# --- the cohorts of one version -----------------------------------------------------------------


@dataclass
class Comparison:
    """One competency or criterion: its rate in each cohort, and over all of them."""

    item: CompetencyNode | CriterionNode
    bloc: BlocNode
    rates: list[Rate]  # in the order of `VersionAnalytics.cohorts`
    overall: Rate


@dataclass
class VersionAnalytics:
    version: Structure
    scope: Scope
    filters: Filters
    cohorts: list[Cohort]
    learners: list[int]  # learners counted, per cohort
    competencies: list[Comparison]
    criteria: list[Comparison]

    @property
    def total_learners(self) -> int:
        return sum(self.learners)


def _compare(
    item: CompetencyNode | CriterionNode,
    bloc: BlocNode,
    cohorts: Iterable[Cohort],
    learners: Sequence[int],
    counts: dict[tuple[int, int], Counts],
) -> Comparison:
    rates = []
    for cohort, n in zip(cohorts, learners, strict=True):
        acquired, assessed = counts.get((cohort.id, item.id), NO_COUNTS)
        rates.append(Rate(acquired, n, assessed))
    overall = Rate(sum(r.part for r in rates), sum(learners), sum(r.assessed for r in rates))
    return Comparison(item, bloc, rates, overall)


def version_analytics(
    version: Structure, cohorts: list[Cohort], filters: Filters
) -> VersionAnalytics | None:
    """Rates per competency and per criterion of each cohort of `version` (loaded with
    `assessment.grid.load_version`) side by side, and overall: 3 queries whatever the number
    of cohorts; None for an unknown bloc."""
    s = scope(version, filters.bloc_code)
    if s is None:
        return None
    ids = [c.id for c in cohorts]
    counted = learner_counts(ids, filters)
    learners = [counted.get(c.id, 0) for c in cohorts]
    by_competency = competency_learner_counts(s, ids, filters)
    by_criterion = criterion_counts(s, ids, filters)
    competencies = [
        _compare(comp, s.bloc_of[comp.id], cohorts, learners, by_competency)
        for comp in s.competencies
    ]
    criteria = [
        _compare(crit, s.bloc_of[comp.id], cohorts, learners, by_criterion)
        for comp in s.competencies
        for crit in comp.criteria
    ]
    return VersionAnalytics(s.version, s, filters, cohorts, learners, competencies, criteria)
