"""The analytics pages run a fixed number of SQL queries, whatever the number of learners,
the length of the results history and the number of cohorts."""

from __future__ import annotations

from typing import Any

from app.cohorts.models import AccessRoute, Cohort
from tests.analytics.conftest import ALL_A, Pilot

# Login (3: the user, their roles and organisations), the cohort, its version's row (its
# structure is in memory once read), the enrolments and two GROUP BY queries on the current
# results.
COHORT_PAGE_QUERIES = 8
# Login (3), may-analyse check, the version's row, the cohorts, learners per cohort and two
# GROUP BY queries.
VERSION_PAGE_QUERIES = 9


def cohort_with_history(make_cohort: Any, record: Any, learners: int) -> Cohort:
    names = [f"Apprenant·e {i:02d}" for i in range(learners)]
    cohort = make_cohort(
        names, route=AccessRoute.APPRENTICESHIP if learners % 2 else AccessRoute.VAE
    )
    record(cohort, {name: {code: "NA" for code in ALL_A} for name in names})
    record(cohort, {name: {code: "EC" for code in ALL_A} for name in names})
    record(cohort, {name: ALL_A for name in names[::2]})
    return cohort


def count(client: Any, count_queries: Any, url: str) -> int:
    """The statements of a request once the version's structure is in memory (the first
    request after a start reads it: two more)."""
    assert client.get(url).status_code == 200
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return counter.count


def test_cohort_page_queries_do_not_grow_with_learners_or_history(
    client: Any, login: Any, pilot: Pilot, make_cohort: Any, record: Any, count_queries: Any
) -> None:
    small = cohort_with_history(make_cohort, record, 2)
    large = cohort_with_history(make_cohort, record, 20)
    record(large, {"Apprenant·e 01": {"C1.1.a": "NA"}})
    record(large, {"Apprenant·e 01": {"C1.1.a": "A"}})
    login(pilot.trainer)
    for suffix in ("", "?bloc=BC01&status=all", "?format=csv&table=heatmap"):
        counts = {
            count(client, count_queries, f"/analyse/promotions/{cohort.id}{suffix}")
            for cohort in (small, large)
        }
        assert counts == {COHORT_PAGE_QUERIES}, suffix


def test_version_page_queries_do_not_grow_with_cohorts(
    client: Any, login: Any, pilot: Pilot, make_cohort: Any, record: Any, count_queries: Any
) -> None:
    login(pilot.coordinator)
    cohort_with_history(make_cohort, record, 2)
    url = f"/analyse/versions/{pilot.version.id}"
    one = count(client, count_queries, url)
    for learners in (3, 4, 5, 20):
        cohort_with_history(make_cohort, record, learners)
    five = count(client, count_queries, url)
    assert one == five == VERSION_PAGE_QUERIES
    assert count(client, count_queries, url + "?format=csv&table=criteria") == VERSION_PAGE_QUERIES
    assert count(client, count_queries, url + "?route=vae&status=enrolled") == VERSION_PAGE_QUERIES


def test_index_queries_do_not_grow_with_cohorts(
    client: Any, login: Any, pilot: Pilot, make_cohort: Any, count_queries: Any
) -> None:
    login(pilot.coordinator)
    make_cohort(["Anaïs"])
    one = count(client, count_queries, "/analyse/")
    for _ in range(4):
        make_cohort(["Anaïs"])
    assert count(client, count_queries, "/analyse/") == one
