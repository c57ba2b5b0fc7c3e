"""The dossier's data for the registration criteria beyond the référentiels themselves: how
assessment is controlled (4°), the jobs certified people hold (1°), the correspondences with
the national register (8°) and the check that nothing is reproduced from it (3°).

Each function reads a fixed number of queries; app/dossier/builder.py assembles them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import sqlalchemy as sa

from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db
from app.dossier.control import assessment_control
from app.frameworks.models import FrameworkVersion
from app.glossary import CORRESPONDENCE_KIND
from app.insertion.models import Horizon, Situation, SurveyAnswer
from app.registry import copycheck
from app.registry.models import BlocCorrespondence, RegistryFiche
from exports.dossier import Control, CopyCheck, CorrespondenceLine, JobHeld


def control(cohort_ids: Sequence[int]) -> Control:
    figures = assessment_control(cohort_ids)
    return Control(
        sessions=figures.sessions,
        double_marked_sessions=figures.double_marked_sessions,
        assessors_min=figures.assessors_min,
        marks=figures.marks,
        corrections=figures.corrections,
        disagreements_raised=figures.disagreements_raised,
        disagreements_settled=figures.disagreements_settled,
        jury_sessions=figures.jury_sessions,
        jury_sessions_closed=figures.jury_sessions_closed,
        jury_members_min=figures.jury_members_min,
    )


def jobs_held(answers: Mapping[tuple[int, Horizon], SurveyAnswer]) -> list[JobHeld]:
    """The jobs held at 6 months by the people whose answers are given, most held first."""
    held: Counter[tuple[str, str | None, bool]] = Counter()
    for (_enrolment, horizon), answer in answers.items():
        if horizon is not Horizon.SIX_MONTHS:
            continue
        if answer.situation not in (Situation.TARGET_JOB, Situation.OTHER_JOB):
            continue
        if not answer.job_title and not answer.rome_code:
            continue
        title = answer.job_title or ""
        held[(title, answer.rome_code, answer.situation is Situation.TARGET_JOB)] += 1
    ordered = sorted(held.items(), key=lambda item: (-item[1], not item[0][2], item[0][0]))
    return [JobHeld(title, rome, target, people) for (title, rome, target), people in ordered]


def certified_promotions(version: FrameworkVersion) -> int:
    """Promotions of the certification (any version) with at least one certified person."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Enrolment.cohort_id)))
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
            .where(
                FrameworkVersion.certification_id == version.certification_id,
                Enrolment.status == EnrolmentStatus.CERTIFIED,
            )
        )
        or 0
    )


def correspondences(version: FrameworkVersion) -> list[CorrespondenceLine]:
    """The coordinator's verdicts on this version's blocs (app/registry/correspondences.py)."""
    rows = db.session.scalars(
        sa.select(BlocCorrespondence)
        .where(BlocCorrespondence.version_id == version.id)
        .order_by(BlocCorrespondence.bloc_code, BlocCorrespondence.fiche_number)
    )
    return [
        CorrespondenceLine(
            bloc_code=row.bloc_code,
            fiche_number=row.fiche_number,
            fiche_title=row.fiche_title,
            registry_bloc_code=row.registry_bloc_code,
            registry_bloc_title=row.registry_bloc_title,
            kind=str(CORRESPONDENCE_KIND[row.kind]),
            note=row.note,
        )
        for row in rows
    ]


def copy_check(version: FrameworkVersion) -> CopyCheck:
    """Our statements against the register's, when it is loaded (app/registry/copycheck.py)."""
    fiches = db.session.scalar(sa.select(sa.func.count(RegistryFiche.id))) or 0
    statements = copycheck.version_statements(version)
    if not fiches:
        return CopyCheck(register_fiches=0, statements=len(statements), flagged=[])
    flags = copycheck.check(db.session(), statements)
    return CopyCheck(
        register_fiches=fiches,
        statements=len(statements),
        flagged=[(f.ours.code, f.fiche_number, round(f.score * 100)) for f in flags],
    )
