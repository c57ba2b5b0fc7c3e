"""What the fiche and the dossier need, kept as référentiel data: validated, stored, exported
back, and written in the fiche with RNCP codes and official labels."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from app.db import db
from app.exports_history import builders
from app.frameworks import codes, documents, services
from app.frameworks.models import Certification
from exports.fiche import build_fiche, validation_errors
from exports.fiche_reading import parse_fiches
from tests.factories import fiche_doc

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def full_doc(mini_doc: dict[str, Any]) -> dict[str, Any]:
    """The small référentiel with every field of the fiche filled."""
    doc = fiche_doc(mini_doc, certifier_siret="52923713600005")
    doc["certification"]["rncp_number"] = "RNCP40123"
    return doc


def problems(doc: dict[str, Any]) -> list[str]:
    text = documents.dump(doc).encode()
    parsed = documents.parse_bytes(text)
    return [p.format("essai.yaml") for p in documents.validate_document(parsed)]


def test_every_field_is_stored_and_exported_back(db_session: Any, full_doc: dict[str, Any]) -> None:
    assert problems(full_doc) == []
    version = services.import_document(copy.deepcopy(full_doc))
    db_session.commit()
    loaded = services.load_version("MINI", "v1")
    assert loaded.certification.rncp_number == "RNCP40123"
    assert loaded.regulated is False
    assert [m.code for m in loaded.blocs[0].competencies[0].criteria[0].modalities] == ["M1.1"]
    assert services.export_document(loaded) == full_doc
    assert version.blocs[0].validity_unlimited


def test_existing_files_without_the_new_fields_stay_valid(mini_doc: dict[str, Any]) -> None:
    assert problems(mini_doc) == []
    for path in sorted((ROOT / "referentiel").glob("*.yaml")):
        documents.load(path)


def test_a_criterion_no_modality_covers_is_refused_with_where(full_doc: dict[str, Any]) -> None:
    del full_doc["blocs"][0]["competencies"][1]["criteria"][0]["modalities"]
    (problem,) = problems(full_doc)
    assert problem.startswith("essai.yaml:")
    assert "critère C1.2.a : aucune modalité d'évaluation ne l'évalue" in problem
    assert "(blocs.0.competencies.1.criteria.0.modalities)" in problem


def test_a_modality_of_another_bloc_is_refused(two_blocs_doc: dict[str, Any]) -> None:
    for bloc in two_blocs_doc["blocs"]:
        for comp in bloc["competencies"]:
            for criterion in comp["criteria"]:
                criterion["modalities"] = [bloc["modalities"][0]["code"]]
    two_blocs_doc["blocs"][0]["competencies"][0]["criteria"][0]["modalities"] = ["M2.1"]
    (problem,) = problems(two_blocs_doc)
    assert "« M2.1 » n'est pas une modalité d'évaluation du bloc BC01" in problem


def test_labels_are_typed_only_where_no_list_gives_them(full_doc: dict[str, Any]) -> None:
    full_doc["certification"]["code_labels"] = {"341": "Autre", "99999": "Inconnu"}
    found = problems(full_doc)
    assert any("le code 341 a un libellé officiel" in p for p in found)
    assert any("code 99999, que la certification ne cite pas" in p for p in found)
    full_doc["certification"]["code_labels"] = {"42806": ""}
    assert any("code_labels" in p for p in problems(full_doc))


def test_partners_and_regulations_are_checked(full_doc: dict[str, Any]) -> None:
    full_doc["certification"]["partners"][0]["siret"] = "52923713600006"
    assert any("SIRET invalide" in p for p in problems(full_doc))
    full_doc["certification"]["partners"] = []
    full_doc["certification"]["regulations"] = {"regulated": True}
    assert any("text" in p for p in problems(full_doc))
    full_doc["certification"]["regulations"] = {"regulated": False, "text": "Loi X"}
    assert problems(full_doc)


def test_codes_take_the_rncp_form_once_registered() -> None:
    assert codes.certification_code("CTA", None) == "CTA"
    assert codes.certification_code("CTA", "RNCP40123") == "RNCP40123"
    assert codes.bloc_code("BC01", 0, None) == "BC01"
    assert codes.bloc_code("BC01", 0, "RNCP40123") == "RNCP40123BC01"
    assert codes.bloc_code("BC5", 4, "RNCP40123") == "RNCP40123BC05"
    assert codes.bloc_code("Animer", 2, "RNCP40123") == "RNCP40123BC03"
    assert codes.normalise_rncp_number(" rncp 40123") == "RNCP40123"
    assert not codes.is_rncp_number("RNCP")


def test_nomenclatures_give_official_labels() -> None:
    assert codes.official_label("nsf", "341") == (
        "Aménagement du territoire, développement, urbanisme"
    )
    assert codes.official_label("nsf", "341t") == codes.official_label("nsf", "341")
    assert codes.official_label("rome", "K1802") == "Développement local"
    assert codes.official_label("formacode", "12523") == ""
    assert len(codes.nomenclature("nsf")) == 93
    for path in sorted((ROOT / "referentiel").glob("*.yaml")):
        doc = documents.load(path)
        for kind, key in (("nsf", "nsf"), ("rome", "rome")):
            assert codes.missing_labels(kind, doc["certification"][key], {}) == []


def test_the_fiche_carries_every_field_and_reads_back(
    db_session: Any, full_doc: dict[str, Any]
) -> None:
    version = services.import_document(copy.deepcopy(full_doc))
    services.publish(version)
    db_session.commit()
    loaded = services.load_version("MINI", "v1")
    data = builders.fiche_data(loaded)
    content = build_fiche(data)
    assert validation_errors(content) == []
    (parsed,) = parse_fiches(content)
    assert parsed.number == "RNCP40123"
    assert [bloc.code for bloc in parsed.blocs] == ["RNCP40123BC01"]
    assert [(c.code, c.label) for c in parsed.nsf] == [
        ("341", "Aménagement du territoire, développement, urbanisme")
    ]
    assert [(c.code, c.label) for c in parsed.rome] == [("K1802", "Développement local")]
    assert [(c.code, c.label) for c in parsed.formacodes] == [("42806", "Animation réseau")]
    assert parsed.certifiers[0].siret == "52923713600005"
    assert (parsed.state, parsed.active) == ("Publiée", True)
    assert parsed.objectives_context == full_doc["certification"]["objectives_context"]
    assert parsed.sectors == full_doc["certification"]["sectors"]
    assert parsed.job_types == full_doc["certification"]["job_types"]
    assert parsed.entry_prerequisites == full_doc["certification"]["entry_prerequisites"]
    assert parsed.validation_prerequisites == "Valider le bloc BC01"
    assert parsed.regulations == codes.NO_REGULATION
    assert parsed.partners is not None
    assert [(p.name, p.siret, p.habilitation) for p in parsed.partners] == [
        ("Savoir Devenir", "52923713600005", "Habilitation pour former")
    ]
    assert parsed == data


def test_an_unregistered_draft_keeps_its_provisional_codes(
    db_session: Any, mini_doc: dict[str, Any]
) -> None:
    services.import_document(copy.deepcopy(mini_doc))
    db_session.commit()
    data = builders.fiche_data(services.load_version("MINI", "v1"))
    assert (data.number, data.blocs[0].code) == ("MINI", "BC01")
    assert (data.state, data.active) == ("Brouillon", False)
    assert validation_errors(build_fiche(data)) == []


def test_a_second_rncp_number_is_refused(db_session: Any, full_doc: dict[str, Any]) -> None:
    services.import_document(copy.deepcopy(full_doc))
    db_session.commit()
    other = copy.deepcopy(full_doc)
    other["version"]["label"] = "v2"
    other["certification"]["rncp_number"] = "RNCP40124"
    with pytest.raises(services.FrameworkError, match="RNCP40123"):
        services.import_document(other)
    db_session.rollback()
    assert db.session.query(Certification).one().rncp_number == "RNCP40123"


def test_the_format_readme_example_is_current() -> None:
    text = (ROOT / "referentiel" / "README.md").read_text(encoding="utf-8")
    for key in ("rncp_number", "objectives_context", "validity", "modalities: [M1.1]"):
        assert key in text
