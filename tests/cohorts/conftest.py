"""Factories for organisations, cohorts and enrolments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.cohorts.models import Enrolment, LearnerIdentity, Sex
from app.people.models import Organisation, OrganisationKind, Role
from tests.factories import new_cohort, siret


@pytest.fixture(autouse=True)
def outbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Invitation mails are written here, never sent."""
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    monkeypatch.setitem(app.config, "INSTANCE_DIR", tmp_path / "instance")
    return folder


@pytest.fixture
def create_organisation(db_session: Any):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def create(name: str | None = None, kind: OrganisationKind = OrganisationKind.TRAINING):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        org = Organisation(
            name=name or f"Organisme {counter['n']}",
            kind=kind,
            siret=siret(f"{counter['n']:013d}"),
        )
        db_session.add(org)
        db_session.commit()
        return org

    return create


@pytest.fixture
def version(create_version: Any) -> Any:
    """A published framework version."""
    return create_version(publish=True)


@pytest.fixture
def org(create_organisation: Any) -> Organisation:
    return create_organisation("Savoir Devenir")


@pytest.fixture
def coordinator(create_user: Any, org: Organisation) -> Any:
    return create_user(Role.COORDINATOR, name="Claire Coordinatrice", organisations=[org])


@pytest.fixture
def create_cohort(db_session: Any, version: Any):  # type: ignore[no-untyped-def]
    counter = {"n": 0}

    def create(
        organisation: Organisation,
        *,
        name: str | None = None,
        trainers: list[Any] | None = None,
        learners: list[Any] | None = None,
    ):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        cohort = new_cohort(
            db_session,
            organisation,
            version,
            name or f"Promotion {counter['n']}",
            trainers or [],
            start_date=dt.date(2025, 9, 1),
            end_date=dt.date(2026, 6, 30),
        )
        for learner in learners or []:
            db_session.add(Enrolment(cohort=cohort, learner=learner))
        db_session.commit()
        return cohort

    return create


@pytest.fixture
def cohort(create_cohort: Any, org: Organisation) -> Any:
    """An empty cohort of `org`."""
    return create_cohort(org, name="Promotion Lyon")


@pytest.fixture
def create_learner(db_session: Any, create_user: Any):  # type: ignore[no-untyped-def]
    """A learner with a full civil identity (birth date 14/07/1990, born in Lyon 69123)."""

    def create(first: str = "Hélène", last: str = "N'Diaye", **kwargs: Any):  # type: ignore[no-untyped-def]
        user = create_user(Role.LEARNER, name=f"{first} {last}", **kwargs)
        db_session.add(
            LearnerIdentity(
                user=user,
                first_names=first.split(),
                birth_name=last,
                birth_date=dt.date(1990, 7, 14),
                sex=Sex.FEMALE,
                birth_commune_code="69123",
            )
        )
        db_session.commit()
        return user

    return create
