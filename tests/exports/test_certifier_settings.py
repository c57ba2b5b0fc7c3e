"""The accrochage flow takes the certifier's identifiers from its settings page (stored in the
database), the configuration's ACCROCHAGE_ID_* only where none is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from lxml import etree

from app.db import db
from app.exports_history import services
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.people.models import Organisation, OrganisationKind
from app.settings.models import CertifierSettings
from exports.accrochage import NAMESPACE, validation_errors
from tests.exports.conftest import CLIENT_ID, Pilot
from tests.factories import MINI_CERTIFIER, new_organisation

NS = {"cpf": NAMESPACE}


@pytest.fixture
def certifier(db_session: Any) -> Organisation:
    """The certifier the small référentiel names ("Organisme d'essai")."""
    return new_organisation(db_session, kind=OrganisationKind.CERTIFIER, **MINI_CERTIFIER)


@pytest.fixture
def no_configured_ids(export_settings: Path, app: Any, monkeypatch: Any) -> Path:
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CLIENT", "")
    monkeypatch.setitem(app.config, "ACCROCHAGE_ID_CONTRAT", "")
    return export_settings


def produce(pilot: Pilot) -> ExportRecord:
    record = services.start_export(
        ExportKind.ACCROCHAGE,
        cert_code="MINI",
        label="v1",
        actor=None,
        cohorts=pilot.cohorts,
        test_file=True,  # MINI has no RNCP number
    )
    db.session.flush()
    services.perform_export(record.id, lambda percent: None)
    db.session.commit()
    return record


def emitted(record: ExportRecord) -> etree._Element:
    path = services.stored_file(record)
    assert path is not None
    content = path.read_bytes()
    assert validation_errors(content) == []
    return etree.fromstring(content)


def test_the_flow_uses_the_identifiers_stored_for_the_certifier(
    no_configured_ids: Path, pilot: Pilot, certifier: Organisation, db_session: Any
) -> None:
    db_session.add(
        CertifierSettings(
            organisation=certifier,
            accrochage_client_id="LABO2026",
            accrochage_contract_id="MCFCER-0042",
        )
    )
    db_session.commit()
    record = produce(pilot)
    assert record.status is ExportStatus.DONE
    root = emitted(record)
    assert root.findtext("cpf:emetteur/cpf:idClient", namespaces=NS) == "LABO2026"
    certifier_element = root.find(".//cpf:certificateur", NS)
    assert certifier_element.findtext("cpf:idContrat", namespaces=NS) == "MCFCER-0042"
    # MINI has no RNCP number: the flow is a test file, and says so.
    assert root.findtext("cpf:idFlux", namespaces=NS).startswith("TEST-")
    assert record.filename.startswith("accrochage-test-MINI-v1-")
    assert record.details["test_file"] is True


def test_stored_identifiers_win_over_the_configuration(
    export_settings: Path, pilot: Pilot, certifier: Organisation, db_session: Any
) -> None:
    db_session.add(CertifierSettings(organisation=certifier, accrochage_client_id="LABO2026"))
    db_session.commit()
    root = emitted(produce(pilot))
    assert root.findtext("cpf:emetteur/cpf:idClient", namespaces=NS) == "LABO2026"
    assert CLIENT_ID != "LABO2026"
    # The contract number was not stored: the configuration's stands in.
    assert root.findtext(".//cpf:certificateur/cpf:idContrat", namespaces=NS) == "MCFCER000775"


def test_the_form_links_to_the_settings_and_queues_once_they_are_filled(
    no_configured_ids: Path,
    pilot: Pilot,
    certifier: Organisation,
    organisation: Any,
    version: Any,
    create_user: Any,
    coordinator: Any,
    client: Any,
    login: Any,
    db_session: Any,
) -> None:
    def exports() -> int:
        return db_session.scalar(sa.select(sa.func.count(ExportRecord.id)))

    form = {"version": version.id, "cohorts": [c.id for c in pilot.cohorts]}
    # The training organisation's coordinator is told who fills them in, with no link.
    login(coordinator)
    page = client.get("/exports/accrochage").get_data(as_text=True)
    assert "Ce flux ne peut pas encore être produit" in page
    assert "identifiant client (idClient)" in page and "certificateur : Organisme d" in page
    assert "/parametres" not in page and "La coordination du certificateur" in page
    response = client.post("/exports/accrochage", data=form)
    assert response.status_code == 200 and exports() == 0

    # The certifier's coordinator follows the link, fills the settings, and exports.
    certifier_coordinator = create_user("coordinator", organisations=[certifier, organisation])
    login(certifier_coordinator)
    page = client.get("/exports/accrochage").get_data(as_text=True)
    link = f"/parametres?organisation={certifier.id}"
    assert f'href="{link}"' in page
    assert client.post("/exports/accrochage", data=form).status_code == 200 and exports() == 0
    saved = client.post(
        link,
        data={
            "siret": certifier.siret,
            "accrochage_client_id": "LABO2026",
            "accrochage_contract_id": "MCFCER-0042",
        },
    )
    assert saved.status_code == 302
    page = client.get("/exports/accrochage").get_data(as_text=True)
    assert "ne peut pas encore être produit" not in page
    response = client.post("/exports/accrochage", data=form)
    assert response.status_code == 302 and exports() == 1
