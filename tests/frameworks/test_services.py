"""Storing, publishing, exporting and comparing versions; the published version is immutable."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.frameworks import comparison, documents, services
from app.frameworks.models import (
    Criterion,
    FrameworkVersion,
    ImmutableVersionError,
    ScaleLevel,
    VersionStatus,
)
from tests.conftest import REAL_FILES
from tests.factories import doc_variant


def test_import_stores_everything(create_version: Any, db_session: Any) -> None:
    version = create_version()
    loaded = services.load_version("MINI", "v1")
    assert loaded.id == version.id
    assert loaded.status is VersionStatus.DRAFT
    assert [b.code for b in loaded.blocs] == ["BC01"]
    comp = loaded.blocs[0].competencies[0]
    assert [a.code for a in comp.activities] == ["A1.1"]
    assert [c.code for c in comp.criteria] == ["C1.1.a", "C1.1.b"]
    assert [lvl.counts_as_acquired for lvl in loaded.scale_levels] == [False, True]
    assert loaded.created_at.tzinfo is not None


def test_same_label_twice_is_refused(create_version: Any) -> None:
    create_version()
    with pytest.raises(services.FrameworkError, match="déjà une version"):
        create_version()


def test_export_round_trip(create_version: Any, mini_doc: dict[str, Any]) -> None:
    create_version()
    exported = services.export_document(services.load_version("MINI", "v1"))
    assert exported == mini_doc


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_real_files_round_trip(path: Any, db_session: Any, tmp_path: Any) -> None:
    original = documents.load(path)
    services.import_document(copy.deepcopy(original))
    db_session.commit()
    code = original["certification"]["code"]
    text = documents.dump(services.export_document(services.load_version(code)))
    out = tmp_path / "out.yaml"
    out.write_text(text, encoding="utf-8")
    again = documents.load(out)
    assert again == _with_defaults(original)
    # And the exported file imports back to identical content under another label.
    again["version"]["label"] = "copie"
    services.import_document(again)
    db_session.commit()
    copy_doc = services.export_document(services.load_version(code, "copie"))
    copy_doc["version"]["label"] = original["version"]["label"]
    assert copy_doc == _with_defaults(original)


def _with_defaults(doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    doc["scale"].setdefault("competency_rule", "all")
    for bloc in doc["blocs"]:
        bloc.setdefault("optional", False)
    return doc


def test_publish_then_nothing_can_change(create_version: Any, db_session: Any) -> None:
    version = create_version(publish=True)
    assert version.published_at is not None
    crit = db_session.scalar(sa.select(Criterion).where(Criterion.version_id == version.id))

    crit.statement = "Reformulé en douce"
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()

    version = db_session.get(FrameworkVersion, version.id)
    version.title = "Autre titre"
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()

    version = db_session.get(FrameworkVersion, version.id)
    db_session.add(ScaleLevel(version=version, position=9, code="X", label="X"))
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()

    version = db_session.get(FrameworkVersion, version.id)
    db_session.delete(version.blocs[0])
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()

    version = db_session.get(FrameworkVersion, version.id)
    comp = version.blocs[0].competencies[0]
    comp.activities.append(version.domains[0].activities[1])
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()

    version = db_session.get(FrameworkVersion, version.id)
    db_session.delete(version)
    with pytest.raises(ImmutableVersionError):
        db_session.flush()
    db_session.rollback()


def test_publish_twice_and_retire(create_version: Any, db_session: Any) -> None:
    version = create_version(publish=True)
    with pytest.raises(services.FrameworkError, match="n'est pas un brouillon"):
        services.publish(version)
    services.retire(version)
    db_session.commit()
    assert version.status is VersionStatus.RETIRED
    with pytest.raises(services.FrameworkError):
        services.retire(version)


def test_draft_can_change(create_version: Any, db_session: Any) -> None:
    version = create_version()
    version.blocs[0].competencies[0].criteria[0].statement = "Nouvelle formulation"
    db_session.commit()
    assert services.load_version("MINI", "v1").blocs[0].competencies[0].criteria[0].statement == (
        "Nouvelle formulation"
    )


def test_database_constraints(create_version: Any, db_session: Any) -> None:
    version = create_version()
    with pytest.raises(IntegrityError):
        db_session.execute(
            sa.update(FrameworkVersion).where(FrameworkVersion.id == version.id).values(level=9)
        )
    db_session.rollback()
    with pytest.raises(IntegrityError):
        db_session.execute(
            sa.text("UPDATE framework_versions SET status = 'archived' WHERE id = :id"),
            {"id": version.id},
        )
    db_session.rollback()
    with pytest.raises(IntegrityError):  # published without a publication date
        db_session.execute(
            sa.text("UPDATE framework_versions SET status = 'published' WHERE id = :id"),
            {"id": version.id},
        )
    db_session.rollback()
    with pytest.raises(IntegrityError):  # a criterion of a competency that does not exist
        db_session.execute(
            sa.insert(Criterion).values(
                version_id=version.id, competency_id=999999, position=0, code="X", statement="x"
            )
        )
    db_session.rollback()


def test_diff(create_version: Any, mini_doc: dict[str, Any]) -> None:
    create_version(publish=True)
    doc = doc_variant(mini_doc, label="v2")
    comp = doc["blocs"][0]["competencies"]
    comp[0]["statement"] = "Préparer une réunion afin de faciliter la décision partagée"
    comp[1]["criteria"].pop()
    comp.append(
        {
            "code": "C1.3",
            "statement": "Évaluer la réunion pour progresser",
            "activities": ["A1.2"],
            "criteria": [{"code": "C1.3.a", "statement": "Un bilan est écrit"}],
        }
    )
    create_version(doc)
    result = comparison.diff(
        services.load_version("MINI", "v1"), services.load_version("MINI", "v2")
    )
    assert [(c.change, c.kind, c.code) for c in result.changes] == [
        ("reworded", "compétence", "C1.1"),
        ("added", "compétence", "C1.3"),
        ("removed", "critère", "C1.2.b"),
        ("added", "critère", "C1.3.a"),
    ]
