"""The learner's identity page: what the organisations hold, read-only, and whom to ask."""

from __future__ import annotations

import datetime as dt
from html import unescape
from typing import Any

import pytest

from app.cohorts.models import LearnerIdentity, Sex
from app.people.models import Role
from tests.jury.factories import Pilot


def test_the_learner_reads_their_identity_and_whom_to_ask(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    me, classmate = pilot.learners[0], pilot.learners[1]
    db_session.add_all(
        [
            LearnerIdentity(
                user=me,
                first_names=["Élodie", "Marie"],
                birth_name="Durand",
                usage_name="Martin",
                birth_date=dt.date(1990, 4, 12),
                sex=Sex.FEMALE,
                birth_commune_code="69123",
            ),
            LearnerIdentity(user=classmate, first_names=["Zoé"], birth_name="Secret-Voisin"),
        ]
    )
    db_session.commit()
    login(me)
    home = client.get("/me").get_data(as_text=True)
    assert 'href="/me/identite"' in home  # one click from the learner's home
    response = client.get("/me/identite")
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    for shown in ("Élodie, Marie", "Durand", "Martin", "12/04/1990", "féminin", "69123"):
        assert shown in html, shown
    assert me.email in html
    assert "Secret-Voisin" not in html  # their own, nobody else's
    # Read-only, with whom to ask: the cohort's organisation and its coordinators.
    assert "<form" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert pilot.organisation.name in html
    assert pilot.cohort.name in html
    assert f"mailto:{pilot.coordinator.email}" in html
    assert pilot.other_coordinator.email not in html  # another organisation's


def test_without_identity_the_page_says_so(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(pilot.learners[2])
    html = unescape(client.get("/me/identite").get_data(as_text=True))
    assert "Aucune identité civile n'est enregistrée à votre nom." in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TRAINER, Role.JURY])
def test_staff_have_no_identity_page(role: Role, create_user: Any, client: Any, login: Any) -> None:
    login(create_user(role))
    assert client.get("/me/identite").status_code == 403
