"""The fields of the fiche, edited in the browser: identity texts, partners, typed labels, the
RNCP number, a bloc's validation rule and validity, the modalities evaluating a criterion; and
publishing a new version only once criteria and blocs say them."""

from __future__ import annotations

from typing import Any

from app.db import db
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from tests.editor.conftest import audit_actions, document, item, reload
from tests.editor.test_metadata import VALID

FICHE = {
    **VALID,
    "objectives_context": "Les coopérations se multiplient.\r\nElles manquent de métiers.",
    "sectors": "Associations\r\nCollectivités",
    "job_types": "Animateur·rice de coopération",
    "entry_prerequisites": "Deux ans d'expérience",
    "validation_prerequisites": "Valider tous les blocs",
    "regulation_state": "no",
    "regulations": "",
    "code_labels_text": "42806 : Animation de réseau",
    "partners_text": (
        "Savoir Devenir ; 529 237 136 00005 ; former et évaluer\r\nCoop Sud ; 73282932000074"
    ),
}


def post_identity(client: Any, draft: FrameworkVersion, **changes: str) -> Any:
    data = {**FICHE, **changes, "revision": reload(draft.id).revision}
    return client.post(f"/edition/{draft.id}/identite", data=data)


def post_modality(client: Any, version_id: int, criterion: Any, modality: Any) -> Any:
    """Save `criterion` as it is, evaluated by `modality`."""
    return client.post(
        f"/edition/{version_id}/critere/{criterion.id}",
        data={
            "code": criterion.code,
            "statement": criterion.statement,
            "modality_ids": str(modality.id),
            "revision": criterion.revision,
        },
    )


def test_identity_fields_are_saved_and_exported(client: Any, draft: FrameworkVersion) -> None:
    assert post_identity(client, draft).status_code == 302
    cert = document(draft.id)["certification"]
    assert (
        cert["objectives_context"] == "Les coopérations se multiplient.\nElles manquent de métiers."
    )
    assert cert["sectors"] == "Associations\nCollectivités"
    assert cert["regulations"] == {"regulated": False}
    assert cert["code_labels"] == {"42806": "Animation de réseau"}
    assert cert["partners"] == [
        {"name": "Savoir Devenir", "siret": "52923713600005", "habilitation": "train_and_assess"},
        {"name": "Coop Sud", "siret": "73282932000074"},
    ]
    html = client.get(f"/edition/{draft.id}/identite").get_data(as_text=True)
    assert "42806 : Animation de réseau" in html
    assert "Savoir Devenir ; 52923713600005 ; former et évaluer" in html
    assert '<option selected value="no">' in html


def test_bad_identity_lines_are_refused_with_the_line(client: Any, draft: FrameworkVersion) -> None:
    before = document(draft.id)
    cases = {
        "partners_text": ("Coop ; 73282932000075", "Ligne 1 : le SIRET 73282932000075 n"),
        "code_labels_text": ("341 : Autre chose", "Ligne 1 : 341 a déjà son libellé officiel."),
    }
    for name, (value, message) in cases.items():
        response = post_identity(client, draft, **{name: value})
        html = response.get_data(as_text=True).replace("&#39;", "'")
        assert response.status_code == 200 and message in html
    html = post_identity(client, draft, regulation_state="yes").get_data(as_text=True)
    assert "Décrivez la réglementation" in html
    assert document(draft.id) == before


