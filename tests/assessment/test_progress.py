"""progress(): current results (the latest wins) and closed jury decisions, per learner."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.assessment.grid import load_grid
from app.assessment.inputs import CellInput
from app.assessment.progress import progress
from app.assessment.rules import BlocStatus
from app.assessment.saving import save_grid
from app.db import utcnow
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from tests.assessment.conftest import World, french


def record(world: World, assessor: Any, values: dict[tuple[int, int], str | None]) -> None:
    """Save cells through the grid service, each compared with its current head."""
    from app.assessment.grid import current_heads

    grid = load_grid(world.cohort, world.bloc.code)
    assert grid is not None
    heads = current_heads(grid)
    cells = [
        CellInput(
            e,
            c,
            world.levels[code].id if code else None,
            heads[(e, c)].result_id if (e, c) in heads else 0,
        )
        for (e, c), code in values.items()
    ]
    with french():
        assert save_grid(grid, assessor, cells).saved


def test_latest_result_wins(world: World, db_session: Any) -> None:
    learner = world.enrolments[0]
    crit = world.criteria[0]
    record(world, world.trainer_a, {(learner.id, crit.id): "A"})
    record(world, world.trainer_b, {(learner.id, crit.id): "NA"})
    db_session.commit()
    result = progress(world.version, [learner.id])
    assert result[learner.id].current[crit.id] == world.levels["NA"].id
    comp = world.bloc.competencies[0]
    assert result[learner.id].competencies[comp.id].acquired == 0


def test_statuses_follow_the_results(world: World, db_session: Any) -> None:
    learner, other = world.enrolments[:2]
    everything = {(learner.id, c.id): "A" for c in world.criteria}
    first_comp = world.bloc.competencies[0]
    half = {(other.id, c.id): "A" for c in first_comp.criteria}
    record(world, world.trainer_a, everything | half)
    db_session.commit()
    result = progress(world.version, [learner.id, other.id])
    assert result[learner.id].blocs[world.bloc.id] is BlocStatus.PROPOSED
    assert all(p.is_acquired for p in result[learner.id].competencies.values())
    assert result[other.id].competencies[first_comp.id].is_acquired
    assert result[other.id].blocs[world.bloc.id] is BlocStatus.IN_PROGRESS


def test_clearing_a_cell_undoes_acquisition(world: World, db_session: Any) -> None:
    learner = world.enrolments[0]
    record(world, world.trainer_a, {(learner.id, c.id): "A" for c in world.criteria})
    record(world, world.trainer_a, {(learner.id, world.criteria[0].id): None})
    db_session.commit()
    result = progress(world.version, [learner.id])
    assert result[learner.id].blocs[world.bloc.id] is BlocStatus.IN_PROGRESS
    assert result[learner.id].current[world.criteria[0].id] is None


def _decide(
    world: World, enrolment_id: int, decision: Decision, day: int, closed: bool, db_session: Any
) -> JurySession:
    jury = JurySession(version_id=world.version.id, session_date=dt.date(2025, 12, day))
    presentation = JuryPresentation(jury_session=jury, enrolment_id=enrolment_id)
    presentation.decisions.append(
        BlocDecision(
            bloc_id=world.bloc.id,
            decision=decision,
            proposed_validation=False,
            reason="Décision du jury après entretien",
            decided_by_id=world.coordinator.id,
        )
    )
    db_session.add(jury)
    db_session.commit()
    if closed:
        closer = world.coordinator.id
        jury.closed_by_id = closer
        jury.closed_at = utcnow()
        db_session.commit()
    return jury


def test_closed_jury_validation_counts(world: World, db_session: Any) -> None:
    learner = world.enrolments[0]
    _decide(world, learner.id, Decision.VALIDATED, 5, True, db_session)
    result = progress(world.version, [learner.id])
    assert result[learner.id].blocs[world.bloc.id] is BlocStatus.VALIDATED


def test_open_jury_session_does_not_count(world: World, db_session: Any) -> None:
    learner = world.enrolments[0]
    _decide(world, learner.id, Decision.VALIDATED, 5, False, db_session)
    result = progress(world.version, [learner.id])
    assert result[learner.id].blocs[world.bloc.id] is BlocStatus.IN_PROGRESS


def test_a_later_closed_session_decides_again(world: World, db_session: Any) -> None:
    learner = world.enrolments[0]
    _decide(world, learner.id, Decision.VALIDATED, 5, True, db_session)
    _decide(world, learner.id, Decision.NOT_VALIDATED, 20, True, db_session)
    result = progress(world.version, [learner.id])
    assert result[learner.id].blocs[world.bloc.id] is BlocStatus.IN_PROGRESS


def test_progress_of_no_one(world: World) -> None:
    assert progress(world.version, []) == {}
