"""A pilot with a certifier organisation, and helpers to close juries and download badges."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from app.cohorts.models import Enrolment
from app.jury.models import Decision, JurySession
from app.people.models import Organisation, OrganisationKind
from tests.factories import MINI_CERTIFIER, new_organisation
from tests.jury import factories
from tests.jury.factories import Pilot, close_jury, make_proposed

pilot = factories.pilot  # the fixture, shared with the jury tests


@pytest.fixture
def certifier(db_session: Any) -> Organisation:
    return new_organisation(db_session, kind=OrganisationKind.CERTIFIER, **MINI_CERTIFIER)


@pytest.fixture
def closed_jury(db_session: Any):  # type: ignore[no-untyped-def]
    """close_jury() (tests/jury/factories.py), each validated bloc first proposed by its
    results."""

    def run(
        pilot: Pilot,
        enrolment: Enrolment,
        on: dt.date = dt.date(2026, 3, 12),
        **choices: Decision | tuple[Decision | None, str],
    ) -> JurySession:
        for code, choice in choices.items():
            if choice is Decision.VALIDATED:  # the results propose the bloc, as in real life
                make_proposed(db_session, enrolment, pilot.bloc(code), pilot.trainer)
        return close_jury(db_session, pilot, enrolment, on, **choices)

    return run


@pytest.fixture
def bc01_validated(pilot: Pilot, certifier: Organisation, closed_jury: Any) -> Enrolment:
    """The first learner's enrolment, BC01 validated by a closed jury (the certifier exists)."""
    enrolment = pilot.enrolments[0]
    closed_jury(pilot, enrolment, BC01=Decision.VALIDATED)
    return enrolment


@pytest.fixture
def download(client: Any, login: Any):  # type: ignore[no-untyped-def]
    """Download a badge as the enrolment's learner: the credential as text."""

    def get(enrolment: Enrolment, bloc_code: str | None = "BC01") -> str:
        login(enrolment.learner)
        url = (
            f"/me/badges/{enrolment.id}/blocs/{bloc_code}.json"
            if bloc_code
            else f"/me/badges/{enrolment.id}/certification.json"
        )
        response = client.get(url)
        assert response.status_code == 200, response.headers.get("Location")
        assert "attachment" in response.headers["Content-Disposition"]
        text: str = response.get_data(as_text=True)
        json.loads(text)
        return text

    return get
