"""A pilot (tests/jury/factories.py) and helpers writing a learner's record: results with
their history, comments, evaluation sessions, closed jury decisions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import pytest

from app.assessment.models import CompetencyComment, EvaluationSession
from app.assessment.recording import NewResult, record_results
from app.cohorts.models import Enrolment
from app.db import utcnow
from app.frameworks.models import Criterion, ScaleLevel
from app.jury.models import JurySession
from app.people.models import User
from tests.jury import factories
from tests.jury.factories import Pilot, close_jury

pilot = factories.pilot  # the fixture, shared with the jury tests


def level(pilot: Pilot, code: str) -> ScaleLevel:
    return next(lvl for lvl in pilot.version.scale_levels if lvl.code == code)


def criterion(pilot: Pilot, code: str) -> Criterion:
    return next(
        crit
        for bloc in pilot.version.blocs
        for comp in bloc.competencies
        for crit in comp.criteria
        if crit.code == code
    )


@pytest.fixture
def grade(db_session: Any):  # type: ignore[no-untyped-def]
    """Record results as a grid save does: a new row per result, the cell's head moved.

    `grades` are (criterion, level or None); `at` backdates them (for ordering)."""

    def record(
        enrolment: Enrolment,
        grades: Iterable[tuple[Criterion, ScaleLevel | None]],
        assessor: User,
        *,
        at: dt.datetime | None = None,
        session: EvaluationSession | None = None,
    ) -> None:
        record_results(
            [
                NewResult(
                    enrolment.id,
                    crit.id,
                    lvl.id if lvl else None,
                    assessor.id,
                    session.id if session else None,
                    recorded_at=at,
                )
                for crit, lvl in grades
            ]
        )
        db_session.commit()

    return record


@pytest.fixture
def comment(db_session: Any):  # type: ignore[no-untyped-def]
    def write(
        enrolment: Enrolment,
        pilot: Pilot,
        competency_code: str,
        text: str,
        author: User,
        at: dt.datetime | None = None,
    ) -> CompetencyComment:
        competency = next(
            c for b in pilot.version.blocs for c in b.competencies if c.code == competency_code
        )
        row = CompetencyComment(
            enrolment_id=enrolment.id,
            competency_id=competency.id,
            author_id=author.id,
            text=text,
            recorded_at=at or utcnow(),
        )
        db_session.add(row)
        db_session.commit()
        return row

    return write


@pytest.fixture
def closed_jury(db_session: Any) -> Callable[..., JurySession]:
    """close_jury() (tests/jury/factories.py) in the test's session."""
    return partial(close_jury, db_session)


@pytest.fixture
def acquire(grade: Any):  # type: ignore[no-untyped-def]
    """Give every criterion of a bloc an acquired result (the bloc is then proposed)."""

    def run(pilot: Pilot, enrolment: Enrolment, bloc_code: str) -> None:
        acquired = next(lvl for lvl in pilot.version.scale_levels if lvl.counts_as_acquired)
        bloc = pilot.bloc(bloc_code)
        grade(
            enrolment,
            [(crit, acquired) for comp in bloc.competencies for crit in comp.criteria],
            pilot.trainer,
        )

    return run
