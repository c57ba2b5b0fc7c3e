"""The order of people's names, as a French reader expects it."""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> tuple[str, str]:
    """Sort key of a name: accents and case ignored first ("Hélène" before "Hugo", "Léo"
    before "Lucas"), the name as written breaking ties so the order is stable."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain, name
