"""Starting a draft référentiel from a fiche of the register (#15.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.frameworks import documents, services
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.registry import copycheck


def test_a_coordinator_opens_a_draft_from_a_fiche_and_the_check_knows_its_source(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    db_session: Any,
    load_register: Any,
    register_a: Path,
) -> None:
    load_register(register_a)
    login(certifier_coordinator)
    page = client.get("/registre/fiches/RNCP34001").get_data(as_text=True)
    assert "Partir de cette fiche" in page
    response = client.post(
        "/registre/fiches/RNCP34001/brouillon",
        data={"code": "DEVTER", "label": "v0", "certifier_name": "Le Labo de l'ESS"},
    )
    assert response.status_code == 302
    draft = db_session.scalar(sa.select(FrameworkVersion).where(FrameworkVersion.label == "v0"))
    assert response.headers["Location"].endswith(f"/edition/{draft.id}")
    assert draft.status is VersionStatus.DRAFT
    assert (draft.title, draft.level, draft.rome_codes) == (
        "Chargé de développement territorial",
        6,
        ["K1802"],
    )
    assert [b.title for b in draft.blocs] == [
        "Réaliser un diagnostic partagé du territoire",
        "Animer un réseau d'acteurs",
    ]
    competencies = [c for b in draft.blocs for c in b.competencies]
    assert len(competencies) == 4
    assert {c.borrowed_from for c in competencies} == {"RNCP34001"}
    assert [m.title for m in draft.blocs[1].modalities] == ["Mise en situation professionnelle"]

    # The document keeps the marks, validates, and reads back the same.
    document = services.export_document(services.load_version("DEVTER", "v0"))
    assert document["blocs"][0]["competencies"][0]["borrowed_from"] == "RNCP34001"
    # The schema knows the mark (the draft still lacks a scale and criteria: those errors
    # are the editor's to report, not this test's).
    import jsonschema

    validator = jsonschema.Draft202012Validator(documents.schema())
    assert not [e for e in validator.iter_errors(document) if "borrowed_from" in e.message]
    document["blocs"][0]["borrowed_from"] = "une fiche"
    assert [e for e in validator.iter_errors(document) if "une fiche" in e.message]

    flags = copycheck.check(db_session, copycheck.version_statements(draft))
    borrowed = [f for f in flags if f.ours.kind == "competency"]
    assert len(borrowed) == 4
    assert all(f.fiche_number == f.ours.borrowed_from == "RNCP34001" for f in borrowed)
    check = client.get("/registre/verification/DEVTER/v0").get_data(as_text=True)
    assert "Repris de la fiche RNCP34001 à l'ouverture du brouillon" in check


def test_a_taken_label_is_refused_on_the_fiche_page(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    create_version: Any,
    load_register: Any,
    register_a: Path,
) -> None:
    load_register(register_a)
    version = create_version()
    login(certifier_coordinator)
    response = client.post(
        "/registre/fiches/RNCP34001/brouillon",
        data={"code": version.certification.code, "label": version.label, "certifier_name": "X"},
    )
    assert response.status_code == 200
    assert "Cette certification a déjà une version de ce libellé." in response.get_data(
        as_text=True
    )


def test_a_training_organisation_uses_the_register_but_does_not_change_the_filing(
    client: Any,
    login: Any,
    create_user: Any,
    organisation: Any,
    create_version: Any,
    load_register: Any,
    register_a: Path,
) -> None:
    """Référentiels, correspondences and the register itself are the certifier's."""
    load_register(register_a)
    draft = create_version()
    login(create_user("coordinator", organisations=[organisation]))
    assert client.get("/registre/?q=coopération").status_code == 200
    fiche = client.get("/registre/fiches/RNCP34001").get_data(as_text=True)
    assert "Partir de cette fiche" not in fiche
    assert "/registre/import" not in client.get("/registre/").get_data(as_text=True)
    for url in ("/registre/import", "/registre/fiches/RNCP34001/brouillon"):
        assert client.post(url, data={}).status_code == 403
    code, label = draft.certification.code, draft.label
    assert client.get(f"/registre/verification/{code}/{label}").status_code == 404
    assert client.post(f"/registre/correspondances/{code}/{label}", data={}).status_code == 403
