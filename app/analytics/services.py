"""Cohort analytics: which competencies and criteria the training brings, and which it does not.

Reads only the current value of each cell (`ResultHead`), aggregated in SQL with GROUP BY: a
fixed number of queries whatever the number of learners, the length of the results history
and the number of cohorts.

Rates are shares of the learners counted (by default the active ones: enrolled or certified,
not withdrawn):
- a criterion's rate: learners whose current value on it is a level that counts as acquired;
- a competency's rate: learners who have acquired the competency, by the version's rule
  (`app.assessment.rules.competency_progress`: every criterion, or a minimum number).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.access import staff_cohort_query
from app.assessment.grid import person
from app.assessment.models import ResultHead
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.db import db
from app.frameworks.models import (
    CompetencyRule,
    Criterion,
    FrameworkVersion,
)
from app.frameworks.structure import BlocNode, CompetencyNode, CriterionNode, Structure
from app.glossary import ENROLMENT_STATUS
from app.names import name_key
from app.people.models import User
from exports.spreadsheets import Cell

ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.CERTIFIED)

# Enrolment status filter: its value in the URL → the statuses counted.
STATUSES: dict[str, tuple[EnrolmentStatus, ...]] = {
    "active": ACTIVE,
    "enrolled": (EnrolmentStatus.ENROLLED,),
    "certified": (EnrolmentStatus.CERTIFIED,),
    "withdrawn": (EnrolmentStatus.WITHDRAWN,),
    "all": tuple(EnrolmentStatus),
}

TOP_NOT_ACQUIRED = 10


@dataclass(frozen=True)
class Filters:
    bloc_code: str | None = None
    status: str = "active"
    access_route: AccessRoute | None = None  # cross-cohort view only

    @property
    def statuses(self) -> tuple[EnrolmentStatus, ...]:
        return STATUSES[self.status]


@dataclass(frozen=True)
class Rate:
    """`part` out of `whole` (learners, or criteria); `assessed` of the `whole` have a result
    at all: none assessed is "not assessed", not "0 %"."""

    part: int
    whole: int
    assessed: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole and self.assessed else None

    @property
    def band(self) -> str:
        return band(self.ratio)


def band(ratio: float | None) -> str:
    """The colour band of a ratio, as the legend states it: none, 0, 1, 2, 3 or 4 (all)."""
    if ratio is None:
        return "none"
    if ratio <= 0:
        return "0"
    if ratio >= 1:
        return "4"
    if ratio < 1 / 3:
        return "1"
    return "2" if ratio < 2 / 3 else "3"


# --- the framework side ----------------------------------------------------------------------


@dataclass
class Scope:
    """The part of a version analysed: its blocs (all, or the one filtered on)."""

    version: Structure
    blocs: list[BlocNode]
    acquired_levels: frozenset[int] = field(init=False)
    competencies: list[CompetencyNode] = field(init=False)
    criteria: list[CriterionNode] = field(init=False)
    bloc_of: dict[int, BlocNode] = field(init=False)  # competency id → bloc

    def __post_init__(self) -> None:
        self.acquired_levels = self.version.acquired_levels
        self.competencies = [comp for bloc in self.blocs for comp in bloc.competencies]
        self.criteria = [crit for comp in self.competencies for crit in comp.criteria]
        self.bloc_of = {comp.id: bloc for bloc in self.blocs for comp in bloc.competencies}

    def threshold(self, competency: CompetencyNode) -> int | None:
        """Criteria to acquire for the competency to be acquired (None: it cannot be)."""
        total = len(competency.criteria)
        if not total:
            return None
        if self.version.competency_rule is CompetencyRule.MINIMUM:
            return self.version.minimum_criteria or total
        return total


def scope(version: Structure, bloc_code: str | None) -> Scope | None:
    """The version's blocs, or only `bloc_code` (None when the version has no such bloc)."""
    if not bloc_code:
        return Scope(version, list(version.blocs))
    bloc = next((b for b in version.blocs if b.code == bloc_code), None)
    return None if bloc is None else Scope(version, [bloc])


# --- queries ----------------------------------------------------------------------------------


