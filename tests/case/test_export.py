"""CASE export: each shipped référentiel as a CFPackage checked against the official schema."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.frameworks import case as case_service
from app.frameworks import services
from exports import case
from tests.conftest import REAL_FILES


def _load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(params=REAL_FILES, ids=[p.stem for p in REAL_FILES])
def shipped(request: Any, create_version: Any) -> Any:
    """A shipped référentiel, published, loaded with its whole content."""
    version = create_version(_load(request.param), publish=True)
    return services.load_version(version.certification.code, version.label)


def test_shipped_versions_validate_against_the_official_schema(shipped: Any) -> None:
    package = case_service.package(shipped)
    assert case.schema_problems(package) == []
    # Through JSON too, as it is written to files and served.
    assert case.schema_problems(json.loads(case.package_bytes(package))) == []


def test_the_validation_is_real(shipped: Any) -> None:
    package = copy.deepcopy(case_service.package(shipped))
    package["CFItems"][3]["lastChangeDateTime"] = "2025-04-01 10:00"  # no time zone
    package["CFItems"][4]["identifier"] = "C1.1"
    del package["CFAssociations"][0]["originNodeURI"]
    package["CFDocument"]["caseVersion"] = "1.0"
    assert case.schema_problems(package) == [
        "$.CFAssociations[0] : 'originNodeURI' is a required property",
        "$.CFDocument.caseVersion : '1.0' is not one of ['1.1']",
        "$.CFItems[3].lastChangeDateTime : '2025-04-01 10:00' is not a 'date-time'",
        "$.CFItems[4].identifier : 'C1.1' is not a 'uuid'",
    ]


def test_one_item_per_domain_activity_bloc_modality_competency_criterion(shipped: Any) -> None:
    package = case_service.package(shipped)
    doc = services.export_document(shipped)
    expected = {("Domaine d'activité", d["code"], d["title"]) for d in doc["activity_domains"]} | {
        ("Activité", a["code"], a["title"])
        for d in doc["activity_domains"]
        for a in d["activities"]
    }
    for bloc in doc["blocs"]:
        expected.add(("Bloc de compétences", bloc["code"], bloc["title"]))
        expected |= {("Modalité d'évaluation", m["code"], m["title"]) for m in bloc["modalities"]}
        for comp in bloc["competencies"]:
            expected.add(("Compétence", comp["code"], comp["statement"]))
            expected |= {
                ("Critère d'évaluation", c["code"], c["statement"]) for c in comp["criteria"]
            }
    items = package["CFItems"]
    assert {
        (i["CFItemType"], i["humanCodingScheme"], i["fullStatement"]) for i in items
    } == expected
    assert len(items) == len(expected)
    assert {i["language"] for i in items} == {"fr"}
    assert package["CFDocument"]["language"] == "fr"


def test_the_tree_and_the_activities_each_competency_serves(shipped: Any) -> None:
    package = case_service.package(shipped)
    document_id = package["CFDocument"]["identifier"]
    code_of = {i["identifier"]: i["humanCodingScheme"] for i in package["CFItems"]}
    code_of[document_id] = "document"
    parent: dict[str, str] = {}
    related: set[tuple[str, str]] = set()
    for association in package["CFAssociations"]:
        origin = code_of[association["originNodeURI"]["identifier"]]
        destination = code_of[association["destinationNodeURI"]["identifier"]]
        if association["associationType"] == "isChildOf":
            assert origin not in parent
            parent[origin] = destination
        else:
            assert association["associationType"] == "isRelatedTo"
            related.add((origin, destination))
    assert set(parent) == set(code_of.values()) - {"document"}
    for bloc in shipped.blocs:
        assert parent[bloc.code] == "document"
        for modality in bloc.modalities:
            assert parent[modality.code] == bloc.code
        for comp in bloc.competencies:
            assert parent[comp.code] == bloc.code
            assert {c.code for c in comp.criteria} == {
                k for k, v in parent.items() if v == comp.code
            }
    for domain in shipped.domains:
        assert parent[domain.code] == "document"
        assert all(parent[a.code] == domain.code for a in domain.activities)
    # Each competency to the activities it serves, each criterion to the modalities of its
    # bloc evaluating it.
    assert related == {
        (c.code, a.code) for b in shipped.blocs for c in b.competencies for a in c.activities
    } | {
        (k.code, m.code)
        for b in shipped.blocs
        for c in b.competencies
        for k in c.criteria
        for m in k.modalities
    }


def test_the_scale_is_a_rubric_over_every_criterion(shipped: Any) -> None:
    package = case_service.package(shipped)
    (rubric,) = package["CFRubrics"]
    criteria = {
        i["identifier"] for i in package["CFItems"] if i["CFItemType"] == "Critère d'évaluation"
    }
    assert {c["CFItemURI"]["identifier"] for c in rubric["CFRubricCriteria"]} == criteria
    labels = [lvl.label for lvl in shipped.scale_levels]
    for criterion in rubric["CFRubricCriteria"]:
        assert criterion["rubricId"] == rubric["identifier"]
        levels = criterion["CFRubricCriterionLevels"]
        assert [lvl["quality"] for lvl in levels] == labels
        assert {lvl["rubricCriterionId"] for lvl in levels} == {criterion["identifier"]}


def test_identifiers_are_stable_and_derived_from_version_and_code(shipped: Any, app: Any) -> None:
    first = case_service.package(shipped)
    app.config["PUBLIC_URL"] = "https://ailleurs.example"
    try:
        second = case_service.package(services.load_version(shipped.certification.code))
    finally:
        app.config["PUBLIC_URL"] = "http://localhost"
    ids = [i["identifier"] for i in first["CFItems"]]
    assert ids == [i["identifier"] for i in second["CFItems"]]
    assert len(set(ids)) == len(ids)
    assert second["CFItems"][0]["uri"].startswith("https://ailleurs.example/ims/case/v1p1/")
    document_id = str(uuid.uuid5(case.NAMESPACE, f"{shipped.certification.code}/{shipped.label}"))
    assert first["CFDocument"]["identifier"] == document_id
    bloc = shipped.blocs[0]
    item = next(i for i in first["CFItems"] if i["humanCodingScheme"] == bloc.code)
    assert item["identifier"] == str(uuid.uuid5(uuid.UUID(document_id), f"bloc/{bloc.code}"))
    all_ids = [
        *ids,
        *(a["identifier"] for a in first["CFAssociations"]),
        *(c["identifier"] for c in first["CFRubrics"][0]["CFRubricCriteria"]),
    ]
    assert len(set(all_ids)) == len(all_ids)


def test_last_change_is_the_publication_then_the_retirement(
    create_version: Any, mini_doc: dict[str, Any], db_session: Any
) -> None:
    draft = create_version()
    package = case_service.package(draft)
    stamp = case.timestamp(draft.updated_at)
    assert package["CFDocument"]["adoptionStatus"] == "Draft"
    assert {i["lastChangeDateTime"] for i in package["CFItems"]} == {stamp}
    services.publish(draft)
    db_session.commit()
    package = case_service.package(draft)
    published = case.timestamp(draft.published_at)
    assert package["CFDocument"]["lastChangeDateTime"] == published
    assert package["CFDocument"]["adoptionStatus"] == "Adopted"
    assert package["CFDocument"]["statusStartDate"] == draft.published_at.date().isoformat()
    assert {i["lastChangeDateTime"] for i in package["CFItems"]} == {published}
    services.retire(draft)
    db_session.commit()
    package = case_service.package(draft)
    assert package["CFDocument"]["lastChangeDateTime"] == case.timestamp(draft.retired_at)
    assert package["CFDocument"]["adoptionStatus"] == "Deprecated"
    assert {i["lastChangeDateTime"] for i in package["CFItems"]} == {published}
    assert case.schema_problems(package) == []


def test_cli_export_writes_a_valid_package(
    runner: Any, create_version: Any, tmp_path: Path
) -> None:
    version = create_version(_load(REAL_FILES[0]), publish=True)
    out = tmp_path / "paquet.json"
    args = [
        "case",
        "export",
        version.certification.code,
        "--version",
        version.label,
        "-o",
        str(out),
    ]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    package = json.loads(out.read_text(encoding="utf-8"))
    assert case.schema_problems(package) == []
    assert package["CFDocument"]["version"] == version.label
    unknown = runner.invoke(args=["case", "export", "NIMPORTE"])
    assert unknown.exit_code == 1
    assert "certification inconnue : NIMPORTE" in unknown.output
