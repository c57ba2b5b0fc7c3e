"""Rates, heat map and weakest criteria of a small cohort, against values computed by hand.

Current values (A acquired; NA, EC not; "·" not assessed), Émile withdrew, Dora is certified:

                 C1.1.a C1.1.b C1.2.a C1.2.b C2.1.a C2.1.b
    Anaïs          A      A      A      NA     A      A
    Bruno          A      EC     NA     NA     ·      ·
    Chloé          A      A      NA*    ·      ·      ·      (* A corrected to NA)
    Dora           A      A      A      A      A      A
    Émile          NA     NA     NA     NA     NA     NA
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from app.analytics.counts import Filters, Scope, band
from app.analytics.services import cohort_analytics
from app.assessment.rules import competency_progress
from app.cohorts.models import AccessRoute, Cohort
from app.frameworks.models import CompetencyRule
from app.frameworks.structure import Structure, structure
from app.people.models import Role
from tests.analytics.conftest import ALL_A, Pilot


def analyse(cohort: Cohort, **filters: Any) -> Any:
    with_version = structure(cohort.version)
    result = cohort_analytics(cohort, with_version, Filters(**filters))
    assert result is not None
    return result


def test_criterion_rates_count_active_learners_current_values(small_cohort: Cohort) -> None:
    a = analyse(small_cohort)
    rates = {
        row.criterion.code: (row.acquired, row.not_acquired, row.learners) for row in a.criteria
    }
    assert rates == {
        "C1.1.a": (4, 0, 4),
        "C1.1.b": (3, 1, 4),
        "C1.2.a": (2, 2, 4),  # Chloé's correction counts, not her first value
        "C1.2.b": (1, 2, 4),
        "C2.1.a": (2, 0, 4),
        "C2.1.b": (2, 0, 4),
    }


def test_competency_rate_follows_the_rule_all_criteria(small_cohort: Cohort) -> None:
    a = analyse(small_cohort)
    rates = {
        row.competency.code: (
            row.learners.part,
            row.learners.whole,
            row.criteria.part,
            row.criteria.whole,
        )
        for row in a.competencies
    }
    assert rates == {"C1.1": (3, 4, 7, 8), "C1.2": (1, 4, 3, 8), "C2.1": (2, 4, 4, 8)}


def test_weakest_competency(small_cohort: Cohort) -> None:
    weakest = analyse(small_cohort).weakest
    assert weakest.competency.code == "C1.2"
    assert weakest.learners.ratio == pytest.approx(0.25)


def test_competency_never_assessed_is_not_the_weakest(make_cohort: Any, record: Any) -> None:
    cohort = make_cohort(["Anaïs", "Bruno"])
    record(cohort, {"Anaïs": {"C1.1.a": "NA"}, "Bruno": {"C2.1.a": "A", "C2.1.b": "A"}})
    a = analyse(cohort)
    assert a.weakest.competency.code == "C1.1"  # C1.2: nobody assessed yet


def test_no_result_no_weakest(make_cohort: Any) -> None:
    assert analyse(make_cohort(["Anaïs"])).weakest is None


def test_heat_map_cells(small_cohort: Cohort) -> None:
    a = analyse(small_cohort)
    assert [row.name for row in a.rows] == [
        "Anaïs Brûlé",
        "Bruno N'Diaye",
        "Chloé Œuvray",
        "Dora Da Silva",
    ]
    cells = {
        row.name: [(c.acquired, c.assessed, c.total, c.is_acquired, c.band) for c in row.cells]
        for row in a.rows
    }
    assert cells["Anaïs Brûlé"] == [
        (2, 2, 2, True, "4"),
        (1, 2, 2, False, "2"),
        (2, 2, 2, True, "4"),
    ]
    assert cells["Bruno N'Diaye"] == [
        (1, 2, 2, False, "2"),
        (0, 2, 2, False, "0"),
        (0, 0, 2, False, "none"),
    ]
    assert cells["Chloé Œuvray"] == [
        (2, 2, 2, True, "4"),
        (0, 1, 2, False, "0"),
        (0, 0, 2, False, "none"),
    ]
    assert cells["Dora Da Silva"] == [(2, 2, 2, True, "4")] * 3


def test_not_acquired_ranking(small_cohort: Cohort) -> None:
    # Most learners assessed as not acquired first; on a tie, the less acquired first;
    # criteria nobody failed are left out.
    ranked = [row.criterion.code for row in analyse(small_cohort).not_acquired]
    assert ranked == ["C1.2.b", "C1.2.a", "C1.1.b"]


def test_not_acquired_keeps_ten_at_most(
    make_cohort: Any, record: Any, pilot: Pilot, analytics_doc: Any, create_version: Any
) -> None:
    doc = analytics_doc
    doc["version"]["label"] = "v-large"
    doc["blocs"][0]["competencies"][0]["criteria"] = [
        {"code": f"C1.1.{k:02d}", "statement": f"Critère {k}"} for k in range(12)
    ]
    version = create_version(doc, publish=True)
    pilot.criteria.update(
        {c.code: c for comp in version.blocs[0].competencies for c in comp.criteria}
    )
    pilot.levels.update({lvl.code: lvl.id for lvl in version.scale_levels})
    cohort = make_cohort(["Anaïs"], version=version)
    record(cohort, {"Anaïs": {f"C1.1.{k:02d}": "NA" for k in range(12)}})
    ranked = [row.criterion.code for row in analyse(cohort).not_acquired]
    assert ranked == [f"C1.1.{k:02d}" for k in range(10)]


def test_filter_by_bloc(small_cohort: Cohort) -> None:
    a = analyse(small_cohort, bloc_code="BC02")
    assert [row.competency.code for row in a.competencies] == ["C2.1"]
    assert [row.criterion.code for row in a.criteria] == ["C2.1.a", "C2.1.b"]
    assert [len(row.cells) for row in a.rows] == [1, 1, 1, 1]


def test_unknown_bloc_is_none(small_cohort: Cohort) -> None:
    version = structure(small_cohort.version)
    assert cohort_analytics(small_cohort, version, Filters(bloc_code="BC99")) is None


@pytest.mark.parametrize(
    ("status", "names", "c11a"),
    [
        ("active", 4, 4),
        ("enrolled", 3, 3),
        ("certified", 1, 1),
        ("withdrawn", 1, 0),
        ("all", 5, 4),
    ],
)
def test_filter_by_enrolment_status(
    small_cohort: Cohort, status: str, names: int, c11a: int
) -> None:
    a = analyse(small_cohort, status=status)
    assert a.learners == names
    first = a.criteria[0]
    assert (first.criterion.code, first.acquired, first.learners) == ("C1.1.a", c11a, names)


def test_withdrawn_learners_results(small_cohort: Cohort) -> None:
    a = analyse(small_cohort, status="withdrawn")
    assert [row.name for row in a.rows] == ["Émile Parti"]
    assert all(row.not_acquired == 1 and row.acquired == 0 for row in a.criteria)


def test_minimum_rule(
    make_cohort: Any, record: Any, pilot: Pilot, analytics_doc: Any, create_version: Any
) -> None:
    doc = analytics_doc
    doc["version"]["label"] = "v-min"
    doc["scale"]["competency_rule"] = "minimum"
    doc["scale"]["minimum_criteria"] = 1
    version = create_version(doc, publish=True)
    pilot.criteria.update(
        {c.code: c for b in version.blocs for comp in b.competencies for c in comp.criteria}
    )
    pilot.levels.update({lvl.code: lvl.id for lvl in version.scale_levels})
    cohort = make_cohort(["Anaïs", "Bruno"], version=version)
    record(cohort, {"Anaïs": {"C1.1.a": "A"}, "Bruno": {"C1.1.a": "NA", "C1.1.b": "EC"}})
    a = analyse(cohort)
    assert a.competencies[0].learners.part == 1
    assert a.rows[0].cells[0].is_acquired


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        (None, "none"),
        (0.0, "0"),
        (0.01, "1"),
        (0.33, "1"),
        (1 / 3, "2"),
        (0.5, "2"),
        (2 / 3, "3"),
        (0.99, "3"),
        (1.0, "4"),
    ],
)
def test_bands(ratio: float | None, expected: str) -> None:
    assert band(ratio) == expected


# --- the pages ----------------------------------------------------------------------------------


def text_of(html: str) -> str:
    return (
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        .replace("\u202f", " ")
        .replace("\xa0", " ")
    )


def test_cohort_page(client: Any, login: Any, pilot: Pilot, small_cohort: Cohort) -> None:
    login(pilot.trainer)
    page = client.get(f"/analyse/promotions/{small_cohort.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert "Compétence la moins acquise" in text
    assert "C1.2 Conduire une réunion pour aboutir à des décisions partagées" in text
    assert "Acquise par 1 apprenant·e sur 4, soit 25 % ; critères acquis : 3 sur 8." in text
    # A heat-map cell: the number in the text, the colour as a class, and the legend.
    assert '<td class="heat heat-2">1/2</td>' in html
    assert "tous" in text and "non évalué" in text
    assert "Émile Parti" not in text  # withdrew: not counted by default


def test_cohort_page_filters_are_kept_in_the_form(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort
) -> None:
    login(pilot.coordinator)
    page = client.get(f"/analyse/promotions/{small_cohort.id}?bloc=BC02&status=withdrawn")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option selected value="BC02">' in html
    assert '<option selected value="withdrawn">' in html
    assert "Émile Parti" in html and "Anaïs Brûlé" not in html
    assert "format=csv" in html and "bloc=BC02" in html


@pytest.mark.parametrize("query", ["bloc=BC99", "status=tous", "status="])
def test_cohort_page_refuses_unknown_filters(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort, query: str
) -> None:
    login(pilot.trainer)
    page = client.get(f"/analyse/promotions/{small_cohort.id}?{query}")
    assert page.status_code == 400
    assert "Filtres invalides" in page.get_data(as_text=True)


def test_version_page_side_by_side(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort, make_cohort: Any, record: Any
) -> None:
    other = make_cohort(["Maya", "Noé"], route=AccessRoute.APPRENTICESHIP)
    record(other, {"Maya": ALL_A, "Noé": {"C1.1.a": "NA"}})
    login(pilot.coordinator)
    from app.analytics.services import version_analytics, version_cohorts

    cohorts = version_cohorts(pilot.coordinator, pilot.version.id, None)
    v = version_analytics(structure(pilot.version), cohorts, Filters())
    assert v is not None
    assert [c.name for c in v.cohorts] == [small_cohort.name, other.name]
    assert v.learners == [4, 2]
    by_code = {row.item.code: row for row in v.competencies}
    assert [(r.part, r.whole) for r in by_code["C1.1"].rates] == [(3, 4), (1, 2)]
    assert (by_code["C1.1"].overall.part, by_code["C1.1"].overall.whole) == (4, 6)
    assert (by_code["C1.2"].overall.part, by_code["C1.2"].overall.whole) == (2, 6)
    criteria = {row.item.code: row for row in v.criteria}
    assert [(r.part, r.whole) for r in criteria["C1.2.b"].rates] == [(1, 4), (1, 2)]
    assert (criteria["C1.1.a"].overall.part, criteria["C1.1.a"].overall.whole) == (5, 6)

    page = client.get(f"/analyse/versions/{pilot.version.id}")
    assert page.status_code == 200
    text = text_of(page.get_data(as_text=True))
    assert f"{small_cohort.name}" in text and f"{other.name}" in text
    assert "67 % (4/6)" in text  # C1.1 overall


def test_version_page_filters_by_access_route(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort, make_cohort: Any
) -> None:
    other = make_cohort(["Maya"], route=AccessRoute.APPRENTICESHIP)
    login(pilot.coordinator)
    page = client.get(f"/analyse/versions/{pilot.version.id}?route=apprentissage")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert other.name in html and small_cohort.name not in html
    page = client.get(f"/analyse/versions/{pilot.version.id}?route=vae")
    assert "Aucune promotion de ce référentiel pour ces filtres." in page.get_data(as_text=True)
    assert (
        client.get(f"/analyse/versions/{pilot.version.id}?route=voie-inconnue").status_code == 400
    )


def test_index_lists_cohorts_and_versions(
    client: Any, login: Any, pilot: Pilot, small_cohort: Cohort
) -> None:
    login(pilot.trainer)
    page = client.get("/analyse/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"/analyse/promotions/{small_cohort.id}" in html
    assert f"/analyse/versions/{pilot.version.id}" in html
    assert "1 promotion" in html


def test_nav_link_for_staff_only(client: Any, login: Any, pilot: Pilot, create_user: Any) -> None:
    login(pilot.trainer)
    assert 'href="/analyse/"' in client.get("/").get_data(as_text=True)
    login(create_user(Role.LEARNER))
    assert 'href="/analyse/"' not in client.get("/").get_data(as_text=True)


def test_not_assessed_is_not_zero_percent(
    client: Any, login: Any, pilot: Pilot, make_cohort: Any, record: Any
) -> None:
    cohort = make_cohort(["Anaïs", "Bruno"])
    record(cohort, {"Anaïs": {"C1.1.a": "NA"}})
    a = analyse(cohort)
    by_code = {row.competency.code: row for row in a.competencies}
    assert (by_code["C1.1"].learners.part, by_code["C1.1"].learners.assessed) == (0, 1)
    assert by_code["C1.1"].learners.ratio == 0 and by_code["C1.1"].learners.band == "0"
    assert by_code["C2.1"].learners.assessed == 0
    assert by_code["C2.1"].learners.ratio is None and by_code["C2.1"].learners.band == "none"
    login(pilot.coordinator)
    html = client.get(f"/analyse/promotions/{cohort.id}").get_data(as_text=True)
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><span class=\"code\">C2\.1</span>.*?</tr>", html, re.S
    )
    assert row is not None
    assert text_of(row.group(0)).count("non évalué") == 2
    assert "%" not in text_of(row.group(0))
    html = client.get(f"/analyse/versions/{pilot.version.id}").get_data(as_text=True)
    row = re.search(
        r"<tr>\s*<th scope=\"row\"><span class=\"code\">C2\.1</span>.*?</tr>", html, re.S
    )
    assert row is not None and "heat-none" in row.group(0) and "%" not in text_of(row.group(0))


@pytest.mark.parametrize(
    ("rule", "minimum"),
    [(CompetencyRule.ALL, None), (CompetencyRule.MINIMUM, 1), (CompetencyRule.MINIMUM, 3)],
)
def test_threshold_agrees_with_the_competency_rule(
    rule: CompetencyRule, minimum: int | None
) -> None:
    """The SQL threshold gives the same answer as app.assessment.rules for every count."""
    version = Structure(
        id=1,
        label="v1",
        title="Référentiel",
        competency_rule=rule,
        minimum_criteria=minimum,
        scale_levels=(),
        blocs=(),
    )
    s = Scope(version, [])
    acquired_level = 1
    for total in range(5):
        competency = SimpleNamespace(criteria=list(range(total)))
        for acquired in range(total + 1):
            current = {i: acquired_level for i in range(acquired)}
            expected = competency_progress(
                range(total), current, frozenset({acquired_level}), rule, minimum
            ).is_acquired
            needed = s.threshold(competency)  # type: ignore[arg-type]
            assert (needed is not None and acquired >= needed) == expected, (total, acquired)
