"""Organisations are walls (issue #11): enrolling an existing account invites, never hands it
over; the journal, the accounts page and the jury sessions keep to each organisation; a
certified enrolment changes only by jury or by a recorded withdrawal."""

from __future__ import annotations

import datetime as dt
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
from app.people.models import AuditEvent, Organisation, Role
from tests import test_access_matrix
from tests.factories import read_mails
from tests.test_access_matrix import World, _client_for

world = test_access_matrix.world  # the fixture, shared with the access matrix


@pytest.fixture
def outbox(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "outbox"
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://certification.example.org")
    return folder


def organisation(db_session: Any, name: str) -> Organisation:
    return db_session.scalar(sa.select(Organisation).where(Organisation.name == name))


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
    (message,) = read_mails(outbox)
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
    world: World, db_session: Any, create_user: Any
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
    # be presented to it. Its members are its own jury members.
    certifier_jury = create_user(
        "jury", organisations=[organisation(db_session, "Certificateur C")]
    )
    certifier_session = jury_services.create_session(
        session_a.version,
        dt.date(2026, 12, 3),
        "",
        [certifier_jury],
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


@pytest.fixture
def pickers(world: World, db_session: Any, create_user: Any) -> dict[str, Any]:
    """Jury members and spare trainers on both sides of the wall, with names to look for."""
    org_a, org_b = organisation(db_session, "Organisme A"), organisation(db_session, "Organisme B")
    return {
        "jury_a": create_user("jury", name="Juliette Jurée-A", organisations=[org_a]),
        "jury_b": create_user("jury", name="Jules Juré-B", organisations=[org_b]),
        "trainer_a": create_user("trainer", name="Théo Formateur-A", organisations=[org_a]),
        "trainer_b": create_user("trainer", name="Tina Formatrice-B", organisations=[org_b]),
    }


def test_no_picker_offers_another_organisations_people(
    app: Flask, world: World, db_session: Any, pickers: dict[str, Any]
) -> None:
    people = world.people
    a_names = [
        pickers["jury_a"].full_name,
        pickers["trainer_a"].full_name,
        people["trainer"].full_name,
        people["learner"].full_name,
        people["classmate"].full_name,
        "Promo A",
        "Organisme A",
    ]
    b = _client_for(app, people["coordinator_out"])
    cohort_b = cohort_of(db_session, "Promo B")
    session_b = db_session.scalar(
        sa.select(JurySession).where(JurySession.id == world.outsider_values["session_id"])
    )
    pages = {
        "jury members": "/jurys/nouvelle",
        "trainers": f"/promotions/{cohort_b.id}",
        "assessors": f"/promotions/{cohort_b.id}/evaluations",
        "learners to present": f"/jurys/{session_b.id}",
        "cohorts of a dossier": "/exports/dossier",
        "cohorts of an accrochage": "/exports/accrochage",
        "organisations of an invitation": "/comptes/inviter",
    }
    for picker, url in pages.items():
        response = b.get(url)
        assert response.status_code == 200, (picker, url, response.status_code)
        page = response.get_data(as_text=True)
        for name in a_names:
            assert name not in page, f"{picker} ({url}) offers {name}"
    # B's own people are offered.
    assert pickers["jury_b"].full_name in b.get("/jurys/nouvelle").get_data(as_text=True)
    assert pickers["trainer_b"].full_name in b.get(f"/promotions/{cohort_b.id}").get_data(
        as_text=True
    )


def test_a_forged_post_with_another_organisations_person_is_refused(
    app: Flask, world: World, db_session: Any, pickers: dict[str, Any]
) -> None:
    people = world.people
    b = _client_for(app, people["coordinator_out"])
    autre = cohort_of(db_session, "Promo B").version
    before = db_session.scalar(sa.select(sa.func.count(JurySession.id)))
    response = b.post(
        "/jurys/nouvelle",
        data={
            "version": autre.id,
            "session_date": "2026-12-20",
            "members": [pickers["jury_a"].id],
        },
    )
    assert response.status_code == 200  # the form again, with its error
    assert "error-summary" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count(JurySession.id))) == before

    cohort_b = cohort_of(db_session, "Promo B")
    b.post(f"/promotions/{cohort_b.id}/formateurs", data={"user_id": pickers["trainer_a"].id})
    db_session.expire_all()
    assert pickers["trainer_a"] not in cohort_of(db_session, "Promo B").trainers

    # Assessors are the cohort's own trainers only.
    bloc = cohort_b.version.blocs[0]
    b.post(
        f"/promotions/{cohort_b.id}/evaluations",
        data={
            "session_date": "2026-12-20",
            "title": "Forgée",
            "bloc_id": bloc.id,
            "modality_id": bloc.modalities[0].id,
            "assessors": [people["trainer"].id],
        },
    )
    from app.assessment.models import EvaluationSession

    assert (
        db_session.scalar(sa.select(EvaluationSession).where(EvaluationSession.title == "Forgée"))
        is None
    )


