"""The référentiel pages, rendered from the real files."""

from __future__ import annotations

import copy
from html import escape
from typing import Any

import pytest

from app.frameworks import documents
from tests.conftest import REAL_FILES


@pytest.fixture
def real_versions(create_version: Any) -> list[Any]:
    return [create_version(documents.load(path), publish=True) for path in REAL_FILES]


def test_home_lists_certifications_and_versions(client: Any, real_versions: list[Any]) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for version in real_versions:
        assert escape(version.title) in html
        assert f"/referentiels/{version.certification.code}/{version.label}" in html
    assert "publiée" in html


def test_version_page_is_the_four_column_table(client: Any, real_versions: list[Any]) -> None:
    for path, version in zip(REAL_FILES, real_versions, strict=True):
        doc = documents.load(path)
        html = client.get(f"/referentiels/{version.certification.code}/{version.label}").get_data(
            as_text=True
        )
        headers = ["Activités", "Compétences", "Modalités d'évaluation", "Critères d'évaluation"]
        positions = [html.index(f'<th scope="col">{h}</th>') for h in headers]
        assert positions == sorted(positions)
        for bloc in doc["blocs"]:
            assert f'id="bloc-{bloc["code"]}"' in html
            for modality in bloc["modalities"]:
                assert escape(modality["title"]) in html
            for comp in bloc["competencies"]:
                assert escape(comp["statement"]) in html
                for crit in comp["criteria"]:
                    assert escape(crit["statement"]) in html


def test_matrix_marks_each_link(client: Any, real_versions: list[Any]) -> None:
    version = real_versions[0]
    doc = documents.load(REAL_FILES[0])
    html = client.get(
        f"/referentiels/{version.certification.code}/{version.label}/matrice"
    ).get_data(as_text=True)
    links = sum(len(c["activities"]) for b in doc["blocs"] for c in b["competencies"])
    assert html.count('<td class="link">') == links


def test_diff_page(
    client: Any, create_version: Any, mini_doc: dict[str, Any], create_user: Any, login: Any
) -> None:
    create_version(publish=True)
    doc = copy.deepcopy(mini_doc)
    doc["version"]["label"] = "v2"
    doc["blocs"][0]["title"] = "Animer une coopération territoriale"
    create_version(doc)
    # v2 is a draft: only coordinators see it.
    assert client.get("/referentiels/MINI/comparer?a=v1&b=v2").status_code == 404
    login(create_user("coordinator"))
    html = client.get("/referentiels/MINI/comparer?a=v1&b=v2").get_data(as_text=True)
    assert "reformulé" in html and "<ins>Animer une coopération territoriale</ins>" in html
    assert "0 ajout, 0 suppression, 1 reformulation." in html
    assert client.get("/referentiels/MINI/comparer?a=v1").status_code == 404
    assert client.get("/referentiels/MINI/comparer?a=v1&b=v9").status_code == 404


def test_drafts_are_for_coordinators(
    client: Any, create_version: Any, create_user: Any, login: Any
) -> None:
    create_version()
    assert client.get("/referentiels/MINI/v1").status_code == 404
    assert "MINI" not in client.get("/").get_data(as_text=True)
    login(create_user("trainer"))
    assert client.get("/referentiels/MINI/v1").status_code == 404
    login(create_user("coordinator"))
    assert client.get("/referentiels/MINI/v1").status_code == 200
    assert "brouillon" in client.get("/").get_data(as_text=True)


def test_frameworks_can_be_private(
    app: Any, client: Any, create_version: Any, create_user: Any, login: Any
) -> None:
    create_version(publish=True)
    app.config["PUBLIC_FRAMEWORKS"] = False
    try:
        assert client.get("/referentiels/MINI/v1").status_code == 302
        login(create_user("learner"))
        assert client.get("/referentiels/MINI/v1").status_code == 200
    finally:
        app.config["PUBLIC_FRAMEWORKS"] = True


def test_unknown_version_is_404(client: Any, create_version: Any) -> None:
    create_version(publish=True)
    assert client.get("/referentiels/MINI/v9").status_code == 404
    assert client.get("/referentiels/NOPE/v1/matrice").status_code == 404


def test_text_is_escaped(client: Any, create_version: Any, mini_doc: dict[str, Any]) -> None:
    mini_doc["blocs"][0]["competencies"][0]["statement"] = "<script>alert(1)</script> afin de"
    create_version(mini_doc, publish=True)
    html = client.get("/referentiels/MINI/v1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_security_headers(client: Any) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("suffix", ["", "/matrice"])
def test_version_page_query_count_is_fixed(
    client: Any, create_version: Any, mini_doc: dict[str, Any], count_queries: Any, suffix: str
) -> None:
    """The small test file and the largest real file take the same number of queries."""
    create_version(publish=True)
    big = max((documents.load(p) for p in REAL_FILES), key=lambda d: len(str(d)))
    create_version(big, publish=True)
    counts = []
    for code, label in (("MINI", "v1"), (big["certification"]["code"], big["version"]["label"])):
        with count_queries() as counter:
            assert client.get(f"/referentiels/{code}/{label}{suffix}").status_code == 200
        counts.append(counter.count)
    # Not cached yet: the version's row, then its whole tree (a cached page takes only the row:
    # tests/frameworks/test_page_cache.py).
    assert counts[0] == counts[1] == 12
