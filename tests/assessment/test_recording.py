"""record_results: the history appended in order, each cell's head and disagreement flag."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from app.assessment.models import Result, ResultHead
from app.assessment.recording import NewResult, record_results
from app.db import utcnow


def heads(db_session: Any) -> dict[tuple[int, int], tuple[int, int | None, bool]]:
    db_session.expire_all()
    return {
        (h.enrolment_id, h.criterion_id): (h.result_id, h.level_id, h.disagreement)
        for h in db_session.scalars(sa.select(ResultHead))
    }


def test_heads_follow_the_latest_result_and_flag_disagreements(
    make_world: Any, two_blocs_doc: dict[str, Any], db_session: Any
) -> None:
    world = make_world(two_blocs_doc)  # a three-level scale
    a, b = world.trainer_a.id, world.trainer_b.id
    na, ec, ok = (world.levels[code].id for code in ("NA", "EC", "A"))
    first, second = world.enrolments[0].id, world.enrolments[1].id
    crit, other = world.criteria[0].id, world.criteria[1].id
    cell, cell2 = (first, crit), (second, other)

    # One assessor's save: no disagreement, whatever their own earlier opinions.
    record_results([NewResult(*cell, na, a), NewResult(*cell2, ec, a)])
    record_results([NewResult(*cell, ok, a)])
    assert heads(db_session)[cell][1:] == (ok, False)
    # Another assessor differs, then agrees, then clears the cell (no opinion).
    ids = record_results([NewResult(*cell, ec, b)])
    assert heads(db_session)[cell] == (ids[cell], ec, True)
    record_results([NewResult(*cell, ec, a)])
    assert heads(db_session)[cell][1:] == (ec, False)
    record_results([NewResult(*cell, na, a)])
    assert heads(db_session)[cell][1:] == (na, True)
    record_results([NewResult(*cell, None, b)])
    assert heads(db_session)[cell][1:] == (None, False)

    # A history replayed, several assessors in one batch, a cell several times: its last row
    # is its head; each assessor's latest counts, earlier batches' included.
    then = utcnow() - dt.timedelta(days=1)
    later = then + dt.timedelta(seconds=1)
    ids = record_results(
        [
            NewResult(*cell2, ok, b, source="bench", recorded_at=then),
            NewResult(*cell, ok, b, source="bench", recorded_at=then),
            NewResult(*cell2, na, b, source="bench", recorded_at=then),
            NewResult(*cell, ok, a, source="bench", recorded_at=later),
        ]
    )
    found = heads(db_session)
    assert found[cell2] == (ids[cell2], na, True)  # a: EC (earlier), b: NA
    assert found[cell] == (ids[cell], ok, False)  # a: A, b: A
    rows = list(db_session.scalars(sa.select(Result).order_by(Result.id)))
    assert [(r.enrolment_id, r.criterion_id, r.level_id, r.assessor_id) for r in rows[-4:]] == [
        (*cell2, ok, b),
        (*cell, ok, b),
        (*cell2, na, b),
        (*cell, ok, a),
    ]
    assert ids[cell] == rows[-1].id
    assert {r.source for r in rows[-4:]} == {"bench"} and rows[-1].recorded_at == later
    assert rows[-2].recorded_at == then
    assert rows[0].source == "web" and rows[0].session_id is None


def test_a_head_can_only_point_at_a_result_of_its_own_cell(
    make_world: Any, two_blocs_doc: dict[str, Any], db_session: Any
) -> None:
    world = make_world(two_blocs_doc)
    ok = world.levels["A"].id
    cell = (world.enrolments[0].id, world.criteria[0].id)
    other = (world.enrolments[1].id, world.criteria[0].id)
    ids = record_results(
        [NewResult(*cell, ok, world.trainer_a.id), NewResult(*other, ok, world.trainer_a.id)]
    )
    moved = (
        sa.update(ResultHead)
        .where(ResultHead.enrolment_id == cell[0], ResultHead.criterion_id == cell[1])
        .values(result_id=ids[other])
    )
    with pytest.raises(sa.exc.IntegrityError), db_session.begin_nested():
        db_session.execute(moved)
    assert heads(db_session)[cell][0] == ids[cell]
