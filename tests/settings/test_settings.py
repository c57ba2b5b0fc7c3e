"""The certifier's settings page: reached from the coordinator's menu, edited only by the
coordinators of that certifier, every bad value refused with a message saying what and where."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from app.people.models import AuditEvent, Organisation, OrganisationKind
from app.settings.models import CertifierSettings
from tests.factories import new_organisation

URL = "/parametres"
GOOD = {
    "siret": "447 898 452 00001",
    "accrochage_client_id": "03BHY312",
    "accrochage_contract_id": "MCFCER000775",
}


@pytest.fixture
def certifier(db_session: Any) -> Organisation:
    return new_organisation(db_session, "Le Labo de l'ESS", OrganisationKind.CERTIFIER)


@pytest.fixture
def other_certifier(db_session: Any) -> Organisation:
    org = new_organisation(
        db_session, "Autre certificateur", OrganisationKind.CERTIFIER, "88778932900018"
    )
    db_session.add(
        CertifierSettings(
            organisation=org, accrochage_client_id="ZZZZ9999", accrochage_contract_id="AUTRE-1"
        )
    )
    db_session.commit()
    return org


@pytest.fixture
def certifier_coordinator(create_user: Any, certifier: Organisation, organisation: Any) -> Any:
    """The certifier's coordinator, who also coordinates the training organisation's pilot."""
    return create_user(
        "coordinator", name="Claire Vasseur", organisations=[certifier, organisation]
    )


def stored(db_session: Any, org: Organisation) -> CertifierSettings | None:
    db_session.expire_all()
    return db_session.get(CertifierSettings, org.id)


def test_the_certifiers_coordinator_reaches_the_page_from_the_menu_and_saves(
    client: Any, login: Any, certifier_coordinator: Any, certifier: Organisation, db_session: Any
) -> None:
    login(certifier_coordinator)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert f'href="{URL}"' in home and "Paramètres du certificateur" in home
    page = client.get(URL).get_data(as_text=True)
    assert "Le Labo de l&#39;ESS" in page and "idClient" in page and "idContrat" in page
    assert "ne peut pas être produit" in page  # nothing stored, nothing configured

    response = client.post(URL, data=GOOD)
    assert response.status_code == 302
    settings = stored(db_session, certifier)
    assert settings is not None
    assert settings.accrochage_client_id == "03BHY312"
    assert settings.accrochage_contract_id == "MCFCER000775"
    assert settings.updated_by_id == certifier_coordinator.id
    assert db_session.get(Organisation, certifier.id).siret == "44789845200001"
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "certifier_settings.update")
    ).one()
    assert event.actor_id == certifier_coordinator.id and event.object_id == certifier.id
    assert event.details["accrochage_client_id"] == {"before": None, "after": "03BHY312"}

    page = client.get(response.location).get_data(as_text=True)
    assert "Paramètres du certificateur enregistrés" in page
    assert 'value="03BHY312"' in page and 'value="44789845200001"' in page

    # Sent again unchanged: nothing written, nothing audited.
    client.post(URL, data=GOOD)
    assert (
        db_session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "certifier_settings.update"
            )
        )
        == 1
    )
    # Emptied: the configuration's values stand in again.
    client.post(URL, data={**GOOD, "accrochage_client_id": " ", "accrochage_contract_id": ""})
    settings = stored(db_session, certifier)
    assert settings is not None and settings.accrochage_client_id is None
    assert settings.accrochage_contract_id is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siret", "44789845200002", "SIRET invalide : 14 chiffres dont le dernier est une clé"),
        ("siret", "", "Indiquez le SIRET du certificateur."),
        (
            "siret",
            "88778932900018",
            "Ce SIRET est déjà celui de l&#39;organisme « Autre certificateur »",
        ),
        ("accrochage_client_id", "03BHY", "compte exactement 8 caractères ; celui-ci en a 5"),
        ("accrochage_client_id", "03BHY31234", "celui-ci en a 10"),
        ("accrochage_client_id", "03BH-312", "ne contient que des lettres et des chiffres"),
        ("accrochage_contract_id", "C" * 21, "au plus 20 caractères ; celui-ci en a 21"),
        ("accrochage_contract_id", "MCF<CER>", "ne contient que des lettres, des chiffres"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    certifier: Organisation,
    other_certifier: Organisation,
    db_session: Any,
    field: str,
    value: str,
    message: str,
) -> None:
    login(certifier_coordinator)
    response = client.post(URL, data={**GOOD, field: value})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Le formulaire contient des erreurs" in page
    assert message in page, page[page.find("error-summary") :][:1500]
    assert f'href="#{field}"' in page  # the summary links to the field at fault
    assert stored(db_session, certifier) is None
    assert db_session.get(Organisation, certifier.id).siret is None
    assert (
        db_session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.action == "certifier_settings.update"
            )
        )
        == 0
    )


@pytest.mark.parametrize("role", ["trainer", "learner", "jury"])
def test_other_roles_are_refused(
    client: Any, login: Any, create_user: Any, certifier: Organisation, db_session: Any, role: str
) -> None:
    login(create_user(role, organisations=[certifier]))
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=GOOD).status_code == 403
    assert stored(db_session, certifier) is None


def test_a_training_organisations_coordinator_has_no_link_and_is_refused(
    client: Any, login: Any, coordinator: Any, certifier: Organisation, db_session: Any
) -> None:
    login(coordinator)
    home = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert f'href="{URL}"' not in home and "Paramètres du certificateur" not in home
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=GOOD).status_code == 403
    assert client.get(f"{URL}?organisation={certifier.id}").status_code == 403
    assert stored(db_session, certifier) is None


def test_another_certifiers_settings_are_not_found(
    client: Any,
    login: Any,
    certifier_coordinator: Any,
    certifier: Organisation,
    other_certifier: Organisation,
    organisation: Any,
    db_session: Any,
) -> None:
    login(certifier_coordinator)
    for org in (other_certifier, organisation):  # another certifier; a training organisation
        url = f"{URL}?organisation={org.id}"
        assert client.get(url).status_code == 404
        assert client.post(url, data=GOOD).status_code == 404
    kept = stored(db_session, other_certifier)
    assert kept is not None and kept.accrochage_client_id == "ZZZZ9999"
    assert db_session.get(Organisation, other_certifier.id).siret == "88778932900018"
    assert stored(db_session, certifier) is None
    # Their own, asked for by id, is theirs to change.
    assert client.get(f"{URL}?organisation={certifier.id}").status_code == 200
