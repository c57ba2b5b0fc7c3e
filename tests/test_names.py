"""Names: French order, and file names made from them."""

from __future__ import annotations

from app.names import name_key, slug


def test_slug_keeps_ascii_letters_and_digits() -> None:
    assert slug("Promo Été 2026 — Lyon", "promotion") == "promo-ete-2026-lyon"
    assert slug("   ", "promotion") == "promotion"
    assert slug("Ωμέγα", "analyse") == "analyse"


def test_names_sort_without_accents_first() -> None:
    assert sorted(["Hugo", "Hélène", "lucas", "Léo"], key=name_key) == [
        "Hélène",
        "Hugo",
        "Léo",
        "lucas",
    ]
