"""Erasure on request (RGPD art. 17): a person's identity and contact data go, the certification
evidence the law requires stays, under a stable pseudonym.

Removed: the civil identity (birth name, usage name, first names, birth date, sex, birth place),
the name and e-mail of the account (replaced by the pseudonym), its password and pending links,
the evidence files of the person's enrolments, the failed-login counters naming the address.
Rewritten: the name and e-mail wherever they were copied (audit entries, attestations as issued,
trainers' comments and jury reasons, the exports' lists of people left out) and the holder's
identity in stored accrochage flows.
Kept: enrolments, results, comments, jury presentations and decisions, certification dates,
survey answers (no free text) — so the person still counts in the dossier's figures and in the
exports history, as "Personne effacée XXXX-XXXX".
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from flask import current_app
from lxml import etree

from app.assessment.evidence import stored_path
from app.assessment.models import CompetencyComment, EvidenceFile
from app.cohorts.models import Enrolment, EnrolmentStatus, LearnerIdentity
from app.db import after_commit, after_rollback, db, utcnow
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.exports_history.services import stored_file
from app.files import write_private
from app.insertion.models import SurveyAnswer
from app.jury.models import BlocDecision, JuryPresentation
from app.people import audit
from app.people.models import AuditEvent, OneTimeToken, Role, User
from app.people.services import forget_sign_in_data
from app.progress.models import CODE_ALPHABET, Attestation
from exports.accrochage import NAMESPACE, passage_id

ERASED_DOMAIN = "pseudonyme.invalid"
STAFF_ROLES = (Role.COORDINATOR, Role.TRAINER, Role.JURY)

log = logging.getLogger(__name__)


class ErasureError(Exception):
    """An erasure refused, with the reason (in French)."""


def files_after_commit(action: Callable[[], None], undo: Callable[[], None] | None = None) -> None:
    """Change files once the unit of work commits (`undo` if it rolls back instead), so a
    refused erasure or retention run leaves them as they were. The rows are committed by then:
    a file that cannot be changed is logged, it does not fail the request."""

    def quietly(step: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                step()
            except OSError:
                log.exception("file change after the transaction failed")

        return run

    after_commit(quietly(action))
    if undo is not None:
        after_rollback(quietly(undo))


def new_pseudonym() -> str:
    """Eight random characters of Crockford's base32, as XXXX-XXXX (40 bits)."""
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"{code[:4]}-{code[4:]}"


def pseudonym_name(pseudonym: str) -> str:
    return f"Personne effacée {pseudonym}"


def pseudonym_email(pseudonym: str) -> str:
    return f"effacee-{pseudonym.lower()}@{ERASED_DOMAIN}"


@dataclass
class ErasurePlan:
    """What erasing a person would do (shown before confirming), then what it did."""

    person_id: int
    enrolments: int = 0
    certified: int = 0
    has_identity: bool = False
    evidence_files: int = 0
    attestations: int = 0
    survey_answers: int = 0
    accrochage_exports: int = 0
    audit_entries: int = 0
    pseudonym: str = ""
    staff_roles: list[str] = field(default_factory=list)

    def as_details(self) -> dict[str, Any]:
        return {
            "pseudonym": self.pseudonym,
            "enrolments": self.enrolments,
            "certified": self.certified,
            "identity_removed": self.has_identity,
            "evidence_files_removed": self.evidence_files,
            "attestations_pseudonymised": self.attestations,
            "accrochage_exports_pseudonymised": self.accrochage_exports,
            "audit_entries_pseudonymised": self.audit_entries,
            "survey_answers_kept": self.survey_answers,
        }


# --- what the person left where ------------------------------------------------------------------


def _enrolments(person: User) -> list[Enrolment]:
    return list(
        db.session.scalars(
            sa.select(Enrolment).where(Enrolment.learner_id == person.id).order_by(Enrolment.id)
        )
    )


