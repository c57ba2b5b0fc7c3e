"""Codes as shown and exported: the RNCP forms, and NSF / ROME / Formacode labels.

Pure functions (no database, no Flask): the editor, the fiche, the dossier and the
accrochage all call these, so a certification is named the same way everywhere.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

NOMENCLATURE_DIR = Path(__file__).resolve().parents[2] / "referentiel" / "nomenclatures"

RNCP_NUMBER_RE = re.compile(r"RNCP[0-9]{1,6}")
NSF_RE = re.compile(r"[0-9]{3}[a-z]?")
ROME_RE = re.compile(r"[A-N][0-9]{4}")
FORMACODE_RE = re.compile(r"[0-9]{5}")
_BLOC_NUMBER = re.compile(r"(?:.*?)([0-9]{1,2})")

# The kinds of codes a certification carries, with their shipped nomenclature (None: none).
KINDS = {"nsf": "nsf.csv", "rome": "rome.csv", "formacode": None}


def normalise_rncp_number(value: str) -> str:
    """« rncp 12345 », « 12345 » → « RNCP12345 »; the form is checked by `is_rncp_number`."""
    cleaned = re.sub(r"\s+", "", value).upper()
    return cleaned if cleaned.startswith("RNCP") else f"RNCP{cleaned}"


def is_rncp_number(value: str) -> bool:
    return RNCP_NUMBER_RE.fullmatch(value) is not None


def certification_code(code: str, rncp_number: str | None) -> str:
    """The certification's code as displayed and exported: RNCPnnnnn once registered, its
    provisional code before."""
    return rncp_number or code


def bloc_code(code: str, position: int, rncp_number: str | None) -> str:
    """A bloc's code as displayed and exported: RNCPnnnnnBCyy once the certification is
    registered (yy: the number its provisional code ends with, else its rank from 1), its
    provisional code before."""
    if not rncp_number:
        return code
    match = _BLOC_NUMBER.fullmatch(code)
    number = int(match.group(1)) if match else position + 1
    return f"{rncp_number}BC{number:02d}"


@cache
def nomenclature(kind: str) -> dict[str, str]:
    """The shipped labels of a kind of code (empty for Formacode: not redistributable)."""
    name = KINDS[kind]
    if name is None:
        return {}
    with (NOMENCLATURE_DIR / name).open(encoding="utf-8", newline="") as fh:
        return {row["code"]: row["label"] for row in csv.DictReader(fh, delimiter=";")}


def official_label(kind: str, code: str) -> str:
    """The shipped label of `code` ('' when the list does not have it). A NSF code with a
    letter (a domaine fonctionnel) takes its group's label."""
    labels = nomenclature(kind)
    if code in labels:
        return labels[code]
    if kind == "nsf" and len(code) == 4:
        return labels.get(code[:3], "")
    return ""


def code_label(kind: str, code: str, typed: dict[str, str]) -> str:
    """The label to print for `code`: the official one, else the one typed in the
    référentiel, else ''."""
    return official_label(kind, code) or typed.get(code, "").strip()


def missing_labels(kind: str, codes: list[str], typed: dict[str, str]) -> list[str]:
    """The codes of `codes` that no nomenclature names and no typed label covers."""
    return [code for code in codes if not code_label(kind, code, typed)]


# A partner's habilitation, in the flux's words (HABILITATION_PARTENAIRE).
HABILITATIONS = {
    "train": "Habilitation pour former",
    "assess": "Habilitation pour organiser l’évaluation",
    "train_and_assess": "Habilitation pour former et organiser l’évaluation",
}

# REGLEMENTATIONS_ACTIVITES when the certification says the activity is not regulated.
NO_REGULATION = "Aucune réglementation spécifique ne s’applique à l’exercice de ces activités."
