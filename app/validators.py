"""Checks of official identifiers, shared by every form that asks for one."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import Length

from exports.accrochage import civil_name

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
_NAME_EXTRA = frozenset(" '’-.")  # ’ accepted as typed, stored as ' (normalize_person_name)


def normalize_person_name(value: str) -> str:
    """A civil name as stored: spaces collapsed, one apostrophe (exports.accrochage says which
    and why)."""
    return civil_name(value)


def normalize_insee_code(value: str) -> str:
    """The INSEE code as stored: no surrounding spaces, Corsican A/B in capitals."""
    return value.strip().upper()


# France in the INSEE country list: never a birth place, people born in France give their
# commune's code.
FRANCE_COUNTRY_CODE = "99100"
# Corsica was one department (20) until 1976; its communes now have 2A (Corse-du-Sud) and
# 2B (Haute-Corse) codes and no INSEE code starts with 20 any more (20xxx is a postal code).
_OLD_CORSICA = re.compile(r"20[0-9]{3}")


def commune_code_problem(value: str) -> str | None:
    """Why `value` is not a birth commune's INSEE code, in French (None when it is one)."""
    if value == FRANCE_COUNTRY_CODE:
        return str(
            _l(
                "99100 est le code de la France dans la liste des pays : pour une personne née "
                "en France, indiquez le code INSEE de sa commune de naissance."
            )
        )
    if _OLD_CORSICA.fullmatch(value):
        return str(
            _l(
                "%(code)s : les communes de Corse ont depuis 1976 un code qui commence par 2A "
                "(Corse-du-Sud) ou 2B (Haute-Corse), par exemple 2A004 pour Ajaccio ; 20xxx "
                "est un code postal ou un ancien code INSEE.",
                code=value,
            )
        )
    if value.startswith("99") and _COUNTRY.fullmatch(value):
        return str(
            _l("%(code)s est un code de pays : indiquez-le comme pays de naissance.", code=value)
        )
    if not is_valid_commune_code(value):
        return str(
            _l(
                "Code commune INSEE invalide : 5 caractères, 2 chiffres (ou 2A, 2B) puis 3 "
                "chiffres ; pour une naissance à l'étranger, indiquez le code pays."
            )
        )
    return None


def country_code_problem(value: str) -> str | None:
    """Why `value` is not a birth country's INSEE code, in French (None when it is one)."""
    if value == FRANCE_COUNTRY_CODE:
        return str(
            _l(
                "99100 est le code de la France : pour une personne née en France, laissez le "
                "pays vide et indiquez le code INSEE de sa commune de naissance."
            )
        )
    if not is_valid_country_code(value):
        return str(_l("Code pays INSEE invalide : 99 suivi de 3 chiffres, par exemple 99350."))
    return None


def is_valid_commune_code(value: str) -> bool:
    """Whether `value` is a French commune code (INSEE): 75056, 2A004; never a 99xxx country,
    never a pre-1976 Corsican 20xxx."""
    return (
        bool(_COMMUNE.fullmatch(value))
        and not value.startswith("99")
        and not _OLD_CORSICA.fullmatch(value)
    )


def is_valid_country_code(value: str) -> bool:
    """Whether `value` is an INSEE country code of a country other than France: 99 then three
    digits (99350 = Maroc); 99100 is France itself."""
    return bool(_COUNTRY.fullmatch(value)) and value != FRANCE_COUNTRY_CODE


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
