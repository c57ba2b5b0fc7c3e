"""What a grid save receives, from the web form or an offline spreadsheet, and its checks:
every cell and comment belongs to the grid, and the values it was loaded with are known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from app.assessment.grid import Grid, Head, Key
from app.assessment.models import CompetencyComment, Result
from app.db import db

COMMENT_MAX_LENGTH = 5000


class GridError(Exception):
    """A grid refused as a whole, with one message per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


class CellInput(NamedTuple):
    """One cell as sent: its value, and the head result id it was loaded with (0: empty).
    A named tuple: a grid sends thousands."""

    enrolment_id: int
    criterion_id: int
    level_id: int | None
    loaded_head_id: int
    ref: str = ""  # where it was typed, for messages (a spreadsheet cell such as "D7")

    @property
    def key(self) -> Key:
        return (self.enrolment_id, self.criterion_id)


class CommentInput(NamedTuple):
    """One comment as sent, and the latest comment id it was loaded with (0: none)."""

    enrolment_id: int
    competency_id: int
    text: str
    loaded_comment_id: int

    @property
    def key(self) -> Key:
        return (self.enrolment_id, self.competency_id)


def normalise_comment(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def check_inputs(grid: Grid, cells: Sequence[CellInput], comments: Sequence[CommentInput]) -> None:
    """Raise GridError listing every cell or comment outside the grid, value off the scale,
    cell sent twice or loaded id that cannot be one (reads nothing)."""
    problems = _check_inputs(grid, cells, comments)
    if problems:
        raise GridError(problems)


def loaded_values(
    cells: Sequence[CellInput],
    comments: Sequence[CommentInput],
    heads: Mapping[Key, Head],
    latest: Mapping[Key, tuple[int, str]],
) -> tuple[dict[Key, int | None], dict[Key, str]]:
    """The level of each cell and the text of each comment as they were loaded, given the
    cells' current `heads` and the `latest` comments (id and text): a cell loaded with its
    current head was loaded with its level, a comment likewise; only the others' loaded
    results and comments are read (one query each, when there are any).

    Raises GridError listing every loaded id that is not one of that very cell or comment.
    """
    levels, unknown_cells = _loaded(
        [(cell.key, cell.loaded_head_id) for cell in cells],
        heads,
        (Result.id, Result.enrolment_id, Result.criterion_id, Result.level_id),
    )
    texts, unknown_comments = _loaded(
        [(c.key, c.loaded_comment_id) for c in comments],
        latest,
        (
            CompetencyComment.id,
            CompetencyComment.enrolment_id,
            CompetencyComment.competency_id,
            CompetencyComment.text,
        ),
    )
    problems = [
        _(
            "%(where)s : la valeur d'origine est inconnue.",
            where=cell.ref or _("critère %(c)s", c=cell.criterion_id),
        )
        for cell in cells
        if cell.key in unknown_cells
    ]
    problems += [
        _("Un commentaire envoyé ne correspond à aucun commentaire connu.")
        for c in comments
        if c.key in unknown_comments
    ]
    if problems:
        raise GridError(problems)
    return levels, {key: text or "" for key, text in texts.items()}


def _loaded(
    sent: Sequence[tuple[Key, int]], current: Mapping[Key, Sequence[Any]], columns: Sequence[Any]
) -> tuple[dict[Key, Any], set[Key]]:
    """The value each item (a cell, a comment) was loaded with, and the items whose loaded id
    is not one of theirs.

    `sent` gives each item's key and loaded id (0: loaded empty), `current` each item's
    current id and value; `columns` are the table's id, both key columns and the value. An
    item loaded with its current row was loaded with its current value; the others' loaded
    rows are read (one query, when there are any). Ids come from the page or the spreadsheet:
    one that is not a row of that very item must not let anyone reach another cohort's rows.
    """
    values: dict[Key, Any] = {}
    stale: list[tuple[Key, int]] = []
    for key, loaded_id in sent:
        now = current.get(key)
        if not loaded_id:
            values[key] = None
        elif now is not None and now[0] == loaded_id:
            values[key] = now[1]
        else:
            stale.append((key, loaded_id))
    unknown: set[Key] = set()
    if stale:
        rows = db.session.execute(
            sa.select(*columns).where(columns[0].in_({loaded_id for _key, loaded_id in stale}))
        )
        found = {row_id: ((first, second), value) for row_id, first, second, value in rows}
        for key, loaded_id in stale:
            row = found.get(loaded_id)
            if row is None or row[0] != key:
                unknown.add(key)
            else:
                values[key] = row[1]
    return values, unknown


def _check_inputs(
    grid: Grid, cells: Sequence[CellInput], comments: Sequence[CommentInput]
) -> list[str]:
    problems = []
    seen: set[Key] = set()
    for cell in cells:
        key = (cell.enrolment_id, cell.criterion_id)
        if cell.enrolment_id not in grid.enrolment_by_id:
            problem = _("apprenant·e absent·e de cette grille")
        elif cell.criterion_id not in grid.criterion_by_id:
            problem = _("critère absent de ce bloc")
        elif cell.level_id is not None and cell.level_id not in grid.level_by_id:
            problem = _("valeur hors de l'échelle")
        elif cell.loaded_head_id < 0 or key in seen:
            problem = _("envoi invalide")
        else:
            seen.add(key)
            continue
        where = cell.ref or _(
            "apprenant·e %(e)s, critère %(c)s", e=cell.enrolment_id, c=cell.criterion_id
        )
        problems.append(f"{where} : {problem}.")
    seen = set()
    for comment in comments:
        key = (comment.enrolment_id, comment.competency_id)
        if comment.enrolment_id not in grid.enrolment_by_id:
            problem = _("apprenant·e absent·e de cette grille")
        elif comment.competency_id not in grid.competency_by_id:
            problem = _("compétence absente de ce bloc")
        elif len(comment.text) > COMMENT_MAX_LENGTH:
            problem = _("%(n)s caractères au plus", n=COMMENT_MAX_LENGTH)
        elif comment.loaded_comment_id < 0 or key in seen:
            problem = _("envoi invalide")
        else:
            seen.add(key)
            continue
        where = _(
            "commentaire (apprenant·e %(e)s, compétence %(c)s)",
            e=comment.enrolment_id,
            c=comment.competency_id,
        )
        problems.append(f"{where} : {problem}.")
    return problems
