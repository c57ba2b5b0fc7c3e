"""What analytics count: the filters, the part of a version analysed, rates, and the grouped
queries over the cells' current values (`ResultHead`).

Rates are shares of the learners counted (by default the active ones: enrolled or certified,
not withdrawn):
- a criterion's rate: learners whose current value on it is a level that counts as acquired;
- a competency's rate: learners who have acquired the competency, by the version's rule
  (`app.assessment.rules.competency_progress`: every criterion, or a minimum number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa

from app.assessment.models import ResultHead
from app.cohorts.models import AccessRoute, Enrolment, EnrolmentStatus
from app.db import db
from app.frameworks.models import CompetencyRule, Criterion
from app.frameworks.structure import BlocNode, CompetencyNode, CriterionNode, Structure

ACTIVE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.CERTIFIED)

# Enrolment status filter: its value in the URL → the statuses counted.
STATUSES: dict[str, tuple[EnrolmentStatus, ...]] = {
    "active": ACTIVE,
    "enrolled": (EnrolmentStatus.ENROLLED,),
    "certified": (EnrolmentStatus.CERTIFIED,),
    "withdrawn": (EnrolmentStatus.WITHDRAWN,),
    "all": tuple(EnrolmentStatus),
}


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
