"""Password hashing (Argon2id) and the refusal of common passwords."""

from __future__ import annotations

import contextlib
import gzip
import string
import unicodedata
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

# Argon2id, by the name the PASSWORD_HASHING setting gives. "recommended" (every configuration
# but the tests'): the library's recommended parameters (RFC 9106, low memory), about 0.1 s a
# check on purpose. "cheapest": the tests' configuration only, the same code at the smallest
# cost, so that the suite's thousands of hashes and logins do not outweigh what they test.
HASHERS = {
    "recommended": PasswordHasher(),
    "cheapest": PasswordHasher.from_parameters(profiles.CHEAPEST),
}

MIN_LENGTH = 12
MAX_LENGTH = 200  # Argon2 takes any length; this only bounds the work a request can ask for
COMMON_PASSWORDS = Path(__file__).parent / "data" / "common-passwords.txt.gz"
_EDGES = string.digits + string.punctuation + string.whitespace


def _hasher() -> PasswordHasher:
    name = current_app.config["PASSWORD_HASHING"] if has_app_context() else "recommended"
    return HASHERS[name]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check `password`; without a hash, still spend the time of one check."""
    if not password_hash:
        _spend_one_check(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("un mot de passe qui ne sert qu'à perdre du temps")


def _spend_one_check(password: str) -> None:
    """Take as long as a real check, so answers do not tell which accounts exist."""
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher = _hasher()
        hasher.verify(_dummy_hash(hasher), password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of the most common passwords, in lower case."""
    with gzip.open(COMMON_PASSWORDS, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def _fold(text: str) -> str:
    """Lower case without accents, to compare names with what people type."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _personal_words(email: str, name: str) -> set[str]:
    local = email.split("@", 1)[0]
    words = {local, *local.replace("+", ".").replace("_", ".").replace("-", ".").split(".")}
    words.update(name.replace("-", " ").replace("'", " ").replace("’", " ").split())
    return {_fold(w) for w in words if len(w) >= 3}


def password_problems(password: str, *, email: str = "", name: str = "") -> list[str]:
    """What is wrong with `password` for this person, in French; empty when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [
            _(
                "Le mot de passe doit compter au moins %(n)d caractères.",
                n=MIN_LENGTH,
            )
        ]
    if len(password) > MAX_LENGTH:
        return [_("Le mot de passe ne doit pas dépasser %(n)d caractères.", n=MAX_LENGTH)]
    problems = []
    lowered = password.lower()
    core = lowered.strip(_EDGES)
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common):
        problems.append(
            _("Ce mot de passe fait partie des plus courants : choisissez-en un autre.")
        )
    if len(set(password)) < 5:
        problems.append(_("Le mot de passe contient trop peu de caractères différents."))
    folded = _fold(password)
    if any(word in folded for word in _personal_words(email, name)):
        problems.append(_("Le mot de passe ne doit contenir ni votre nom ni votre adresse e-mail."))
    return problems
