"""Enrolling one learner, changing a status, and the identity page (coordinators only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.cohorts.models import Enrolment, EnrolmentStatus, LearnerIdentity, Sex
from app.people.models import AuditEvent, OneTimeToken, Role, TokenPurpose, User
from tests.factories import count_rows, page_text, read_mails


@pytest.fixture
def learner(create_learner: Any) -> Any:
    return create_learner()


@pytest.fixture
def enrolment(create_cohort: Any, org: Any, learner: Any, db_session: Any) -> Enrolment:
    """`learner`'s enrolment in a new cohort of `org`."""
    create_cohort(org, learners=[learner])
    return db_session.scalar(sa.select(Enrolment))


@pytest.fixture
def certified(enrolment: Enrolment, db_session: Any) -> Enrolment:
    """`enrolment`, certified on 20/06/2026."""
    enrolment.status = EnrolmentStatus.CERTIFIED
    enrolment.certified_on = dt.date(2026, 6, 20)
    db_session.commit()
    return enrolment


def learner_form(**values: str) -> dict[str, str]:
    data = {
        "email": "Helene.NDiaye@Exemple.fr",
        "first_name_1": "Hélène",
        "first_name_2": "Marie",
        "birth_name": "N'Diaye",
        "usage_name": "",
        "birth_date": "",
        "sex": "",
        "birth_commune_code": "",
        "birth_country_code": "",
    }
    data.update(values)
    return data


def post_learner(client: Any, cohort: Any, **values: str) -> Any:
    return client.post(f"/promotions/{cohort.id}/apprenants/nouveau", data=learner_form(**values))


