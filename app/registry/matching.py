"""Statements of the register that hold given stems: the one full-text query, per engine.

SQLite answers from the FTS5 table, PostgreSQL from the GIN index over
`to_tsvector('simple', terms)`; both index the same stems (app.registry.text), so both find the
same statements. Stems are plain lower-case ASCII letters and digits after `fold`, so they are
quoted as they are.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.registry.models import FTS_TABLE, RegistryStatement, RegistryTerm

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


def ranked(select: S, groups: Sequence[Sequence[str]], dialect: str, limit: int) -> S:
    """`select` (over RegistryStatement) narrowed to the statements holding every stem of at
    least one group, best matches first (bm25 on SQLite, ts_rank on PostgreSQL), at most
    `limit` of them."""
    query = any_of_groups(groups, dialect)
    if dialect == "sqlite":
        fts = sa.table(FTS_TABLE, sa.column("rowid"), sa.column("rank"))
        return (
            select.join(fts, fts.c.rowid == RegistryStatement.id)
            .where(sa.text(f"{FTS_TABLE} MATCH :fts_query").bindparams(fts_query=query))
            .order_by(fts.c.rank)
            .limit(limit)
        )
    vector = sa.func.to_tsvector(sa.literal_column("'simple'"), RegistryStatement.terms)
    tsquery = sa.func.to_tsquery(sa.literal_column("'simple'"), query)
    return (
        select.where(vector.op("@@")(tsquery))
        .order_by(sa.func.ts_rank(vector, tsquery).desc(), RegistryStatement.id)
        .limit(limit)
    )


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


def rare_groups(
    stems: Sequence[str], df: dict[str, int], *, pool: int = 6
) -> list[tuple[str, ...]]:
    """Pairs (or triples, when even the rarest stems are common) of the rarest known stems.

    A statement copied with a few words changed keeps most of its words, so it holds at least
    two of the rarest ones whatever was changed; asking for two at once keeps the candidates few.
    """
    known = sorted({s for s in safe_terms(stems) if s in df}, key=lambda s: (df[s], s))[:pool]
    if len(known) < 2:
        return []
    size = 2 if df[known[0]] + df[known[1]] < 5_000 or len(known) < 3 else 3
    return list(itertools.combinations(known, size))
