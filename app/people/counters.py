"""Attempt counters shared by every worker: login throttling and reset-request limits.

Each key (a login's address-and-client pair, a client, a reset address…) has one row in
`rate_counters`, changed by a single `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement on
SQLite and PostgreSQL alike, so concurrent requests can neither miss nor share a count.

A `Policy` lets `limit` attempts through, then asks for a pause that doubles after each further
attempt (`delay`, `2 × delay`, … up to `max_delay`). An attempt made during the pause is
refused and changes nothing but the refusal count: it neither counts nor extends the pause.
A key left alone for `forget_after` (and not paused) starts over.

The caller asks *before* doing the costly or sensitive thing (checking a password, sending a
mail), and commits the count at once, so that the attempt is counted whatever happens next.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from app.db import UTCDateTime, db, utcnow
from app.people.models import RateCounter

_table = cast(sa.Table, RateCounter.__table__)


@dataclass(frozen=True)
class Policy:
    limit: int  # attempts let through before the first pause (at least 1)
    delay: timedelta  # the first pause, doubled at each further attempt
    max_delay: timedelta
    forget_after: timedelta  # a quiet key starts over after this

    def pause_after(self, hits: int) -> timedelta | None:
        """The pause that follows the `hits`-th attempt, or None while under the limit."""
        if hits < self.limit:
            return None
        doublings = min(hits - self.limit, 30)
        return min(self.delay * 2**doublings, self.max_delay)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    hits: int
    blocked_until: datetime | None

    @property
    def retry_after(self) -> timedelta:
        if self.blocked_until is None:
            return timedelta(0)
        return max(self.blocked_until - utcnow(), timedelta(0))


def key(kind: str, *parts: str | None) -> str:
    """The counter key of `parts` under `kind`: a digest, so no address is stored."""
    raw = "\x1f".join(part or "" for part in parts)
    return f"{kind}:{hashlib.sha256(raw.encode('utf-8')).hexdigest()}"


def _insert() -> Any:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(_table)
    if dialect == "sqlite":
        return sqlite.insert(_table)
    raise RuntimeError(f"no atomic counter for {dialect}")


def _at(moment: datetime) -> Any:
    return sa.literal(moment, UTCDateTime())


def _pause_until(policy: Policy, hits: Any, now: datetime) -> Any:
    """SQL for the end of the pause following attempt number `hits` (NULL under the limit)."""
    steps: list[tuple[Any, Any]] = [(hits < policy.limit, sa.null())]
    n = policy.limit
    while (pause := policy.pause_after(n)) is not None and pause < policy.max_delay:
        steps.append((hits == n, _at(now + pause)))
        n += 1
    return sa.case(*steps, else_=_at(now + policy.max_delay))


def hit(counter_key: str, policy: Policy) -> Verdict:
    """Count one attempt under `counter_key`, unless the key is paused (then refuse it)."""
    now = utcnow()
    c = _table.c
    free = sa.or_(c.blocked_until.is_(None), c.blocked_until <= _at(now))
    forgotten = sa.and_(free, c.last_hit_at <= _at(now - policy.forget_after))
    first_pause = now + pause if (pause := policy.pause_after(1)) is not None else None
    statement = _insert().values(
        key=counter_key, hits=1, refused=0, last_hit_at=now, blocked_until=first_pause
    )
    statement = statement.on_conflict_do_update(
        index_elements=[c.key],
        set_={
            "hits": sa.case((forgotten, 1), (free, c.hits + 1), else_=c.hits),
            "refused": sa.case((free, 0), else_=c.refused + 1),
            "last_hit_at": sa.case((free, _at(now)), else_=c.last_hit_at),
            "blocked_until": sa.case(
                (forgotten, _at(first_pause) if first_pause else sa.null()),
                (free, _pause_until(policy, c.hits + 1, now)),
                else_=c.blocked_until,
            ),
        },
    ).returning(c.hits, c.refused, c.blocked_until)
    row = db.session.execute(statement).mappings().one()
    return Verdict(
        allowed=row["refused"] == 0, hits=row["hits"], blocked_until=row["blocked_until"]
    )


def forget(counter_key: str) -> None:
    """Drop the count of `counter_key` (after a successful login)."""
    db.session.execute(sa.delete(_table).where(_table.c.key == counter_key))


def refund(counter_key: str, policy: Policy) -> None:
    """Take one attempt back from `counter_key` (a success that should not count)."""
    c = _table.c
    db.session.execute(
        sa.update(_table)
        .where(c.key == counter_key, c.hits > 0)
        .values(
            hits=c.hits - 1,
            blocked_until=sa.case((c.hits - 1 < policy.limit, sa.null()), else_=c.blocked_until),
        )
    )
