"""The demo's activity: results with a history and comments, a closed jury session and
insertion-survey answers, drawn from a seeded random generator."""

from __future__ import annotations

import datetime as dt
import random

from app.assessment.models import CompetencyComment
from app.assessment.recording import NewResult, record_results
from app.cohorts.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
)
from app.db import db
from app.insertion.models import ContractType, Horizon, Situation, WorkingTime
from app.insertion.services import AnswerInput, record_answer
from app.people.models import User

# The demo's weak spot: in the finished cohort, this competency's criteria are the ones most
# often not acquired, so the analytics have something to show.
WEAK_COMPETENCY_POSITION = (1, 2)  # bloc index, competency index


def assess(cohort: Cohort, trainer: User, rng: random.Random, *, finished: bool) -> None:
    """Results with a history (first "en cours", then the final level) and a few comments."""
    version = cohort.version
    levels = version.scale_levels
    acquired = next(lvl for lvl in reversed(levels) if lvl.counts_as_acquired)
    started = next(lvl for lvl in levels if not lvl.counts_as_acquired and lvl.position > 0)
    missing = levels[0]
    blocs = version.blocs if finished else version.blocs[:2]
    when = dt.datetime.combine(cohort.start_date, dt.time(10), tzinfo=dt.UTC)
    db.session.flush()
    results: list[NewResult] = []
    for enrolment in sorted(cohort.enrolments, key=lambda e: e.learner.email):
        if enrolment.status is EnrolmentStatus.WITHDRAWN:
            continue
        strong = rng.random() < 0.8
        struggles_with_weak_spot = rng.random() < 0.35
        for b, bloc in enumerate(blocs):
            for c, comp in enumerate(bloc.competencies):
                weak = (b, c) == WEAK_COMPETENCY_POSITION and struggles_with_weak_spot
                for crit in comp.criteria:
                    if not finished and rng.random() < 0.35:
                        continue
                    final = acquired
                    if (weak and rng.random() < 0.6) or (not strong and rng.random() < 0.15):
                        final = missing if rng.random() < 0.5 else started
                    elif not finished and rng.random() < 0.4:
                        final = started
                    history = [started, final] if final is not started else [started]
                    results.extend(
                        NewResult(
                            enrolment.id,
                            crit.id,
                            level.id,
                            trainer.id,
                            recorded_at=when + dt.timedelta(days=30 * (b + 1) + 14 * step),
                        )
                        for step, level in enumerate(history)
                    )
                if weak or rng.random() < 0.15:
                    db.session.add(
                        CompetencyComment(
                            enrolment=enrolment,
                            competency=comp,
                            author=trainer,
                            text=rng.choice(DEMO_COMMENTS),
                            recorded_at=when + dt.timedelta(days=30 * (b + 1) + 20),
                        )
                    )
    record_results(results)


DEMO_COMMENTS = [
    "Bonne posture d'animation ; formaliser davantage les décisions prises en séance.",
    "Diagnostic solide. Penser à citer les sources et à associer les habitant·es.",
    "Le plan de financement reste fragile : diversifier les ressources (apports en nature, "
    "mécénat de compétences).",
    "Très bonne restitution orale, claire et accessible à tous les publics.",
    "À retravailler : l'évaluation d'impact manque d'indicateurs observables.",
]


def jury_and_survey(cohort: Cohort, coordinator: User, jury: User, rng: random.Random) -> None:
    """A closed jury for the finished cohort, then survey answers of the certified people."""
    from app.assessment.progress import progress
    from app.jury import closing
    from app.jury import services as jury_services
    from app.jury.models import Decision

    version = cohort.version
    session_date = cohort.end_date + dt.timedelta(days=10)
    jury_session = jury_services.create_session(
        version,
        session_date,
        "Le Labo de l'ESS, Paris",
        [jury],
        "Directrice d'un PTCE (professionnelle du métier)\n"
        "Chargé de mission coopération, communauté de communes",
        coordinator,
    )
    presented = [e for e in cohort.enrolments if e.status is EnrolmentStatus.ENROLLED]
    jury_services.present(jury_session, presented, coordinator)
    db.session.flush()
    states = progress(version, [e.id for e in presented])
    for presentation in jury_session.presentations:
        state = states[presentation.enrolment_id]
        choices = {}
        for bloc in version.blocs:
            proposed = all(state.competencies[c.id].is_acquired for c in bloc.competencies)
            if proposed:
                choices[bloc.id] = (Decision.VALIDATED, "")
            else:
                choices[bloc.id] = (
                    Decision.DEFERRED,
                    "Critères non encore acquis : à représenter lors d'une prochaine session.",
                )
        jury_services.record_decisions(presentation, version, choices, coordinator)
    closing.close_session(jury_session, version, coordinator)
    # The 2025 jury closed on its own date, not on the day the demo is built.
    jury_session.closed_at = dt.datetime.combine(session_date, dt.time(16), tzinfo=dt.UTC)
    db.session.flush()
    situations = (
        [Situation.TARGET_JOB] * 5
        + [Situation.OTHER_JOB] * 2
        + [
            Situation.JOB_SEEKING,
            Situation.STUDYING,
            Situation.NO_ANSWER,
        ]
    )
    jobs = {
        Situation.TARGET_JOB: [
            ("Animatrice de coopération territoriale", "K1802", "Économie sociale et solidaire"),
            ("Coordinateur de PTCE", "K1802", "Économie sociale et solidaire"),
            ("Chargée de mission coopération", "K1401", "Collectivité territoriale"),
        ],
        Situation.OTHER_JOB: [
            ("Chargé de projet associatif", "K1206", "Action sociale"),
            ("Assistante de direction", "M1604", "Tiers-lieu"),
        ],
    }
    before = [Situation.OTHER_JOB, Situation.OTHER_JOB, Situation.JOB_SEEKING]
    for enrolment in cohort.enrolments:
        if enrolment.status is not EnrolmentStatus.CERTIFIED or enrolment.certified_on is None:
            continue
        _survey_answer(
            enrolment, Horizon.BEFORE, rng.choice(before), cohort.start_date, jobs, rng, coordinator
        )
        situation = rng.choice(situations)
        answered = enrolment.certified_on + dt.timedelta(days=183)
        if answered > dt.date.today():
            continue
        _survey_answer(enrolment, Horizon.SIX_MONTHS, situation, answered, jobs, rng, coordinator)


def _survey_answer(
    enrolment: Enrolment,
    horizon: Horizon,
    situation: Situation,
    answered: dt.date,
    jobs: dict[Situation, list[tuple[str, str, str]]],
    rng: random.Random,
    coordinator: User,
) -> None:
    employed = situation in jobs
    title, rome, sector = rng.choice(jobs[situation]) if employed else ("", None, "")
    record_answer(
        enrolment,
        horizon,
        AnswerInput(
            situation=situation,
            answered_on=None if situation is Situation.NO_ANSWER else answered,
            contract_type=rng.choice([ContractType.CDI, ContractType.CDD]) if employed else None,
            job_title=title,
            rome_code=rome,
            working_time=rng.choice([WorkingTime.FULL_TIME] * 3 + [WorkingTime.PART_TIME])
            if employed
            else None,
            sector=sector,
        ),
        coordinator,
        None,
    )
