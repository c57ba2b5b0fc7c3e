"""Organisations: creation with a checked SIRET, membership of their creator."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.people.models import AuditEvent, Organisation, OrganisationKind, Role
from tests.factories import siret


def post(client: Any, **values: str) -> Any:
    data = {"name": "Le Labo de l'ESS", "kind": "certifier", "siret": siret("5018437310001")}
    data.update(values)
    return client.post("/organisations/nouvelle", data=data)


def test_create_organisation_makes_the_creator_a_member(
    client: Any, login: Any, create_user: Any, db_session: Any
) -> None:
    user = create_user(Role.COORDINATOR)
    login(user)
    number = siret("5018437310001")
    grouped = f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}"
    response = post(client, siret=grouped)
    assert response.status_code == 302
    org = db_session.scalar(sa.select(Organisation).where(Organisation.name == "Le Labo de l'ESS"))
    assert org.siret == number and org.kind is OrganisationKind.CERTIFIER
    db_session.refresh(user)
    assert [o.id for o in user.organisations] == [org.id]
    event = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "organisation.create")
    )
    assert event.object_id == org.id and event.actor_id == user.id
    html = client.get("/organisations").get_data(as_text=True)
    assert "Le Labo de l&#39;ESS" in html and "certificateur" in html


def test_siret_checksum_refused_in_french(
    client: Any, login: Any, create_user: Any, db_session: Any
) -> None:
    login(create_user(Role.COORDINATOR))
    good = siret("5018437310001")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    for value in (bad, "123", "5018437310001A", ""):
        response = post(client, siret=value)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "SIRET invalide" in html or "Ce champ est requis" in html
        assert 'aria-invalid="true"' in html
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_duplicate_name_and_siret_refused(
    client: Any, login: Any, create_user: Any, create_organisation: Any
) -> None:
    existing = create_organisation("Savoir Devenir")
    login(create_user(Role.COORDINATOR))
    html = post(client, name="Savoir Devenir").get_data(as_text=True)
    assert "Un organisme porte déjà ce nom." in html
    html = post(client, siret=existing.siret).get_data(as_text=True)
    assert "Un organisme avec ce SIRET existe déjà." in html


def test_names_shown_escaped_and_kept_on_error(client: Any, login: Any, create_user: Any) -> None:
    login(create_user(Role.COORDINATOR))
    html = post(client, name="<script>alert(1)</script>", siret="1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_coordinator_sees_only_own_organisations(
    client: Any, login: Any, create_user: Any, create_organisation: Any
) -> None:
    mine, other = create_organisation("Mon organisme"), create_organisation("Autre organisme")
    login(create_user(Role.COORDINATOR, organisations=[mine]))
    html = client.get("/organisations").get_data(as_text=True)
    assert "Mon organisme" in html and other.name not in html


def test_only_coordinators(client: Any, login: Any, create_user: Any) -> None:
    for role in (Role.TRAINER, Role.LEARNER, Role.JURY):
        login(create_user(role))
        assert client.get("/organisations").status_code == 403
        assert post(client).status_code == 403
    client.get("/")
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/organisations").status_code == 302
