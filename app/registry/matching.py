"""Statements of the register that hold given stems: the one full-text query, per engine.

SQLite answers from the FTS5 table, PostgreSQL from the GIN index over the stored
`search_vector` (`to_tsvector('simple', terms)`); both index the same stems (app.registry.text),
so both find the same statements. Stems are plain lower-case ASCII letters and digits after
`fold`, so they are quoted as they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.registry.models import FTS_TABLE, PG_VECTOR, RegistryStatement, RegistryTerm

_SAFE = re.compile(r"^[a-z0-9]+$")


def safe_terms(terms: Sequence[str]) -> list[str]:
    """The stems that can go into a full-text query as they are (others are dropped)."""
    return [t for t in dict.fromkeys(terms) if _SAFE.match(t)]


def any_of_groups(groups: Sequence[Sequence[str]], dialect: str) -> str:
    """A query matching a statement that holds every stem of at least one group."""
    if dialect == "sqlite":
        return " OR ".join("(" + " AND ".join(f'"{t}"' for t in g) + ")" for g in groups)
    return " | ".join("(" + " & ".join(g) + ")" for g in groups)


S = TypeVar("S", bound="sa.Select[*tuple[Any, ...]]")


def ranked(
    select: S, groups: Sequence[Sequence[str]], dialect: str, limit: int, *, rank: bool = True
) -> S:
    """`select` (over RegistryStatement) narrowed to the statements holding every stem of at
    least one group, best matches first (bm25 on SQLite, ts_rank on PostgreSQL), at most
    `limit` of them. Without `rank`, the first `limit` found (cheap however many match)."""
    query = any_of_groups(groups, dialect)
    if dialect == "sqlite":
        fts = sa.table(FTS_TABLE, sa.column("rowid"), sa.column("rank"))
        matched = select.join(fts, fts.c.rowid == RegistryStatement.id).where(
            sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=query)
        )
        return (matched.order_by(fts.c.rank) if rank else matched).limit(limit)
    vector: sa.ColumnElement[Any] = sa.literal_column(
        f"{RegistryStatement.__tablename__}.{PG_VECTOR}"
    )
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), query)
    matched = select.where(vector.op("@@")(tsquery))
    if rank:
        matched = matched.order_by(sa.func.ts_rank(vector, tsquery).desc(), RegistryStatement.id)
    return matched.limit(limit)


def frequencies(session: Session, terms: Sequence[str]) -> dict[str, int]:
    """How many statements of the register hold each stem (absent stems are left out)."""
    if not terms:
        return {}
    rows = session.execute(
        sa.select(RegistryTerm.term, RegistryTerm.statements).where(
            RegistryTerm.term.in_(list(terms))
        )
    )
    return {row.term: row.statements for row in rows}


# What one full-text query of the copy check may cost: the statements its groups match at worst
# (the sum, over the groups, of their rarest stem's count), and the postings it reads (the sum,
# over the groups, of each stem's count).
MATCH_BUDGET = 20_000
READ_BUDGET = 400_000


def rare_groups(
    stems: Sequence[str], df: dict[str, int], *, pool: int = 6, budget: int = MATCH_BUDGET
) -> list[tuple[str, ...]]:
    """Groups of the rarest known stems, of the smallest size that keeps the query cheap.

    A statement copied with a few words changed keeps most of its words: of its six rarest
    known words, a copy keeps at least k whenever no more than 6 - k of them were changed.
    Pairs are asked when the stems are rare enough; for commoner words, triples or quadruples.
    A statement made only of very common words (its groups would read more than READ_BUDGET
    postings) is looked for with all six at once: such a copy is found when none of its six
    rarest words was changed.
    """
    known = sorted({s for s in safe_terms(stems) if s in df}, key=lambda s: (df[s], s))[:pool]
    if len(known) < 2:
        return []
    for size in range(2, min(4, len(known)) + 1):
        groups = list(itertools.combinations(known, size))
        matched = sum(min(df[t] for t in group) for group in groups)
        read = sum(df[t] for group in groups for t in group)
        if matched <= budget and read <= READ_BUDGET:
            return groups
    return [tuple(known)]


def statement_count(session: Session) -> int:
    """About how many statements the register holds (the highest id: no count over millions)."""
    return int(session.scalar(sa.select(sa.func.max(RegistryStatement.id))) or 0)
