"""The assessment grid on a phone (375 px): the table scrolls inside its own frame under a
sticky learner column, the page never scrolls sideways, no control overflows the screen."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import PHONE, Server, log_in, screenshot

pytestmark = pytest.mark.browser


def test_the_grid_scrolls_within_its_frame_at_375_px(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    bloc_code = browser_server.demo.bloc_codes[0]
    page = new_page(viewport=PHONE)
    log_in(page, *accounts["trainer"])
    # From "Mon espace", one click to the grid.
    page.get_by_role("link", name=re.compile(rf"^{bloc_code}\b")).first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Grille d'évaluation")

    width = PHONE["width"]
    # The page body does not scroll horizontally.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.evaluate("document.body.scrollWidth") <= width
    # The table is wider than the screen and scrolls within its frame, which fits.
    frame = page.locator(".grid-scroll")
    box = frame.evaluate(
        """f => ({client: f.clientWidth, scroll: f.scrollWidth,
                  right: f.getBoundingClientRect().right,
                  overflow: getComputedStyle(f).overflowX})"""
    )
    assert box["overflow"] in ("auto", "scroll")
    assert box["scroll"] > box["client"]
    assert box["right"] <= width
    # No control outside the table's frame pokes past the screen's edge.
    overflowing = page.evaluate(
        """width => [...document.querySelectorAll(
              'main button, main select, main input:not([type=hidden]), main textarea, main a')]
            .filter(el => !el.closest('.table-scroll'))
            .filter(el => el.getBoundingClientRect().width > 0)
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.outerHTML.slice(0, 80))""",
        width,
    )
    assert overflowing == []

    # Scrolled sideways, the learners' names stay in place (sticky) while the cells move.
    name = page.locator("#grid tbody tr").first.locator("th")
    cell = page.locator("#grid tbody tr").first.locator("td.cell").nth(3)
    name_before, cell_before = name.bounding_box(), cell.bounding_box()
    frame.evaluate("f => { f.scrollLeft = 400; }")
    page.wait_for_timeout(100)
    name_after, cell_after = name.bounding_box(), cell.bounding_box()
    assert frame.evaluate("f => f.scrollLeft") > 0
    assert abs(name_after["x"] - name_before["x"]) < 1
    assert cell_after["x"] < cell_before["x"] - 100
    assert page.evaluate("window.scrollX") == 0

    # The keyboard reaches a cell far right: it is brought fully into the frame, clear of
    # the sticky column.
    frame.evaluate("f => { f.scrollLeft = 0; }")
    first = page.locator("#grid tbody tr").nth(1).locator("select").first
    first.focus()
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    focused = page.evaluate(
        """() => { const r = document.activeElement.getBoundingClientRect();
                   const f = document.querySelector('.grid-scroll').getBoundingClientRect();
                   const th = document.querySelector('#grid tbody th').getBoundingClientRect();
                   return {left: r.left, right: r.right,
                           frameRight: f.right, nameRight: th.right}; }"""
    )
    assert frame.evaluate("f => f.scrollLeft") > 0  # the frame followed the focus
    assert focused["left"] >= focused["nameRight"] - 1
    assert focused["right"] <= focused["frameRight"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, "grille-375-cadre")
