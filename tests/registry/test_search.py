"""Searching the register: French words whatever their form or accents, codes, level, state."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.db import db
from app.registry.models import PG_INDEX, PG_VECTOR
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


def test_a_code_no_fiche_holds_reads_no_statement(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert numbers(db_session, words="projet", rome="A1101") == []
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    # While a first load of the register holds its statements locked (PostgreSQL drops their
    # index until it commits), such a search answers at once instead of waiting.
    assert seen and not any("registry_statements" in s for s in seen)


def test_a_first_load_leaves_the_full_text_index_in_place(
    db_session: Any, load_register: Any, register_a: Path
) -> None:
    load_register(register_a)
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL drops and builds its GIN index around a first load")
    indexes = db_session.scalars(
        sa.text("SELECT indexdef FROM pg_indexes WHERE tablename = 'registry_statements'")
    ).all()
    assert any(PG_INDEX in d and PG_VECTOR in d for d in indexes), indexes
    assert numbers(db_session, words="coopérations") == ["RNCP34001"]