def test_new_learner_gets_an_account_an_identity_and_an_invitation(
    client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any, outbox: Path
) -> None:
    login(coordinator)
    response = post_learner(
        client,
        cohort,
        usage_name="Dupré-Lefèvre",
        birth_date="1990-07-14",
        sex="F",
        birth_commune_code="2a004",
    )
    assert response.status_code == 302
    user = db_session.scalar(sa.select(User).where(User.email == "helene.ndiaye@exemple.fr"))
    assert user.full_name == "Hélène Marie Dupré-Lefèvre"
    assert user.roles == {Role.LEARNER} and user.password_hash is None
    assert not user.active  # until the invitation is accepted
    identity = db_session.get(LearnerIdentity, user.id)
    assert (identity.first_names, identity.birth_name, identity.usage_name) == (
        ["Hélène", "Marie"],
        "N'Diaye",
        "Dupré-Lefèvre",
    )
    assert identity.birth_date == dt.date(1990, 7, 14) and identity.sex is Sex.FEMALE
    assert identity.birth_commune_code == "2A004" and identity.birth_country_code is None
    enrolment = db_session.scalar(sa.select(Enrolment).where(Enrolment.learner_id == user.id))
    assert enrolment.cohort_id == cohort.id and enrolment.status is EnrolmentStatus.ENROLLED
    token = db_session.scalar(sa.select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    assert token.purpose is TokenPurpose.INVITATION
    mails = read_mails(outbox)
    assert [m["To"] for m in mails] == ["helene.ndiaye@exemple.fr"]
    actions = set(db_session.scalars(sa.select(AuditEvent.action)))
    assert {"enrolment.create", "user.invite"} <= actions
    page = page_text(client.get(f"/promotions/{cohort.id}"))
    assert "Hélène Marie Dupré-Lefèvre" in page and "inscrit·e" in page


def test_existing_account_is_reused_and_its_identity_kept(
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    create_learner: Any,
    create_user: Any,
    create_cohort: Any,
    org: Any,
    db_session: Any,
    outbox: Path,
) -> None:
    # Accounts wholly of the coordinator's organisation (issue #11: an account attached to
    # nothing, or to another organisation too, is offered the enrolment instead; test_walls).
    learner = create_learner(email="helene.ndiaye@exemple.fr")
    create_cohort(org, name="Promotion précédente", learners=[learner])
    trainer = create_user(Role.TRAINER, email="theo@exemple.fr", organisations=[org])
    login(coordinator)
    response = post_learner(client, cohort, birth_name="Autre-Nom")
    assert response.status_code == 302
    assert count_rows(db_session, User) == 3  # coordinator, learner, trainer: no new account
    identity = db_session.get(LearnerIdentity, learner.id)
    assert identity.birth_name == "N'Diaye"  # not overwritten by the form
    assert "identité enregistrée est conservée" in page_text(client.get(f"/promotions/{cohort.id}"))
    # Someone without the learner role gets it, and an identity.
    assert post_learner(client, cohort, email="theo@exemple.fr").status_code == 302
    db_session.refresh(trainer)
    assert trainer.roles == {Role.TRAINER, Role.LEARNER}
    assert db_session.get(LearnerIdentity, trainer.id).first_names == ["Hélène", "Marie"]
    assert read_mails(outbox) == []


def test_duplicate_enrolment_refused(
    client: Any, login: Any, coordinator: Any, cohort: Any, db_session: Any
) -> None:
    login(coordinator)
    assert post_learner(client, cohort).status_code == 302
    response = post_learner(client, cohort, email="helene.ndiaye@exemple.fr")
    assert response.status_code == 200
    assert "helene.ndiaye@exemple.fr est déjà inscrit·e dans cette promotion." in page_text(
        response
    )
    assert count_rows(db_session, Enrolment) == 1


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"email": "helene"}, "Adresse e-mail invalide."),
        ({"email": ""}, "Ce champ est requis."),
        ({"first_name_1": "", "first_name_2": ""}, "Ce champ est requis."),
        ({"first_name_2": "Marie, Anne"}, "Seuls les lettres, espaces, apostrophes"),
        ({"first_name_3": "x" * 61}, "60"),
        ({"birth_name": "N'Diaye <b>"}, "Seuls les lettres, espaces, apostrophes"),
        ({"usage_name": "Dupont2"}, "Seuls les lettres, espaces, apostrophes"),
        ({"birth_name": "x" * 101}, "100"),
        ({"birth_date": "2999-01-01"}, "La date de naissance est dans le futur."),
        ({"birth_date": "14/07/1990x"}, "date"),
        ({"sex": "X"}, "pas un choix valide"),
        ({"birth_commune_code": "7505"}, "Code commune INSEE invalide"),
        ({"birth_commune_code": "2C004"}, "Code commune INSEE invalide"),
        ({"birth_commune_code": "99350"}, "99350 est un code de pays"),
        # France as a country, and Corsica's codes before 1976: refused with the reason.
        ({"birth_commune_code": "99100"}, "99100 est le code de la France"),
        ({"birth_country_code": "99100"}, "99100 est le code de la France"),
        ({"birth_commune_code": "20004"}, "2A (Corse-du-Sud) ou 2B (Haute-Corse)"),
        ({"birth_country_code": "98350"}, "Code pays INSEE invalide"),
        ({"birth_country_code": "9935"}, "Code pays INSEE invalide"),
        (
            {"birth_commune_code": "69123", "birth_country_code": "99350"},
            "soit la commune de naissance (en France), soit le pays de naissance",
        ),
    ],
)
def test_bad_learner_input_refused_in_french(
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    db_session: Any,
    values: dict[str, str],
    message: str,
) -> None:
    login(coordinator)
    response = post_learner(client, cohort, **values)
    assert response.status_code == 200
    page = page_text(response)
    assert message in page
    assert "Le formulaire contient des erreurs" in page
    assert count_rows(db_session, Enrolment) == 0 and count_rows(db_session, LearnerIdentity) == 0


@pytest.mark.parametrize(
    ("first", "last", "usage"),
    [
        ("Jean-Éric", "N'Diaye", "Lefèvre"),
        ("Zoë", "d’Aubigné", ""),
        ("Marie Ange", "Le Goff", "Ørsted"),
        ("Ma’ïa", "N‘Guessan", "O´Neil"),
    ],
)
def test_names_with_accents_apostrophes_hyphens_accepted(
    client: Any,
    login: Any,
    coordinator: Any,
    cohort: Any,
    db_session: Any,
    first: str,
    last: str,
    usage: str,
) -> None:
    login(coordinator)
    response = post_learner(
        client, cohort, first_name_1=first, first_name_2="", birth_name=last, usage_name=usage
    )
    assert response.status_code == 302
    identity = db_session.scalar(sa.select(LearnerIdentity))
    # One apostrophe is stored, the straight one (exports/accrochage.py says why).
    straight = str.maketrans("’‘´", "'''")
    assert (identity.first_names, identity.birth_name, identity.usage_name) == (
        [first.translate(straight)],
        last.translate(straight),
        usage.translate(straight) or None,
    )
    assert "’" not in identity.birth_name + "".join(identity.first_names)


