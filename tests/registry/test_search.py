"""Searching the register: French words whatever their form or accents, codes, level, state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.registry.search import Query, search


def numbers(db_session: Any, **query: Any) -> list[str]:
    return [hit.number for hit in search(db_session, Query(**query)).hits]


def test_words_match_whatever_their_form_and_accents(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    # "coopérations" (plural, accented) finds "coopération"; "DEVELOPPEMENT" finds
    # "développement"; the fiche whose title holds the words comes first.
    assert numbers(db_session, words="coopérations") == ["RNCP34001"]
    assert numbers(db_session, words="DEVELOPPEMENT territorial") == ["RNCP34001"]
    assert numbers(db_session, words="cuisine centrale") == ["RNCP34002"]
    assert numbers(db_session, words="la des") == []  # stop words alone find nothing
    assert search(db_session, Query(words="la des")).unknown_words


def test_inactive_fiches_are_found_only_when_asked(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    assert numbers(db_session, words="économie sociale solidaire") == []
    assert numbers(db_session, words="économie sociale solidaire", active_only=False) == [
        "RNCP29003"
    ]


def test_codes_and_level_narrow_the_search(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    assert numbers(db_session, rome="k1802", active_only=False) == ["RNCP29003", "RNCP34001"]
    assert numbers(db_session, nsf="221t") == ["RNCP34002"]
    assert numbers(db_session, formacode="44012", level=6) == ["RNCP34001"]
    assert numbers(db_session, words="projet", level=3) == []


def test_withdrawn_fiches_leave_the_results(
    db_session: Any, load_register: Any, register_a: Path, register_b: Path
) -> None:
    load_register(register_a)
    load_register(register_b)
    assert numbers(db_session, rome="K1802", active_only=False) == ["RNCP34001"]
    assert numbers(db_session, words="médiateur numérique") == ["RNCP35004"]
