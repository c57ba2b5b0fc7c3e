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


def slug(text: str, default: str, *, keep: str = "", lower: bool = True) -> str:
    """A part of a file name (or an e-mail's local part) from a name: ASCII letters and digits
    and the characters of `keep`, runs of anything else as one hyphen ("Promo Été 2026" →
    "promo-ete-2026"), lower-case unless `lower` is false; `default` when nothing is left."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    if lower:
        plain = plain.lower()
    allowed = "a-z0-9" + ("" if lower else "A-Z") + re.escape(keep)
    return re.sub(f"[^{allowed}]+", "-", plain).strip("-" + keep) or default
