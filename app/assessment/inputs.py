"""What a grid save receives, from the web form or an offline spreadsheet, and its checks:
every cell and comment belongs to the grid, and the values it was loaded with are known."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

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
    problems: list[str] = []
    levels = _loaded_levels(cells, heads, problems)
    texts = _loaded_texts(comments, latest, problems)
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


def _loaded_levels(
    cells: Sequence[CellInput], heads: Mapping[Key, Head], problems: list[str]
) -> dict[Key, int | None]:
    """The level each cell was loaded with, read from its (immutable) loaded result.

    A loaded id that is not a result of that very cell is refused: ids come from the page or
    the spreadsheet, and must not let anyone reach another cohort's results.
    """
    levels: dict[Key, int | None] = {}
    elsewhere = []  # loaded with a result that is no longer the cell's head (or never was)
    for cell in cells:
        key, loaded_id = cell.key, cell.loaded_head_id
        head = heads.get(key)
        if not loaded_id:
            levels[key] = None
        elif head is not None and head.result_id == loaded_id:
            levels[key] = head.level_id
        else:
            elsewhere.append(cell)
    if not elsewhere:
        return levels
    rows = db.session.execute(
        sa.select(Result.id, Result.enrolment_id, Result.criterion_id, Result.level_id).where(
            Result.id.in_({cell.loaded_head_id for cell in elsewhere})
        )
    )
    found = {r.id: ((r.enrolment_id, r.criterion_id), r.level_id) for r in rows}
    for cell in elsewhere:
        loaded = found.get(cell.loaded_head_id)
        if loaded is None or loaded[0] != cell.key:
            where = cell.ref or _("critère %(c)s", c=cell.criterion_id)
            problems.append(_("%(where)s : la valeur d'origine est inconnue.", where=where))
            continue
        levels[cell.key] = loaded[1]
    return levels


def _loaded_texts(
    comments: Sequence[CommentInput], latest: Mapping[Key, tuple[int, str]], problems: list[str]
) -> dict[Key, str]:
    """The text each comment was loaded with: its latest one's, or else read (refused when it
    is not a comment of that very learner and competency)."""
    texts: dict[Key, str] = {}
    elsewhere = []
    for comment in comments:
        key, loaded_id = comment.key, comment.loaded_comment_id
        current = latest.get(key)
        if not loaded_id:
            texts[key] = ""
        elif current is not None and current[0] == loaded_id:
            texts[key] = current[1]
        else:
            elsewhere.append(comment)
    if not elsewhere:
        return texts
    rows = db.session.execute(
        sa.select(
            CompetencyComment.id,
            CompetencyComment.enrolment_id,
            CompetencyComment.competency_id,
            CompetencyComment.text,
        ).where(CompetencyComment.id.in_({c.loaded_comment_id for c in elsewhere}))
    )
    found = {r.id: ((r.enrolment_id, r.competency_id), r.text) for r in rows}
    for comment in elsewhere:
        loaded = found.get(comment.loaded_comment_id)
        if loaded is None or loaded[0] != comment.key:
            problems.append(_("Un commentaire envoyé ne correspond à aucun commentaire connu."))
            continue
        texts[comment.key] = loaded[1]
    return texts
