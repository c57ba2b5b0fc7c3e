"""Each main page checked with axe-core (run offline from axe-playwright-python): no violation
of impact "serious" or "critical", and no horizontal overflow of the page. A screenshot of each
page goes to test-artifacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import url_for

from tests.browser.conftest import DESKTOP, Demo, Server, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BLOCKING = {"serious", "critical"}

# name → (who looks at it, its endpoint, the endpoint's values from the demo)
PAGES: dict[str, tuple[str | None, str, Callable[[Demo], dict[str, Any]]]] = {
    "accueil": (None, "frameworks.index", lambda d: {}),
    "referentiel": (
        None,
        "frameworks.version",
        lambda d: {"cert_code": d.cert_code, "label": d.version_label},
    ),
    "connexion": (None, "people.login", lambda d: {}),
    "grille": (
        "trainer",
        "assessment.grid",
        lambda d: {"cohort_id": d.cohort_id, "bloc_code": d.bloc_codes[1]},
    ),
    "me": ("learner", "progress.me", lambda d: {}),
    "identite": ("learner", "progress.identity", lambda d: {}),
    "analyse": ("coordinator", "analytics.index", lambda d: {}),
    "analyse-promotion": ("coordinator", "analytics.cohort", lambda d: {"cohort_id": d.cohort_id}),
    "analyse-versions": (
        "coordinator",
        "analytics.version",
        lambda d: {"version_id": d.version_id},
    ),
    "promotion": ("coordinator", "cohorts.show", lambda d: {"cohort_id": d.cohort_id}),
    "jurys": ("coordinator", "jury.index", lambda d: {}),
    "exports": ("coordinator", "exports.index", lambda d: {}),
}


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(
                f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '')}"
            )
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_serious_accessibility_violation(
    name: str, logged_in: Any, browser_server: Server, axe: Axe
) -> None:
    role, endpoint, values = PAGES[name]
    with browser_server.app.test_request_context():
        url = url_for(endpoint, **values(browser_server.demo))
    page = logged_in(role)
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    screenshot(page, name)
    # Nothing sticks out past the window's edge (wide tables scroll in their own box).
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    results = axe.run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
    assert not blocking, f"{name}:\n{describe(blocking)}"
