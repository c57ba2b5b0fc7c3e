"""Fixtures for the exports: a published version, cohorts with certified people, settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.cohorts.models import (
    AccessRoute,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LearnerIdentity,
    Sex,
)
from app.people.models import Organisation, Role
from tests.factories import new_cohort

CLIENT_ID = "03BHY312"
CONTRACT_ID = "MCFCER000775"


@pytest.fixture
def export_settings(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The accrochage identifiers set, exports written to a folder of this test's own."""
    folder = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORTS_DIR", str(folder))
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CLIENT", CLIENT_ID)
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CONTRAT", CONTRACT_ID)
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_FLUX_PREFIX", "TEST")
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    return folder


@dataclass
class Pilot:
    """What `make_pilot` built: the cohorts and the enrolments by role in the test."""

    cohorts: list[Cohort]
    certified: list[Enrolment] = field(default_factory=list)
    others: list[Enrolment] = field(default_factory=list)  # never to be declared
    missing_birth: Enrolment | None = None  # certified, but no birth date: left out


@pytest.fixture
def make_cohort(db_session: Any, organisation: Organisation, version: Any) -> Any:
    def make(
        name: str,
        *,
        route: AccessRoute = AccessRoute.CONTINUING_TRAINING,
        org: Organisation | None = None,
        on: Any = None,
    ) -> Cohort:
        cohort = new_cohort(
            db_session,
            org or organisation,
            on or version,
            name,
            start_date=dt.date(2025, 3, 10),
            end_date=dt.date(2025, 12, 12),
            access_route=route,
        )
        db_session.flush()
        return cohort

    return make


@pytest.fixture
def enrol(db_session: Any, create_user: Any) -> Any:
    """Enrol a learner, with an identity unless `identity=None`."""

    def make(
        cohort: Cohort,
        *,
        status: EnrolmentStatus = EnrolmentStatus.CERTIFIED,
        certified_on: dt.date | None = dt.date(2025, 12, 12),
        identity: dict[str, Any] | bool | None = True,
        name: str | None = None,
    ) -> Enrolment:
        learner = create_user(Role.LEARNER, name=name)
        if identity is not None and identity is not False:
            values: dict[str, Any] = {
                "birth_name": "Lefèvre",
                "first_names": ["Élodie"],
                "birth_date": dt.date(1990, 5, 3),
                "sex": Sex.FEMALE,
                "birth_commune_code": "75111",
            }
            if isinstance(identity, dict):
                values.update(identity)
            db_session.add(LearnerIdentity(user=learner, **values))
        enrolment = Enrolment(
            cohort=cohort,
            learner=learner,
            status=status,
            certified_on=certified_on if status is EnrolmentStatus.CERTIFIED else None,
        )
        db_session.add(enrolment)
        db_session.commit()
        return enrolment

    return make


@pytest.fixture
def pilot(make_cohort: Any, enrol: Any, version: Any) -> Pilot:
    """Two cohorts: certified people (French-born, born abroad, with accents and apostrophes),
    people not to declare (enrolled, withdrawn), and one certified with no birth date."""
    # Registered at France Compétences: the accrochage declares RNCP41234.
    version.certification.rncp_number = "RNCP41234"
    first = make_cohort("Promotion pilote 1")
    second = make_cohort("Promotion pilote 2 — VAE", route=AccessRoute.VAE)
    result = Pilot(cohorts=[first, second])
    result.certified += [
        enrol(
            first, name="Léa N'Diaye", identity={"birth_name": "N’Diaye", "first_names": ["Léa"]}
        ),
        enrol(
            first,
            name="Jean-Éric Da Silva",
            identity={
                "birth_name": "Da Silva",
                "usage_name": "Le Goff-Da Silva",
                "first_names": ["Jean-Éric", "Paul", "Marie"],
                "sex": Sex.MALE,
                "birth_commune_code": None,
                "birth_country_code": "99341",
            },
        ),
        enrol(
            second,
            name="Maëlle Œuvray",
            identity={
                "birth_name": "Œuvray",
                "first_names": ["Maëlle"],
                "birth_commune_code": "2A004",
            },
        ),
    ]
    result.others += [
        enrol(first, status=EnrolmentStatus.ENROLLED, name="Inscrit Encore"),
        enrol(second, status=EnrolmentStatus.WITHDRAWN, name="Parti Avant"),
        enrol(first, certified_on=None, name="Sans Date De Jury"),
    ]
    result.missing_birth = enrol(second, name="Sans Naissance", identity={"birth_date": None})
    return result