def test_typed_input_kept_and_escaped(
    client: Any, login: Any, coordinator: Any, cohort: Any
) -> None:
    login(coordinator)
    html = post_learner(client, cohort, birth_name='"><script>x</script>').get_data(as_text=True)
    assert "<script>x</script>" not in html
    assert "&#34;&gt;&lt;script&gt;x&lt;/script&gt;" in html or "&quot;&gt;&lt;script&gt;" in html


def test_change_status(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    enrolment: Enrolment,
    db_session: Any,
) -> None:
    login(coordinator)
    url = f"/promotions/{enrolment.cohort_id}/apprenants/{enrolment.id}/statut"
    assert client.post(url, data={f"e{enrolment.id}-status": "withdrawn"}).status_code == 302
    db_session.refresh(enrolment)
    assert enrolment.status is EnrolmentStatus.WITHDRAWN and enrolment.status_changed_at
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "enrolment.status"))
    assert event.details == {"previous": "enrolled", "status": "withdrawn"}
    client.post(url, data={f"e{enrolment.id}-status": "graduated"})
    db_session.refresh(enrolment)
    assert enrolment.status is EnrolmentStatus.WITHDRAWN
    # An enrolment of another cohort is not reachable through this one.
    other = create_cohort(org)
    assert (
        client.post(
            f"/promotions/{other.id}/apprenants/{enrolment.id}/statut",
            data={f"e{enrolment.id}-status": "certified"},
        ).status_code
        == 404
    )


def test_status_labels_in_french(
    client: Any,
    login: Any,
    org: Any,
    create_cohort: Any,
    create_learner: Any,
    create_user: Any,
    db_session: Any,
) -> None:
    trainer = create_user(Role.TRAINER, organisations=[org])
    learners = [create_learner(email=f"{s}@exemple.fr") for s in ("a", "b", "c")]
    cohort = create_cohort(org, trainers=[trainer], learners=learners)
    enrolments = db_session.scalars(sa.select(Enrolment).order_by(Enrolment.id)).all()
    enrolments[1].status = EnrolmentStatus.WITHDRAWN
    enrolments[2].status = EnrolmentStatus.CERTIFIED
    db_session.commit()
    login(trainer)
    page = page_text(client.get(f"/promotions/{cohort.id}"))
    for label in ("inscrit·e", "abandon", "certifié·e"):
        assert f">{label}</span>" in page


# --- identity ----------------------------------------------------------------------------------


def identity_form(identity: Any, **values: Any) -> dict[str, Any]:
    data = {
        **{f"first_name_{i}": name for i, name in enumerate(identity.first_names, 1)},
        "birth_name": identity.birth_name,
        "usage_name": identity.usage_name or "",
        "birth_date": identity.birth_date.isoformat() if identity.birth_date else "",
        "sex": identity.sex.value if identity.sex else "",
        "birth_commune_code": identity.birth_commune_code or "",
        "birth_country_code": identity.birth_country_code or "",
        "revision": identity.revision,
    }
    data.update(values)
    return data


@pytest.mark.usefixtures("enrolment")
def test_identity_shown_and_edited_by_coordinators(
    client: Any, login: Any, coordinator: Any, learner: Any, db_session: Any
) -> None:
    login(coordinator)
    page = page_text(client.get(f"/apprenants/{learner.id}/identite"))
    assert 'value="1990-07-14"' in page and 'value="69123"' in page
    identity = db_session.get(LearnerIdentity, learner.id)
    data = identity_form(
        identity, usage_name="Martin", birth_commune_code="", birth_country_code="99350"
    )
    response = client.post(f"/apprenants/{learner.id}/identite", data=data)
    assert response.status_code == 302
    db_session.refresh(identity)
    assert identity.birth_country_code == "99350" and identity.birth_commune_code is None
    assert identity.revision == 2
    db_session.refresh(learner)
    assert learner.full_name == "Hélène Martin"
    event = db_session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "identity.update"))
    assert event.details == {"fields": ["birth_commune_code", "birth_country_code", "usage_name"]}
    # Birth data itself stays out of the audit log.
    assert "99350" not in str(event.details) and "1990" not in event.summary


