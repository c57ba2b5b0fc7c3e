"""Evaluation sessions, and the guard that keeps results and comments append-only.

Grid saves and confirmations are in `app.assessment.saving`; the one function that appends
results and moves each cell's head is `app.assessment.recording.record_results`. Services
change the session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from itertools import chain
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from app.assessment.inputs import GridError
from app.assessment.models import CompetencyComment, EvaluationSession, Result
from app.cohorts.models import Cohort
from app.db import db
from app.frameworks.models import Bloc, EvaluationModality
from app.people import audit
from app.people.models import User


class AppendOnlyError(Exception):
    """An attempt to change or delete a recorded result or comment."""


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
