"""Derived statuses: when a competency is acquired and a bloc proposed for validation.

The rules live here and only here; pages, the jury and exports call these functions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.frameworks.models import CompetencyRule


class BlocStatus(enum.Enum):
    IN_PROGRESS = "in_progress"
    PROPOSED = "proposed"  # every competency acquired: proposed to the jury for validation
    VALIDATED = "validated"  # decided by a jury


@dataclass(frozen=True)
class CompetencyProgress:
    acquired: int  # criteria at an acquired level
    assessed: int  # criteria with any level
    total: int
    is_acquired: bool


def competency_progress(
    criterion_ids: Iterable[int],
    current: Mapping[int, int | None],
    acquired_levels: frozenset[int],
    rule: CompetencyRule,
    minimum: int | None,
) -> CompetencyProgress:
    """Progress of one competency from the current level of each of its criteria.

    `current` maps a criterion id to its current scale level id (None or absent: not assessed);
    `acquired_levels` are the ids of the scale levels that count as acquired.
    """
    ids = list(criterion_ids)
    levels = [current.get(i) for i in ids]
    acquired = sum(1 for level in levels if level in acquired_levels)
    assessed = sum(1 for level in levels if level is not None)
    if not ids:
        is_acquired = False
    elif rule is CompetencyRule.MINIMUM:
        is_acquired = acquired >= (minimum or len(ids))
    else:
        is_acquired = acquired == len(ids)
    return CompetencyProgress(acquired, assessed, len(ids), is_acquired)


def bloc_status(competencies_acquired: Iterable[bool], validated: bool = False) -> BlocStatus:
    """A bloc validated by a jury stays validated; otherwise it is proposed once every
    competency is acquired."""
    if validated:
        return BlocStatus.VALIDATED
    flags = list(competencies_acquired)
    if flags and all(flags):
        return BlocStatus.PROPOSED
    return BlocStatus.IN_PROGRESS


def certification_obtained(
    mandatory_bloc_ids: Iterable[int], validated_bloc_ids: Iterable[int]
) -> bool:
    """Obtained when every mandatory bloc is validated."""
    mandatory = set(mandatory_bloc_ids)
    return bool(mandatory) and mandatory <= set(validated_bloc_ids)
