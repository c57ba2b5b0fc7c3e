"""Literal copies: statements of a référentiel too close to a statement of the register.

Since the 2025 decree, France Compétences refuses without examination a dossier whose
référentiel literally reproduces another certification's. The check compares every statement
of a version (activity titles and descriptions, bloc titles, competencies, criteria) with every
statement of the register (titles, activities, bloc titles, competencies), in two stages:

1. **Candidates** by rare words. A statement is reduced to its content stems (French stemming,
   accents, case and stop words ignored). Its six rarest stems that the register knows are
   taken; a register statement is a candidate when it holds two of them (three when even the
   rarest are common). A copy with a few words changed keeps most of its words, so it keeps at
   least two of the six whatever was changed. One full-text query per statement.
2. **Measure**: the share of our content stems that appear, in the same order, in the
   candidate (the longest common subsequence of the two stem sequences ÷ our length). A copy
   with three words changed out of twelve scores 0.75; a copy inside a longer statement 1.0.
   Two statements that share a stock phrase ("transition écologique et sociale", "dans le
   respect de la réglementation") share three or four stems out of ten or more: under 0.45.

A statement is flagged at **0.7 or more with at least 5 shared stems**; statements of fewer
than 5 content stems (short titles such as "Animer une équipe") are not judged: they are not
a référentiel's substance, and every register holds them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.frameworks.models import Activity, Bloc, Competency, Criterion, FrameworkVersion
from app.registry.matching import frequencies, ranked, rare_groups
from app.registry.models import RegistryFiche, RegistryStatement
from app.registry.text import content_stems, stem, words

THRESHOLD = 0.7
MIN_SHARED = 5
MIN_LENGTH = 5
CANDIDATES = 200


@dataclass(frozen=True)
class Statement:
    """One statement of ours: where it is (code and kind) and what it says."""

    code: str
    kind: str  # activity, bloc, competency, criterion
    text: str
    borrowed_from: str | None = None  # a register fiche the draft started from, if any


@dataclass
class Flag:
    ours: Statement
    fiche_number: str
    fiche_title: str
    theirs: str
    score: float
    shared: set[str] = field(default_factory=set)  # the shared stems, for highlighting


def version_statements(version: FrameworkVersion) -> list[Statement]:
    """Every statement of a version a copy could hide in, in the référentiel's order."""
    found: list[Statement] = []
    for domain in version.domains:
        for activity in domain.activities:
            text = f"{activity.title}. {activity.description}".strip(". ")
            found.append(Statement(activity.code, "activity", text, activity.borrowed_from))
    for bloc in version.blocs:
        found.append(Statement(bloc.code, "bloc", bloc.title, bloc.borrowed_from))
        for competency in bloc.competencies:
            found.append(
                Statement(
                    competency.code, "competency", competency.statement, competency.borrowed_from
                )
            )
            for criterion in competency.criteria:
                found.append(Statement(criterion.code, "criterion", criterion.statement))
    return found


def item_statement(item: object) -> Statement | None:
    """The statement of one item of a référentiel, if it is of a kind the check reads."""
    if isinstance(item, Activity):
        text = f"{item.title}. {item.description}".strip(". ")
        return Statement(item.code, "activity", text, item.borrowed_from)
    if isinstance(item, Bloc):
        return Statement(item.code, "bloc", item.title, item.borrowed_from)
    if isinstance(item, Competency):
        return Statement(item.code, "competency", item.statement, item.borrowed_from)
    if isinstance(item, Criterion):
        return Statement(item.code, "criterion", item.statement)
    return None


def check_item(session: Session, item: object) -> Flag | None:
    """The closest register statement to one item's, when it is too close (else None)."""
    statement = item_statement(item)
    if statement is None:
        return None
    flags = check(session, [statement])
    return flags[0] if flags else None


def similarity(ours: Sequence[str], theirs: Sequence[str]) -> tuple[float, set[str]]:
    """Share of `ours` found in order in `theirs`, and the stems found."""
    if not ours:
        return 0.0, set()
    matcher = SequenceMatcher(None, ours, theirs, autojunk=False)
    shared: set[str] = set()
    length = 0
    for block in matcher.get_matching_blocks():
        length += block.size
        shared.update(ours[block.a : block.a + block.size])
    return length / len(ours), shared


def check(session: Session, statements: Iterable[Statement]) -> list[Flag]:
    """The statements too close to one of the register's, each with its closest."""
    prepared = [(s, content_stems(s.text)) for s in statements]
    prepared = [(s, stems) for s, stems in prepared if len(stems) >= MIN_LENGTH]
    df = frequencies(session, sorted({t for _, stems in prepared for t in stems}))
    dialect = session.get_bind().dialect.name
    flags: list[Flag] = []
    for statement, stems in prepared:
        groups = rare_groups(stems, df)
        if not groups:
            continue
        ours_set = set(stems)
        select = sa.select(
            RegistryStatement.text,
            RegistryStatement.terms,
            RegistryFiche.number,
            RegistryFiche.title,
        ).join(RegistryFiche, RegistryFiche.id == RegistryStatement.fiche_id)
        rows = session.execute(ranked(select, groups, dialect, CANDIDATES)).all()
        best: Flag | None = None
        for row in rows:
            theirs = row.terms.split()
            # The common subsequence is never longer than the common words: skip cheaply.
            if len(ours_set.intersection(theirs)) < THRESHOLD * len(set(stems)):
                continue
            score, shared = similarity(stems, theirs)
            closer = best is None or score > best.score
            if score >= THRESHOLD and len(shared) >= MIN_SHARED and closer:
                best = Flag(statement, row.number, row.title, row.text, score, shared)
        if best is not None:
            flags.append(best)
    return flags


def highlight(text: str, shared: set[str]) -> list[tuple[str, bool]]:
    """`text` cut into (piece, shared?) so a page can mark the shared words."""
    pieces: list[tuple[str, bool]] = []
    rest = text
    for word in words(text):
        lower = rest.casefold()
        index = lower.find(word)
        if index < 0:
            continue
        if index:
            pieces.append((rest[:index], False))
        pieces.append((rest[index : index + len(word)], stem(word) in shared))
        rest = rest[index + len(word) :]
    if rest:
        pieces.append((rest, False))
    return pieces
