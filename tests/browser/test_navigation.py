"""Getting around by clicking only: each role lands on its home, reaches its work in a few
clicks, the navigation fits one line at 1280 px without a repeated item, and every page a role
reaches by following links fits a 375 px phone with no serious accessibility violation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import PHONE, Server, log_in, screenshot

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
# Page shapes whose colour contrast one role's crawl has checked in this process. Contrast is
# four fifths of axe's time on a page and comes from the page's template and style sheet,
# the same for every role: the other roles' crawls run every other rule on it.
CONTRAST_CHECKED: set[str] = set()
WITHOUT_CONTRAST = {"resultTypes": ["violations"], "rules": {"color-contrast": {"enabled": False}}}
# Links a crawl does not follow: files, downloads, pages that act and the CASE API (JSON).
SKIP = re.compile(
    r"(\.pdf|\.xml|\.json|\.csv|\.xlsx|/telecharger|/export|/resultats|/deconnexion|/donnees)"
    r"(\?|$|/)|/preuves/\d+$|^/ims/case/"
)


def nav_labels(page: Any) -> list[str]:
    return [
        t.strip()
        for t in page.locator("header nav a, header nav summary").all_inner_texts()
        if t.strip()
    ]


def assert_nav_on_one_line(page: Any) -> None:
    """The header's items sit on one row: every top-level item has the same top."""
    tops = page.evaluate(
        """() => [...document.querySelectorAll('header nav > ul > li')]
             .map(li => Math.round(li.getBoundingClientRect().top))"""
    )
    assert tops and len(set(tops)) == 1, tops
    header = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    assert header < 80, header  # brand, navigation and account on one band
    labels = nav_labels(page)
    assert len(labels) == len(set(labels)), labels


def test_trainer_reaches_a_grid_in_three_clicks(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    page = new_page()
    log_in(page, *accounts["trainer"])  # click 1: the login button
    assert page.url.endswith("/mon-espace")
    assert_nav_on_one_line(page)
    screenshot(page, "mon-espace-formatrice-1280")
    page.get_by_role("link", name=re.compile(browser_server.demo.bloc_codes[0])).first.click()
    page.wait_for_load_state()  # click 2: the bloc's grid
    assert re.search(rf"/grille/{browser_server.demo.bloc_codes[0]}$", page.url), page.url
    assert page.locator("#grid").count() == 1
    assert_nav_on_one_line(page)


@pytest.mark.parametrize("role", ["coordinator", "trainer", "learner", "jury"])
def test_navigation_fits_one_line_and_names_each_item_once(
    role: str, new_page: Any, browser_server: Server, accounts: Any
) -> None:
    page = new_page()
    log_in(page, *accounts[role])
    demo = browser_server.demo
    pages = [page.url]
    if role in ("coordinator", "trainer"):
        page.get_by_role("link", name="Promotions", exact=True).click()
        page.get_by_role("link", name=re.compile("Promotion pilote 1")).first.click()
        page.wait_for_load_state()
        assert page.url.endswith(f"/promotions/{demo.cohort_id}")
        pages.append(page.url)
    for n, url in enumerate(pages):
        page.goto(url)
        screenshot(page, f"navigation-{role}-{n}-1280")
        assert_nav_on_one_line(page)


@pytest.fixture(scope="session")
def axe() -> Axe:
    return Axe()


def shape_of(path: str) -> str:
    """A page's shape: its path with every number (an id) replaced by N."""
    return re.sub(r"\d+", "N", path)


def crawl(page: Any, base: str, limit: int = 80) -> Iterator[str]:
    """Every same-site page reachable by links from where the page is, one of each shape
    (ids replaced by N), without following downloads or actions; documents that are not HTML
    (JSON read by programs) are opened but neither checked nor followed."""
    seen_shapes: set[str] = set()
    queue = [page.url]
    while queue and len(seen_shapes) < limit:
        url = queue.pop(0)
        shape = shape_of(urlsplit(url).path)
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        response = page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue  # a document served to programs (the CASE API's JSON), not a page
        yield url
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if not href.startswith(base) or SKIP.search(parts.path) or parts.path == "/connexion":
                continue
            queue.append(f"{base}{parts.path}" + (f"?{parts.query}" if parts.query else ""))


@pytest.mark.parametrize(
    "role", ["coordinator", "training_coordinator", "trainer", "learner", "jury"]
)
def test_every_page_a_role_reaches_fits_a_phone(
    role: str, new_page: Any, browser_server: Server, accounts: Any, axe: Axe
) -> None:
    page = new_page(PHONE)
    log_in(page, *accounts[role])
    problems = []
    visited = []
    for url in crawl(page, browser_server.url):
        path = urlsplit(url).path
        visited.append(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            problems.append(f"{path}: {width} px wide")
        shape = shape_of(path)
        if shape in CONTRAST_CHECKED:
            results = axe.run(page, options=WITHOUT_CONTRAST)
        else:
            results = axe.run(page)
            CONTRAST_CHECKED.add(shape)
        for v in results.response["violations"]:
            if v["impact"] in BLOCKING:
                targets = [", ".join(map(str, n["target"])) for n in v["nodes"][:3]]
                problems.append(f"{path}: [{v['impact']}] {v['id']} {targets}")
        name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "accueil"
        screenshot(page, f"375-{role}-{name}")
    print(f"\n{role}: {len(visited)} pages at 375 px: {' '.join(visited)}")
    assert not problems, "\n".join(problems)
    assert len(visited) > 3
