"""CSV export of each analytics table: content, filters, and formula-safety."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from app.cohorts.models import Cohort
from tests.analytics.conftest import Pilot


def read_csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets recognise UTF-8 by its byte-order mark
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.fixture
def as_trainer(client: Any, login: Any, pilot: Pilot) -> Any:
    login(pilot.trainer)
    return client


@pytest.fixture
def cohort_csv(as_trainer: Any, small_cohort: Cohort) -> Any:
    """The rows of one of the small cohort's tables as CSV (`filters`: a query string's tail),
    downloaded by the trainer."""

    def get(table: str, filters: str = "") -> list[list[str]]:
        url = f"/analyse/promotions/{small_cohort.id}?format=csv&table={table}{filters}"
        return read_csv(as_trainer.get(url))

    return get


def test_heatmap_csv(cohort_csv: Any) -> None:
    rows = cohort_csv("heatmap")
    assert rows[0] == [
        "Apprenant·e",
        "Inscription",
        "C1.1 : critères acquis sur 2",
        "C1.2 : critères acquis sur 2",
        "C2.1 : critères acquis sur 2",
    ]
    assert rows[1:] == [
        ["Anaïs Brûlé", "inscrit·e", "2", "1", "2"],
        ["Bruno N'Diaye", "inscrit·e", "1", "0", ""],  # empty: not assessed
        ["Chloé Œuvray", "inscrit·e", "2", "0", ""],
        ["Dora Da Silva", "certifié·e", "2", "2", "2"],
    ]


def test_competencies_csv(cohort_csv: Any) -> None:
    rows = cohort_csv("competencies")
    assert rows[0] == [
        "Bloc",
        "Code",
        "Compétence",
        "Apprenant·es l'ayant acquise",
        "Apprenant·es évalué·es",
        "Apprenant·es",
        "Taux d'acquisition (%)",
        "Critères acquis",
        "Critères évalués",
        "Critères attendus",
        "Part des critères acquis (%)",
    ]
    by_code = {row[1]: row for row in rows[1:]}
    assert by_code["C1.1"][3:] == ["3", "4", "4", "75,0", "7", "8", "8", "87,5"]
    assert by_code["C1.2"][3:] == ["1", "4", "4", "25,0", "3", "7", "8", "37,5"]
    assert by_code["C2.1"][0] == "BC02"
    assert by_code["C2.1"][3:] == ["2", "2", "4", "50,0", "4", "4", "8", "50,0"]


def test_criteria_csv(cohort_csv: Any) -> None:
    rows = cohort_csv("criteria")
    assert rows[0] == [
        "Bloc",
        "Compétence",
        "Code",
        "Critère",
        "Acquis",
        "Non acquis",
        "Non évalués",
        "Apprenant·es",
        "Taux d'acquisition (%)",
    ]
    assert [row[2] for row in rows[1:]] == [
        "C1.1.a",
        "C1.1.b",
        "C1.2.a",
        "C1.2.b",
        "C2.1.a",
        "C2.1.b",
    ]
    assert rows[4][4:] == ["1", "2", "1", "4", "25,0"]  # C1.2.b


def test_not_acquired_csv(cohort_csv: Any) -> None:
    rows = cohort_csv("not-acquired")
    assert [row[2] for row in rows[1:]] == ["C1.2.b", "C1.2.a", "C1.1.b"]


def test_csv_follows_the_filters(cohort_csv: Any) -> None:
    rows = cohort_csv("heatmap", "&bloc=BC02&status=withdrawn")
    assert rows == [
        ["Apprenant·e", "Inscription", "C2.1 : critères acquis sur 2"],
        ["Émile Parti", "abandon", "0"],
    ]


def test_unknown_table_is_404(as_trainer: Any, small_cohort: Cohort, pilot: Pilot) -> None:
    assert (
        as_trainer.get(f"/analyse/promotions/{small_cohort.id}?format=csv&table=x").status_code
        == 404
    )
    assert (
        as_trainer.get(f"/analyse/versions/{pilot.version.id}?format=csv&table=heatmap").status_code
        == 404
    )


def test_version_csv(as_trainer: Any, small_cohort: Cohort, pilot: Pilot) -> None:
    rows = read_csv(
        as_trainer.get(f"/analyse/versions/{pilot.version.id}?format=csv&table=competencies")
    )
    name = small_cohort.name
    assert rows[0] == [
        "Bloc",
        "Code",
        "Énoncé",
        f"{name} : acquis",
        f"{name} : évalué·es",
        f"{name} : apprenant·es",
        f"{name} : taux (%)",
        "Ensemble : acquis",
        "Ensemble : évalué·es",
        "Ensemble : apprenant·es",
        "Ensemble : taux (%)",
    ]
    assert rows[1][1:2] + rows[1][3:] == ["C1.1", "3", "4", "4", "75,0", "3", "4", "4", "75,0"]
    rows = read_csv(
        as_trainer.get(f"/analyse/versions/{pilot.version.id}?format=csv&table=criteria")
    )
    assert len(rows) == 1 + 6


@pytest.mark.parametrize("name", ['=HYPERLINK("http://x.test")', "+33 612", "-1+1", "@SUM(A1)"])
def test_csv_is_formula_safe(
    client: Any, login: Any, pilot: Pilot, make_cohort: Any, record: Any, name: str
) -> None:
    cohort = make_cohort([name])
    record(cohort, {name: {"C1.1.a": "A"}})
    login(pilot.coordinator)
    rows = read_csv(client.get(f"/analyse/promotions/{cohort.id}?format=csv&table=heatmap"))
    assert rows[1][0] == "'" + name


def test_csv_statement_is_formula_safe(
    client: Any, login: Any, pilot: Pilot, analytics_doc: Any, create_version: Any, make_cohort: Any
) -> None:
    doc = analytics_doc
    doc["version"]["label"] = "v-formule"
    doc["blocs"][0]["competencies"][0]["statement"] = "=1+1 pour vérifier les formules"
    version = create_version(doc, publish=True)
    cohort = make_cohort(["Anaïs"], version=version)
    login(pilot.coordinator)
    rows = read_csv(client.get(f"/analyse/promotions/{cohort.id}?format=csv&table=competencies"))
    assert rows[1][2] == "'=1+1 pour vérifier les formules"
    rows = read_csv(client.get(f"/analyse/versions/{version.id}?format=csv&table=competencies"))
    assert rows[1][2] == "'=1+1 pour vérifier les formules"
