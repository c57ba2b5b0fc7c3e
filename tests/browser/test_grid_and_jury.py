"""Spreadsheet habits in the grid, and a jury session run safely, in a real browser, by clicks
only once logged in: a trainer pastes a block copied from a spreadsheet, fills a selection
down and saves; a coordinator is refused closing a session early or with a decision missing,
records every decision on one page and downloads minutes carrying both dates."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa
from flask_babel import format_date

from app.assessment.models import ResultHead
from app.db import db
from app.frameworks.models import Criterion
from app.jury import closing
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from tests.browser.conftest import DESKTOP, PHONE, Server, log_in, screenshot

pytestmark = pytest.mark.browser


def _paste(page: Any, text: str) -> None:
    """Paste `text` on the focused element as a browser does for Ctrl+V (a synthetic event
    carrying text/plain, like a block copied from Excel or LibreOffice)."""
    page.evaluate(
        """text => {
            const data = new DataTransfer();
            data.setData("text/plain", text);
            document.activeElement.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData: data, bubbles: true, cancelable: true }));
        }""",
        text,
    )


def test_trainer_pastes_a_block_fills_down_and_saves(
    browser: Any, browser_server: Server, accounts: Any
) -> None:
    demo = browser_server.demo
    bloc_code = demo.other_bloc_codes[2]  # a bloc nobody has assessed in the demo
    levels = demo.other_levels
    context = browser.new_context(base_url=browser_server.url, viewport=DESKTOP, locale="fr-FR")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        log_in(page, *accounts["other_trainer"])
        # From "Mon espace", one click to the grid.
        page.get_by_role("link", name=re.compile(rf"^{bloc_code}\b")).first.click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text().startswith("Grille d'évaluation")
        rows = page.locator("#grid tbody tr")
        names = rows.locator("th").all_inner_texts()
        selects = [rows.nth(r).locator("select") for r in range(4)]
        cell = [[selects[r].nth(c) for c in range(3)] for r in range(4)]
        enrolments = [
            int(re.match(r"c-(\d+)-", cell[r][0].get_attribute("name") or "")[1]) for r in range(4)
        ]
        criteria = [
            int(re.match(r"c-\d+-(\d+)", cell[0][c].get_attribute("name") or "")[1])
            for c in range(3)
        ]
        summary = page.locator(".grid-summary")
        assert re.search(r"0 / \d+ cellules renseignées", summary.inner_text())
        # The Bloc column is on screen at 1280 px, next to the learner.
        box = page.locator("#bloc-status").bounding_box()
        assert box is not None and box["x"] + box["width"] <= DESKTOP["width"]

        # A block of 2 rows × 3 columns copied from a spreadsheet, through the real clipboard.
        cell[0][0].focus()
        page.evaluate(
            "text => navigator.clipboard.writeText(text)",
            "A\tEC\tNA\r\nAcquis\ten cours d'acquisition\t\r\n",
        )
        page.keyboard.press("Control+V")
        expected = {
            (0, 0): "A",
            (0, 1): "EC",
            (0, 2): "NA",
            (1, 0): "A",
            (1, 1): "EC",
        }
        for (r, c), code in expected.items():
            assert cell[r][c].input_value() == str(levels[code]), (r, c)
        assert cell[1][2].input_value() == ""
        assert "lv-" in (cell[0][2].evaluate("e => e.closest('td').className") or "")
        assert page.locator("#grid-changes").inner_text() == "5 modifications non enregistrées"

        # An unknown value: the message names the cell, and nothing is pasted.
        cell[2][0].focus()
        _paste(page, "A\tAcqui\nNA\tNA\n")
        error = page.locator("#grid-paste-error")
        assert error.is_visible()
        assert "« Acqui » n'est pas un niveau de l'échelle" in error.inner_text()
        assert names[2] in error.inner_text()
        assert cell[2][0].input_value() == "" and cell[3][0].input_value() == ""
        assert page.locator("#grid-changes").inner_text() == "5 modifications non enregistrées"

        # Select the first column over four learners and fill it down (the first row's value).
        cell[0][0].focus()
        for _ in range(3):
            page.keyboard.press("Shift+ArrowDown")
        assert page.locator("#grid-selection").inner_text() == ("Sélection : 4 lignes × 1 colonne.")
        page.get_by_role("button", name="Recopier vers le bas").click()
        for r in range(4):
            assert cell[r][0].input_value() == str(levels["A"])
        assert page.locator("#grid-changes").inner_text() == "7 modifications non enregistrées"
        screenshot(page, "grille-collage-recopie-1280")

        page.get_by_role("button", name="Enregistrer la grille").click()
        page.wait_for_load_state()
        assert page.locator(".flash-success").inner_text() == (
            "Grille enregistrée : 7 résultats et 0 commentaire."
        )
        assert re.search(
            r"\b7 / \d+ cellules renseignées", page.locator(".grid-summary").inner_text()
        )
        screenshot(page, "grille-enregistree-1280")
        page.set_viewport_size(PHONE)
        screenshot(page, "grille-375")
    finally:
        context.close()

    # What the database holds.
    with browser_server.app.app_context():
        rows_saved = db.session.execute(
            sa.select(ResultHead.enrolment_id, ResultHead.criterion_id, ResultHead.level_id).where(
                ResultHead.enrolment_id.in_(enrolments), ResultHead.criterion_id.in_(criteria)
            )
        )
        heads = {(e, c): lvl for e, c, lvl in rows_saved}
        db.session.remove()
    wanted = {(enrolments[r], criteria[c]): levels[code] for (r, c), code in expected.items()}
    wanted |= {(enrolments[r], criteria[0]): levels["A"] for r in range(4)}
    assert heads == wanted


def test_coordinator_runs_a_jury_session_safely(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    demo = browser_server.demo
    app = browser_server.app
    with app.app_context(), app.test_request_context():
        today = closing.today_in_france()
        yesterday = today - dt.timedelta(days=1)
        later = today + dt.timedelta(days=10)
        long = {d: format_date(d, "long") for d in (today, yesterday, later)}
    page = new_page()
    log_in(page, *accounts["coordinator"])
    nav = page.get_by_role("navigation", name="Navigation principale")

    def create_session(on: dt.date) -> None:
        nav.get_by_role("link", name="Jurys").click()
        page.get_by_role("link", name="Nouvelle session de jury").click()
        version = page.get_by_label("Version du référentiel")
        value = version.evaluate(
            "(select, code) => [...select.options].find(o => o.text.startsWith(code + ' ')).value",
            demo.other_cert_code,
        )
        version.select_option(value)
        page.get_by_label("Date de la session").fill(on.isoformat())
        page.get_by_label("Lieu").fill("Le Labo de l'ESS, Paris")
        page.get_by_label(demo.plan.jury.name).check()
        page.get_by_role("button", name="Créer la session").click()
        page.wait_for_load_state()
        assert page.locator(".flash-success").inner_text() == "Session de jury créée."

    def present_two() -> list[str]:
        boxes = page.get_by_role("group", name="Apprenant·es à présenter").get_by_role("checkbox")
        chosen = [boxes.nth(boxes.count() - 1), boxes.nth(boxes.count() - 2)]
        names = []
        for box in chosen:
            label = box.evaluate("b => b.labels[0].textContent")
            names.append(label.split(" (")[0].strip())
            box.check()
        page.get_by_role("button", name="Présenter au jury").click()
        page.wait_for_load_state()
        return names

    # A session ten days ahead cannot be closed today.
    create_session(later)
    present_two()
    page.get_by_role("link", name="Clôturer la session…").click()
    problems = page.locator("#close-problems")
    assert f"La session a lieu le {long[later]}" in problems.inner_text()
    assert page.get_by_role("button", name="Clôturer définitivement la session").count() == 0

    # Yesterday's session: refused while a decision is missing, each learner named.
    create_session(yesterday)
    first, second = present_two()
    page.get_by_role("link", name="Clôturer la session…").click()
    problems = page.locator("#close-problems").inner_text()
    assert f"{first} : pas de décision sur" in problems
    assert f"{second} : pas de décision sur" in problems
    screenshot(page, "jury-cloture-refusee")

    # Every decision on one page: all of the first learner's, one of the second's.
    page.get_by_role("link", name="Saisir les décisions").click()
    codes = demo.other_bloc_codes
    for code in codes:
        page.get_by_label(f"Décision de {first} sur {code}").select_option(label="ajourné")
    page.get_by_label(f"Décision de {second} sur {codes[0]}").select_option(label="ajourné")
    screenshot(page, "jury-decisions-une-page")
    page.get_by_role("button", name="Enregistrer toutes les décisions").click()
    page.wait_for_load_state()
    assert "Décisions enregistrées : 2 personnes concernées." in page.locator(".flash").inner_text()
    page.get_by_role("link", name="Clôturer la session…").click()
    problems = page.locator("#close-problems").inner_text()
    assert first not in problems
    assert f"{second} : pas de décision sur {', '.join(codes[1:])}" in problems
    page.get_by_role("link", name="Saisir les décisions").click()
    for code in codes[1:]:
        page.get_by_label(f"Décision de {second} sur {code}").select_option(label="non présenté")
    page.get_by_role("button", name="Enregistrer toutes les décisions").click()
    page.wait_for_load_state()

    # Now the confirmation step says what becomes final; closing it is one more click.
    page.get_by_role("link", name="Clôturer la session…").click()
    final = page.get_by_role("region", name="Ce que la clôture rend définitif").inner_text()
    assert "Les décisions des 2 personnes présentées" in final
    assert f"date de la session ({long[yesterday]}) et celle de la clôture ({long[today]})" in final
    screenshot(page, "jury-cloture-confirmation")
    page.get_by_role("button", name="Clôturer définitivement la session").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").inner_text().startswith("Session close.")

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger le procès-verbal")).click()
    data = download.value.path().read_bytes()
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
    assert f"Date de la session : {long[yesterday]}" in text
    assert f"Session close le : {long[today]}" in text
    assert first in text and second in text and "non présenté" in text

    # The database agrees: closed, with a decision on every bloc of both learners.
    with app.app_context():
        session = db.session.scalar(
            sa.select(JurySession).where(JurySession.session_date == yesterday)
        )
        assert session is not None and session.is_closed
        decisions = db.session.scalars(
            sa.select(BlocDecision.decision)
            .join(JuryPresentation, JuryPresentation.id == BlocDecision.presentation_id)
            .where(JuryPresentation.jury_session_id == session.id)
        ).all()
        db.session.remove()
    assert len(decisions) == 2 * len(codes)
    assert set(decisions) == {Decision.DEFERRED, Decision.NOT_PRESENTED}


def test_learner_sees_each_criterion_on_a_phone(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    demo = browser_server.demo
    with browser_server.app.app_context():
        head = db.session.get(ResultHead, (demo.learner_enrolment_id, demo.missing_criterion_id))
        acquired = head is not None and head.level_id == demo.other_levels["A"]
        code = db.session.scalar(
            sa.select(Criterion.code).where(Criterion.id == demo.missing_criterion_id)
        )
        db.session.remove()
    page = new_page(viewport=PHONE)
    log_in(page, *accounts["learner"])
    if "/me" not in page.url:
        page.get_by_role("link", name="Mon parcours").first.click()
    line = page.locator("li.criterion-state").filter(
        has=page.locator(".code", has_text=re.compile(rf"^{re.escape(code)}$"))
    )
    expected = "acquis" if acquired else "non acquis"
    assert line.locator(".state-badge").inner_text() == expected
    assert page.locator("li.criterion-state.criterion-not_assessed").count() > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "me-criteres-375")