def _acquired(s: Scope) -> Any:
    return sa.func.count(sa.case((ResultHead.level_id.in_(s.acquired_levels), 1)))


def _heads(s: Scope, cohort_ids: Sequence[int], filters: Filters, *columns: Any) -> Any:
    """Current values of the scope's criteria for the counted learners of these cohorts."""
    return (
        sa.select(*columns)
        .select_from(ResultHead)
        .join(Enrolment, Enrolment.id == ResultHead.enrolment_id)
        .join(Criterion, Criterion.id == ResultHead.criterion_id)
        .where(
            Enrolment.cohort_id.in_(cohort_ids),
            Enrolment.status.in_(filters.statuses),
            ResultHead.criterion_id.in_([c.id for c in s.criteria]),
        )
    )


class Counts(NamedTuple):
    acquired: int = 0
    assessed: int = 0  # with any level (acquired or not)


NO_COUNTS = Counts()


def _counts_by(
    s: Scope, cohort_ids: Sequence[int], filters: Filters, first: Any, second: Any
) -> dict[tuple[int, int], Counts]:
    """Criteria values at an acquired level, and assessed, grouped by two columns (one query)."""
    query = _heads(
        s, cohort_ids, filters, first, second, _acquired(s), sa.func.count(ResultHead.level_id)
    ).group_by(first, second)
    return {(x, y): Counts(a, n) for x, y, a, n in db.session.execute(query)}


def learner_competency_counts(
    s: Scope, cohort_ids: Sequence[int], filters: Filters
) -> dict[tuple[int, int], Counts]:
    """Criteria acquired and assessed per (enrolment, competency) (one query)."""
    return _counts_by(s, cohort_ids, filters, ResultHead.enrolment_id, Criterion.competency_id)


def criterion_counts(
    s: Scope, cohort_ids: Sequence[int], filters: Filters
) -> dict[tuple[int, int], Counts]:
    """Learners at an acquired level, and assessed, per (cohort, criterion) (one query)."""
    return _counts_by(s, cohort_ids, filters, Enrolment.cohort_id, ResultHead.criterion_id)


def competency_learner_counts(
    s: Scope, cohort_ids: Sequence[int], filters: Filters
) -> dict[tuple[int, int], Counts]:
    """Learners who acquired the competency, and learners assessed on at least one of its
    criteria, per (cohort, competency) (one query)."""
    thresholds = {comp.id: s.threshold(comp) for comp in s.competencies}
    reachable = {k: t for k, t in thresholds.items() if t is not None}
    if not reachable:
        return {}
    per_learner = (
        _heads(
            s,
            cohort_ids,
            filters,
            Enrolment.cohort_id.label("cohort_id"),
            Criterion.competency_id.label("competency_id"),
            _acquired(s).label("acquired"),
            sa.func.count(ResultHead.level_id).label("assessed"),
        )
        .group_by(Enrolment.cohort_id, ResultHead.enrolment_id, Criterion.competency_id)
        .subquery()
    )
    needed = sa.case(reachable, value=per_learner.c.competency_id, else_=None)
    query = (
        sa.select(
            per_learner.c.cohort_id,
            per_learner.c.competency_id,
            sa.func.count(sa.case((per_learner.c.acquired >= needed, 1))),
            sa.func.count(sa.case((per_learner.c.assessed > 0, 1))),
        )
        .where(per_learner.c.competency_id.in_(reachable))
        .group_by(per_learner.c.cohort_id, per_learner.c.competency_id)
    )
    return {(c, k): Counts(a, n) for c, k, a, n in db.session.execute(query)}


def learner_counts(cohort_ids: Sequence[int], filters: Filters) -> dict[int, int]:
    """Learners counted per cohort (one query)."""
    query = (
        sa.select(Enrolment.cohort_id, sa.func.count(Enrolment.id))
        .where(Enrolment.cohort_id.in_(cohort_ids), Enrolment.status.in_(filters.statuses))
        .group_by(Enrolment.cohort_id)
    )
    return {c: n for c, n in db.session.execute(query)}


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


