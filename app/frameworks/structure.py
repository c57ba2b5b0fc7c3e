"""A version's blocs, competencies, criteria and scale as plain immutable values.

Pages about learners (their own page, the grid) walk the whole tree of the
version their cohort follows, yet only read it. Loading it through the ORM on every request
costs several queries and thousands of objects; a published version never changes (see
services.py), so its structure is read once per process, in two queries, and kept: bounded,
least recently used out first, keyed like the page cache by id and publication time so a
reused id can never serve another version. A draft's structure is read on each call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sqlalchemy as sa
from flask import current_app

from app.db import db
from app.frameworks.models import (
    Bloc,
    Competency,
    CompetencyRule,
    Criterion,
    FrameworkVersion,
    ScaleLevel,
)
from app.frameworks.page_cache import BoundedCache

EXTENSION = "frameworks.structures"


@dataclass(frozen=True, slots=True)
class CriterionNode:
    id: int
    code: str
    statement: str


@dataclass(frozen=True, slots=True)
class CompetencyNode:
    id: int
    code: str
    statement: str
    criteria: tuple[CriterionNode, ...]


@dataclass(frozen=True, slots=True)
class BlocNode:
    id: int
    code: str
    title: str
    optional: bool
    competencies: tuple[CompetencyNode, ...]


@dataclass(frozen=True, slots=True)
class LevelNode:
    id: int
    code: str
    label: str
    counts_as_acquired: bool


@dataclass(frozen=True)
class Structure:
    id: int  # the version's
    label: str
    title: str
    competency_rule: CompetencyRule
    minimum_criteria: int | None
    scale_levels: tuple[LevelNode, ...]
    blocs: tuple[BlocNode, ...]

    @cached_property
    def acquired_levels(self) -> frozenset[int]:
        return frozenset(level.id for level in self.scale_levels if level.counts_as_acquired)

    @cached_property
    def level_labels(self) -> dict[int, str]:
        return {level.id: level.label for level in self.scale_levels}

    @cached_property
    def bloc_by_id(self) -> dict[int, BlocNode]:
        return {bloc.id: bloc for bloc in self.blocs}

    @cached_property
    def criterion_by_id(self) -> dict[int, tuple[BlocNode, CriterionNode]]:
        return {
            crit.id: (bloc, crit)
            for bloc in self.blocs
            for comp in bloc.competencies
            for crit in comp.criteria
        }


def _cache() -> BoundedCache[tuple[int, str], Structure]:
    cache: BoundedCache[tuple[int, str], Structure] | None = current_app.extensions.get(EXTENSION)
    if cache is None:  # the app's first use: made once, not on every call
        cache = current_app.extensions.setdefault(EXTENSION, BoundedCache())
    return cache


def structure(version: FrameworkVersion) -> Structure:
    """The structure of `version`, whose own row is loaded (its content need not be)."""
    if version.published_at is None:
        return _read(version)
    key = (version.id, version.published_at.isoformat())
    cache = _cache()
    found = cache.get(key)
    if found is None:
        found = _read(version)
        cache.put(key, found)
    return found


def _read(version: FrameworkVersion) -> Structure:
    """Two queries: the scale, then blocs, competencies and criteria in one join."""
    levels = tuple(
        LevelNode(*row)
        for row in db.session.execute(
            sa.select(
                ScaleLevel.id, ScaleLevel.code, ScaleLevel.label, ScaleLevel.counts_as_acquired
            )
            .where(ScaleLevel.version_id == version.id)
            .order_by(ScaleLevel.position)
        )
    )
    rows = db.session.execute(
        sa.select(
            Bloc.id,
            Bloc.code,
            Bloc.title,
            Bloc.optional,
            Competency.id,
            Competency.code,
            Competency.statement,
            Criterion.id,
            Criterion.code,
            Criterion.statement,
        )
        .select_from(Bloc)
        .outerjoin(Competency, Competency.bloc_id == Bloc.id)
        .outerjoin(Criterion, Criterion.competency_id == Competency.id)
        .where(Bloc.version_id == version.id)
        .order_by(Bloc.position, Competency.position, Criterion.position)
    )
    blocs: dict[int, tuple[tuple[str, str, bool], dict[int, tuple[str, str]]]] = {}
    criteria: dict[int, list[CriterionNode]] = {}
    for b_id, b_code, b_title, optional, c_id, c_code, c_statement, k_id, k_code, k_text in rows:
        competencies = blocs.setdefault(b_id, ((b_code, b_title, optional), {}))[1]
        if c_id is not None:
            competencies.setdefault(c_id, (c_code, c_statement))
            found = criteria.setdefault(c_id, [])
            if k_id is not None:
                found.append(CriterionNode(k_id, k_code, k_text))
    return Structure(
        id=version.id,
        label=version.label,
        title=version.title,
        competency_rule=version.competency_rule,
        minimum_criteria=version.minimum_criteria,
        scale_levels=levels,
        blocs=tuple(
            BlocNode(
                b_id,
                *head,
                tuple(
                    CompetencyNode(c_id, code, statement, tuple(criteria[c_id]))
                    for c_id, (code, statement) in competencies.items()
                ),
            )
            for b_id, (head, competencies) in blocs.items()
        ),
    )
