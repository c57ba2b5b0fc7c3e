"""The values of a CASE package held to the référentiel's format (exports/case_tree.py maps
the tree): codes, titles and texts of bounded length, folded labels, scales and rubric levels
turned into ours.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
BORROWED_RE = re.compile(r"^RNCP[0-9]{1,6}$")
SIRET_RE = re.compile(r"^[0-9]{14}$")
CODE_LISTS = {  # extension key: (document key, pattern, most codes)
    "nsf": (re.compile(r"^[0-9]{3}[a-z]?$"), 3),
    "rome": (re.compile(r"^[A-N][0-9]{4}$"), 5),
    "formacode": (re.compile(r"^[0-9]{5}$"), 5),
}
TITLE_MAX = 300
LONGTEXT_MAX = 4000
NOTES_MAX = 10_000
DEFAULT_LEVEL = 5
DEFAULT_SCALE = [
    {"code": "NA", "label": "Non acquis", "acquired": False},
    {"code": "EC", "label": "En cours d'acquisition", "acquired": False},
    {"code": "A", "label": "Acquis", "acquired": True},
]

# Where each kind may stand: the kinds of item allowed under each parent, the first being the
# one an untyped item becomes.
CHILDREN = {
    "document": ("bloc", "domain"),
    "domain": ("activity",),
    "bloc": ("competency", "modality"),
    "competency": ("criterion",),
    "activity": (),
    "modality": (),
    "criterion": (),
}
NOUNS = {
    "document": "le document",
    "domain": "un domaine d'activité",
    "activity": "une activité",
    "bloc": "un bloc de compétences",
    "modality": "une modalité d'évaluation",
    "competency": "une compétence",
    "criterion": "un critère d'évaluation",
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).casefold()
    return "".join(c for c in text if not unicodedata.combining(c)).strip()


def one_line(text: Any) -> str:
    return " ".join(str(text).split()) if text is not None else ""


def title_text(value: Any) -> str:
    """A title's text as given, on one line."""
    text = str(value or "").strip()
    return " ".join(text.split()) if "\n" in text or "\r" in text or "\t" in text else text


def fold_keep_case(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c))


def letters(n: int) -> str:
    """a, b, …, z, aa, ab, …"""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def our_levels(levels: Any) -> list[dict[str, Any]]:
    if not isinstance(levels, list) or not 2 <= len(levels) <= 9:
        return []
    out = []
    for level in levels:
        if not isinstance(level, dict):
            return []
        code, label, acquired = level.get("code"), level.get("label"), level.get("acquired")
        if not (isinstance(code, str) and CODE_RE.match(code) and isinstance(acquired, bool)):
            return []
        if not isinstance(label, str) or not label.strip():
            return []
        out.append({"code": code, "label": one_line(label)[:TITLE_MAX], "acquired": acquired})
    if len({lvl["code"] for lvl in out}) != len(out) or len({lvl["acquired"] for lvl in out}) < 2:
        return []
    return out


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def rubric_levels(levels: Any) -> list[dict[str, Any]]:
    """A foreign rubric criterion's levels, lowest first; the highest counts as acquired."""
    entries = [lvl for lvl in as_list(levels) if isinstance(lvl, dict)]
    if not 2 <= len(entries) <= 9:
        return []

    def rank(level: dict[str, Any]) -> tuple[float, float]:
        score = level.get("score")
        position = level.get("position")
        return (
            float(score) if isinstance(score, int | float) else 0.0,
            float(position) if isinstance(position, int | float) else 0.0,
        )

    entries.sort(key=rank)
    out = []
    for n, level in enumerate(entries, start=1):
        label = one_line(level.get("quality") or level.get("description")) or f"Niveau {n}"
        out.append({"code": f"N{n}", "label": label[:TITLE_MAX], "acquired": n == len(entries)})
    return out
