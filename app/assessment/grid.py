"""Reading a grid: a cohort's learners × one bloc's criteria, with each cell's current value,
the comments, the assessors' disagreements and the derived statuses.

Every function here runs a fixed number of queries, whatever the number of learners, criteria
and results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.assessment.models import CompetencyComment, EvaluationSession, ResultHead
from app.assessment.progress import LearnerProgress, progress
from app.assessment.rules import BlocStatus, CompetencyProgress
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db
from app.frameworks.models import (
    Bloc,
    Competency,
    FrameworkVersion,
)
from app.frameworks.structure import (
    BlocNode,
    CompetencyNode,
    CriterionNode,
    LevelNode,
    Structure,
    structure,
)
from app.names import name_key
from app.people.models import User

Key = tuple[int, int]  # (enrolment id, criterion id) or (enrolment id, competency id)


def competency_status_text(comp: CompetencyProgress) -> str:
    """« acquise » or « 2/3 » (criteria at an acquired level out of all)."""
    return str(_l("acquise")) if comp.is_acquired else f"{comp.acquired}/{comp.total}"


# --- loading -------------------------------------------------------------------------------------


def person(relationship: Any) -> Any:
    """Join a related user for their name, without their roles and organisations."""
    return joinedload(relationship).options(lazyload(User.role_rows), lazyload(User.organisations))


def load_version(version_id: int) -> FrameworkVersion:
    """A version with its scale, blocs, modalities, competencies and criteria (6 queries)."""
    version = db.session.scalar(
        sa.select(FrameworkVersion)
        .where(FrameworkVersion.id == version_id)
        .options(
            selectinload(FrameworkVersion.scale_levels),
            selectinload(FrameworkVersion.blocs).options(
                selectinload(Bloc.modalities),
                selectinload(Bloc.competencies).selectinload(Competency.criteria),
            ),
        )
    )
    assert version is not None  # a cohort's version is never deleted (RESTRICT)
    return version


# Learners on a grid: withdrawn ones are left out.
STILL_ENROLLED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.CERTIFIED)


def cohort_enrolments(
    cohort_id: int, statuses: Iterable[EnrolmentStatus] = STILL_ENROLLED
) -> list[Enrolment]:
    """A cohort's enrolments of these statuses with their learner's name, sorted by name (one
    query)."""
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.cohort_id == cohort_id, Enrolment.status.in_(list(statuses)))
            .options(person(Enrolment.learner))
        )
    )
    enrolments.sort(key=lambda e: (name_key(e.learner.full_name), e.id))
    return enrolments


@dataclass
class Grid:
    """What a grid is made of: the learners still enrolled (withdrawn ones are left out)
    and the criteria of one bloc, grouped by competency (from the version's structure)."""

    cohort: Cohort
    version: Structure
    bloc: BlocNode
    enrolments: list[Enrolment]
    competencies: list[CompetencyNode] = field(init=False)
    criteria: list[CriterionNode] = field(init=False)
    levels: list[LevelNode] = field(init=False)
    enrolment_by_id: dict[int, Enrolment] = field(init=False)
    criterion_by_id: dict[int, CriterionNode] = field(init=False)
    competency_by_id: dict[int, CompetencyNode] = field(init=False)
    level_by_id: dict[int, LevelNode] = field(init=False)

    def __post_init__(self) -> None:
        self.competencies = list(self.bloc.competencies)
        self.criteria = [crit for comp in self.competencies for crit in comp.criteria]
        self.levels = list(self.version.scale_levels)
        self.enrolment_by_id = {e.id: e for e in self.enrolments}
        self.criterion_by_id = {c.id: c for c in self.criteria}
        self.competency_by_id = {c.id: c for c in self.competencies}
        self.level_by_id = {lvl.id: lvl for lvl in self.levels}

    @property
    def enrolment_ids(self) -> list[int]:
        return [e.id for e in self.enrolments]

    @property
    def criterion_ids(self) -> list[int]:
        return [c.id for c in self.criteria]

    @property
    def competency_ids(self) -> list[int]:
        return [c.id for c in self.competencies]

    @property
    def level_letters(self) -> dict[int, str]:
        """The key typed for each level: its code's first letter, when no other level shares it
        (grid.js applies the same rule)."""
        firsts = [lvl.code[:1].lower() for lvl in self.levels]
        return {
            lvl.id: first
            for lvl, first in zip(self.levels, firsts, strict=True)
            if first.isalpha() and firsts.count(first) == 1
        }

    def level_label(self, level_id: int | None) -> str:
        return "" if level_id is None else self.level_by_id[level_id].label


def load_grid(cohort: Cohort, bloc_code: str) -> Grid | None:
    """The grid of `cohort` for the bloc `bloc_code` of its version, or None (2 queries once
    the version's structure is in memory)."""
    version = structure(cohort.version)
    bloc = next((b for b in version.blocs if b.code == bloc_code), None)
    if bloc is None:
        return None
    return Grid(cohort, version, bloc, cohort_enrolments(cohort.id))


def find_session(grid: Grid, session_id: int) -> EvaluationSession | None:
    """An evaluation session of this grid's cohort and bloc."""
    return db.session.scalar(
        sa.select(EvaluationSession).where(
            EvaluationSession.id == session_id,
            EvaluationSession.cohort_id == grid.cohort.id,
            EvaluationSession.bloc_id == grid.bloc.id,
        )
    )


def bloc_sessions(grid: Grid) -> list[EvaluationSession]:
    return list(
        db.session.scalars(
            sa.select(EvaluationSession)
            .where(
                EvaluationSession.cohort_id == grid.cohort.id,
                EvaluationSession.bloc_id == grid.bloc.id,
            )
            .order_by(EvaluationSession.session_date.desc(), EvaluationSession.id.desc())
        )
    )


# --- current state -------------------------------------------------------------------------------


class Head(NamedTuple):
    """A cell's current result: its id (what a save compares) and its level. A named tuple:
    a grid reads thousands of them."""

    result_id: int
    level_id: int | None
    disagreement: bool = False


def current_heads(grid: Grid, *, every_bloc: bool = False) -> dict[Key, Head]:
    """The current result of every non-empty cell of the grid, or with `every_bloc` of every
    criterion of the learners' version (one query)."""
    if not grid.enrolments or not grid.criteria:
        return {}
    return read_heads(grid.enrolment_ids, None if every_bloc else grid.criterion_ids)


def read_heads(
    enrolment_ids: Iterable[int], criterion_ids: Iterable[int] | None, *, lock: bool = False
) -> dict[Key, Head]:
    """The heads of these learners' cells on these criteria (None: all), locked for update
    with `lock` (one query)."""
    query = sa.select(
        ResultHead.enrolment_id,
        ResultHead.criterion_id,
        ResultHead.result_id,
        ResultHead.level_id,
        ResultHead.disagreement,
    ).where(ResultHead.enrolment_id.in_(list(enrolment_ids)))
    if criterion_ids is not None:
        query = query.where(ResultHead.criterion_id.in_(list(criterion_ids)))
    if lock:
        query = query.with_for_update()
    return {(e, c): Head(r, lvl, bool(d)) for e, c, r, lvl, d in db.session.execute(query)}


def latest_comment_ids_query(enrolment_ids: Iterable[int], competency_ids: Iterable[int]) -> Any:
    return (
        sa.select(sa.func.max(CompetencyComment.id))
        .where(
            CompetencyComment.enrolment_id.in_(list(enrolment_ids)),
            CompetencyComment.competency_id.in_(list(competency_ids)),
        )
        .group_by(CompetencyComment.enrolment_id, CompetencyComment.competency_id)
    )


def latest_comments(grid: Grid) -> dict[Key, CompetencyComment]:
    """The current comment per learner and competency of the grid (one query)."""
    if not grid.enrolments or not grid.competencies:
        return {}
    rows = db.session.scalars(
        sa.select(CompetencyComment).where(
            CompetencyComment.id.in_(
                latest_comment_ids_query(grid.enrolment_ids, grid.competency_ids)
            )
        )
    )
    return {(c.enrolment_id, c.competency_id): c for c in rows}


# --- what the page shows -------------------------------------------------------------------------


@dataclass(slots=True)
class CellView:
    enrolment_id: int
    criterion_id: int
    level_id: int | None
    head_id: int  # the head result id the value was loaded with (0: empty cell)
    has_history: bool
    disagreement: bool
    conflict: bool


@dataclass(slots=True)
class GroupView:
    """One learner's cells and comment for one competency."""

    competency: CompetencyNode
    cells: list[CellView]
    comment: str
    comment_id: int  # the latest comment id the text was loaded with (0: none)
    status: CompetencyProgress
    conflict: bool


@dataclass(slots=True)
class RowView:
    enrolment: Enrolment
    groups: list[GroupView]
    bloc_status: BlocStatus

    @property
    def name(self) -> str:
        return self.enrolment.learner.full_name


@dataclass
class Entered:
    """What a person sent (values and the ids they were loaded with), to show it again."""

    cells: dict[Key, tuple[int | None, int]] = field(default_factory=dict)
    comments: dict[Key, tuple[str, int]] = field(default_factory=dict)
    conflicts: set[Key] = field(default_factory=set)
    comment_conflicts: set[Key] = field(default_factory=set)


def rows_view(
    grid: Grid,
    heads: Mapping[Key, Head],
    comments: Mapping[Key, CompetencyComment],
    flagged: set[Key],
    statuses: Mapping[int, LearnerProgress],
    entered: Entered | None = None,
) -> list[RowView]:
    """The grid's rows as the template draws them; `entered` overrides the stored values."""
    entered = entered or Entered()
    rows = []
    for enrolment in grid.enrolments:
        learner = statuses[enrolment.id]
        groups = []
        for comp in grid.competencies:
            cells = []
            for crit in comp.criteria:
                key = (enrolment.id, crit.id)
                head = heads.get(key)
                level_id, head_id = entered.cells.get(
                    key,
                    (head.level_id, head.result_id) if head else (None, 0),
                )
                if level_id not in grid.level_by_id:
                    level_id = None  # a value refused by the save: shown empty
                cells.append(
                    CellView(
                        enrolment.id,
                        crit.id,
                        level_id,
                        head_id,
                        has_history=head is not None,
                        disagreement=key in flagged,
                        conflict=key in entered.conflicts,
                    )
                )
            ckey = (enrolment.id, comp.id)
            stored = comments.get(ckey)
            text, comment_id = entered.comments.get(
                ckey, (stored.text, stored.id) if stored else ("", 0)
            )
            groups.append(
                GroupView(
                    comp,
                    cells,
                    text,
                    comment_id,
                    learner.competencies[comp.id],
                    conflict=ckey in entered.comment_conflicts,
                )
            )
        rows.append(RowView(enrolment, groups, learner.blocs[grid.bloc.id]))
    return rows


def level_options(grid: Grid) -> dict[int | None, Markup]:
    """The <option>s of a cell for each possible current level, built once per page: a grid
    has thousands of cells. Each level shows as its code, explained by the page's legend."""
    options: dict[int | None, Markup] = {}
    for selected in [None, *grid.level_by_id]:
        parts = [Markup('<option value=""></option>')]
        for lvl in grid.levels:
            parts.append(
                Markup('<option value="{}"{}>{}</option>').format(
                    lvl.id, Markup(" selected") if lvl.id == selected else "", lvl.code
                )
            )
        options[selected] = Markup("").join(parts)
    return options


def level_classes(grid: Grid) -> dict[int | None, str]:
    """The CSS class that colours a cell by its level: ``lv-1`` for the scale's first level,
    and so on (the code stays written in the cell: the colour is never alone)."""
    classes: dict[int | None, str] = {None: ""}
    for position, lvl in enumerate(grid.levels, start=1):
        classes[lvl.id] = f" lv-{position}"
    return classes


class CellRenderer:
    """Writes a competency's cells for one learner as HTML.

    The grid has thousands of cells; Jinja would escape each of the dozen values of each cell.
    Here only integers and strings escaped once are put together: it is several times faster
    and just as safe. A flagged cell's select is described by the one hidden text
    `#disagreement-note` of the page, read out by screen readers.
    """

    def __init__(self, grid: Grid, history_base: str, history: str) -> None:
        self.options = level_options(grid)
        self.classes = level_classes(grid)
        self.history_base = escape(history_base)
        self.history = escape(history)

    def __call__(self, group: GroupView) -> Markup:
        parts = []
        for cell in group.cells:
            e, c = int(cell.enrolment_id), int(cell.criterion_id)
            classes = "cell"
            described = ""
            if cell.disagreement:
                classes += " disagreement"
                described = ' aria-describedby="disagreement-note"'
            if cell.conflict:
                classes += " conflict"
            classes += self.classes.get(cell.level_id, "")
            parts.append(
                f'<td class="{classes}"><select name="c-{e}-{c}" id="c-{e}-{c}" '
                f'aria-labelledby="l{e} k{c}"'
                f"{described}>{self.options[cell.level_id]}</select>"
                f'<input type="hidden" name="h-{e}-{c}" value="{int(cell.head_id)}">'
            )
            if cell.disagreement:
                parts.append('<span class="disagree-mark" aria-hidden="true">≠</span>')
            if cell.has_history:
                parts.append(
                    f'<a class="history-link" href="{self.history_base}{e}/{c}" '
                    f'aria-label="{self.history}">⋯</a>'
                )
            parts.append("</td>")
        return Markup("".join(parts))  # noqa: S704  (integers and pre-escaped text only)


@dataclass(frozen=True, slots=True)
class CellRef:
    """A cell named for people: whose, which criterion, and its key."""

    name: str
    criterion_code: str
    key: Key


@dataclass
class GridSummary:
    """What the page says above the grid, from the stored values."""

    cells: int
    filled: int
    disagreements: list[CellRef]
    empty_learners: list[Enrolment]

    @property
    def percent(self) -> int:
        """Completion, rounded down (100 only when every cell is filled)."""
        return self.filled * 100 // self.cells if self.cells else 0


def grid_summary(grid: Grid, heads: Mapping[Key, Head]) -> GridSummary:
    """Completion, disagreements and learners with nothing recorded on this bloc (no query)."""
    filled = sum(1 for head in heads.values() if head.level_id is not None)
    recorded = {e for (e, _c), head in heads.items() if head.level_id is not None}
    disagreements = [
        CellRef(enrolment.learner.full_name, crit.code, (enrolment.id, crit.id))
        for enrolment in grid.enrolments
        for crit in grid.criteria
        if (head := heads.get((enrolment.id, crit.id))) is not None and head.disagreement
    ]
    return GridSummary(
        cells=len(grid.enrolments) * len(grid.criteria),
        filled=filled,
        disagreements=disagreements,
        empty_learners=[e for e in grid.enrolments if e.id not in recorded],
    )


@dataclass
class GridPage:
    rows: list[RowView]
    heads: dict[Key, Head]
    summary: GridSummary


def grid_page(grid: Grid, entered: Entered | None = None) -> GridPage:
    """Everything the grid page shows, in a fixed number of queries (3)."""
    every = current_heads(grid, every_bloc=True)  # the statuses of all blocs need them all
    heads = {key: head for key, head in every.items() if key[1] in grid.criterion_by_id}
    comments = latest_comments(grid)
    flagged = {key for key, head in heads.items() if head.disagreement}
    levels: dict[int, dict[int, int | None]] = defaultdict(dict)
    for (enrolment_id, criterion_id), head in every.items():
        levels[enrolment_id][criterion_id] = head.level_id
    statuses = progress(grid.version, grid.enrolment_ids, levels)
    return GridPage(
        rows_view(grid, heads, comments, flagged, statuses, entered),
        heads,
        grid_summary(grid, heads),
    )
