"""The coordinator's way through the readiness check, by clicking only: from the landing page to
the check of the revised version, a not-ready item's link to the field where it is filled, and
back to the check, where the item is gone and its criterion ready."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import log_in, screenshot

pytestmark = pytest.mark.browser


def _criterion(page: Any, title: str) -> Any:
    return page.locator("ol.readiness > li").filter(has=page.get_by_role("heading", name=title))


def _open_the_check(page: Any) -> None:
    """From the landing page: the dossier section's link to the check of CTA 2026-12."""
    page.get_by_role("link", name="Mon espace").first.click()
    page.wait_for_load_state()
    section = page.locator(
        "section", has=page.get_by_role("heading", name="Ce qui manque au dossier")
    )
    section.get_by_role("link", name=re.compile(r"^CTA 2026-12 : ")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/dossier/CTA/2026-12/verification"), page.url


def _fill_from_link(page: Any, criterion: Any, link: str, field_id: str, text: str) -> None:
    """Follow a gap's link to its field on the dossier's texts page, fill it and save."""
    criterion.get_by_role("link", name=re.compile(link)).click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/dossier/CTA/textes#{field_id}"), page.url
    field = page.locator(f"#{field_id}")
    assert field.is_visible()
    field.fill(text)
    page.get_by_role("button", name="Enregistrer les textes").click()
    page.wait_for_load_state()
    assert "Textes du dossier enregistrés." in page.locator(".flash-success").inner_text()


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
    _fill_from_link(
        page,
        control,
        "Procédures de contrôle",
        "assessment_procedures",
        "Chaque évaluation est notée par deux évaluateur·rices ; les désaccords sont relevés et "
        "tranchés avant le jury, l'historique des résultats n'est jamais effacé.",
    )

    # The disability adaptations (criterion 3°): another text, another field of the same page.
    _open_the_check(page)
    _fill_from_link(
        page,
        _criterion(page, re.compile("^3° Qualité des référentiels")),
        "Prise en compte du handicap",
        "disability_adaptations",
        "Les épreuves sont aménagées sur demande (temps majoré, supports adaptés, aide humaine), "
        "après avis du référent handicap de l'organisme.",
    )

    # Back to the check: criterion 4° is ready; 3° keeps only what the register must show.
    _open_the_check(page)
    control = _criterion(page, re.compile("^4° Contrôle des modalités"))
    assert control.locator("h2 .badge").inner_text() == "prêt"
    assert control.locator("ul.gaps").count() == 0
    quality = _criterion(page, re.compile("^3° Qualité des référentiels"))
    gaps = quality.locator("ul.gaps").inner_text()
    assert "Prise en compte du handicap" not in gaps
    assert "Le répertoire national n'est pas chargé" in gaps  # what remains, and how to load it
    assert (
        _criterion(page, re.compile("^7° Cohérence des blocs")).locator("h2 .badge").inner_text()
        == "prêt"
    )  # the revised référentiel: every criterion has its modality
    screenshot(page, "verification-avant-depot-apres-1280")
