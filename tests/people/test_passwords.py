"""Password rules: length, the common-passwords list, personal words; Argon2id hashes."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from app.people.passwords import (
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)
from tests.people.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _context(app: Flask) -> Any:
    with app.test_request_context():
        yield


def test_ships_ten_thousand_common_passwords() -> None:
    common = common_passwords()
    assert len(common) >= 9_900
    assert {"123456", "password", "azerty", "motdepasse", "soleil"} <= common


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = hash_password(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, PASSWORD)
    assert not verify_password(hashed, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)
    assert not verify_password("pas-un-hash", PASSWORD)


def test_acceptable_password() -> None:
    assert password_problems("trois-pommes-sur-la-table", email="awa@exemple.fr", name="Awa") == []


def test_too_short() -> None:
    assert password_problems("Xq7!zR2#kP9") == [
        "Le mot de passe doit compter au moins 12 caractères."
    ]


@pytest.mark.parametrize(
    "password",
    ["qazwsxedcrfv", "Password1234", "azertyuiop123", "Motdepasse2024!", "123soleil456"],
)
def test_common_passwords_are_refused(password: str) -> None:
    assert password_problems(password) == [
        "Ce mot de passe fait partie des plus courants : choisissez-en un autre."
    ]


def test_too_few_different_characters() -> None:
    assert password_problems("abababababababab") == [
        "Le mot de passe contient trop peu de caractères différents."
    ]


@pytest.mark.parametrize(
    "password",
    ["amelie-et-son-jardin", "Poulain-du-Marais-7", "jardin-apoulain-42", "xx-AMÉLIE.poulain-xx"],
)
def test_name_and_email_are_refused(password: str) -> None:
    problems = password_problems(password, email="a.poulain@exemple.fr", name="Amélie Poulain")
    assert problems == ["Le mot de passe ne doit contenir ni votre nom ni votre adresse e-mail."]


def test_short_name_parts_are_not_words() -> None:
    # "Le" or "Ba" inside a password is no personal information.
    assert password_problems("le-ballon-rouge-vole", email="le@exemple.fr", name="Ba Le") == []


def test_change_password_page_refuses_a_common_password(refused_password_change: Any) -> None:
    html = refused_password_change(PASSWORD, "azertyuiop2024", "azertyuiop2024")
    assert "Ce mot de passe fait partie des plus courants" in html
    assert 'aria-invalid="true"' in html


def test_every_configuration_but_the_tests_hashes_at_the_recommended_cost() -> None:
    from argon2 import profiles

    import config
    from app.people.passwords import HASHERS

    assert HASHERS["recommended"].time_cost == profiles.RFC_9106_LOW_MEMORY.time_cost
    assert HASHERS["recommended"].memory_cost == profiles.RFC_9106_LOW_MEMORY.memory_cost
    for name, settings in config.CONFIGS.items():
        expected = "cheapest" if name == "testing" else "recommended"
        assert expected == settings.PASSWORD_HASHING, name