def test_identity_created_when_missing(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    create_user: Any,
    db_session: Any,
) -> None:
    learner = create_user(Role.LEARNER)
    create_cohort(org, learners=[learner])
    login(coordinator)
    assert 'name="revision" type="hidden" value="0"' in page_text(
        client.get(f"/apprenants/{learner.id}/identite")
    )
    data = {"first_name_1": "Anne", "birth_name": "Durand", "revision": "0", "sex": "M"}
    assert client.post(f"/apprenants/{learner.id}/identite", data=data).status_code == 302
    assert db_session.get(LearnerIdentity, learner.id).sex is Sex.MALE


@pytest.mark.usefixtures("enrolment")
def test_identity_stale_edit_refused(
    client: Any, login: Any, coordinator: Any, learner: Any, db_session: Any
) -> None:
    identity = db_session.get(LearnerIdentity, learner.id)
    first = identity_form(identity, usage_name="Martin")
    second = identity_form(identity, birth_date="1991-01-01")
    login(coordinator)
    assert client.post(f"/apprenants/{learner.id}/identite", data=first).status_code == 302
    response = client.post(f"/apprenants/{learner.id}/identite", data=second)
    assert "Quelqu'un d'autre a modifié ces informations" in page_text(response)
    db_session.refresh(identity)
    assert identity.birth_date == dt.date(1990, 7, 14) and identity.usage_name == "Martin"


@pytest.mark.usefixtures("enrolment")
def test_identity_bad_codes_refused(
    client: Any, login: Any, coordinator: Any, learner: Any, db_session: Any
) -> None:
    identity = db_session.get(LearnerIdentity, learner.id)
    login(coordinator)
    for values, message in (
        ({"birth_commune_code": "1234"}, "Code commune INSEE invalide"),
        ({"birth_country_code": "99350"}, "pas les deux"),
    ):
        response = client.post(
            f"/apprenants/{learner.id}/identite", data=identity_form(identity, **values)
        )
        assert message in page_text(response)
    db_session.refresh(identity)
    assert identity.revision == 1 and identity.birth_commune_code == "69123"


# --- entry date (the accrochage's dateInscription) ---------------------------------------------


def test_entry_date_defaults_to_the_cohort_start_and_is_edited_by_the_coordinator(
    client: Any, login: Any, coordinator: Any, certified: Enrolment, db_session: Any
) -> None:
    enrolment = certified
    assert enrolment.entry_date == dt.date(2025, 9, 1)  # the cohort's start
    login(coordinator)
    page_url = f"/promotions/{enrolment.cohort_id}/apprenants/{enrolment.id}"
    page = page_text(client.get(page_url))
    assert "Date d'entrée en formation" in page and "début de la promotion" in page
    url = f"{page_url}/entree"
    assert client.post(url, data={"entered_on": "2025-10-06"}).status_code == 302
    db_session.refresh(enrolment)
    assert enrolment.entered_on == dt.date(2025, 10, 6) == enrolment.entry_date
    event = db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "enrolment.entry_date")
    )
    assert event.details == {"previous": None, "entered_on": "2025-10-06"}
    # Blank: back to the cohort's start date.
    assert client.post(url, data={"entered_on": ""}).status_code == 302
    db_session.refresh(enrolment)
    assert enrolment.entered_on is None


def test_entry_date_after_the_certification_is_refused_at_entry(
    client: Any,
    login: Any,
    coordinator: Any,
    org: Any,
    create_cohort: Any,
    certified: Enrolment,
    db_session: Any,
) -> None:
    enrolment = certified
    login(coordinator)
    url = f"/promotions/{enrolment.cohort_id}/apprenants/{enrolment.id}/entree"
    response = client.post(url, data={"entered_on": "2026-06-21"}, follow_redirects=True)
    page = page_text(response)
    assert (
        "La date d'entrée en formation (21/06/2026) ne peut pas être postérieure à la date de "
        "certification (20/06/2026)." in page
    )
    db_session.refresh(enrolment)
    assert enrolment.entered_on is None
    # The same day is fine; a date that is not one is refused plainly.
    assert client.post(url, data={"entered_on": "2026-06-20"}).status_code == 302
    db_session.refresh(enrolment)
    assert enrolment.entered_on == dt.date(2026, 6, 20)
    page = page_text(client.post(url, data={"entered_on": "demain"}, follow_redirects=True))
    assert "Date d'entrée invalide" in page
    # An enrolment of another cohort is not reachable through this one.
    other = create_cohort(org)
    assert (
        client.post(
            f"/promotions/{other.id}/apprenants/{enrolment.id}/entree", data={"entered_on": ""}
        ).status_code
        == 404
    )