def cohort_enrolments(cohort_id: int, filters: Filters) -> list[Enrolment]:
    """The counted enrolments of the cohort with their learner's name, by name (one query)."""
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.cohort_id == cohort_id, Enrolment.status.in_(filters.statuses))
            .options(person(Enrolment.learner))
        )
    )
    enrolments.sort(key=lambda e: (name_key(e.learner.full_name), e.id))
    return enrolments


def cohort_analytics(
    cohort: Cohort, version: Structure, filters: Filters
) -> CohortAnalytics | None:
    """Heat map, rates and weakest criteria of one cohort on its `version` (loaded with
    `assessment.grid.load_version`): 3 queries; None for an unknown bloc."""
    s = scope(version, filters.bloc_code)
    if s is None:
        return None
    enrolments = cohort_enrolments(cohort.id, filters)
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


# --- tables for spreadsheets --------------------------------------------------------------------


def percent(rate: Rate) -> str:
    """A rate in percent with one decimal, as French spreadsheets read it (« 66,7 »); empty
    when nothing was assessed."""
    return "" if rate.ratio is None else format_decimal(rate.ratio * 100, format="0.0")


def heatmap_table(a: CohortAnalytics) -> list[list[Cell]]:
    """One row per learner: criteria acquired per competency (empty: not assessed)."""
    header: list[Cell] = [_("Apprenant·e"), _("Inscription")]
    header += [
        _("%(code)s : critères acquis sur %(total)s", code=comp.code, total=len(comp.criteria))
        for comp in a.scope.competencies
    ]
    rows: list[list[Cell]] = [header]
    for row in a.rows:
        line: list[Cell] = [row.name, str(ENROLMENT_STATUS[row.enrolment.status.value])]
        line += [cell.acquired if cell.assessed else None for cell in row.cells]
        rows.append(line)
    return rows


def competency_table(a: CohortAnalytics) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        [
            _("Bloc"),
            _("Code"),
            _("Compétence"),
            _("Apprenant·es l'ayant acquise"),
            _("Apprenant·es évalué·es"),
            _("Apprenant·es"),
            _("Taux d'acquisition (%)"),
            _("Critères acquis"),
            _("Critères évalués"),
            _("Critères attendus"),
            _("Part des critères acquis (%)"),
        ]
    ]
    for row in a.competencies:
        rows.append(
            [
                row.bloc.code,
                row.competency.code,
                row.competency.statement,
                row.learners.part,
                row.learners.assessed,
                row.learners.whole,
                percent(row.learners),
                row.criteria.part,
                row.criteria.assessed,
                row.criteria.whole,
                percent(row.criteria),
            ]
        )
    return rows


def criterion_table(rows: Iterable[CriterionRow]) -> list[list[Cell]]:
    table: list[list[Cell]] = [
        [
            _("Bloc"),
            _("Compétence"),
            _("Code"),
            _("Critère"),
            _("Acquis"),
            _("Non acquis"),
            _("Non évalués"),
            _("Apprenant·es"),
            _("Taux d'acquisition (%)"),
        ]
    ]
    for row in rows:
        table.append(
            [
                row.bloc.code,
                row.competency.code,
                row.criterion.code,
                row.criterion.statement,
                row.acquired,
                row.not_acquired,
                row.not_assessed,
                row.learners,
                percent(row.rate),
            ]
        )
    return table


def comparison_table(v: VersionAnalytics, rows: Iterable[Comparison]) -> list[list[Cell]]:
    """One row per competency or criterion; per cohort and overall: learners who acquired it,
    were assessed on it, all learners, and the rate."""
    header: list[Cell] = [_("Bloc"), _("Code"), _("Énoncé")]
    for name in [c.name for c in v.cohorts] + [_("Ensemble")]:
        header += [
            _("%(name)s : acquis", name=name),
            _("%(name)s : évalué·es", name=name),
            _("%(name)s : apprenant·es", name=name),
            _("%(name)s : taux (%%)", name=name),
        ]
    table: list[list[Cell]] = [header]
    for row in rows:
        line: list[Cell] = [row.bloc.code, row.item.code, row.item.statement]
        for rate in [*row.rates, row.overall]:
            line += [rate.part, rate.assessed, rate.whole, percent(rate)]
        table.append(line)
    return table
