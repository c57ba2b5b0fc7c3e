"""Evaluation sessions (the guard that keeps results and comments append-only is beside
their models, in `app.assessment.models`).

Grid saves and confirmations are in `app.assessment.saving`; the one function that appends
results and moves each cell's head is `app.assessment.recording.record_results`. Services
change the session; the caller commits.
"""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from app.assessment.inputs import GridError
from app.assessment.models import EvaluationSession
from app.cohorts.models import Cohort
from app.db import db
from app.frameworks.models import Bloc, EvaluationModality
from app.people import audit
from app.people.models import User

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
