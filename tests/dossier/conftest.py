"""A pilot for the dossier: cohorts on the small référentiel with results, closed and open
jury sessions and survey answers, built directly with the models; export settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.assessment.recording import NewResult, record_results
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.dossier import services as texts_services
from app.frameworks.models import FrameworkVersion
from app.insertion.models import Horizon, Situation, SurveyAnswer
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.people.models import Organisation, Role, User
from tests.factories import new_cohort


def write_texts(
    version: FrameworkVersion,
    values: dict[str, str],
    jury: dict[AccessRoute, tuple[bool, str]] | None = None,
    *,
    by: User | None = None,
    revision: int = 0,
) -> None:
    """Save the certification's dossier texts and jury routes (`{route: (open, composition)}`),
    then commit."""
    texts_services.save_texts(
        version.certification,
        revision=revision,
        data=texts_services.TextsInput(
            values=values,
            jury={
                route: texts_services.JuryRouteState(*state)
                for route, state in (jury or {}).items()
            },
        ),
        by=by,
    )
    db.session.commit()


@pytest.fixture
def exports_folder(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Exports written to a folder of this test's own; jobs queued, not run inline."""
    folder = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(folder))
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    return folder


@dataclass
class PilotCohort:
    cohort: Cohort
    enrolments: dict[str, Enrolment] = field(default_factory=dict)  # by learner name


@dataclass
class PilotMaker:
    """Make cohorts of learners on a version, with results and jury decisions."""

    db_session: Any
    create_user: Any
    organisation: Organisation
    assessor: User
    counter: int = 0

    def cohort(
        self,
        version: FrameworkVersion,
        name: str,
        *,
        route: AccessRoute = AccessRoute.CONTINUING_TRAINING,
        statuses: dict[str, EnrolmentStatus] | None = None,
        learners: int = 0,
        start: dt.date = dt.date(2025, 3, 10),
    ) -> PilotCohort:
        cohort = new_cohort(
            self.db_session,
            self.organisation,
            version,
            name,
            start_date=start,
            end_date=start + dt.timedelta(days=270),
            access_route=route,
        )
        made = PilotCohort(cohort)
        people = dict(statuses or {})
        for n in range(learners):
            people.setdefault(f"{name} apprenant·e {n + 1}", EnrolmentStatus.ENROLLED)
        for learner_name, status in people.items():
            self.counter += 1
            user = User(
                email=f"dossier{self.counter}@exemple.fr",
                full_name=learner_name,
                password_hash="x",
            )
            enrolment = Enrolment(
                cohort=cohort,
                learner=user,
                status=status,
                certified_on=dt.date(2025, 12, 12) if status is EnrolmentStatus.CERTIFIED else None,
            )
            self.db_session.add_all([user, enrolment])
            made.enrolments[learner_name] = enrolment
        self.db_session.flush()
        return made

    def results(self, enrolment: Enrolment, levels: dict[int, int]) -> None:
        """Current results: criterion id → scale level id."""
        self.db_session.flush()
        record_results(
            [
                NewResult(enrolment.id, criterion_id, level_id, self.assessor.id, source="bench")
                for criterion_id, level_id in levels.items()
            ]
        )

    def jury(
        self,
        version: FrameworkVersion,
        decisions: dict[Enrolment, dict[int, Decision]],
        *,
        closed: bool = True,
    ) -> JurySession:
        """A jury session deciding on blocs (bloc id → decision) of the enrolments given."""
        session = JurySession(
            version=version,
            session_date=dt.date(2025, 12, 12),
            closed_at=utcnow() if closed else None,
            closed_by_id=self.assessor.id if closed else None,
        )
        self.db_session.add(session)
        for enrolment, by_bloc in decisions.items():
            presentation = JuryPresentation(jury_session=session, enrolment=enrolment)
            self.db_session.add(presentation)
            for bloc_id, decision in by_bloc.items():
                self.db_session.add(
                    BlocDecision(
                        presentation=presentation,
                        bloc_id=bloc_id,
                        decision=decision,
                        proposed_validation=decision is Decision.VALIDATED,
                        reason="",
                        decided_by_id=self.assessor.id,
                    )
                )
        self.db_session.flush()
        return session

    def answer(self, enrolment: Enrolment, horizon: Horizon, situation: Situation) -> None:
        self.db_session.add(
            SurveyAnswer(
                enrolment=enrolment,
                horizon=horizon,
                situation=situation,
                recorded_by_id=self.assessor.id,
            )
        )
        self.db_session.flush()


@pytest.fixture
def pilots(db_session: Any, create_user: Any, organisation: Organisation) -> PilotMaker:
    assessor = create_user(Role.TRAINER, name="Sophie Renard")
    return PilotMaker(db_session, create_user, organisation, assessor)
