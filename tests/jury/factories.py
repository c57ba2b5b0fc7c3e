"""A small pilot for jury, evidence and insertion tests, built directly with the models.

Imported by tests/jury, tests/evidence and tests/insertion (their conftest.py re-export the
`pilot` fixture), so the three share one picture of the world.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from app.assessment.recording import NewResult, record_results
from app.cohorts.models import AccessRoute, Cohort, Enrolment
from app.frameworks.models import Bloc, FrameworkVersion
from app.jury import closing
from app.jury import services as jury
from app.jury.models import Decision, JuryPresentation, JurySession
from app.people.models import Organisation, OrganisationKind, Role, User
from tests.factories import BC02, new_cohort

LEARNER_NAMES = ["Élodie Brûlé-L'Hôte", "Zoé N'Diaye", "Jean-Marc Œuvray"]


def pilot_doc(mini_doc: dict[str, Any]) -> dict[str, Any]:
    """The small référentiel with three blocs: BC01 and BC02 mandatory, BC03 optional."""
    doc = copy.deepcopy(mini_doc)
    doc["blocs"].append(copy.deepcopy(BC02))
    doc["blocs"].append(
        {
            "code": "BC03",
            "title": "Évaluer une coopération",
            "optional": True,
            "modalities": [{"code": "M3.1", "title": "Dossier et soutenance orale"}],
            "competencies": [
                {
                    "code": "C3.1",
                    "statement": "Évaluer les effets d'une coopération pour l'améliorer",
                    "activities": ["A1.2"],
                    "criteria": [{"code": "C3.1.a", "statement": "Des indicateurs sont suivis"}],
                }
            ],
        }
    )
    return doc


@dataclass
class Pilot:
    version: FrameworkVersion
    organisation: Organisation
    other_organisation: Organisation
    cohort: Cohort
    other_cohort: Cohort  # same version, another organisation
    coordinator: User
    other_coordinator: User  # coordinator of the other organisation only
    trainer: User
    other_trainer: User  # trains the other cohort only
    jury_member: User
    other_jury_member: User
    learners: list[User]
    enrolments: list[Enrolment]
    outsider_enrolment: Enrolment  # in the other cohort

    def bloc(self, code: str) -> Bloc:
        return next(b for b in self.version.blocs if b.code == code)

    @property
    def blocs(self) -> dict[str, int]:
        return {b.code: b.id for b in self.version.blocs}


def build_pilot(
    db_session: Any, create_user: Any, create_version: Any, doc: dict[str, Any]
) -> Pilot:
    version = create_version(doc, publish=True)
    organisation = Organisation(name="Savoir Devenir", kind=OrganisationKind.TRAINING)
    other_organisation = Organisation(name="Autre organisme", kind=OrganisationKind.TRAINING)
    db_session.add_all([organisation, other_organisation])
    db_session.flush()
    coordinator = create_user(
        Role.COORDINATOR, name="Claire Coordinatrice", organisations=[organisation]
    )
    other_coordinator = create_user(
        Role.COORDINATOR, name="Olivier Ailleurs", organisations=[other_organisation]
    )
    trainer = create_user(Role.TRAINER, name="Théo Formateur")
    other_trainer = create_user(Role.TRAINER, name="Tina Autre")
    jury_member = create_user(Role.JURY, name="Juliette Jurée", organisations=[organisation])
    other_jury_member = create_user(
        Role.JURY, name="Jules Juré", organisations=[other_organisation]
    )
    learners = [create_user(Role.LEARNER, name=name) for name in LEARNER_NAMES]
    outsider = create_user(Role.LEARNER, name="Octave Dehors")
    dates = {"start_date": dt.date(2025, 1, 6), "end_date": dt.date(2025, 12, 19)}
    cohort = new_cohort(
        db_session, organisation, version, "Promotion 2025 – Lyon", [trainer], **dates
    )
    other_cohort = new_cohort(
        db_session,
        other_organisation,
        version,
        "Promotion 2025 – Lille",
        [other_trainer],
        access_route=AccessRoute.VAE,
        **dates,
    )
    enrolments = [Enrolment(cohort=cohort, learner=learner) for learner in learners]
    outsider_enrolment = Enrolment(cohort=other_cohort, learner=outsider)
    db_session.add_all([*enrolments, outsider_enrolment])
    db_session.commit()
    return Pilot(
        version=version,
        organisation=organisation,
        other_organisation=other_organisation,
        cohort=cohort,
        other_cohort=other_cohort,
        coordinator=coordinator,
        other_coordinator=other_coordinator,
        trainer=trainer,
        other_trainer=other_trainer,
        jury_member=jury_member,
        other_jury_member=other_jury_member,
        learners=learners,
        enrolments=enrolments,
        outsider_enrolment=outsider_enrolment,
    )


def make_proposed(db_session: Any, enrolment: Enrolment, bloc: Bloc, assessor: User) -> None:
    """Give every criterion of `bloc` an acquired result, so the bloc is proposed."""
    acquired = next(level for level in bloc.version.scale_levels if level.counts_as_acquired)
    record_results(
        [
            NewResult(enrolment.id, criterion.id, acquired.id, assessor.id)
            for competency in bloc.competencies
            for criterion in competency.criteria
        ]
    )
    db_session.commit()


def open_session(
    db_session: Any,
    pilot: Pilot,
    on: dt.date = dt.date(2026, 3, 12),
    enrolments: list[Enrolment] | None = None,
) -> JurySession:
    """A jury session with Juliette as member, the given enrolments presented."""
    jury_session = jury.create_session(
        pilot.version,
        on,
        "Lyon, salle Rosa-Parks",
        [pilot.jury_member],
        "Marc Pro (employeur)",
        pilot.coordinator,
    )
    db_session.flush()
    jury.present(
        jury_session, enrolments if enrolments is not None else pilot.enrolments, pilot.coordinator
    )
    db_session.commit()
    return jury_session


def presentation_of(jury_session: JurySession, enrolment: Enrolment) -> JuryPresentation:
    return next(p for p in jury_session.presentations if p.enrolment_id == enrolment.id)


def decide(
    pilot: Pilot,
    jury_session: JurySession,
    enrolment: Enrolment,
    by: User | None = None,
    **choices: Decision | tuple[Decision | None, str] | None,
) -> None:
    """Record decisions by bloc code: BC01=Decision.VALIDATED, BC02=(Decision.DEFERRED, "…")."""
    decisions: dict[int, tuple[Decision | None, str]] = {}
    for code, choice in choices.items():
        decisions[pilot.blocs[code]] = choice if isinstance(choice, tuple) else (choice, "")
    jury.record_decisions(
        presentation_of(jury_session, enrolment), pilot.version, decisions, by or pilot.jury_member
    )


@pytest.fixture
def pilot(
    db_session: Any, create_user: Any, create_version: Any, mini_doc: dict[str, Any]
) -> Pilot:
    return build_pilot(db_session, create_user, create_version, pilot_doc(mini_doc))


def close(pilot: Pilot, jury_session: JurySession, by: User | None = None) -> list[int]:
    """Close a session as a coordinator would: every bloc left without a decision is first
    decided « non présenté » (closing refuses silence)."""
    for presentation in jury_session.presentations:
        decided = {d.bloc_id for d in presentation.decisions}
        missing = {
            bloc.id: (Decision.NOT_PRESENTED, "Bloc non présenté à cette session.")
            for bloc in pilot.version.blocs
            if bloc.id not in decided
        }
        if missing:
            jury.record_decisions(presentation, pilot.version, missing, pilot.coordinator)
    return closing.close_session(jury_session, pilot.version, by or pilot.coordinator)


def close_jury(
    db_session: Any,
    pilot: Pilot,
    enrolment: Enrolment,
    on: dt.date = dt.date(2026, 3, 12),
    **choices: Decision | tuple[Decision | None, str],
) -> JurySession:
    """Open a jury session, present `enrolment`, record `choices` by bloc code, close it."""
    jury_session = open_session(db_session, pilot, on=on, enrolments=[enrolment])
    decide(pilot, jury_session, enrolment, **choices)
    db_session.flush()
    close(pilot, jury_session)
    db_session.commit()
    return jury_session
