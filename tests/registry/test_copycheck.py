"""The literal-copy check: copies with a few words changed are caught, stock phrases are not."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from app.frameworks import services
from app.registry import copycheck
from app.registry.copycheck import Statement
from tests.conftest import REAL_FILES

Check = Callable[[list[Statement]], list[copycheck.Flag]]


@pytest.fixture
def check(db_session: Any, load_register: Any, register_a: Path) -> Check:
    """copycheck.check() against register A, loaded."""
    load_register(register_a)
    return partial(copycheck.check, db_session)


def test_a_competency_copied_with_three_words_changed_is_flagged_with_its_fiche(
    check: Check,
) -> None:
    copied = Statement(
        "C2.3",
        "competency",
        # The register says: "Conduire des entretiens avec les élus, les associations et les
        # entreprises du territoire pour identifier les dynamiques de coopération existantes".
        "Mener des entretiens avec les élus, les associations et les habitants du territoire "
        "afin d'identifier les dynamiques de coopération existantes",
    )
    flags = check([copied])
    assert len(flags) == 1
    flag = flags[0]
    assert flag.fiche_number == "RNCP34001"
    assert flag.fiche_title == "Chargé de développement territorial"
    assert flag.theirs.startswith("Conduire des entretiens avec les élus")
    assert 0.7 <= flag.score < 1
    pieces = copycheck.highlight(copied.text, flag.shared)
    assert "".join(p for p, _ in pieces) == copied.text
    marked = [p for p, shared in pieces if shared]
    assert "entretiens" in marked and "élus" in marked and "Mener" not in marked


def test_a_copy_inside_a_longer_statement_is_flagged(
    check: Check,
) -> None:
    inside = Statement(
        "C1.1",
        "competency",
        "Formaliser les engagements réciproques des partenaires dans une convention de coopération",
    )
    assert [f.fiche_number for f in check([inside])] == ["RNCP34001"]


def test_a_shared_stock_phrase_is_not_a_copy(
    check: Check,
) -> None:
    own = Statement(
        "C3.1",
        "competency",
        "Intégrer les enjeux de la transition écologique et sociale dans la gouvernance "
        "partagée d'une coopération entre habitants, élus et associations",
    )
    short = Statement("BC02", "bloc", "Animer un réseau d'acteurs")  # word for word, but short
    assert check([own, short]) == []


def test_the_shipped_referentiels_copy_nothing_from_the_register(
    check: Check,
) -> None:
    for path in REAL_FILES:
        from app.frameworks import documents

        version = services.import_document(documents.load(path, 2_000_000))
        statements = copycheck.version_statements(version)
        assert len(statements) > 80
        assert {s.kind for s in statements} == {"activity", "bloc", "competency", "criterion"}
        assert check(statements) == []