def test_rncp_number_is_set_from_the_index(client: Any, draft: FrameworkVersion) -> None:
    certification = draft.certification
    url = f"/edition/certification/{certification.id}/numero-rncp"
    assert url in client.get("/edition/").get_data(as_text=True)
    html = client.post(url, data={"number": "RNCP12"}).get_data(as_text=True)
    assert client.post(url, data={"number": "12x"}).status_code == 200
    assert client.post(url, data={"number": " rncp 40123"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Certification, certification.id).rncp_number == "RNCP40123"
    assert document(draft.id)["certification"]["rncp_number"] == "RNCP40123"
    other = Certification(code="AUTRE", rncp_number="RNCP555")
    db.session.add(other)
    db.session.commit()
    html = client.post(url, data={"number": "RNCP555"}).get_data(as_text=True)
    assert "déjà celui de la certification AUTRE" in html
    assert client.post(url, data={"number": ""}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Certification, certification.id).rncp_number is None


def test_bloc_validity_and_criterion_modalities(client: Any, draft: FrameworkVersion) -> None:
    version = reload(draft.id)
    bloc = item(version, "bloc", "BC01")
    modality = item(version, "modalite", "M1.1")
    url = f"/edition/{draft.id}/bloc/{bloc.id}"
    base = {"code": "BC01", "title": bloc.title, "revision": bloc.revision}
    html = client.post(url, data={**base, "validity": "years"}).get_data(as_text=True)
    assert "Indiquez le nombre d" in html
    response = client.post(
        url,
        data={
            **base,
            "validation_rule": "Tous les critères acquis",
            "validity": "years",
            "validity_years": "5",
        },
    )
    assert response.status_code == 302
    saved = document(draft.id)["blocs"][0]
    assert saved["validation_rule"] == "Tous les critères acquis"
    assert saved["validity"] == {"years": 5}

    criterion = item(reload(draft.id), "critere", "C1.1.a")
    page = client.get(f"/edition/{draft.id}/critere/{criterion.id}").get_data(as_text=True)
    assert "M1.1 — Mise en situation professionnelle" in page
    response = post_modality(client, draft.id, criterion, modality)
    assert response.status_code == 302
    criteria = document(draft.id)["blocs"][0]["competencies"][0]["criteria"]
    assert criteria[0]["modalities"] == ["M1.1"]
    # Once one criterion names its modalities, the others are listed as uncovered.
    html = client.get(f"/edition/{draft.id}").get_data(as_text=True)
    assert "critère C1.1.b : aucune modalité d&#39;évaluation ne l&#39;évalue" in html
    assert "framework.update" in audit_actions(draft.id)


def test_publishing_a_new_version_needs_modalities_rules_and_validity(
    client: Any, draft: FrameworkVersion
) -> None:
    response = client.post(f"/edition/{draft.id}/publier", data={"revision": draft.revision})
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 409
    assert "bloc BC01 : règle de validation non renseignée" in html
    assert "bloc BC01 : durée de validité non renseignée" in html
    assert "critère C1.2.b : aucune modalité d'évaluation ne l'évalue" in html
    assert reload(draft.id).status is VersionStatus.DRAFT

    version = reload(draft.id)
    bloc = item(version, "bloc", "BC01")
    bloc.validation_rule = "Tous les critères acquis"
    bloc.validity_unlimited = True
    modality = item(version, "modalite", "M1.1")
    for competency in bloc.competencies:
        for criterion in competency.criteria:
            criterion.modalities = [modality]
    db.session.commit()
    revision = reload(draft.id).revision
    response = client.post(f"/edition/{draft.id}/publier", data={"revision": revision})
    assert response.status_code == 302
    assert reload(draft.id).status is VersionStatus.PUBLISHED


def test_a_criterion_takes_only_its_blocs_modalities(
    client: Any, create_version: Any, coordinator: Any, two_blocs_doc: dict[str, Any]
) -> None:
    """The browser refuses, on the criterion's own field, a modality of another bloc."""
    version = reload(create_version(two_blocs_doc).id)
    criterion = item(version, "critere", "C1.1.a")
    other = item(version, "modalite", "M2.1")
    page = client.get(f"/edition/{version.id}/critere/{criterion.id}").get_data(as_text=True)
    assert "M2.1" not in page  # only BC01's modalities are offered
    response = post_modality(client, version.id, criterion, other)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<a href=\"#modality_ids\">Modalités d'évaluation qui l'évaluent</a>" in html
    assert (
        "M2.1 est une modalité du bloc BC02 : un critère du bloc BC01 n&#39;est évalué que par "
        "les modalités de son bloc." in html
    )
    assert "modalities" not in document(version.id)["blocs"][0]["competencies"][0]["criteria"][0]
