"""The coordinator's way through the readiness check, by clicking only: from the landing page to
the check of the draft, a not-ready item's link to the field where it is filled, and back to the
check, where the item is gone and its criterion ready."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _criterion(page: Any, title: str) -> Any:
    return page.locator("ol.readiness > li").filter(has=page.get_by_role("heading", name=title))


def _open_the_check(page: Any) -> None:
    """From the landing page: the dossier section's link to the CTA draft's check."""
    page.get_by_role("link", name="Mon espace").first.click()
    page.wait_for_load_state()
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Ce qui manque au dossier")
    )
    section.get_by_role("link", name=re.compile(r"^CTA 2026-01 : ")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/dossier/CTA/2026-01/verification"), page.url


def test_coordinator_follows_the_check_to_fill_what_is_missing(
    new_page: Any, accounts: Any
) -> None:
    page = new_page()
    log_in(page, *accounts["coordinator"])
    _open_the_check(page)
    control = _criterion(page, re.compile("^4° Contrôle des modalités"))
    assert "bloquant" in control.locator("h2 .badge").inner_text()
    screenshot(page, "verification-avant-depot-1280")

    # A text of the dossier: the link leads to its field on the texts page.
    control.get_by_role("link", name=re.compile("Procédures de contrôle")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/dossier/CTA/textes#assessment_procedures"), page.url
    field = page.locator("#assessment_procedures")
    assert field.is_visible()
    field.fill(
        "Chaque évaluation est notée par deux évaluateur·rices ; les désaccords sont relevés et "
        "tranchés avant le jury, l'historique des résultats n'est jamais effacé."
    )
    page.get_by_role("button", name="Enregistrer les textes").click()
    page.wait_for_load_state()
    assert "Textes du dossier enregistrés." in page.locator(".flash-success").inner_text()

    # A bloc's validation rule: the link leads to that bloc's form, at the rule.
    _open_the_check(page)
    blocs = _criterion(page, re.compile("^7° Cohérence des blocs"))
    blocs.get_by_role("link", name="Le bloc BC01 ne dit pas comment il est validé.").click()
    page.wait_for_load_state()
    assert re.search(r"/edition/\d+/bloc/\d+#validation_rule$", page.url), page.url
    assert "BC01" in page.locator("h1").inner_text()
    rule = page.locator("#validation_rule")
    assert rule.is_visible() and rule.input_value() == ""
    rule.fill("Tous les critères du bloc acquis, constatés par le jury.")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success").count() == 1

    # Back to the check: both items are done, criterion 4° is ready.
    _open_the_check(page)
    control = _criterion(page, re.compile("^4° Contrôle des modalités"))
    assert control.locator("h2 .badge").inner_text() == "prêt"
    assert control.locator("ul.gaps").count() == 0
    blocs = _criterion(page, re.compile("^7° Cohérence des blocs"))
    gaps = blocs.locator("ul.gaps").inner_text()
    assert "Le bloc BC01 ne dit pas comment il est validé." not in gaps
    assert "Le bloc BC02 ne dit pas comment il est validé." in gaps  # the others remain
    screenshot(page, "verification-avant-depot-apres-1280")
