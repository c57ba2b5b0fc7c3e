"""Who reaches the grid pages: the cohort's trainers and its organisation's coordinators."""

from __future__ import annotations

from typing import Any

import pytest

from app.cohorts.models import Enrolment
from app.people.models import Role
from tests.assessment.conftest import World


def urls(world: World) -> list[tuple[str, str]]:
    learner, crit = world.enrolments[0], world.criteria[0]
    cohort = world.cohort.id
    history = f"{world.grid_url}/historique/{learner.id}/{crit.id}"
    return [
        ("get", world.grid_url),
        ("post", world.grid_url),
        ("get", f"{world.grid_url}/export?format=xlsx"),
        ("get", f"{world.grid_url}/export?format=csv"),
        ("post", f"{world.grid_url}/import"),
        ("get", history),
        ("post", history + "/confirmer"),
        ("get", f"/promotions/{cohort}/resultats?format=csv"),
        ("get", f"/promotions/{cohort}/evaluations"),
        ("post", f"/promotions/{cohort}/evaluations"),
    ]


def statuses(client: Any, world: World) -> set[int]:
    return {getattr(client, method)(url).status_code for method, url in urls(world)}


def test_anonymous_people_are_sent_to_log_in(client: Any, world: World) -> None:
    for method, url in urls(world):
        response = getattr(client, method)(url)
        assert response.status_code in (302, 401), url
        if response.status_code == 302:
            assert (
                "login" in response.headers["Location"]
                or "connexion" in response.headers["Location"]
            )


@pytest.mark.parametrize("role", [Role.LEARNER, Role.JURY])
def test_other_roles_are_forbidden(
    role: Role, client: Any, world: World, login: Any, create_user: Any, db_session: Any
) -> None:
    person = create_user(role, organisations=[world.org])
    if role is Role.LEARNER:  # even a learner of this very cohort
        db_session.add(Enrolment(cohort_id=world.cohort.id, learner_id=person.id))
        db_session.commit()
    login(person)
    assert statuses(client, world) == {403}


def test_other_cohorts_are_not_found(
    client: Any, world: World, make_world: Any, login: Any, create_user: Any, db_session: Any
) -> None:
    other = make_world()
    login(other.trainer_a)  # a trainer, not of this cohort
    assert statuses(client, world) == {404}
    login(other.coordinator)  # a coordinator of another organisation
    assert statuses(client, world) == {404}
    # A trainer who is enrolled in this cohort as a learner does not see its grid either.
    both = create_user(Role.TRAINER, Role.LEARNER)
    db_session.add(Enrolment(cohort_id=world.cohort.id, learner_id=both.id))
    db_session.commit()
    login(both)
    assert statuses(client, world) == {404}


@pytest.mark.parametrize("who", ["trainer_a", "coordinator"])
def test_trainers_and_coordinators_get_in(who: str, client: Any, world: World, login: Any) -> None:
    login(getattr(world, who))
    for method, url in urls(world):
        if method == "get" and "historique" not in url:
            assert client.get(url).status_code == 200, url
    assert client.get(urls(world)[5][1]).status_code == 200
