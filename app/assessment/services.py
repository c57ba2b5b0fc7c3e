"""Writing assessments: evaluation sessions, grid saves (web and spreadsheet), confirmations.

Results and comments are append-only: a save adds rows and moves each cell's head, never
updates or deletes a result. A save is all or nothing: any invalid input raises `GridError`
before anything is written; a cell someone else changed since it was loaded makes the save
return conflicts and write nothing. Services change the session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.assessment.grid import Grid, Head, Key, latest_comment_ids_query, person
from app.assessment.models import (
    CompetencyComment,
    EvaluationSession,
    Result,
    ResultHead,
)
from app.cohorts.models import Cohort, Enrolment
from app.db import db, utcnow
from app.frameworks.models import Bloc, EvaluationModality
from app.people import audit
from app.people.models import User

SOURCES = ("web", "xlsx", "bench")
COMMENT_MAX_LENGTH = 5000


class AppendOnlyError(Exception):
    """An attempt to change or delete a recorded result or comment."""


class GridError(Exception):
    """A grid refused as a whole, with one message per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


# --- append-only guard ---------------------------------------------------------------------------

APPEND_ONLY = (Result, CompetencyComment)


@event.listens_for(Session, "before_flush")
def _refuse_result_changes(session: Session, flush_context: Any, instances: Any) -> None:
    """Results and comments are history: never updated nor deleted through the ORM."""
    for obj in chain(session.dirty, session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"{type(obj).__tablename__} : l'historique ne se modifie pas")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_result_changes(state: ORMExecuteState) -> None:
    """Nor through bulk UPDATE or DELETE statements."""
    mapper = state.bind_mapper
    if (state.is_update or state.is_delete) and mapper is not None and mapper.class_ in APPEND_ONLY:
        raise AppendOnlyError(f"{mapper.class_.__tablename__} : l'historique ne se modifie pas")


# --- evaluation sessions -------------------------------------------------------------------------


def create_session(
    cohort: Cohort,
    bloc: Bloc,
    modality: EvaluationModality | None,
    session_date: dt.date,
    title: str,
    assessors: list[User],
) -> EvaluationSession:
    """Plan an evaluation of one bloc of `cohort` (the form checked the choices)."""
    if bloc.version_id != cohort.version_id:
        raise GridError([_("Ce bloc n'appartient pas au référentiel de la promotion.")])
    if modality is not None and modality.bloc_id != bloc.id:
        raise GridError([_("Cette modalité n'appartient pas à ce bloc.")])
    trainer_ids = {t.id for t in cohort.trainers}
    if not assessors or any(a.id not in trainer_ids for a in assessors):
        raise GridError([_("Les évaluateur·rices sont choisi·es parmi les formateur·rices.")])
    session = EvaluationSession(
        cohort=cohort,
        bloc=bloc,
        modality=modality,
        session_date=session_date,
        title=title.strip(),
        assessors=assessors,
    )
    db.session.add(session)
    audit.record(
        "assessment.session.create",
        session,
        f"Session d'évaluation du {session_date:%d/%m/%Y} ({bloc.code}) pour {cohort.name}",
        cohort_id=cohort.id,
        bloc=bloc.code,
    )
    return session


# --- grid saves ----------------------------------------------------------------------------------


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
    results: int = 0
    comments: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    # What differed from the loaded values (recorded, or not because of the conflicts).
    changed: set[Key] = field(default_factory=set)
    changed_comments: set[Key] = field(default_factory=set)

    @property
    def saved(self) -> bool:
        return not self.conflicts


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
        found = {rid: ((e, c), lvl) for rid, e, c, lvl in rows}
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
        found = {cid: ((e, k), text) for cid, e, k, text in rows}
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


def _table(model: type[Any]) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _move_heads(enrolment_ids: set[int], criterion_ids: set[int], *, fresh: bool) -> None:
    """Point each cell's head at its latest result, for the cells of these learners and
    criteria (locked: the latest results are the ones this save has just added)."""
    results, result_heads = _table(Result), _table(ResultHead)
    r = results.alias("r")
    latest_id = (
        sa.select(sa.func.max(r.c.id))
        .where(
            r.c.enrolment_id == result_heads.c.enrolment_id,
            r.c.criterion_id == result_heads.c.criterion_id,
        )
        .correlate(result_heads)  # also where it is nested in the level's subquery
        .scalar_subquery()
    )
    latest = results.alias("latest")
    db.session.execute(
        result_heads.update()
        .where(
            result_heads.c.enrolment_id.in_(enrolment_ids),
            result_heads.c.criterion_id.in_(criterion_ids),
            result_heads.c.result_id < latest_id,
        )
        .values(
            result_id=latest_id,
            level_id=sa.select(latest.c.level_id).where(latest.c.id == latest_id).scalar_subquery(),
        )
    )
    if not fresh:
        return
    cell = sa.and_(
        results.c.enrolment_id == result_heads.c.enrolment_id,
        results.c.criterion_id == result_heads.c.criterion_id,
    )
    newest = (
        sa.select(sa.func.max(r.c.id))
        .where(
            r.c.enrolment_id == results.c.enrolment_id, r.c.criterion_id == results.c.criterion_id
        )
        .correlate(results)
        .scalar_subquery()
    )
    db.session.execute(
        result_heads.insert().from_select(
            ["enrolment_id", "criterion_id", "result_id", "level_id"],
            sa.select(
                results.c.enrolment_id, results.c.criterion_id, results.c.id, results.c.level_id
            ).where(
                results.c.enrolment_id.in_(enrolment_ids),
                results.c.criterion_id.in_(criterion_ids),
                results.c.id == newest,
                ~sa.exists().where(cell),
            ),
        )
    )