def _needles(person: User, identity: LearnerIdentity | None) -> list[str]:
    """The strings that name the person, longest first (whole names, never a lone surname)."""
    found = {person.email, person.full_name}
    if identity is not None:
        for last in {identity.birth_name, identity.usage_name} - {None, ""}:
            first = " ".join(identity.first_names)
            found.add(f"{first} {last}")
            found.add(f"{last} {first}")
    return sorted((n for n in found if n and len(n.strip()) >= 3), key=len, reverse=True)


def _json_forms(needle: str) -> set[str]:
    """The needle as written inside a JSON document (escaped or not)."""
    return {needle, json.dumps(needle)[1:-1]}


def _audit_events(
    person: User, enrolment_ids: list[int], evidence_ids: list[int], needles: list[str]
) -> list[AuditEvent]:
    linked = [
        sa.and_(AuditEvent.object_type == "users", AuditEvent.object_id == person.id),
        sa.and_(AuditEvent.object_type == "learner_identities", AuditEvent.object_id == person.id),
    ]
    if enrolment_ids:
        linked.append(
            sa.and_(AuditEvent.object_type == "enrolments", AuditEvent.object_id.in_(enrolment_ids))
        )
    if evidence_ids:
        linked.append(
            sa.and_(
                AuditEvent.object_type == "evidence_files", AuditEvent.object_id.in_(evidence_ids)
            )
        )
    details = sa.cast(AuditEvent.details, sa.Text)
    mentions = [AuditEvent.summary.contains(n, autoescape=True) for n in needles] + [
        details.contains(form, autoescape=True) for n in needles for form in _json_forms(n)
    ]
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(sa.or_(*linked, *mentions)).order_by(AuditEvent.id)
        )
    )


def _export_records(cohort_ids: set[int], needles: list[str]) -> list[ExportRecord]:
    """Exports that may hold the person: accrochage flows of their cohorts, and any export
    whose details name them."""
    details = sa.cast(ExportRecord.details, sa.Text)
    mentions = [details.contains(form, autoescape=True) for n in needles for form in _json_forms(n)]
    rows = db.session.scalars(
        sa.select(ExportRecord)
        .where(sa.or_(ExportRecord.kind == ExportKind.ACCROCHAGE, *mentions))
        .order_by(ExportRecord.id)
    )
    return [
        r
        for r in rows
        if r.kind is not ExportKind.ACCROCHAGE
        or cohort_ids & set(r.parameters.get("cohort_ids", []))
        or any(form in json.dumps(r.details) for n in needles for form in _json_forms(n))
    ]


def plan_erasure(person: User) -> ErasurePlan:
    """Count what an erasure of `person` would remove, rewrite and keep."""
    enrolments = _enrolments(person)
    ids = [e.id for e in enrolments]
    identity = db.session.get(LearnerIdentity, person.id)
    needles = _needles(person, identity)
    evidence_ids = _evidence_ids(ids)
    plan = ErasurePlan(
        person_id=person.id,
        enrolments=len(enrolments),
        certified=sum(e.status is EnrolmentStatus.CERTIFIED for e in enrolments),
        has_identity=identity is not None,
        evidence_files=len(evidence_ids),
        staff_roles=sorted(r.value for r in person.roles if r in STAFF_ROLES),
    )
    if ids:
        plan.attestations = _count(Attestation, Attestation.enrolment_id.in_(ids))
        plan.survey_answers = _count(SurveyAnswer, SurveyAnswer.enrolment_id.in_(ids))
    plan.audit_entries = len(_audit_events(person, ids, evidence_ids, needles))
    plan.accrochage_exports = sum(
        r.kind is ExportKind.ACCROCHAGE
        for r in _export_records({e.cohort_id for e in enrolments}, needles)
    )
    return plan


def _count(model: Any, condition: Any) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(condition)) or 0


