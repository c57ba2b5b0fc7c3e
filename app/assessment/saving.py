"""Saving a grid (from the web page or an offline spreadsheet) and confirming a cell.

A save is all or nothing: any invalid input raises `GridError` before anything is written;
a cell someone else changed since it was loaded, to another value, makes the save return
conflicts and write nothing. Only cells whose value differs from their current one are
recorded, through `record_results`. Services change the session; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from app.assessment.grid import Grid, Head, Key, latest_comment_ids_query, person, read_heads
from app.assessment.inputs import (
    CellInput,
    CommentInput,
    GridError,
    check_inputs,
    loaded_values,
    normalise_comment,
)
from app.assessment.models import CompetencyComment, EvaluationSession, Result
from app.assessment.recording import NewResult, lock_learners, record_results
from app.db import db, utcnow
from app.people import audit
from app.people.models import User
from exports import plurals as french

SOURCES = ("web", "xlsx", "bench")


@dataclass
class Conflict:
    """A cell (or a comment) someone else changed since it was loaded."""

    kind: str  # "result" or "comment"
    key: Key
    ref: str
    mine: Any  # level id or text
    theirs: Any
    theirs_by: str
    theirs_at: datetime
    current_id: int  # the head result id (or latest comment id) to confirm against


@dataclass
class SaveOutcome:
    results: int = 0  # cells recorded
    comments: int = 0
    # Cells sent that equal their current value: nothing recorded for them.
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    # What differed from the loaded values (recorded, or not because of the conflicts).
    changed: set[Key] = field(default_factory=set)
    changed_comments: set[Key] = field(default_factory=set)

    @property
    def saved(self) -> bool:
        return not self.conflicts

    def import_report(self) -> str:
        """What an offline import did, cell by cell: applied, unchanged, refused."""
        refused = sum(1 for c in self.conflicts if c.kind == "result")
        return ", ".join(
            (
                ngettext("%(num)d cellule appliquée", "%(num)d cellules appliquées", self.results),
                ngettext("%(num)d inchangée", "%(num)d inchangées", self.unchanged),
                ngettext("%(num)d refusée", "%(num)d refusées", refused),
            )
        )


def save_grid(
    grid: Grid,
    assessor: User,
    cells: Sequence[CellInput],
    comments: Sequence[CommentInput] = (),
    *,
    session: EvaluationSession | None = None,
    source: str = "web",
) -> SaveOutcome:
    """Record the cells and comments that changed, all or nothing.

    Raises GridError on any invalid input. Returns conflicts (and writes nothing) when a
    changed cell was changed by someone else meanwhile to another value. A cell sent with its
    current value (loaded so, or set so meanwhile) records nothing.
    """
    if source not in SOURCES:
        raise ValueError(source)
    if session is not None and (
        session.cohort_id != grid.cohort.id or session.bloc_id != grid.bloc.id
    ):
        raise GridError([_("Cette session d'évaluation n'est pas celle de cette grille.")])
    check_inputs(grid, cells, comments)
    if not cells and not comments:
        return SaveOutcome()
    # Locked before anything is compared: the learners of every cell and comment sent, then
    # the cells' heads and the latest comments, which tell the values most were loaded with.
    lock_learners({c.enrolment_id for c in cells} | {c.enrolment_id for c in comments})
    heads = _current_heads({cell.key for cell in cells})
    # A comment sent empty and loaded empty cannot have changed: no need to read its latest.
    latest = _latest_comments(
        [c for c in comments if c.loaded_comment_id or normalise_comment(c.text)]
    )
    loaded_levels, loaded_texts = loaded_values(cells, comments, heads, latest)
    changed = [cell for cell in cells if cell.level_id != loaded_levels[cell.key]]
    changed_comments = [
        c for c in comments if normalise_comment(c.text) != loaded_texts[c.key].strip()
    ]
    if not changed and not changed_comments:
        return SaveOutcome(unchanged=len(cells))

    conflicting = [cell for cell in changed if _moved_away(cell, heads.get(cell.key))]
    conflicting_comments = [
        c
        for c in changed_comments
        if c.key in latest
        and latest[c.key][0] != c.loaded_comment_id
        and latest[c.key][1] != normalise_comment(c.text)
    ]
    if conflicting or conflicting_comments:
        return SaveOutcome(
            unchanged=len(cells) - len(changed),
            conflicts=_conflicts(conflicting, heads, conflicting_comments, latest),
            changed={cell.key for cell in changed},
            changed_comments={c.key for c in changed_comments},
        )

    recorded = [cell for cell in changed if _changes(cell, heads.get(cell.key))]
    outcome = SaveOutcome(len(recorded), len(changed_comments), len(cells) - len(recorded))
    if not recorded and not changed_comments:
        return outcome
    session_id = session.id if session is not None else None
    assessor_id = assessor.id  # once: `assessor` may be a proxy (flask_login's current_user)
    record_results(
        [
            NewResult(c.enrolment_id, c.criterion_id, c.level_id, assessor_id, session_id, source)
            for c in recorded
        ]
    )
    _add_comments(changed_comments, assessor, session_id)
    audit.record(
        "assessment.grid.save",
        grid.cohort,
        french.ngettext(
            "Grille %(bloc)s de %(cohort)s : %(num)d résultat, %(comments)s (%(source)s)",
            "Grille %(bloc)s de %(cohort)s : %(num)d résultats, %(comments)s (%(source)s)",
            len(recorded),
            bloc=grid.bloc.code,
            cohort=grid.cohort.name,
            comments=french.ngettext(
                "%(num)d commentaire", "%(num)d commentaires", len(changed_comments)
            ),
            source=source,
        ),
        actor=assessor,
        bloc=grid.bloc.code,
        results=len(recorded),
        comments=len(changed_comments),
        source=source,
        session_id=session_id,
    )
    return outcome


def _current_heads(wanted: set[Key]) -> dict[Key, Head]:
    """The heads of these cells that exist, locked for the save; other cells of the same
    learners and criteria may be there too (an index range over the rectangle is cheaper to
    plan than thousands of (learner, criterion) pairs; callers look cells up by key)."""
    if not wanted:
        return {}
    return read_heads({e for e, _c in wanted}, {c for _e, c in wanted}, lock=True)


def _changes(cell: CellInput, head: Head | None) -> bool:
    """Whether recording the cell changes anything: its value differs from the current one,
    or the cell is disputed, where one more assessor's opinion may settle it."""
    if head is None:
        return cell.level_id is not None
    return cell.level_id != head.level_id or head.disagreement