def disagreeing_cells(enrolment_ids: set[int], criterion_ids: set[int]) -> set[Key]:
    """The cells of these learners × criteria where the latest results of two assessors
    differ (one query); a cleared cell (no level) is no opinion."""
    latest = (
        sa.select(sa.func.max(Result.id))
        .where(Result.enrolment_id.in_(enrolment_ids), Result.criterion_id.in_(criterion_ids))
        .group_by(Result.enrolment_id, Result.criterion_id, Result.assessor_id)
    )
    rows = db.session.execute(
        sa.select(Result.enrolment_id, Result.criterion_id)
        .where(Result.id.in_(latest), Result.level_id.is_not(None))
        .group_by(Result.enrolment_id, Result.criterion_id)
        .having(sa.func.count(sa.distinct(Result.level_id)) > 1)
    )
    return {(enrolment_id, criterion_id) for enrolment_id, criterion_id in rows}


def _flag_disagreements(cells: set[Key], flagged: set[Key]) -> None:
    """Keep the disagreement flag of these cells' heads true to their new results; `flagged`
    are the cells flagged before. Only heads whose flag changes are written."""
    now = disagreeing_cells({e for e, _c in cells}, {c for _e, c in cells}) & cells
    heads = _table(ResultHead)
    change = heads.update().where(
        heads.c.enrolment_id == sa.bindparam("key_e"),
        heads.c.criterion_id == sa.bindparam("key_c"),
    )
    for value, keys in ((True, now - flagged), (False, (flagged & cells) - now)):
        if keys:
            db.session.execute(
                change.values(disagreement=value), [{"key_e": e, "key_c": c} for e, c in keys]
            )


def _lock(enrolment_ids: Iterable[int]) -> None:
    """Serialise saves on the same learners: PostgreSQL row locks, taken in a fixed order so
    two saves cannot deadlock; they also cover cells that have no head row yet. SQLite has one
    writer at a time: a save whose snapshot another save changed fails instead, writing nothing
    (the page then says so)."""
    db.session.execute(
        sa.select(Enrolment.id)
        .where(Enrolment.id.in_(sorted(set(enrolment_ids))))
        .order_by(Enrolment.id)
        .with_for_update()
    ).all()


