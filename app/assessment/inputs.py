"""What a grid save receives, from the web form or an offline spreadsheet, and its checks:
every cell and comment belongs to the grid, and the values it was loaded with are known."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.assessment.grid import Grid, Key
from app.assessment.models import CompetencyComment, Result
from app.db import db

COMMENT_MAX_LENGTH = 5000


class GridError(Exception):
    """A grid refused as a whole, with one message per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class CellInput:
    """One cell as sent: its value, and the head result id it was loaded with (0: empty)."""

    enrolment_id: int
    criterion_id: int
    level_id: int | None
    loaded_head_id: int
    ref: str = ""  # where it was typed, for messages (a spreadsheet cell such as "D7")

    @property
    def key(self) -> Key:
        return (self.enrolment_id, self.criterion_id)


@dataclass(frozen=True)
class CommentInput:
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


def loaded_values(
    grid: Grid, cells: Sequence[CellInput], comments: Sequence[CommentInput]
) -> tuple[dict[Key, int | None], dict[Key, str]]:
    """The level of each cell and the text of each comment as they were loaded.

    Raises GridError listing every problem: a cell or comment outside the grid, a value off
    the scale, a cell sent twice, a loaded id that is not one of that very cell.
    """
    problems = _check_inputs(grid, cells, comments)
    if problems:
        raise GridError(problems)
    levels = _loaded_levels(cells, problems)
    texts = _loaded_texts(comments, problems)
    if problems:
        raise GridError(problems)
    return levels, texts


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


def _loaded_levels(cells: Sequence[CellInput], problems: list[str]) -> dict[Key, int | None]:
    """The level each cell was loaded with, read from its (immutable) head result.

    A head id that is not a result of that very cell is refused: ids come from the page or
    the spreadsheet, and must not let anyone reach another cohort's results.
    """
    ids = {cell.loaded_head_id for cell in cells if cell.loaded_head_id}
    found: dict[int, tuple[Key, int | None]] = {}
    if ids:
        rows = db.session.execute(
            sa.select(Result.id, Result.enrolment_id, Result.criterion_id, Result.level_id).where(
                Result.id.in_(ids)
            )
        )
        found = {r.id: ((r.enrolment_id, r.criterion_id), r.level_id) for r in rows}
    levels: dict[Key, int | None] = {}
    for cell in cells:
        if not cell.loaded_head_id:
            levels[cell.key] = None
            continue
        loaded = found.get(cell.loaded_head_id)
        if loaded is None or loaded[0] != cell.key:
            where = cell.ref or _("critère %(c)s", c=cell.criterion_id)
            problems.append(_("%(where)s : la valeur d'origine est inconnue.", where=where))
            continue
        levels[cell.key] = loaded[1]
    return levels


def _loaded_texts(comments: Sequence[CommentInput], problems: list[str]) -> dict[Key, str]:
    ids = {c.loaded_comment_id for c in comments if c.loaded_comment_id}
    found: dict[int, tuple[Key, str]] = {}
    if ids:
        rows = db.session.execute(
            sa.select(
                CompetencyComment.id,
                CompetencyComment.enrolment_id,
                CompetencyComment.competency_id,
                CompetencyComment.text,
            ).where(CompetencyComment.id.in_(ids))
        )
        found = {r.id: ((r.enrolment_id, r.competency_id), r.text) for r in rows}
    texts: dict[Key, str] = {}
    for comment in comments:
        if not comment.loaded_comment_id:
            texts[comment.key] = ""
            continue
        loaded = found.get(comment.loaded_comment_id)
        if loaded is None or loaded[0] != comment.key:
            problems.append(_("Un commentaire envoyé ne correspond à aucun commentaire connu."))
            continue
        texts[comment.key] = loaded[1]
    return texts
