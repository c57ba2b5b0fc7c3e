"""The glossary: one label per member of each enum, found by member or by value."""

from __future__ import annotations

import enum
from typing import Any

import pytest

from app import glossary
from app.assessment.rules import BlocStatus
from app.glossary import BLOC_STATUS, DECISION, ENROLMENT_STATUS, Labels
from app.jury.models import Decision


def tables() -> list[Labels[Any]]:
    return [t for t in vars(glossary).values() if isinstance(t, Labels)]


def test_every_member_of_every_enum_has_a_label(app: Any) -> None:
    found = tables()
    assert len(found) >= 10
    with app.test_request_context():
        for table in found:
            assert list(table) == list(table.enum_type)
            assert all(str(table[member]).strip() for member in table.enum_type)


def test_labels_are_found_by_member_and_by_value(app: Any) -> None:
    with app.test_request_context():
        assert str(DECISION[Decision.DEFERRED]) == "ajourné"
        assert str(DECISION["deferred"]) == "ajourné"
        assert str(BLOC_STATUS[BlocStatus.VALIDATED]) == "validé"
        assert ENROLMENT_STATUS.get("nothing", "?") == "?"
    with pytest.raises(KeyError):
        DECISION["nothing"]


def test_a_missing_label_is_refused_when_the_table_is_made() -> None:
    class Colour(enum.Enum):
        RED = "red"
        BLUE = "blue"

    with pytest.raises(ValueError, match="BLUE"):
        Labels(Colour, {Colour.RED: "rouge"})
