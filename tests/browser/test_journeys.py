"""What people do, in a real browser: a trainer fills a grid with the keyboard, a learner
follows their progress on a phone, a coordinator finds the weakest competency."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from app.assessment.models import CompetencyComment, ResultHead
from app.cohorts.models import Cohort
from app.db import db
from app.demo_activity import WEAK_COMPETENCY_POSITION
from app.frameworks.models import Bloc, Competency
from tests.browser.conftest import PHONE, Server, log_in, save_cells, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_trainer_fills_a_grid_with_the_keyboard(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    # The ongoing cohort, on a bloc nobody has assessed yet; the analysed cohort is left as is.
    demo = browser_server.demo
    bloc_code = demo.other_bloc_codes[3]
    with browser_server.app.app_context():
        bloc = db.session.scalar(
            sa.select(Bloc).where(Bloc.version_id == demo.other_version_id, Bloc.code == bloc_code)
        )
        assert bloc is not None
        first, second = bloc.competencies[0], bloc.competencies[1]
        first_criteria = [c.id for c in first.criteria]
        second_criterion = second.criteria[0].id
        first_id = first.id
        db.session.remove()

    page = new_page()
    log_in(page, *accounts["other_trainer"])
    page.goto(f"/promotions/{demo.other_cohort_id}/grille/{bloc_code}")
    grid = page.locator("#grid")
    rows = grid.locator("tbody tr")
    row_names = rows.locator("th").all_inner_texts()
    first_select = rows.nth(0).locator("select").first
    enrolment = int(re.match(r"c-(\d+)-", first_select.get_attribute("name") or "").group(1))

    # Row 1: "3" (the 3rd level, A) on each criterion of the first competency, moving right.
    first_select.focus()
    for index, _criterion in enumerate(first_criteria):
        if index:
            page.keyboard.press("ArrowRight")
        page.keyboard.press("3")
    # Tab into the competency's comment, then Tab again to the next competency's first cell.
    page.keyboard.press("Tab")
    page.keyboard.type("Très bonne préparation, ordre du jour clair.")
    page.keyboard.press("Tab")
    page.keyboard.press("2")  # EC
    # Down to the next learner, same column: "1" (NA), then "0" empties it again, then "1".
    page.keyboard.press("ArrowDown")
    page.keyboard.press("1")
    page.keyboard.press("0")
    page.keyboard.press("1")
    expected = len(first_criteria) + 1 + 1 + 1  # cells + comment + EC + NA
    assert (
        page.locator("#grid-changes").inner_text() == f"{expected} modifications non enregistrées"
    )
    screenshot(page, "grille-saisie-clavier")

    page.get_by_role("button", name="Enregistrer la grille").click()
    page.wait_for_load_state()
    flash = page.locator(".flash-success")
    assert flash.inner_text() == (
        f"Grille enregistrée : {len(first_criteria) + 2} résultats et 1 commentaire."
    )
    # The saved values are shown again.
    levels = demo.other_levels
    for criterion in first_criteria:
        assert page.locator(f'select[name="c-{enrolment}-{criterion}"]').input_value() == str(
            levels["A"]
        )
    assert page.locator(f'select[name="c-{enrolment}-{second_criterion}"]').input_value() == str(
        levels["EC"]
    )
    assert page.locator(f'textarea[name="m-{enrolment}-{first_id}"]').input_value() == (
        "Très bonne préparation, ordre du jour clair."
    )
    second_row = rows.nth(1).locator(f'select[name$="-{second_criterion}"]')
    assert second_row.input_value() == str(levels["NA"])
    assert rows.nth(0).locator("td.comp").first.inner_text().startswith("acquise")
    assert rows.locator("th").all_inner_texts() == row_names
    # And they are what the database holds.
    with browser_server.app.app_context():
        heads = dict(
            db.session.execute(
                sa.select(ResultHead.criterion_id, ResultHead.level_id).where(
                    ResultHead.enrolment_id == enrolment
                )
            ).all()
        )
        comment = db.session.scalar(
            sa.select(CompetencyComment.text).where(
                CompetencyComment.enrolment_id == enrolment,
                CompetencyComment.competency_id == first_id,
            )
        )
        db.session.remove()
    assert all(heads[c] == levels["A"] for c in first_criteria)
    assert heads[second_criterion] == levels["EC"]
    assert comment == "Très bonne préparation, ordre du jour clair."


def _bloc_section(page: Any, bloc_code: str) -> Any:
    return page.locator("section.learner-bloc").filter(
        has=page.locator("h3 .code", has_text=re.compile(rf"^{re.escape(bloc_code)}$"))
    )


def test_learner_sees_results_and_status_on_a_phone(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    demo = browser_server.demo
    page = new_page(viewport=PHONE)
    log_in(page, *accounts["learner"])
    response = page.goto("/me")
    assert response is not None and response.status == 200
    bloc_code = demo.learner_bloc_code
    with browser_server.app.app_context():
        competency = db.session.scalar(
            sa.select(Competency)
            .join(Bloc)
            .where(Bloc.version_id == demo.other_version_id, Bloc.code == bloc_code)
            .order_by(Competency.position)
            .limit(1)
        )
        assert competency is not None
        code, total = competency.code, len(competency.criteria)
        db.session.remove()

    bloc = _bloc_section(page, bloc_code)
    assert "en cours" in bloc.locator(".bloc-status").inner_text()
    line = bloc.locator("li.competency-line").filter(has_text=code)
    assert re.search(rf"{total - 1}\s*/\s*{total}\s+critères acquis", line.inner_text())
    # Nothing is cut off on a phone: the page is not wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "me-telephone-avant")

    # The trainer records the missing criterion; the learner reloads their page.
    with browser_server.app.app_context():
        cohort = db.session.get(Cohort, demo.other_cohort_id)
        assert cohort is not None
        save_cells(
            cohort,
            bloc_code,
            cohort.trainers[0],
            {(demo.learner_enrolment_id, demo.missing_criterion_id): demo.other_levels["A"]},
        )
        db.session.commit()
        db.session.remove()
    page.reload()
    bloc = _bloc_section(page, bloc_code)
    assert "proposé à la validation" in bloc.locator(".bloc-status").inner_text()
    line = bloc.locator("li.competency-line").filter(has_text=code)
    assert re.search(rf"{total}\s*/\s*{total}\s+critères acquis", line.inner_text())
    assert "compétence acquise" in line.inner_text()
    screenshot(page, "me-telephone")


def test_coordinator_finds_the_weakest_competency(
    new_page: Any, browser_server: Server, accounts: Any
) -> None:
    demo = browser_server.demo
    page = new_page()
    log_in(page, *accounts["coordinator"])
    nav = page.get_by_role("navigation", name="Navigation principale")
    nav.locator("summary", has_text="Certification").click()  # the coordinator's menu
    nav.get_by_role("link", name="Analyse").click()
    page.get_by_role("link", name=re.compile("Promotion pilote 1")).click()
    weakest = page.get_by_role("region", name="Compétence la moins acquise")
    code, statement = demo.weakest
    assert code in weakest.inner_text()
    assert statement in weakest.inner_text()
    assert re.search(r"Acquise par \d+ apprenant·es? sur 15, soit", weakest.inner_text())
    # The heat map carries numbers, not colours only; and every table can be downloaded.
    assert page.locator("#heatmap tbody tr").count() == 15
    assert re.match(r"\d+/\d+", page.locator("#heatmap tbody td").first.inner_text())
    with page.expect_download() as download:
        page.get_by_role("link", name="Taux par compétence en CSV").click()
    assert download.value.suggested_filename.endswith("-competencies.csv")
    # Filtered on the weakest competency's bloc, it is still the weakest.
    page.get_by_label("Bloc de compétences").select_option(
        demo.bloc_codes[WEAK_COMPETENCY_POSITION[0]]
    )
    page.get_by_role("button", name="Filtrer").click()
    assert code in page.get_by_role("region", name="Compétence la moins acquise").inner_text()
    screenshot(page, "analyse-promotion-filtree")
