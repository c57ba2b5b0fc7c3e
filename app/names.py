"""Names: their order as a French reader expects it, and names turned into file names."""

from __future__ import annotations

import re
import unicodedata


def name_key(name: str) -> tuple[str, str]:
    """Sort key of a name: accents and case ignored first ("Hélène" before "Hugo", "Léo"
    before "Lucas"), the name as written breaking ties so the order is stable."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return plain, name


def slug(text: str, default: str) -> str:
    """A part of a file name from a name: ASCII lower-case letters and digits, runs of anything
    else as one hyphen ("Promo Été 2026" → "promo-ete-2026"); `default` when nothing is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or default