def _moved_away(cell: CellInput, head: Head | None) -> bool:
    """Someone else changed the cell since it was loaded, to another value than this one."""
    if head is None:
        return False  # still empty: nobody wrote it (our locks keep it so)
    return head.result_id != cell.loaded_head_id and head.level_id != cell.level_id


def _latest_comments(comments: Sequence[CommentInput]) -> dict[Key, tuple[int, str]]:
    if not comments:
        return {}
    rows = db.session.execute(
        sa.select(
            CompetencyComment.enrolment_id,
            CompetencyComment.competency_id,
            CompetencyComment.id,
            CompetencyComment.text,
        ).where(
            CompetencyComment.id.in_(
                latest_comment_ids_query(
                    {c.enrolment_id for c in comments}, {c.competency_id for c in comments}
                )
            )
        )
    )
    return {(r.enrolment_id, r.competency_id): (r.id, r.text) for r in rows}


def _add_comments(comments: Sequence[CommentInput], author: User, session_id: int | None) -> None:
    """Append the comments: one Core statement, without per-row ORM bookkeeping."""
    if not comments:
        return
    now = utcnow()
    table: sa.Table = CompetencyComment.__table__  # type: ignore[assignment]
    db.session.execute(
        table.insert(),
        [
            {
                "enrolment_id": c.enrolment_id,
                "competency_id": c.competency_id,
                "author_id": author.id,
                "session_id": session_id,
                "text": normalise_comment(c.text),
                "recorded_at": now,
            }
            for c in comments
        ],
    )


def _conflicts(
    cells: Sequence[CellInput],
    heads: dict[Key, Head],
    comments: Sequence[CommentInput],
    latest: dict[Key, tuple[int, str]],
) -> list[Conflict]:
    """Describe each conflict: the other person's value, who, when (two queries)."""
    out = []
    if cells:
        theirs = {
            r.id: r
            for r in db.session.scalars(
                sa.select(Result)
                .where(Result.id.in_([heads[c.key].result_id for c in cells]))
                .options(person(Result.assessor))
            )
        }
        for cell in cells:
            result = theirs[heads[cell.key].result_id]
            out.append(
                Conflict(
                    "result",
                    cell.key,
                    cell.ref,
                    cell.level_id,
                    result.level_id,
                    result.assessor.full_name,
                    result.recorded_at,
                    result.id,
                )
            )
    if comments:
        found = {
            c.id: c
            for c in db.session.scalars(
                sa.select(CompetencyComment)
                .where(CompetencyComment.id.in_([latest[c.key][0] for c in comments]))
                .options(person(CompetencyComment.author))
            )
        }
        for comment in comments:
            other = found[latest[comment.key][0]]
            out.append(
                Conflict(
                    "comment",
                    comment.key,
                    "",
                    normalise_comment(comment.text),
                    other.text,
                    other.author.full_name,
                    other.recorded_at,
                    other.id,
                )
            )
    return out


def confirm_cell(
    grid: Grid,
    assessor: User,
    enrolment_id: int,
    criterion_id: int,
    loaded_head_id: int,
    *,
    session: EvaluationSession | None = None,
) -> bool:
    """Record that `assessor` agrees with a cell's current value (to settle a disagreement).

    Returns False, writing nothing, when the cell changed since it was shown.
    """
    if enrolment_id not in grid.enrolment_by_id or criterion_id not in grid.criterion_by_id:
        raise GridError([_("Cette cellule n'est pas dans la grille.")])
    key = (enrolment_id, criterion_id)
    lock_learners([enrolment_id])
    head = _current_heads({key}).get(key)
    if head is None or head.result_id != loaded_head_id or head.level_id is None:
        return False
    session_id = session.id if session is not None else None
    result_id = record_results(
        [NewResult(enrolment_id, criterion_id, head.level_id, assessor.id, session_id)]
    )[key]
    audit.record(
        "assessment.cell.confirm",
        grid.cohort,
        f"Valeur confirmée ({grid.bloc.code}, critère {grid.criterion_by_id[criterion_id].code})",
        actor=assessor,
        enrolment_id=enrolment_id,
        criterion_id=criterion_id,
        result_id=result_id,
    )
    return True
