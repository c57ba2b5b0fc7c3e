"""Erasure on request: identity and contact data go, the certification evidence stays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from lxml import etree

from app.assessment.evidence import attach, check_upload, stored_path
from app.assessment.models import CompetencyComment, EvidenceFile
from app.cohorts.models import (
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LearnerIdentity,
    Sex,
)
from app.db import commit, rollback
from app.dossier.builder import dossier_data
from app.exports_history import services as exports
from app.exports_history.models import ExportKind, ExportRecord
from app.frameworks.services import load_version
from app.people.models import AuditEvent, OneTimeToken, Organisation, OrganisationKind, User
from app.privacy.erasure import erase_person
from app.progress.attestations import attestation_content, issue_attestation
from exports.accrochage import NAMESPACE, passage_id
from tests.factories import new_cohort

PDF = b"%PDF-1.4\n% preuve\n%%EOF\n"
NS = f"{{{NAMESPACE}}}"


@pytest.fixture
def settings(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {
        "EXPORTS_DIR": str(tmp_path / "exports"),
        "EVIDENCE_DIR": str(tmp_path / "evidence"),
        "MAIL_OUTBOX": str(tmp_path / "outbox"),
        "ACCROCHAGE_ID_CLIENT": "03BHY312",
        "ACCROCHAGE_ID_CONTRAT": "MCFCER000775",
        "JOBS_INLINE": False,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return tmp_path


def everything_as_text(db_session: Any) -> str:
    """Every row of every table, as text: what the database still says about anyone."""
    from app.db import db

    parts = []
    for table in db.metadata.sorted_tables:
        for row in db_session.execute(sa.select(table)):
            parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


def titulaire(content: bytes, technical_id: str) -> etree._Element:
    root = etree.fromstring(content)
    passage = next(
        p
        for p in root.iter(f"{NS}passageCertification")
        if p.findtext(f"{NS}idTechnique") == technical_id
    )
    return passage.find(f".//{NS}titulaire")


def test_an_erased_learner_still_counts_in_the_dossier_and_the_accrochage_history(
    runner: Any, db_session: Any, settings: Path, client: Any, login: Any
) -> None:
    assert runner.invoke(args=["demo"]).exit_code == 0
    version = load_version("CTA", "2025-04")
    cohort_ids = list(
        db_session.scalars(sa.select(Cohort.id).where(Cohort.version_id == version.id))
    )
    enrolment = db_session.scalars(
        sa.select(Enrolment)
        .join(LearnerIdentity, LearnerIdentity.user_id == Enrolment.learner_id)
        .where(Enrolment.status == EnrolmentStatus.CERTIFIED, Enrolment.cohort_id.in_(cohort_ids))
        .order_by(Enrolment.id)
    ).first()
    person = enrolment.learner
    identity = db_session.get(LearnerIdentity, person.id)
    email, name = person.email, person.full_name
    birth_name, first_names = identity.birth_name, " ".join(identity.first_names)
    attestation = issue_attestation(enrolment, attestation_content(enrolment))
    attach(
        enrolment,
        enrolment.cohort.version.blocs[0].competencies[0],
        check_upload(PDF, f"CV {name}.pdf", 10**6),
        person,
    )
    db_session.commit()
    out = settings / "flux.xml"
    # A test file: the demo's CTA has no RNCP number yet.
    result = runner.invoke(
        args=["accrochage", "export", "CTA", "--version", "2025-04", "--test-file", "-o", out]
    )
    assert result.exit_code == 0, result.output
    record = db_session.scalars(
        sa.select(ExportRecord).where(ExportRecord.kind == ExportKind.ACCROCHAGE)
    ).one()
    declared = record.details["declared"]
    technical_id = passage_id("CTA", enrolment.id)
    holder = titulaire(exports.read_verified(record), technical_id)
    assert holder.findtext(f"{NS}nomNaissance") == birth_name
    figures = dossier_data(version, cohort_ids, generated_on=dt.date(2026, 12, 5))
    evidence_file = stored_path(db_session.scalars(sa.select(EvidenceFile.stored_name)).one())
    assert evidence_file.is_file()

    coordinator = db_session.scalar(sa.select(User).where(User.email.startswith("coordination@")))
    login(coordinator)
    identity_page = client.get(f"/apprenants/{person.id}/identite").get_data(as_text=True)
    assert f"/apprenants/{person.id}/effacement" in identity_page
    page = client.get(f"/apprenants/{person.id}/effacement")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Ce qui va se passer" in text and "1 pièce justificative" in text
    assert "1 flux d'accrochage conservé" in text
    # Without the box ticked, nothing happens.
    refused = client.post(f"/apprenants/{person.id}/effacement", data={})
    assert refused.status_code == 200
    assert "Cochez la case" in refused.get_data(as_text=True)
    assert db_session.get(User, person.id).erased_at is None

    done = client.post(f"/apprenants/{person.id}/effacement", data={"confirm": "y"})
    assert done.status_code == 302
    db_session.expire_all()
    person = db_session.get(User, person.id)
    assert person.erased_at is not None and not person.active and person.password_hash is None
    assert person.full_name.startswith("Personne effacée ")
    pseudonym = person.full_name.removeprefix("Personne effacée ")

    # Gone: name, e-mail, birth data (everywhere in the database), the evidence file.
    assert db_session.get(LearnerIdentity, person.id) is None
    remaining = everything_as_text(db_session)
    for gone in (email, name, f"{first_names} {birth_name}", f"CV {name}"):
        assert gone not in remaining, gone
    assert not evidence_file.exists()
    assert db_session.get(type(attestation), attestation.id).content["learner_name"] == (
        person.full_name
    )

    # Kept: the certification, counted in the dossier's figures exactly as before.
    enrolment = db_session.get(Enrolment, enrolment.id)
    assert enrolment.status is EnrolmentStatus.CERTIFIED and enrolment.certified_on
    db_session.expire_all()
    assert dossier_data(version, cohort_ids, generated_on=dt.date(2026, 12, 5)) == figures

    # Kept: the accrochage history still declares them, under the pseudonym, file intact.
    record = db_session.get(ExportRecord, record.id)
    assert record.details["declared"] == declared
    assert exports.verify(record).integrity is exports.Integrity.CONFORMING
    content = exports.read_verified(record)
    holder = titulaire(content, technical_id)
    assert holder.findtext(f"{NS}prenom1") == pseudonym
    assert holder.find(f"{NS}anneeNaissance") is None
    assert birth_name not in etree.tostring(holder, encoding="unicode")
    assert content.count(b"<cpf:passageCertification>") == declared
    history = client.get("/exports").get_data(as_text=True)
    assert "accrochage" in history.lower()

    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.erase")
    ).one()
    assert event.actor_id == coordinator.id and event.object_id == person.id
    assert event.details["evidence_files_removed"] == 1
    again = client.get(f"/apprenants/{person.id}/effacement").get_data(as_text=True)
    assert "ont été effacées le" in again


@pytest.fixture
def pilot(db_session: Any, create_user: Any, version: Any, organisation: Any) -> dict[str, Any]:
    """Organisation A (the `organisation` fixture) with a coordinator, a trainer and a learner,
    and organisation B with its own coordinator."""
    other = Organisation(name="Organisme Beta", kind=OrganisationKind.TRAINING)
    db_session.add(other)
    people = {
        "coordinator": create_user("coordinator", organisations=[organisation]),
        "trainer": create_user("trainer", organisations=[organisation]),
        "learner": create_user("learner", name="Zoé Lefèvre-Brun", email="zoe@exemple.fr"),
        "coordinator_b": create_user("coordinator", organisations=[other]),
    }

    def cohort(org: Organisation, name: str) -> Cohort:
        return new_cohort(db_session, org, version, name, [people["trainer"]])

    cohort_a = cohort(organisation, "Promo A")
    enrolment = Enrolment(cohort=cohort_a, learner=people["learner"])
    identity = LearnerIdentity(
        user=people["learner"],
        birth_name="Lefèvre",
        usage_name="Brun",
        first_names=["Zoé"],
        birth_date=dt.date(1991, 3, 4),
        sex=Sex.FEMALE,
        birth_commune_code="69123",
    )
    db_session.add_all([enrolment, identity])
    db_session.commit()
    return {
        **people,
        "enrolment": enrolment,
        "cohort": cohort_a,
        "other": other,
        "cohort_fn": cohort,
    }


def test_only_the_coordinator_of_the_persons_organisation_may_erase(
    client: Any, login: Any, db_session: Any, pilot: dict[str, Any], settings: Path
) -> None:
    learner = pilot["learner"]
    url = f"/apprenants/{learner.id}/effacement"
    for who, expected in (("coordinator_b", 404), ("trainer", 403), ("learner", 403)):
        login(pilot[who])
        assert client.get(url).status_code == expected, who
        assert client.post(url, data={"confirm": "y"}).status_code == expected, who
    assert db_session.get(User, learner.id).erased_at is None
    # A coordinator cannot erase staff from the web, nor a learner shared with another
    # organisation (that goes through the command line).
    login(pilot["coordinator"])
    assert client.get(f"/apprenants/{pilot['trainer'].id}/effacement").status_code == 404
    db_session.add(Enrolment(cohort=pilot["cohort_fn"](pilot["other"], "Promo B"), learner=learner))
    db_session.commit()
    assert client.get(url).status_code == 404
    assert "effacement" not in client.get(f"/apprenants/{learner.id}/identite").get_data(
        as_text=True
    )


def test_erasure_rewrites_the_audit_log_and_removes_links(
    db_session: Any, pilot: dict[str, Any], settings: Path
) -> None:
    from app.people import audit

    learner, coordinator = pilot["learner"], pilot["coordinator"]
    audit.record(
        "user.invite",
        learner,
        "Invitation de Zoé Lefèvre-Brun (zoe@exemple.fr)",
        actor=coordinator,
        email="zoe@exemple.fr",
    )
    audit.record(
        "cohort.edit",
        pilot["cohort"],
        "Promotion « Promo A » modifiée",
        actor=coordinator,
        note="Zoé Brun absente",
    )
    other = audit.record("cohort.edit", pilot["cohort"], "Zoé Martin ajoutée", actor=coordinator)
    db_session.add(
        OneTimeToken(
            user=learner,
            purpose="invitation",
            token_hash="a" * 64,
            expires_at=dt.datetime.now(dt.UTC),
        )
    )
    comment = CompetencyComment(
        enrolment=pilot["enrolment"],
        competency=pilot["cohort"].version.blocs[0].competencies[0],
        author=pilot["trainer"],
        text="Zoé Lefèvre-Brun anime bien la réunion.",
    )
    db_session.add(comment)
    outbox = settings / "outbox"
    outbox.mkdir()
    (outbox / "invitation.eml").write_text("To: zoe@exemple.fr\n\nBonjour")
    (outbox / "autre.eml").write_text("To: autre@exemple.fr\n\nBonjour")
    db_session.commit()

    plan = erase_person(learner, actor=coordinator)
    # Files change only once the transaction commits.
    assert (outbox / "invitation.eml").exists()
    commit()  # the unit of work's end, which runs what waited for it
    assert not (outbox / "invitation.eml").exists() and (outbox / "autre.eml").exists()

    pseudonym = f"Personne effacée {plan.pseudonym}"
    events = db_session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    invite = next(e for e in events if e.action == "user.invite")
    assert invite.summary == f"Invitation de {pseudonym} ({learner.email})"
    assert invite.details["email"] == learner.email.lower() != "zoe@exemple.fr"
    note = next(e for e in events if e.details.get("note"))
    assert note.details["note"] == f"{pseudonym} absente"
    assert db_session.get(AuditEvent, other.id).summary == "Zoé Martin ajoutée"
    assert db_session.get(CompetencyComment, comment.id).text == (
        f"{pseudonym} anime bien la réunion."
    )
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OneTimeToken)) == 0
    assert "Lefèvre" not in everything_as_text(db_session)


def test_a_rolled_back_erasure_keeps_the_files(
    db_session: Any, pilot: dict[str, Any], settings: Path
) -> None:
    enrolment = pilot["enrolment"]
    evidence = attach(
        enrolment,
        enrolment.cohort.version.blocs[0].competencies[0],
        check_upload(PDF, "preuve.pdf", 10**6),
        pilot["trainer"],
    )
    db_session.commit()
    path = stored_path(evidence.stored_name)
    erase_person(pilot["learner"], actor=pilot["coordinator"])
    rollback()
    assert path.is_file()
    assert db_session.get(User, pilot["learner"].id).erased_at is None


def test_the_command_line_erases_with_confirmation(
    runner: Any, db_session: Any, pilot: dict[str, Any], settings: Path
) -> None:
    learner_id = pilot["learner"].id
    unknown = runner.invoke(args=["people", "erase", "personne@nulle.part"])
    assert unknown.exit_code == 1 and "aucun compte" in unknown.output
    declined = runner.invoke(args=["people", "erase", "ZOE@exemple.fr"], input="n\n")
    assert declined.exit_code == 1 and "rien n'a été effacé" in declined.output
    assert "identité civile effacée : oui" in declined.output
    assert db_session.get(User, learner_id).erased_at is None
    done = runner.invoke(args=["people", "erase", "zoe@exemple.fr"], input="y\n")
    assert done.exit_code == 0, done.output
    db_session.expire_all()
    person = db_session.get(User, learner_id)
    assert person.erased_at is not None and person.full_name in done.output
    event = db_session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "person.erase")
    ).one()
    assert event.actor_id is None
    again = runner.invoke(args=["people", "erase", person.email, "--yes"])
    assert again.exit_code == 1 and "déjà été effacées" in again.output
