"""Recording results: the one place where results are appended and where each cell's head
(its current value and its disagreement flag) follows its latest result.

The grid save, the offline import, the confirmation of a cell, the demo, the benchmark's
generator and the tests' factories all record results through `record_results`. It changes
the session and never commits; callers that may race with another writer on the same
learners take `lock_learners` first.
"""

from __future__ import annotations

import json
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

    Three statements whatever the number of rows: the touched cells' latest result per
    assessor, the results' INSERT … SELECT … RETURNING and the heads' INSERT … SELECT … ON
    CONFLICT DO UPDATE, each reading its rows from one bound parameter (`_rows`). Returns the
    new head result id of each cell.
    """
    if not rows:
        return {}
    opinions = _latest_opinions({(row.enrolment_id, row.criterion_id) for row in rows})
    now = utcnow()
    columns = [
        RESULTS.c[name]
        for name in (
            "enrolment_id",
            "criterion_id",
            "level_id",
            "assessor_id",
            "session_id",
            "source",
            "recorded_at",
        )
    ]
    source = _rows(columns, [(*row[:6], row.recorded_at or now) for row in rows])
    inserted = db.session.execute(
        RESULTS.insert()
        .from_select(columns, sa.select(*source.c[:-1]).order_by(source.c.n))
        .returning(
            RESULTS.c.id,
            RESULTS.c.enrolment_id,
            RESULTS.c.criterion_id,
            RESULTS.c.assessor_id,
            RESULTS.c.level_id,
        )
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
            (e, c, result_id, level_id, _disagree(opinions[(e, c)]))
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


def _upsert_heads(values: list[tuple[int, int, int, int | None, bool]]) -> None:
    """Insert or move the heads (enrolment, criterion, result, level, disagreement): one
    INSERT … SELECT … ON CONFLICT (cell) DO UPDATE."""
    columns = [
        HEADS.c[name]
        for name in ("enrolment_id", "criterion_id", "result_id", "level_id", "disagreement")
    ]
    source = _rows(columns, values)
    insert = postgresql.insert(HEADS) if _dialect().name == "postgresql" else sqlite.insert(HEADS)
    # WHERE true: SQLite would otherwise read ON CONFLICT as the ON of a join.
    statement = insert.from_select(
        columns, sa.select(*source.c[:-1]).where(sa.true())
    ).on_conflict_do_update(
        index_elements=[HEADS.c.enrolment_id, HEADS.c.criterion_id],
        set_={
            "result_id": insert.excluded.result_id,
            "level_id": insert.excluded.level_id,
            "disagreement": insert.excluded.disagreement,
        },
    )
    db.session.execute(statement)


def _dialect() -> sa.Dialect:
    return db.session.get_bind().dialect


def _rows(columns: Sequence[sa.Column[Any]], values: Sequence[Sequence[Any]]) -> Any:
    """`values` (tuples in the order of `columns`) as a table with the columns' names and an
    ordinal `n`, read from a single bound parameter: one array per column unnested on
    PostgreSQL, one JSON array of rows on SQLite.

    Thousands of rows as thousands of bound parameters (a multi-row VALUES) cost the driver
    and SQLAlchemy a conversion each and PostgreSQL a long statement to parse; an array or a
    JSON text is converted at once.
    """
    dialect = _dialect()
    names = [c.name for c in columns]
    if dialect.name == "postgresql":
        arrays = [
            sa.bindparam(None, list(items), type_=postgresql.ARRAY(column.type))
            for column, items in zip(columns, zip(*values, strict=True), strict=True)
        ]
        return sa.func.unnest(*arrays).table_valued(*names, with_ordinality="n").render_derived()
    # What SQLAlchemy would bind (SQLite keeps timestamps as text), once per distinct value.
    converted = {
        i: {value: process(value) for value in {row[i] for row in values}}
        for i, process in enumerate(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
        if process is not None
    }
    if converted:
        values = [
            [converted[i][v] if i in converted else v for i, v in enumerate(row)] for row in values
        ]
    each = sa.func.json_each(sa.bindparam(None, json.dumps(values), type_=sa.String))
    table = each.table_valued("key", "value")
    return sa.select(
        *(sa.func.json_extract(table.c.value, f"$[{i}]").label(n) for i, n in enumerate(names)),
        table.c.key.label("n"),
    ).subquery()
