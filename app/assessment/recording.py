"""Recording results: the one place where results are appended and where each cell's head
(its current value and its disagreement flag) follows its latest result.

The grid save, the offline import, the confirmation of a cell, the demo, the benchmark's
generator and the tests' factories all record results through `record_results`. It changes
the session and never commits; callers that may race with another writer on the same
learners take `lock_learners` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.assessment.models import Result, ResultHead
from app.cohorts.models import Enrolment
from app.db import db, utcnow

Key = tuple[int, int]  # (enrolment id, criterion id)

RESULTS: sa.Table = Result.__table__  # type: ignore[assignment]
HEADS: sa.Table = ResultHead.__table__  # type: ignore[assignment]
# Rows per INSERT: a whole 30 × 60 grid in one statement (SQLAlchemy still splits a batch
# that would pass the engine's parameter limit, 32,766 on SQLite).
PAGE_ROWS = 4000


class NewResult(NamedTuple):
    """One result to append. `level_id` None records that the assessor cleared the cell.
    A named tuple: a grid save appends thousands."""

    enrolment_id: int
    criterion_id: int
    level_id: int | None
    assessor_id: int
    session_id: int | None = None
    source: str = "web"
    recorded_at: datetime | None = None  # now, unless a history is being replayed

    @property
    def key(self) -> Key:
        return (self.enrolment_id, self.criterion_id)


def lock_learners(enrolment_ids: Iterable[int]) -> None:
    """Serialise writers on the same learners: PostgreSQL row locks, taken in a fixed order so
    two saves cannot deadlock; they also cover cells that have no head row yet. SQLite has one
    writer at a time: a save whose snapshot another save changed fails instead, writing nothing
    (the page then says so)."""
    db.session.execute(
        sa.select(Enrolment.id)
        .where(Enrolment.id.in_(sorted(set(enrolment_ids))))
        .order_by(Enrolment.id)
        .with_for_update()
    ).all()


def record_results(rows: Sequence[NewResult]) -> dict[Key, int]:
    """Append `rows` in order and move the head of every cell they touch to its latest result,
    with its disagreement flag: whether the latest levels of two assessors on the cell differ
    (a cleared cell is no opinion). A cell may appear several times (a history being replayed):
    its last row becomes its head.

    Three statements whatever the number of rows (more only past PAGE_ROWS rows): the
    touched cells' latest result per assessor, the results' INSERT … RETURNING, and one
    INSERT … ON CONFLICT DO UPDATE of the heads. Returns the new head result id of each cell.
    """
    if not rows:
        return {}
    opinions = _latest_opinions({(row.enrolment_id, row.criterion_id) for row in rows})
    now = utcnow()
    inserted = db.session.execute(
        RESULTS.insert()
        .execution_options(insertmanyvalues_page_size=PAGE_ROWS)
        .returning(
            RESULTS.c.id,
            RESULTS.c.enrolment_id,
            RESULTS.c.criterion_id,
            RESULTS.c.assessor_id,
            RESULTS.c.level_id,
        ),
        [
            {
                "enrolment_id": row.enrolment_id,
                "criterion_id": row.criterion_id,
                "level_id": row.level_id,
                "assessor_id": row.assessor_id,
                "session_id": row.session_id,
                "source": row.source,
                "recorded_at": row.recorded_at or now,
            }
            for row in rows
        ],
    ).all()
    # The driver may return the rows in any order: the highest id of a cell is its latest.
    heads: dict[Key, tuple[int, int | None]] = {}
    for result_id, enrolment_id, criterion_id, assessor_id, level_id in sorted(
        inserted, key=itemgetter(0)
    ):
        key = (enrolment_id, criterion_id)
        opinions.setdefault(key, {})[assessor_id] = level_id
        heads[key] = (result_id, level_id)
    _upsert_heads(
        [
            {
                "enrolment_id": e,
                "criterion_id": c,
                "result_id": result_id,
                "level_id": level_id,
                "disagreement": _disagree(opinions[(e, c)]),
            }
            for (e, c), (result_id, level_id) in heads.items()
        ]
    )
    return {key: head[0] for key, head in heads.items()}


def _disagree(levels_by_assessor: dict[int, int | None]) -> bool:
    if len(levels_by_assessor) < 2:
        return False  # one assessor (most cells): nobody to disagree with
    return len({lvl for lvl in levels_by_assessor.values() if lvl is not None}) > 1


def _latest_opinions(cells: set[Key]) -> dict[Key, dict[int, int | None]]:
    """The latest level of each assessor on each of these cells, from the history already
    recorded. Reads the cells' rectangle (an index range, cheaper to plan than thousands of
    pairs) and drops the cells outside."""
    r = RESULTS.alias("r")
    latest = (
        sa.select(sa.func.max(r.c.id))
        .where(
            r.c.enrolment_id.in_({e for e, _c in cells}),
            r.c.criterion_id.in_({c for _e, c in cells}),
        )
        .group_by(r.c.enrolment_id, r.c.criterion_id, r.c.assessor_id)
    )
    found = db.session.execute(
        sa.select(
            RESULTS.c.enrolment_id,
            RESULTS.c.criterion_id,
            RESULTS.c.assessor_id,
            RESULTS.c.level_id,
        ).where(RESULTS.c.id.in_(latest))
    )
    opinions: dict[Key, dict[int, int | None]] = {}
    for enrolment_id, criterion_id, assessor_id, level_id in found:
        key = (enrolment_id, criterion_id)
        if key in cells:
            opinions.setdefault(key, {})[assessor_id] = level_id
    return opinions


def _upsert_heads(values: list[dict[str, Any]]) -> None:
    """Insert or move the heads: one multi-row INSERT … ON CONFLICT (cell) DO UPDATE.

    RETURNING is what makes SQLAlchemy send the rows as one statement ("insertmanyvalues");
    without it, both drivers run the statement once per row, which costs PostgreSQL a whole
    execution (and SQLite a step) per cell.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert(HEADS) if dialect == "postgresql" else sqlite.insert(HEADS)
    statement = (
        insert.execution_options(insertmanyvalues_page_size=PAGE_ROWS)
        .on_conflict_do_update(
            index_elements=[HEADS.c.enrolment_id, HEADS.c.criterion_id],
            set_={
                "result_id": insert.excluded.result_id,
                "level_id": insert.excluded.level_id,
                "disagreement": insert.excluded.disagreement,
            },
        )
        .returning(HEADS.c.result_id)
    )
    db.session.execute(statement, values).all()
