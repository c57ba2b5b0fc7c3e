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
    assessors = {row.assessor_id for row in rows}
    opinions = _latest_opinions(
        {(row.enrolment_id, row.criterion_id) for row in rows},
        # One assessor writes every cell (a save, an import): their own earlier opinions are
        # all replaced, only the others' matter.
        other_than=assessors.pop() if len(assessors) == 1 else None,
    )
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
        .from_select(columns, source)
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


def _latest_opinions(
    cells: set[Key], other_than: int | None = None
) -> dict[Key, dict[int, int | None]]:
    """The latest level of each assessor (but `other_than`) on each of these cells, from the
    history already recorded. Reads the cells' rectangle (an index range, cheaper to plan
    than thousands of pairs) and drops the cells outside."""
    r = RESULTS.alias("r")
    latest = (
        sa.select(sa.func.max(r.c.id))
        .where(
            r.c.enrolment_id.in_({e for e, _c in cells}),
            r.c.criterion_id.in_({c for _e, c in cells}),
        )
        .group_by(r.c.enrolment_id, r.c.criterion_id, r.c.assessor_id)
    )
    if other_than is not None:
        latest = latest.where(r.c.assessor_id != other_than)
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
    insert = postgresql.insert(HEADS) if _dialect().name == "postgresql" else sqlite.insert(HEADS)
    # WHERE true: SQLite would otherwise read ON CONFLICT as the ON of a join.
    statement = insert.from_select(
        columns, _rows(columns, values).where(sa.true())
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


def _rows(columns: Sequence[sa.Column[Any]], values: Sequence[Sequence[Any]]) -> sa.Select[Any]:
    """A SELECT of `values` (tuples in the order of `columns`, named after them), in order.

    A column with the same value on every row (the assessor, the source, the time…) is one
    bound parameter; the others are read from one bound parameter for them all: one array per
    column unnested on PostgreSQL, one JSON array of rows on SQLite. Thousands of rows as
    thousands of bound parameters (a multi-row VALUES) would cost SQLAlchemy and the driver a
    conversion each, and PostgreSQL a long statement to parse.
    """
    dialect = _dialect()
    by_column = list(zip(*values, strict=True))
    varying = [i for i, items in enumerate(by_column) if items.count(items[0]) != len(items)]
    varying = varying or [0]  # one row: still read from its table, in one statement
    if dialect.name == "postgresql":
        arrays = [
            sa.bindparam(None, list(by_column[i]), type_=postgresql.ARRAY(columns[i].type))
            for i in varying
        ]
        table = (
            sa.func.unnest(*arrays)
            .table_valued(*(f"v{i}" for i in varying), with_ordinality="n")
            .render_derived()
        )  # … AS anon_1(v0, v1, n): the columns named for PostgreSQL
        read: dict[int, Any] = {i: table.c[f"v{i}"] for i in varying}
        order = table.c.n
    else:
        # What SQLAlchemy would bind (SQLite keeps timestamps as text), once per value.
        processors = [
            columns[i].type.dialect_impl(dialect).bind_processor(dialect) for i in varying
        ]
        texts = []
        for i, process in zip(varying, processors, strict=True):
            if process is None:
                texts.append(by_column[i])
            else:
                converted = {value: process(value) for value in set(by_column[i])}
                texts.append(tuple(converted[value] for value in by_column[i]))
        each = sa.func.json_each(
            sa.bindparam(None, json.dumps(list(zip(*texts, strict=True))), type_=sa.String)
        ).table_valued("key", "value")
        read = {i: sa.func.json_extract(each.c.value, f"$[{j}]") for j, i in enumerate(varying)}
        order = each.c.key
        table = each
    return (
        sa.select(
            *(
                read[i] if i in read else sa.bindparam(None, by_column[i][0], type_=column.type)
                for i, column in enumerate(columns)
            )
        )
        .select_from(table)
        .order_by(order)
    )
