"""Search the register: words (stemmed, accents ignored) and codes, level, state."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.registry.matching import frequencies, ranked, safe_terms
from app.registry.models import (
    CodeKind,
    RegistryBloc,
    RegistryCode,
    RegistryFiche,
    RegistryStatement,
    StatementKind,
)
from app.registry.text import content_stems

STATEMENTS_READ = 2_000  # matching statements read at most, best first, to rank the fiches
RANKED_AT_MOST = 30_000  # beyond, the statements are read as found, not ranked (too costly)
NARROW_FICHES = 2_000  # codes that leave fewer fiches than this: their statements are read


@dataclass
class Query:
    words: str = ""
    rome: str = ""
    nsf: str = ""
    formacode: str = ""
    level: int | None = None
    active_only: bool = True

    @property
    def empty(self) -> bool:
        return not (self.words.strip() or self.rome or self.nsf or self.formacode or self.level)


@dataclass
class Hit:
    number: str
    title: str
    level: int | None
    active: bool
    withdrawn: bool
    matches: int = 0
    excerpts: list[str] = field(default_factory=list)


@dataclass
class Results:
    hits: list[Hit]
    more: bool  # the words matched more statements than were read: refine the search
    unknown_words: bool = False  # the words reduce to nothing searchable


def _fiche_filters(query: Query) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = [RegistryFiche.withdrawn_at.is_(None)]
    if query.active_only:
        conditions.append(RegistryFiche.active.is_(True))
    if query.level:
        conditions.append(RegistryFiche.level == query.level)
    for kind, code in (
        (CodeKind.ROME, query.rome),
        (CodeKind.NSF, query.nsf),
        (CodeKind.FORMACODE, query.formacode),
    ):
        value = code.strip().upper() if kind is CodeKind.ROME else code.strip()
        if value:
            conditions.append(
                RegistryFiche.id.in_(
                    sa.select(RegistryCode.fiche_id).where(
                        RegistryCode.kind == kind, RegistryCode.code == value
                    )
                )
            )
    return conditions


def _narrow_fiches(
    session: Session, query: Query, conditions: list[sa.ColumnElement[bool]]
) -> list[int] | None:
    """The fiches a code leaves, when they are few enough to read; else None."""
    if not (query.rome.strip() or query.nsf.strip() or query.formacode.strip()):
        return None
    ids = list(
        session.scalars(sa.select(RegistryFiche.id).where(*conditions).limit(NARROW_FICHES + 1))
    )
    return ids if len(ids) <= NARROW_FICHES else None


def _hit(fiche: RegistryFiche) -> Hit:
    return Hit(
        number=fiche.number,
        title=fiche.title,
        level=fiche.level,
        active=fiche.active,
        withdrawn=fiche.withdrawn_at is not None,
    )


def search(session: Session, query: Query, *, limit: int = 50) -> Results:
    """The fiches matching `query`, best first: those whose title holds the words, then
    those with the most statements holding them. Two statements at most."""
    conditions = _fiche_filters(query)
    terms = safe_terms(content_stems(query.words))
    if query.words.strip() and not terms:
        return Results(hits=[], more=False, unknown_words=True)
    if not terms:
        fiches = session.scalars(
            sa.select(RegistryFiche).where(*conditions).order_by(RegistryFiche.number).limit(limit)
        ).all()
        return Results(hits=[_hit(f) for f in fiches], more=len(fiches) == limit)

    df = frequencies(session, terms)
    if len(df) < len(terms):  # a word the register never uses: no statement holds them all
        return Results(hits=[], more=False)
    select = sa.select(
        RegistryFiche.number,
        RegistryFiche.title,
        RegistryFiche.level,
        RegistryFiche.active,
        RegistryFiche.withdrawn_at,
        RegistryStatement.kind,
        RegistryStatement.text,
        RegistryStatement.terms,
    ).join(RegistryFiche, RegistryFiche.id == RegistryStatement.fiche_id)
    narrow = _narrow_fiches(session, query, conditions)
    if narrow == []:  # the codes leave no fiche (nor a statement to read)
        return Results(hits=[], more=False)
    if narrow is not None:
        # A few fiches: read their statements and keep those holding every word.
        wanted = set(terms)
        rows = [
            row
            for row in session.execute(select.where(RegistryStatement.fiche_id.in_(narrow)))
            if wanted <= set(row.terms.split())
        ][:STATEMENTS_READ]
    else:
        dialect = session.get_bind().dialect.name
        rank = min(df.values()) <= RANKED_AT_MOST
        rows = list(
            session.execute(
                ranked(select.where(*conditions), [terms], dialect, STATEMENTS_READ, rank=rank)
            )
        )
    hits: dict[str, Hit] = {}
    in_title: set[str] = set()
    for row in rows:
        hit = hits.get(row.number)
        if hit is None:
            hit = hits[row.number] = Hit(
                number=row.number,
                title=row.title,
                level=row.level,
                active=row.active,
                withdrawn=row.withdrawn_at is not None,
            )
        hit.matches += 1
        if row.kind is StatementKind.TITLE:
            in_title.add(row.number)
        elif len(hit.excerpts) < 2:
            hit.excerpts.append(row.text)
    order = {number: index for index, number in enumerate(hits)}
    ranked_hits = sorted(
        hits.values(),
        key=lambda h: (h.number not in in_title, -h.matches, order[h.number]),
    )
    return Results(hits=ranked_hits[:limit], more=len(rows) == STATEMENTS_READ)


def fiche(session: Session, number: str) -> RegistryFiche | None:
    """One fiche with its codes, blocs and their statements."""
    return session.scalar(
        sa.select(RegistryFiche)
        .where(RegistryFiche.number == number)
        .options(
            selectinload(RegistryFiche.codes),
            selectinload(RegistryFiche.blocs).selectinload(RegistryBloc.statements),
        )
    )


def summary(session: Session) -> dict[str, object]:
    """How many fiches are loaded, how many active, and when the last import ran."""
    row = session.execute(
        sa.select(
            sa.func.count(RegistryFiche.id).label("fiches"),
            sa.func.count(RegistryFiche.id)
            .filter(RegistryFiche.active.is_(True), RegistryFiche.withdrawn_at.is_(None))
            .label("active"),
            sa.func.max(RegistryFiche.imported_at).label("imported_at"),
        )
    ).one()
    return {"fiches": row.fiches, "active": row.active, "imported_at": row.imported_at}
