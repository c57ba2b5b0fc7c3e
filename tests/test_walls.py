"""Organisations are walls (issue #11): enrolling an existing account invites, never hands it
over; the journal, the accounts page and the jury sessions keep to each organisation; a
certified enrolment changes only by jury or by a recorded withdrawal."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.cohorts import enrolling
from app.cohorts.models import (
    Cohort,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    LearnerIdentity,
)
from app.jury import services as jury_services
from app.jury.models import JurySession
from app.people.models import AuditEvent, Role
from tests.test_access_matrix import World, _client_for, build_world


@pytest.fixture
def outbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://certification.example.org")
    return folder


@pytest.fixture
def world(
    app: Flask, db_session: Any, create_user: Any, create_version: Any, mini_doc: Any, tmp_path: Any
) -> World:
    """The access matrix's world: organisations A and B, certifiers C (MINI) and D (AUTRE)."""
    app.config["EVIDENCE_DIR"] = tmp_path / "evidence"
    return build_world(app, db_session, create_user, create_version, mini_doc)


def mails(folder: Path) -> list[Any]:
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[arg-type]
        for p in sorted(folder.glob("*.eml"))
    ]


def cohort_of(db_session: Any, name: str) -> Cohort:
    return db_session.scalar(sa.select(Cohort).where(Cohort.name == name))


def enrol(app: Flask, coordinator: Any, cohort: Cohort, email: str, **values: str) -> Any:
    data = {
        "email": email,
        "first_name_1": "Faux",
        "birth_name": "Nom",
        "usage_name": "",
        "birth_date": "1990-01-01",
        "sex": "",
        "birth_commune_code": "",
        "birth_country_code": "",
    } | values
    return _client_for(app, coordinator).post(
        f"/promotions/{cohort.id}/apprenants/nouveau", data=data
    )


def test_enrolling_an_existing_account_invites_and_hands_nothing_over(
    app: Flask, world: World, db_session: Any, outbox: Path
) -> None:
    people = world.people
    classmate = people["classmate"]  # A's learner
    db_session.add(LearnerIdentity(user=classmate, first_names=["Léa"], birth_name="Martin"))
    db_session.commit()
    b_coordinator = people["coordinator_out"]
    cohort_b = cohort_of(db_session, "Promo B")
    answer = enrol(app, b_coordinator, cohort_b, classmate.email, birth_name="Usurpé")
    assert answer.status_code == 302

    # An offer, no enrolment; the person's identity and roles untouched.
    offer = db_session.scalar(
        sa.select(EnrolmentInvitation).where(EnrolmentInvitation.user_id == classmate.id)
    )
    assert offer is not None and offer.cohort_id == cohort_b.id
    assert (
        db_session.scalar(
            sa.select(Enrolment).where(
                Enrolment.cohort_id == cohort_b.id, Enrolment.learner_id == classmate.id
            )
        )
        is None
    )
    db_session.expire_all()
    assert db_session.get(LearnerIdentity, classmate.id).birth_name == "Martin"
    (message,) = mails(outbox)
    assert message["To"] == classmate.email
    assert "https://certification.example.org/compte/inscriptions" in message.get_content()

    # Until accepted, B reads and changes nothing of the person's.
    b = _client_for(app, b_coordinator)
    identity = f"/apprenants/{classmate.id}/identite"
    assert b.get(identity).status_code == 404
    assert b.post(identity, data={"first_names": "X", "birth_name": "Y"}).status_code == 404
    assert b.post(f"/comptes/{classmate.id}/desactiver").status_code == 404

    # The person accepts, logged in.
    person = _client_for(app, classmate)
    assert str(offer.id) in person.get("/compte/inscriptions").get_data(as_text=True)
    assert person.post(f"/compte/inscriptions/{offer.id}", data={"accept": "1"}).status_code == 302
    db_session.expire_all()
    assert db_session.scalar(
        sa.select(Enrolment).where(
            Enrolment.cohort_id == cohort_b.id, Enrolment.learner_id == classmate.id
        )
    )
    assert db_session.get(EnrolmentInvitation, offer.id) is None

    # Now B reads the identity, changes none of it, manages not the account, and sees only
    # its own enrolment of the person.
    page = b.get(identity)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Promo B" in html and "Promo A" not in html
    assert 'name="birth_name"' not in html
    assert b.post(identity, data={"first_names": "X", "birth_name": "Y"}).status_code == 403
    assert b.post(f"/comptes/{classmate.id}/desactiver").status_code == 404
    assert b.post(f"/comptes/{classmate.id}/reactiver").status_code == 404
    # A shares the person now: A reads the identity, and manages the account no more either.
    a = _client_for(app, people["coordinator"])
    assert a.post(f"/comptes/{classmate.id}/desactiver").status_code == 404
    db_session.expire_all()
    assert db_session.get(LearnerIdentity, classmate.id).birth_name == "Martin"
    assert classmate.full_name not in b.get("/comptes").get_data(as_text=True)


