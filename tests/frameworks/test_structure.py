"""A version's structure as plain values, read once per process for published versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.frameworks.structure import structure


def test_structure_follows_the_version_in_order(
    app: Any, create_version: Any, mini_doc: dict[str, Any], count_queries: Any
) -> None:
    version = create_version(mini_doc, publish=True)
    assert version.published_at is not None  # the row itself, expired by the commit, read again
    with count_queries() as cold:
        tree = structure(version)
    assert cold.count == 2
    assert [b.code for b in tree.blocs] == [b.code for b in version.blocs]
    assert [[c.code for c in b.competencies] for b in tree.blocs] == [
        [c.code for c in b.competencies] for b in version.blocs
    ]
    assert [k.statement for b in tree.blocs for c in b.competencies for k in c.criteria] == [
        k.statement for b in version.blocs for c in b.competencies for k in c.criteria
    ]
    assert [lvl.label for lvl in tree.scale_levels] == [lvl.label for lvl in version.scale_levels]
    assert tree.acquired_levels == {
        lvl.id for lvl in version.scale_levels if lvl.counts_as_acquired
    }
    assert tree.competency_rule is version.competency_rule
    with count_queries() as warm:
        assert structure(version) is tree
    assert warm.count == 0


def test_a_draft_is_read_each_time(
    app: Any, create_version: Any, mini_doc: dict[str, Any], count_queries: Any, db_session: Any
) -> None:
    draft = create_version(mini_doc)
    first = structure(draft)
    draft.blocs[0].title = "Titre revu du bloc"
    db_session.flush()
    with count_queries() as counter:
        again = structure(draft)
    assert counter.count == 2
    assert again.blocs[0].title == "Titre revu du bloc" != first.blocs[0].title


def test_a_reused_id_never_serves_another_version(
    app: Any, create_version: Any, mini_doc: dict[str, Any], db_session: Any
) -> None:
    """SQLite gives a rolled-back row's id to the next one: publication time tells them apart."""
    version = create_version(mini_doc, publish=True)
    tree = structure(version)
    assert version.published_at is not None
    db_session.expunge(version)  # changed in memory only: a published version never changes
    version.published_at = version.published_at + dt.timedelta(seconds=1)
    assert structure(version) is not tree