def save_grid(
    grid: Grid,
    assessor: User,
    cells: Sequence[CellInput],
    comments: Sequence[CommentInput] = (),
    *,
    session: EvaluationSession | None = None,
    source: str = "web",
) -> SaveOutcome:
    """Record the cells and comments that changed since they were loaded, all or nothing.

    Raises GridError on any invalid input. Returns conflicts (and writes nothing) when a
    changed cell was changed by someone else meanwhile to another value.
    """
    if source not in SOURCES:
        raise ValueError(source)
    if session is not None and (
        session.cohort_id != grid.cohort.id or session.bloc_id != grid.bloc.id
    ):
        raise GridError([_("Cette session d'évaluation n'est pas celle de cette grille.")])
    problems = _check_inputs(grid, cells, comments)
    if problems:
        raise GridError(problems)
    loaded_levels = _loaded_levels(cells, problems)
    loaded_texts = _loaded_texts(comments, problems)
    if problems:
        raise GridError(problems)

    changed = [cell for cell in cells if cell.level_id != loaded_levels[cell.key]]
    changed_comments = [
        c for c in comments if normalise_comment(c.text) != loaded_texts[c.key].strip()
    ]
    if not changed and not changed_comments:
        return SaveOutcome()

    _lock(key[0] for key in chain((c.key for c in changed), (c.key for c in changed_comments)))
    heads: dict[Key, Head] = {}
    if changed:
        # The grid's rectangle around the changed cells: an index range, cheaper to plan
        # than thousands of (learner, criterion) pairs; the extra rows are dropped below.
        wanted = {cell.key for cell in changed}
        rows = db.session.execute(
            sa.select(
                ResultHead.enrolment_id,
                ResultHead.criterion_id,
                ResultHead.result_id,
                ResultHead.level_id,
                ResultHead.disagreement,
            )
            .where(
                ResultHead.enrolment_id.in_({e for e, _c in wanted}),
                ResultHead.criterion_id.in_({c for _e, c in wanted}),
            )
            .with_for_update()
        )
        heads = {(e, c): Head(r, lvl, bool(d)) for e, c, r, lvl, d in rows if (e, c) in wanted}
    latest: dict[Key, tuple[int, str]] = {}
    if changed_comments:
        comment_rows = db.session.execute(
            sa.select(
                CompetencyComment.enrolment_id,
                CompetencyComment.competency_id,
                CompetencyComment.id,
                CompetencyComment.text,
            ).where(
                CompetencyComment.id.in_(
                    latest_comment_ids_query(
                        {c.enrolment_id for c in changed_comments},
                        {c.competency_id for c in changed_comments},
                    )
                )
            )
        )
        latest = {(e, k): (cid, text) for e, k, cid, text in comment_rows}

    def moved_away(cell: CellInput) -> bool:
        head = heads.get(cell.key)
        if head is None:
            return False  # still empty: nobody wrote it (our locks keep it so)
        return head.result_id != cell.loaded_head_id and head.level_id != cell.level_id

    conflicting = [cell for cell in changed if moved_away(cell)]
    conflicting_comments = [
        c
        for c in changed_comments
        if c.key in latest
        and latest[c.key][0] != c.loaded_comment_id
        and latest[c.key][1] != normalise_comment(c.text)
    ]
    if conflicting or conflicting_comments:
        return SaveOutcome(
            conflicts=_conflicts(conflicting, heads, conflicting_comments, latest),
            changed={cell.key for cell in changed},
            changed_comments={c.key for c in changed_comments},
        )

    now = utcnow()
    session_id = session.id if session is not None else None
    assessor_id = assessor.id
    # Core statements, each one for the whole grid, without per-row ORM bookkeeping.
    if changed:
        db.session.execute(
            _table(Result).insert(),
            [
                {
                    "enrolment_id": cell.enrolment_id,
                    "criterion_id": cell.criterion_id,
                    "level_id": cell.level_id,
                    "assessor_id": assessor_id,
                    "session_id": session_id,
                    "recorded_at": now,
                    "source": source,
                }
                for cell in changed
            ],
        )
        _move_heads(
            {cell.enrolment_id for cell in changed},
            {cell.criterion_id for cell in changed},
            fresh=any(cell.key not in heads for cell in changed),
        )
        _flag_disagreements(
            {cell.key for cell in changed}, {k for k, h in heads.items() if h.disagreement}
        )
    if changed_comments:
        db.session.execute(
            _table(CompetencyComment).insert(),
            [
                {
                    "enrolment_id": c.enrolment_id,
                    "competency_id": c.competency_id,
                    "author_id": assessor_id,
                    "session_id": session_id,
                    "text": normalise_comment(c.text),
                    "recorded_at": now,
                }
                for c in changed_comments
            ],
        )
    audit.record(
        "assessment.grid.save",
        grid.cohort,
        f"Grille {grid.bloc.code} de {grid.cohort.name} : {len(changed)} résultat(s), "
        f"{len(changed_comments)} commentaire(s) ({source})",
        actor=assessor,
        bloc=grid.bloc.code,
        results=len(changed),
        comments=len(changed_comments),
        source=source,
        session_id=session_id,
    )
    return SaveOutcome(len(changed), len(changed_comments))


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
    key = (enrolment_id, criterion_id)
    if enrolment_id not in grid.enrolment_by_id or criterion_id not in grid.criterion_by_id:
        raise GridError([_("Cette cellule n'est pas dans la grille.")])
    _lock([enrolment_id])
    head = db.session.scalar(
        sa.select(ResultHead)
        .where(ResultHead.enrolment_id == key[0], ResultHead.criterion_id == key[1])
        .with_for_update()
    )
    if head is None or head.result_id != loaded_head_id or head.level_id is None:
        return False
    result = Result(
        enrolment_id=enrolment_id,
        criterion_id=criterion_id,
        level_id=head.level_id,
        assessor_id=assessor.id,
        session_id=session.id if session is not None else None,
        recorded_at=utcnow(),
        source="web",
    )
    db.session.add(result)
    db.session.flush()
    head.result_id = result.id
    db.session.flush()
    _flag_disagreements({key}, {key} if head.disagreement else set())
    db.session.refresh(head)
    audit.record(
        "assessment.cell.confirm",
        grid.cohort,
        f"Valeur confirmée ({grid.bloc.code}, critère {grid.criterion_by_id[criterion_id].code})",
        actor=assessor,
        enrolment_id=enrolment_id,
        criterion_id=criterion_id,
        result_id=result.id,
    )
    return True