def test_another_organisation_cannot_take_over_a_coordinator(
    app: Flask, world: World, db_session: Any, outbox: Path
) -> None:
    """The issue's probe: enrol A's coordinator in B's cohort, then disable them."""
    a_coordinator = world.people["coordinator"]
    cohort_b = cohort_of(db_session, "Promo B")
    assert enrol(app, world.people["coordinator_out"], cohort_b, a_coordinator.email).status_code
    db_session.expire_all()
    assert not a_coordinator.has_role(Role.LEARNER)
    b = _client_for(app, world.people["coordinator_out"])
    assert b.post(f"/comptes/{a_coordinator.id}/desactiver").status_code == 404
    assert b.get(f"/apprenants/{a_coordinator.id}/identite").status_code == 404
    db_session.expire_all()
    assert a_coordinator.active
    # Declining leaves nothing behind.
    offer = db_session.scalar(
        sa.select(EnrolmentInvitation).where(EnrolmentInvitation.user_id == a_coordinator.id)
    )
    person = _client_for(app, a_coordinator)
    home = person.get("/mon-espace").get_data(as_text=True)
    assert "/compte/inscriptions" in home  # the offer is one click from home
    assert person.post(f"/compte/inscriptions/{offer.id}", data={"decline": "1"}).status_code
    db_session.expire_all()
    assert db_session.get(EnrolmentInvitation, offer.id) is None
    assert (
        db_session.scalar(sa.select(Enrolment).where(Enrolment.learner_id == a_coordinator.id))
        is None
    )


def test_the_journal_and_the_accounts_keep_to_each_organisation(
    app: Flask, world: World, db_session: Any
) -> None:
    people = world.people
    cohort_a = cohort_of(db_session, "Promo A")
    a = _client_for(app, people["coordinator"])
    assert a.post(
        f"/promotions/{cohort_a.id}/modifier",
        data={
            "name": "Promo A renommée",
            "start_date": "2026-01-05",
            "end_date": "2026-12-18",
            "access_route": "formation_continue",
            "revision": "1",
        },
    ).status_code in (200, 302)
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "cohort.edit"))
    assert event is not None and event.organisation_id == cohort_a.organisation_id
    assert "Promo A renommée" in a.get("/journal").get_data(as_text=True)
    b = _client_for(app, people["coordinator_out"])
    assert "Promo A renommée" not in b.get("/journal").get_data(as_text=True)
    assert "Promo A renommée" not in b.get("/journal?type=cohorts").get_data(as_text=True)
    # Accounts: each organisation lists its own people only.
    b_accounts = b.get("/comptes").get_data(as_text=True)
    assert people["classmate"].email not in b_accounts
    assert people["coordinator"].email not in b_accounts
    assert people["classmate_out"].email in b_accounts


def test_a_jury_session_hears_only_its_owner_organisations_learners(
    world: World, db_session: Any
) -> None:
    session_a = db_session.get(JurySession, world.values["session_id"])
    # B's cohort on the very version of A's session.
    cohort_b2 = cohort_of(db_session, "Promo B sur MINI")
    enrolment = Enrolment(cohort=cohort_b2, learner=world.people["classmate_out"])
    db_session.add(enrolment)
    db_session.commit()
    with pytest.raises(jury_services.JuryError):
        jury_services.present(session_a, [enrolment], world.people["coordinator"])
    # The certifier owning MINI opens a session of its own: every organisation's learners may
    # be presented to it.
    certifier_session = jury_services.create_session(
        session_a.version,
        dt.date(2026, 12, 3),
        "",
        [world.people["jury"]],
        "",
        world.people["certifier"],
    )
    assert certifier_session.organisation.name == "Certificateur C"
    jury_services.present(certifier_session, [enrolment], world.people["certifier"])
    # B's coordinator cannot open a session as A, nor see A's.
    b_session = jury_services.create_session(
        session_a.version, dt.date(2026, 12, 4), "", [], "Une pro", world.people["coordinator_out"]
    )
    assert b_session.organisation.name == "Organisme B"


def test_a_certified_enrolment_changes_by_jury_or_recorded_withdrawal_only(
    app: Flask, world: World, db_session: Any
) -> None:
    enrolment = db_session.get(Enrolment, world.values["enrolment_id"])
    enrolment.status = EnrolmentStatus.CERTIFIED
    enrolment.certified_on = dt.date(2026, 12, 1)
    db_session.commit()
    with pytest.raises(enrolling.StatusError, match="décision de jury"):
        enrolling.set_status(enrolment, EnrolmentStatus.ENROLLED)
    a = _client_for(app, world.people["coordinator"])
    cohort_id = enrolment.cohort_id
    page = a.get(f"/promotions/{cohort_id}").get_data(as_text=True)
    assert f'name="e{enrolment.id}-status"' not in page  # no drop-down for a certified one
    a.post(
        f"/promotions/{cohort_id}/apprenants/{enrolment.id}/statut",
        data={f"e{enrolment.id}-status": "enrolled"},
    )
    db_session.expire_all()
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    # "Certified" cannot be chosen by hand either.
    other = db_session.scalar(
        sa.select(Enrolment).where(
            Enrolment.cohort_id == cohort_id, Enrolment.learner_id == world.people["classmate"].id
        )
    )
    with pytest.raises(enrolling.StatusError):
        enrolling.set_status(other, EnrolmentStatus.CERTIFIED)

    # The withdrawal: the certification owner's coordinator, with a reason.
    url = f"/inscriptions/{enrolment.id}/retrait-certification"
    assert a.post(url, data={"reason": "x", "withdrawn_on": "2026-12-10"}).status_code == 404
    k = _client_for(app, world.people["certifier"])
    refused = k.post(url, data={"reason": "  ", "withdrawn_on": "2026-12-10"})
    assert refused.status_code == 200 and "motif" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert enrolment.status is EnrolmentStatus.CERTIFIED
    done = k.post(url, data={"reason": "Fraude avérée", "withdrawn_on": "2026-12-10"})
    assert done.status_code == 302
    db_session.expire_all()
    assert enrolment.status is EnrolmentStatus.ENROLLED and enrolment.certified_on is None
    assert enrolment.certification_withdrawn_on == dt.date(2026, 12, 10)
    assert enrolment.certification_withdrawal_reason == "Fraude avérée"
    event = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.certification_withdrawn")
    )
    assert event is not None and event.details["reason"] == "Fraude avérée"
