"""Shared checks of identifiers and names used by the cohort forms and the import."""

from __future__ import annotations

import pytest

from app.validators import (
    is_valid_commune_code,
    is_valid_country_code,
    is_valid_email,
    is_valid_person_name,
    is_valid_siret,
)
from tests.factories import siret


def test_siret_needs_14_digits_and_its_checksum() -> None:
    good = siret("7328293200007")
    assert is_valid_siret(good)
    wrong_key = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert not is_valid_siret(wrong_key)
    assert not is_valid_siret(good[:-1])
    assert not is_valid_siret(good + "0")
    assert not is_valid_siret("7328293200007A")


@pytest.mark.parametrize("code", ["75056", "01053", "2A004", "2B033", "97411"])
def test_commune_codes_accepted(code: str) -> None:
    assert is_valid_commune_code(code)


@pytest.mark.parametrize("code", ["7505", "750560", "2C004", "2a004", "99350", "AB123", ""])
def test_commune_codes_refused(code: str) -> None:
    assert not is_valid_commune_code(code)


def test_country_codes() -> None:
    assert is_valid_country_code("99350")
    for bad in ("99", "9935", "993500", "98350", "75056", "99ABC"):
        assert not is_valid_country_code(bad)


@pytest.mark.parametrize(
    "name",
    ["Hélène", "N'Diaye", "N’Diaye", "Jean-Éric", "de La Fontaine", "Zoë Ørsted", "St. Just"],
)
def test_names_with_accents_apostrophes_hyphens_accepted(name: str) -> None:
    assert is_valid_person_name(name)


@pytest.mark.parametrize("name", ["<b>Jean</b>", "R2D2", "Jean;Paul", "---", "''", "a@b"])
def test_names_refused(name: str) -> None:
    assert not is_valid_person_name(name)


def test_emails() -> None:
    assert is_valid_email("helene.ndiaye@exemple.fr")
    assert is_valid_email("jean-eric+promo@sous.domaine.org")
    for bad in ("helene", "helene@", "@exemple.fr", "a b@exemple.fr", "a@exemple", "a@@b.fr"):
        assert not is_valid_email(bad)