def _evidence_ids(enrolment_ids: list[int]) -> list[int]:
    if not enrolment_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(EvidenceFile.id).where(EvidenceFile.enrolment_id.in_(enrolment_ids))
        )
    )


# --- erasing -------------------------------------------------------------------------------------


def _replace(value: Any, pairs: list[tuple[str, str]]) -> Any:
    """`value` (text, or JSON made of lists and dicts) with every needle replaced."""
    if isinstance(value, str):
        for needle, replacement in pairs:
            value = value.replace(needle, replacement)
        return value
    if isinstance(value, list):
        return [_replace(item, pairs) for item in value]
    if isinstance(value, dict):
        return {key: _replace(item, pairs) for key, item in value.items()}
    return value


def erase_person(person: User, *, actor: User | None) -> ErasurePlan:
    """Erase `person`'s identity and contact data, keeping the certification evidence under a
    pseudonym; audited. The caller commits; files change only once the commit is done."""
    if person.erased_at is not None:
        raise ErasureError("les données de cette personne ont déjà été effacées")
    if actor is not None and actor.id == person.id:
        raise ErasureError("on ne peut pas effacer son propre compte")
    plan = plan_erasure(person)
    enrolments = _enrolments(person)
    ids = [e.id for e in enrolments]
    identity = db.session.get(LearnerIdentity, person.id)
    needles = _needles(person, identity)
    pseudonym = new_pseudonym()
    while db.session.scalar(sa.select(User.id).where(User.email == pseudonym_email(pseudonym))):
        pseudonym = new_pseudonym()
    plan.pseudonym = pseudonym
    name, email = pseudonym_name(pseudonym), pseudonym_email(pseudonym)
    pairs = [(n, email if n == person.email else name) for n in needles]

    for event in _audit_events(person, ids, _evidence_ids(ids), needles):
        event.summary = _replace(event.summary, pairs)
        event.details = _replace(event.details, pairs)
    if ids:
        for attestation in db.session.scalars(
            sa.select(Attestation).where(Attestation.enrolment_id.in_(ids))
        ):
            attestation.content = {**_replace(attestation.content, pairs), "learner_name": name}
        _rewrite_free_text(ids, pairs)
        _remove_evidence(ids)
    passage_ids = _passage_ids(enrolments)
    for record in _export_records({e.cohort_id for e in enrolments}, needles):
        record.details = _replace(record.details, pairs)
        if record.kind is ExportKind.ACCROCHAGE:
            _pseudonymise_flow(record, passage_ids, pseudonym)
    if identity is not None:
        db.session.delete(identity)
    db.session.execute(sa.delete(OneTimeToken).where(OneTimeToken.user_id == person.id))
    forget_sign_in_data(person)
    _forget_outbox_mail(person.email)

    person.full_name = name
    person.email = email
    person.password_hash = None
    person.active = False
    person.session_version += 1
    person.last_login_at = None
    person.erased_at = utcnow()
    audit.record(
        "person.erase",
        person,
        f"Données personnelles effacées sur demande : {name}",
        actor=actor,
        **plan.as_details(),
    )
    return plan


def _rewrite_free_text(enrolment_ids: list[int], pairs: list[tuple[str, str]]) -> None:
    """Trainers' comments and jury reasons about the person keep their content, not the name.

    Comments are append-only and a closed jury's decisions final: the ORM guards refuse any
    change, rightly. Erasure is the one change the law asks for, so it goes around them, on
    the text columns only, in the same transaction.
    """
    comments = cast(sa.Table, CompetencyComment.__table__)
    decisions = cast(sa.Table, BlocDecision.__table__)
    targets: list[tuple[sa.Table, sa.Select[Any], str]] = [
        (
            comments,
            sa.select(comments.c.id, comments.c.text).where(
                comments.c.enrolment_id.in_(enrolment_ids)
            ),
            "text",
        ),
        (
            decisions,
            sa.select(decisions.c.id, decisions.c.reason)
            .join(JuryPresentation, JuryPresentation.id == decisions.c.presentation_id)
            .where(JuryPresentation.enrolment_id.in_(enrolment_ids), decisions.c.reason != ""),
            "reason",
        ),
    ]
    db.session.flush()
    connection = db.session.connection()
    for table, query, column in targets:
        changed = {}
        for row_id, text in connection.execute(query):
            rewritten = _replace(text, pairs)
            if rewritten != text:
                changed[row_id] = rewritten
        for row_id, text in changed.items():
            connection.execute(sa.update(table).where(table.c.id == row_id).values({column: text}))
        for obj in list(db.session.identity_map.values()):
            if getattr(obj, "__table__", None) is table and getattr(obj, "id", None) in changed:
                db.session.expire(obj)


