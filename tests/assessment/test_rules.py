"""The derived-status rules (app/assessment/rules.py), on plain data."""

from __future__ import annotations

from app.assessment.rules import (
    BlocStatus,
    CompetencyProgress,
    bloc_status,
    certification_obtained,
    competency_progress,
)
from app.frameworks.models import CompetencyRule

NOT_ACQUIRED, IN_PROGRESS, ACQUIRED, MASTERED = 1, 2, 3, 4
ACQUIRED_LEVELS = frozenset({ACQUIRED, MASTERED})


def progress_of(
    current: dict[int, int | None],
    rule: CompetencyRule = CompetencyRule.ALL,
    minimum: int | None = None,
    criteria: tuple[int, ...] = (10, 11, 12),
) -> CompetencyProgress:
    return competency_progress(criteria, current, ACQUIRED_LEVELS, rule, minimum)


def test_all_rule_needs_every_criterion_acquired() -> None:
    assert progress_of({10: ACQUIRED, 11: MASTERED, 12: ACQUIRED}).is_acquired
    assert not progress_of({10: ACQUIRED, 11: ACQUIRED, 12: IN_PROGRESS}).is_acquired


def test_every_acquired_level_counts() -> None:
    result = progress_of({10: MASTERED, 11: ACQUIRED, 12: NOT_ACQUIRED})
    assert (result.acquired, result.assessed, result.total) == (2, 3, 3)


def test_minimum_rule_counts_acquired_criteria() -> None:
    two = {10: ACQUIRED, 11: ACQUIRED, 12: NOT_ACQUIRED}
    assert progress_of(two, CompetencyRule.MINIMUM, 2).is_acquired
    assert not progress_of(two, CompetencyRule.MINIMUM, 3).is_acquired
    one = {10: ACQUIRED, 11: IN_PROGRESS}
    assert not progress_of(one, CompetencyRule.MINIMUM, 2).is_acquired


def test_minimum_rule_without_a_number_means_all() -> None:
    assert not progress_of({10: ACQUIRED, 11: ACQUIRED}, CompetencyRule.MINIMUM, None).is_acquired


def test_not_assessed_criteria_count_as_not_acquired() -> None:
    absent = progress_of({10: ACQUIRED, 11: ACQUIRED})
    cleared = progress_of({10: ACQUIRED, 11: ACQUIRED, 12: None})
    for result in (absent, cleared):
        assert (result.acquired, result.assessed, result.total) == (2, 2, 3)
        assert not result.is_acquired


def test_nothing_assessed() -> None:
    result = progress_of({})
    assert result == CompetencyProgress(0, 0, 3, False)


def test_a_competency_without_criteria_is_never_acquired() -> None:
    assert not progress_of({}, criteria=()).is_acquired
    assert not progress_of({}, CompetencyRule.MINIMUM, 1, criteria=()).is_acquired


def test_results_of_other_criteria_are_ignored() -> None:
    assert not progress_of({99: ACQUIRED, 10: ACQUIRED, 11: ACQUIRED}).is_acquired


def test_bloc_is_proposed_when_every_competency_is_acquired() -> None:
    assert bloc_status([True, True]) is BlocStatus.PROPOSED
    assert bloc_status([True, False]) is BlocStatus.IN_PROGRESS


def test_empty_bloc_is_in_progress() -> None:
    assert bloc_status([]) is BlocStatus.IN_PROGRESS


def test_jury_validation_wins() -> None:
    assert bloc_status([False], validated=True) is BlocStatus.VALIDATED
    assert bloc_status([], validated=True) is BlocStatus.VALIDATED


def test_certification_needs_every_mandatory_bloc() -> None:
    assert certification_obtained({1, 2}, {1, 2, 3})
    assert not certification_obtained({1, 2}, {1, 3})
    assert not certification_obtained(set(), {1})
