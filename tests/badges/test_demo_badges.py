"""The issue's « done when », tried on the demo: a learner of the finished cohort downloads a
badge for each validated bloc (and the certification), each validates against the official
schema, /verifier accepts it and refuses it once one byte changes."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft201909Validator

from app.assessment.progress import validated_blocs
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.frameworks.models import Bloc
from app.people.models import Organisation, OrganisationKind
from tests.badges.test_badges import APP_SCHEMA


def test_a_demo_learner_downloads_and_verifies_each_badge(
    runner: Any, db_session: Any, client: Any, login: Any
) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    finished = db_session.scalars(sa.select(Cohort).order_by(Cohort.end_date)).first()
    enrolment = db_session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.cohort_id == finished.id, Enrolment.status == EnrolmentStatus.CERTIFIED)
        .order_by(Enrolment.id)
    ).first()
    validated = validated_blocs([enrolment.id])[enrolment.id]
    codes = db_session.scalars(
        sa.select(Bloc.code).where(Bloc.id.in_(validated)).order_by(Bloc.position)
    ).all()
    assert len(codes) >= 2
    certifier = db_session.scalar(
        sa.select(Organisation).where(Organisation.kind == OrganisationKind.CERTIFIER)
    )
    schema = Draft201909Validator(json.loads(APP_SCHEMA.read_text(encoding="utf-8")))

    login(enrolment.learner)
    page = client.get("/me").get_data(as_text=True)
    urls = [f"/me/badges/{enrolment.id}/blocs/{code}.json" for code in codes]
    urls.append(f"/me/badges/{enrolment.id}/certification.json")
    for url in urls:
        assert url in page  # reached by a click from the learner's page
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        badge = json.loads(text)
        assert list(schema.iter_errors(badge)) == [], url
        assert badge["issuer"]["name"] == certifier.name
        assert badge["issuer"]["otherIdentifier"][0]["identifier"] == certifier.siret

        checked = client.post("/verifier/badge", data={"badge-credential": text})
        assert checked.status_code == 200, checked.get_data(as_text=True)
        # One byte changed: a digit of the validity date.
        at = text.index('"validFrom": "') + len('"validFrom": "') + 3
        changed = text[:at] + ("1" if text[at] != "1" else "2") + text[at + 1 :]
        refused = client.post("/verifier/badge", data={"badge-credential": changed})
        assert refused.status_code == 422
        assert "modifié après son émission" in refused.get_data(as_text=True)
