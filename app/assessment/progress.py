"""Where learners stand: current results turned into competency and bloc statuses.

Reads only; a fixed number of queries for any number of learners, criteria and results.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.assessment.models import ResultHead
from app.assessment.rules import (
    BlocStatus,
    CompetencyProgress,
    bloc_status,
    competency_progress,
)
from app.db import db
from app.frameworks.models import FrameworkVersion
from app.frameworks.structure import Structure
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession


@dataclass
class LearnerProgress:
    enrolment_id: int
    current: dict[int, int | None] = field(default_factory=dict)  # criterion id → level id
    competencies: dict[int, CompetencyProgress] = field(default_factory=dict)
    blocs: dict[int, BlocStatus] = field(default_factory=dict)


def current_levels(enrolment_ids: Iterable[int]) -> dict[int, dict[int, int | None]]:
    """Current level id per criterion for each enrolment (one query)."""
    ids = list(enrolment_ids)
    levels: dict[int, dict[int, int | None]] = defaultdict(dict)
    if not ids:
        return levels
    rows = db.session.execute(
        sa.select(ResultHead.enrolment_id, ResultHead.criterion_id, ResultHead.level_id).where(
            ResultHead.enrolment_id.in_(ids)
        )
    )
    for enrolment_id, criterion_id, level_id in rows:
        levels[enrolment_id][criterion_id] = level_id
    return levels


def validated_blocs(enrolment_ids: Iterable[int]) -> dict[int, set[int]]:
    """Blocs validated by a closed jury session, per enrolment (one query).

    A later closed session's decision on the same bloc replaces an earlier one, except
    "non présenté", which decides nothing on the bloc.
    """
    ids = list(enrolment_ids)
    result: dict[int, set[int]] = defaultdict(set)
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(
            JuryPresentation.enrolment_id,
            BlocDecision.bloc_id,
            BlocDecision.decision,
        )
        .join(BlocDecision.presentation)
        .join(JuryPresentation.jury_session)
        .where(JuryPresentation.enrolment_id.in_(ids), JurySession.closed_at.is_not(None))
        .order_by(JurySession.session_date, JurySession.id)
    )
    return standing_blocs(rows)


def standing_blocs(rows: Iterable[tuple[int, int, Decision]]) -> dict[int, set[int]]:
    """Per enrolment, the blocs validated by closed sessions' decisions (enrolment id, bloc
    id, decision), given oldest session first: `validated_blocs` without its query, for a
    caller that has read the decisions already (app/progress/records.closed_decisions)."""
    result: dict[int, set[int]] = defaultdict(set)
    for enrolment_id, bloc_id, decision in rows:
        if decision is Decision.VALIDATED:
            result[enrolment_id].add(bloc_id)
        elif decision is not Decision.NOT_PRESENTED:
            result[enrolment_id].discard(bloc_id)
    return result


def progress(
    version: FrameworkVersion | Structure,
    enrolment_ids: Iterable[int],
    levels: dict[int, dict[int, int | None]] | None = None,
) -> dict[int, LearnerProgress]:
    """Statuses of each enrolment on `version`, whose blocs, competencies and criteria must be
    loaded already (e.g. through `frameworks.services.version_query()`). `levels`: the
    enrolments' current levels on every criterion (`current_levels()`), when already read."""
    ids = list(enrolment_ids)
    if levels is None:
        levels = current_levels(ids)
    validated = validated_blocs(ids)
    acquired_levels = frozenset(lvl.id for lvl in version.scale_levels if lvl.counts_as_acquired)
    out: dict[int, LearnerProgress] = {}
    for enrolment_id in ids:
        learner = LearnerProgress(enrolment_id, current=levels.get(enrolment_id, {}))
        for bloc in version.blocs:
            flags = []
            for comp in bloc.competencies:
                comp_progress = competency_progress(
                    (c.id for c in comp.criteria),
                    learner.current,
                    acquired_levels,
                    version.competency_rule,
                    version.minimum_criteria,
                )
                learner.competencies[comp.id] = comp_progress
                flags.append(comp_progress.is_acquired)
            learner.blocs[bloc.id] = bloc_status(
                flags, validated=bloc.id in validated.get(enrolment_id, set())
            )
        out[enrolment_id] = learner
    return out
