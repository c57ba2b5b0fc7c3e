"""Checks of official identifiers, shared by every form that asks for one."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length

_SIRET = re.compile(r"[0-9]{14}")
# La Poste's establishments share one SIREN and use their own checksum rule (INSEE).
_LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    """Whether a string of digits passes the Luhn checksum."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def is_valid_siret(value: str) -> bool:
    """Whether `value` is a well-formed SIRET: 14 digits with a valid checksum."""
    if not _SIRET.fullmatch(value):
        return False
    if luhn_ok(value):
        return True
    return value.startswith(_LA_POSTE_SIREN) and sum(int(c) for c in value) % 5 == 0


# --- people and places (cohorts) --------------------------------------------------------------

# INSEE commune code: two digits, or 2A / 2B for Corsica, then three digits; 99xxx are countries.
_COMMUNE = re.compile(r"(?:[0-9]{2}|2[AB])[0-9]{3}")
# INSEE country code (code officiel géographique): 99 then three digits.
_COUNTRY = re.compile(r"99[0-9]{3}")
# A plain e-mail address: one @, no spaces, a dotted domain. Deliverability is for the invitation.
_EMAIL = re.compile(r"[^@\s<>\"(),;:]+@[^@\s<>\"(),;:]+\.[^@\s<>\"(),;:.]{2,}")
# Letters of any script (with their accents), spaces, apostrophes, hyphens and dots.
_NAME_EXTRA = frozenset(" '’-.")


def normalize_insee_code(value: str) -> str:
    """The INSEE code as stored: no surrounding spaces, Corsican A/B in capitals."""
    return value.strip().upper()


def is_valid_commune_code(value: str) -> bool:
    """Whether `value` is a French commune code (INSEE): 75056, 2A004; never a 99xxx country."""
    return bool(_COMMUNE.fullmatch(value)) and not value.startswith("99")


def is_valid_country_code(value: str) -> bool:
    """Whether `value` is an INSEE country code: 99 then three digits (99350 = Maroc)."""
    return bool(_COUNTRY.fullmatch(value))


def is_valid_email(value: str) -> bool:
    """Whether `value` looks like an e-mail address (254 characters at most)."""
    return len(value) <= 254 and bool(_EMAIL.fullmatch(value))


def is_valid_person_name(value: str) -> bool:
    """Whether `value` can be a civil name: letters (accents welcome), spaces, ' ’ - and dots."""
    if not any(c.isalpha() for c in value):
        return False
    return all(c in _NAME_EXTRA or unicodedata.category(c)[0] in {"L", "M"} for c in value)


def fits(column: Any) -> Length:
    """A form validator holding a text to its column's size, e.g. ``fits(User.email)``."""
    maximum = column.property.columns[0].type.length
    return Length(max=maximum, message=_l("%(max)d caractères au plus."))