def test_a_session_seats_only_its_owner_organisations_jury_members(
    world: World, db_session: Any, create_user: Any, pickers: dict[str, Any]
) -> None:
    """A coordinator of two organisations sees both's jury members; the session's owner
    decides who sits (here the certifier owning MINI)."""
    cert_c, org_b = (organisation(db_session, n) for n in ("Certificateur C", "Organisme B"))
    both = create_user("coordinator", organisations=[cert_c, org_b])
    mini = cohort_of(db_session, "Promo A").version
    with pytest.raises(jury_services.JuryError, match="Certificateur C"):
        jury_services.create_session(mini, dt.date(2026, 12, 3), "", [pickers["jury_b"]], "", both)
    with pytest.raises(jury_services.JuryError):
        jury_services.create_session(mini, dt.date(2026, 12, 3), "", [pickers["jury_a"]], "", both)


def test_a_cohort_is_assigned_only_its_organisations_trainers(
    app: Flask, world: World, db_session: Any, create_user: Any, pickers: dict[str, Any]
) -> None:
    """A coordinator of A and B assigns to B's cohort B's trainers only: a trainer reaches the
    cohort's learners, so belongs to its organisation."""
    org_a, org_b = (organisation(db_session, n) for n in ("Organisme A", "Organisme B"))
    both = _client_for(app, create_user("coordinator", organisations=[org_a, org_b]))
    cohort_b = cohort_of(db_session, "Promo B")
    page = both.get(f"/promotions/{cohort_b.id}").get_data(as_text=True)
    assert pickers["trainer_b"].full_name in page
    assert pickers["trainer_a"].full_name not in page
    both.post(f"/promotions/{cohort_b.id}/formateurs", data={"user_id": pickers["trainer_a"].id})
    db_session.expire_all()
    assert pickers["trainer_a"] not in cohort_of(db_session, "Promo B").trainers
    # The jury picker names each member's organisation for a coordinator of several.
    jury_page = both.get("/jurys/nouvelle").get_data(as_text=True)
    assert f"{pickers['jury_a'].full_name} (Organisme A)" in jury_page
    assert f"{pickers['jury_b'].full_name} (Organisme B)" in jury_page


def test_the_certifier_reaches_a_withdrawal_from_the_jury_that_certified(
    app: Flask, world: World, db_session: Any
) -> None:
    """The certifier's coordinator does not work on A's cohort: the jury session (of A, on the
    certifier's MINI) and its presentation page lead to the withdrawal, and back."""
    enrolment = db_session.get(Enrolment, world.values["enrolment_id"])
    enrolment.status = EnrolmentStatus.CERTIFIED
    enrolment.certified_on = dt.date(2026, 12, 1)
    db_session.commit()
    session_id = world.values["session_id"]
    presentation_id = world.values["presentation_id"]
    url = f"/inscriptions/{enrolment.id}/retrait-certification"
    k = _client_for(app, world.people["certifier"])
    assert url in k.get(f"/jurys/{session_id}").get_data(as_text=True)
    assert url in k.get(f"/jurys/{session_id}/presentations/{presentation_id}").get_data(
        as_text=True
    )
    page = k.get(url).get_data(as_text=True)
    assert f'href="/jurys/{session_id}"' in page  # the way back
    # A's coordinator runs the session but does not own the certification: no link.
    a = _client_for(app, world.people["coordinator"])
    assert url not in a.get(f"/jurys/{session_id}").get_data(as_text=True)
    # Once withdrawn, the session says so and still leads to the record.
    assert k.post(url, data={"reason": "Fraude", "withdrawn_on": "2026-12-10"}).status_code == 302
    page = k.get(f"/jurys/{session_id}").get_data(as_text=True)
    assert "certification retirée le" in page and url in page


def test_the_dossier_export_links_only_the_texts_one_may_write(app: Flask, world: World) -> None:
    """A training organisation's coordinator is not sent to the certifier's texts (a 404)."""
    b = _client_for(app, world.people["coordinator_out"]).get("/exports/dossier")
    assert "/textes" not in b.get_data(as_text=True)
    k = _client_for(app, world.people["certifier"]).get("/exports/dossier").get_data(as_text=True)
    assert "/dossier/MINI/textes" in k and "/dossier/AUTRE/textes" not in k
