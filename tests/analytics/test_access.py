"""Who may analyse what: trainers their cohorts, coordinators their organisations' cohorts."""

from __future__ import annotations

from typing import Any

import pytest

from app.cohorts.models import Cohort
from app.people.models import Organisation, Role, User
from tests.analytics.conftest import Pilot
from tests.factories import new_organisation


@pytest.fixture
def other_org(db_session: Any) -> Organisation:
    return new_organisation(db_session, "Autre Organisme")


@pytest.fixture
def colleague(create_user: Any, pilot: Pilot) -> User:
    """Another trainer of the pilot's organisation."""
    return create_user(Role.TRAINER, organisations=[pilot.org])


@pytest.fixture
def theirs(make_cohort: Any, colleague: User) -> Cohort:
    """A cohort of the same organisation that only `colleague` trains."""
    return make_cohort(["Maya"], trainers=[colleague])


URLS = [
    "/analyse/promotions/{cohort}",
    "/analyse/promotions/{cohort}?format=csv&table=heatmap",
    "/analyse/versions/{version}",
    "/analyse/versions/{version}?format=csv&table=criteria",
]


def urls(cohort: Cohort) -> list[str]:
    return [u.format(cohort=cohort.id, version=cohort.version_id) for u in URLS]


def test_anonymous_is_sent_to_login(client: Any, small_cohort: Cohort) -> None:
    for url in ["/analyse/", *urls(small_cohort)]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.JURY])
def test_other_roles_are_forbidden(
    client: Any, login: Any, create_user: Any, small_cohort: Cohort, role: Role
) -> None:
    login(create_user(role))
    for url in ["/analyse/", *urls(small_cohort)]:
        assert client.get(url).status_code == 403, url


def test_enrolled_learner_is_forbidden(client: Any, login: Any, small_cohort: Cohort) -> None:
    login(small_cohort.enrolments[0].learner)
    assert client.get(urls(small_cohort)[0]).status_code == 403


def test_trainer_sees_only_their_cohorts(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort, colleague: User, theirs: Cohort
) -> None:
    login(pilot.trainer)
    for url in urls(small_cohort):
        assert client.get(url).status_code == 200, url
    assert client.get(f"/analyse/promotions/{theirs.id}").status_code == 404
    assert (
        client.get(f"/analyse/promotions/{theirs.id}?format=csv&table=heatmap").status_code == 404
    )
    # The version comparison shows only the trainer's own cohorts.
    html = client.get(f"/analyse/versions/{pilot.version.id}").get_data(as_text=True)
    assert small_cohort.name in html and theirs.name not in html
    index = client.get("/analyse/").get_data(as_text=True)
    assert small_cohort.name in index and theirs.name not in index
    # A trainer with no cohort on a version may not open it.
    login(colleague)
    assert client.get(f"/analyse/promotions/{small_cohort.id}").status_code == 404


def test_coordinator_sees_their_organisations_cohorts(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort, theirs: Cohort
) -> None:
    login(pilot.coordinator)
    assert client.get(f"/analyse/promotions/{theirs.id}").status_code == 200
    html = client.get(f"/analyse/versions/{pilot.version.id}").get_data(as_text=True)
    assert small_cohort.name in html and theirs.name in html


def test_other_organisation_is_404(
    client: Any,
    login: Any,
    pilot: Pilot,
    create_user: Any,
    make_cohort: Any,
    small_cohort: Cohort,
    other_org: Organisation,
) -> None:
    outsider = create_user(Role.COORDINATOR, organisations=[other_org])
    login(outsider)
    for url in urls(small_cohort):
        assert client.get(url).status_code == 404, url
    assert small_cohort.name not in client.get("/analyse/").get_data(as_text=True)
    # Once their organisation runs a cohort on the same version, they compare their own only.
    own = make_cohort(["Maya"], org=other_org, trainers=[])
    html = client.get(f"/analyse/versions/{pilot.version.id}").get_data(as_text=True)
    assert own.name in html and small_cohort.name not in html
    rows = client.get(f"/analyse/versions/{pilot.version.id}?format=csv&table=competencies")
    assert small_cohort.name not in rows.get_data(as_text=True)


def test_unknown_ids_are_404(client: Any, login: Any, pilot: Pilot) -> None:
    login(pilot.coordinator)
    assert client.get("/analyse/promotions/999999").status_code == 404
    assert client.get("/analyse/versions/999999").status_code == 404
