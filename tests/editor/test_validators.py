"""SIRET checks."""

from __future__ import annotations

import pytest

from app.validators import is_valid_siret, luhn_ok


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000074",  # passes Luhn
        "35600000000048",  # La Poste head office, passes Luhn
        "35600000049837",  # a La Poste establishment: digit sum divisible by 5
    ],
)
def test_valid_sirets(siret: str) -> None:
    assert is_valid_siret(siret)


@pytest.mark.parametrize(
    "siret",
    [
        "73282932000075",  # bad checksum
        "35600000049838",  # La Poste establishment, bad sum
        "7328293200007",  # 13 digits
        "732829320000744",  # 15 digits
        "7328293200007A",
        "",
        "732 829 320 00074",  # spaces are for the form to remove
    ],
)
def test_invalid_sirets(siret: str) -> None:
    assert not is_valid_siret(siret)


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