def _remove_evidence(enrolment_ids: list[int]) -> None:
    rows = db.session.scalars(
        sa.select(EvidenceFile).where(EvidenceFile.enrolment_id.in_(enrolment_ids))
    ).all()
    paths = [stored_path(row.stored_name) for row in rows]
    for row in rows:
        db.session.delete(row)

    def unlink() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    files_after_commit(unlink)


def _passage_ids(enrolments: Iterable[Enrolment]) -> dict[int, set[str]]:
    """The accrochage technical ids of the person's enrolments, per cohort id."""
    found: dict[int, set[str]] = {}
    for enrolment in enrolments:
        code = enrolment.cohort.version.certification.code
        found.setdefault(enrolment.cohort_id, set()).add(passage_id(code, enrolment.id))
    return found


def _pseudonymise_flow(
    record: ExportRecord, passage_ids: dict[int, set[str]], pseudonym: str
) -> None:
    """Replace the holder's identity in a stored flow by the pseudonym; the declaration (its
    technical id, dates, access route) stays. The file's SHA-256 and size follow."""
    if record.status is not ExportStatus.DONE:
        return
    path = stored_file(record)
    if path is None or not path.is_file():
        return
    wanted = set().union(*passage_ids.values()) if passage_ids else set()
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(path.read_bytes(), parser)
    ns = f"{{{NAMESPACE}}}"
    changed = 0
    for passage in root.iter(f"{ns}passageCertification"):
        if passage.findtext(f"{ns}idTechnique") not in wanted:
            continue
        for holder in passage.iter(f"{ns}titulaire"):
            for child in list(holder):
                holder.remove(child)
            holder.append(etree.Comment(f" identité effacée sur demande le {utcnow():%Y-%m-%d} "))
            etree.SubElement(holder, f"{ns}nomNaissance").text = "EFFACE"
            etree.SubElement(holder, f"{ns}prenom1").text = pseudonym
            changed += 1
    if not changed:
        return
    etree.indent(root)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    previous = record.sha256
    record.size = len(content)
    record.sha256 = hashlib.sha256(content).hexdigest()
    record.details = {
        **record.details,
        "pseudonymised": [
            *record.details.get("pseudonymised", []),
            {"at": utcnow().isoformat(), "pseudonym": pseudonym, "previous_sha256": previous},
        ],
    }
    temporary = path.with_name(path.name + ".erasure")
    write_private(temporary, content)
    files_after_commit(
        lambda: os.replace(temporary, path), lambda: temporary.unlink(missing_ok=True)
    )


def _forget_outbox_mail(email: str) -> None:
    """Mails written to the development outbox name the address: remove them with the rest."""
    configured = current_app.config.get("MAIL_OUTBOX")
    folder = Path(configured or Path(current_app.config["INSTANCE_DIR"]) / "outbox")
    if not folder.is_dir():
        return
    needle = email.encode()
    doomed = [p for p in folder.glob("*.eml") if p.is_file() and needle in p.read_bytes()]

    def unlink() -> None:
        for path in doomed:
            path.unlink(missing_ok=True)

    files_after_commit(unlink)


# --- who may ask --------------------------------------------------------------------------------


def find_person(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
