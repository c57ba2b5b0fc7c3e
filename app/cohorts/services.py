"""Writes for organisations, cohorts, trainers, enrolments and identities, each one audited.

Services never commit: the request or command commits once (app/db.py), so a refused or failed
write leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.access import organisation_ids
from app.badges.services import revoke_stale
from app.cohorts.importer import LearnerData, LearnerRow, ParseResult
from app.cohorts.models import (
    AccessRoute,
    Cohort,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    LearnerIdentity,
    Sex,
)
from app.db import db, utcnow
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.names import name_key
from app.people import audit, mail
from app.people import services as people_services
from app.people.models import (
    Organisation,
    OrganisationKind,
    Role,
    TokenPurpose,
    User,
    UserRole,
    memberships,
)

# People listed on a page: their roles and organisations are not needed there.
_PLAIN_USER = (lazyload(User.role_rows), lazyload(User.organisations))


class CohortError(Exception):
    """A write refused for a reason the person can act on (the message is for them)."""


class StaleEdit(CohortError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Quelqu'un d'autre a modifié ces informations pendant que vous les éditiez : "
                "rien n'a été enregistré. Rechargez la page pour voir la version à jour."
            )
        )


# --- organisations -----------------------------------------------------------------------------


def create_organisation(
    *, name: str, kind: OrganisationKind, siret: str | None, creator: User
) -> Organisation:
    """Create an organisation; its creator becomes a member."""
    organisation = Organisation(name=name, kind=kind, siret=siret)
    db.session.add(organisation)
    creator.organisations.append(organisation)
    audit.record(
        "organisation.create",
        organisation,
        f"Organisme « {name} » créé",
        kind=kind.value,
        siret=siret,
    )
    return organisation


# --- cohorts -----------------------------------------------------------------------------------


def create_cohort(
    *,
    name: str,
    organisation: Organisation,
    version: FrameworkVersion,
    start_date: dt.date,
    end_date: dt.date,
    access_route: AccessRoute,
) -> Cohort:
    """Open a cohort on a published framework version."""
    if version.status is not VersionStatus.PUBLISHED:
        raise CohortError(_("Une promotion s'ouvre sur une version publiée du référentiel."))
    if end_date < start_date:
        raise CohortError(_("La date de fin précède la date de début."))
    cohort = Cohort(
        name=name,
        organisation=organisation,
        version=version,
        start_date=start_date,
        end_date=end_date,
        access_route=access_route,
    )
    db.session.add(cohort)
    audit.record(
        "cohort.create",
        cohort,
        f"Promotion « {name} » ouverte",
        organisation_id=organisation.id,
        version_id=version.id,
    )
    return cohort


def _claim_revision(model: Any, key: Any, revision: int) -> None:
    """Bump the row's revision if it still is `revision`, atomically; otherwise refuse.

    The conditional UPDATE holds the row until commit, so of two concurrent edits made from
    the same revision exactly one goes through.
    """
    mapper = sa.inspect(model)
    (pk_column,) = mapper.primary_key
    result = db.session.execute(
        sa.update(model)
        .where(pk_column == key, model.revision == revision)
        .values(revision=model.revision + 1),
        execution_options={"synchronize_session": "fetch"},
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleEdit()


def update_cohort(
    cohort: Cohort,
    *,
    revision: int,
    name: str,
    start_date: dt.date,
    end_date: dt.date,
    access_route: AccessRoute,
) -> None:
    """Change a cohort's name, dates and access route, if nobody changed it meanwhile."""
    if end_date < start_date:
        raise CohortError(_("La date de fin précède la date de début."))
    _claim_revision(Cohort, cohort.id, revision)
    changed = {
        key: str(value)
        for key, value in (
            ("name", name),
            ("start_date", start_date),
            ("end_date", end_date),
            ("access_route", access_route.value),
        )
        if getattr(cohort, key) != (access_route if key == "access_route" else value)
    }
    cohort.name = name
    cohort.start_date = start_date
    cohort.end_date = end_date
    cohort.access_route = access_route
    audit.record("cohort.edit", cohort, f"Promotion « {name} » modifiée", changed=changed)


def assign_trainer(cohort: Cohort, trainer: User) -> None:
    if not trainer.has_role(Role.TRAINER):
        raise CohortError(_("Cette personne n'a pas le rôle formateur·rice."))
    if trainer in cohort.trainers:
        return
    cohort.trainers.append(trainer)
    audit.record(
        "cohort.assign_trainer",
        cohort,
        f"{trainer.full_name} affecté·e à la promotion « {cohort.name} »",
        trainer_id=trainer.id,
    )


def unassign_trainer(cohort: Cohort, trainer: User) -> None:
    if trainer not in cohort.trainers:
        return
    cohort.trainers.remove(trainer)
    audit.record(
        "cohort.unassign_trainer",
        cohort,
        f"{trainer.full_name} retiré·e de la promotion « {cohort.name} »",
        trainer_id=trainer.id,
    )


def trainer_choices(coordinator: User) -> list[User]:
    """People with the trainer role in the coordinator's organisations."""
    trainers = list(
        db.session.scalars(
            sa.select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .join(memberships, memberships.c.user_id == User.id)
            .where(
                UserRole.role == Role.TRAINER,
                # Invited people are inactive until they set a password: they count.
                sa.or_(User.active.is_(True), User.password_hash.is_(None)),
                memberships.c.organisation_id.in_(organisation_ids(coordinator)),
            )
            .distinct()
            .options(*_PLAIN_USER)
        )
    )
    return sorted(trainers, key=lambda u: (name_key(u.full_name), u.id))


# --- enrolments --------------------------------------------------------------------------------


def _identity_from(user: User, data: LearnerData) -> LearnerIdentity:
    return LearnerIdentity(
        user=user,
        first_names=data.first_names,
        birth_name=data.birth_name,
        usage_name=data.usage_name,
        birth_date=data.birth_date,
        sex=data.sex,
        birth_commune_code=data.birth_commune_code,
        birth_country_code=data.birth_country_code,
    )


def _new_learner(data: LearnerData) -> User:
    """A learner's account, inactive and without password until they accept the invitation."""
    user = User(
        email=data.email,
        full_name=data.full_name,
        active=False,
        role_rows=[UserRole(role=Role.LEARNER)],
    )
    db.session.add(user)
    db.session.add(_identity_from(user, data))
    return user


def _invite(users: list[User], actor: User) -> list[EmailMessage]:
    """Invitation links for new accounts (flushed); the mails are sent after commit."""
    messages = []
    # No autoflush: each link would otherwise flush the one before it.
    with db.session.no_autoflush:
        for user in users:
            raw, token = people_services.issue_token(user, TokenPurpose.INVITATION)
            audit.record(
                "user.invite",
                user,
                _("Invitation de %(name)s (%(email)s)", name=user.full_name, email=user.email),
                roles=[Role.LEARNER.value],
                organisations=[],
            )
            messages.append(mail.invitation(user, raw, token.expires_at, inviter=actor))
    return messages


def _make_learner(user: User, identity: LearnerIdentity | None, data: LearnerData) -> None:
    """Give an existing account what a learner needs; an identity already known is kept."""
    if not user.has_role(Role.LEARNER):
        user.role_rows.append(UserRole(role=Role.LEARNER))
    if identity is None:
        db.session.add(_identity_from(user, data))


@dataclass
class EnrolResult:
    # None when the account belongs elsewhere too: the person is invited instead.
    enrolment: Enrolment | None
    # The mail to send after commit: the new account's invitation, or the enrolment offer.
    invitation: EmailMessage | None
    identity_kept: bool
    offer: EnrolmentInvitation | None = None


def _may_enrol_directly(actor: User, user: User) -> bool:
    """An existing account is enrolled at once only when it is wholly the actor's
    organisations' (access.can_manage_user); anyone else's is invited to accept."""
    from app.access import can_manage_user

    return can_manage_user(actor, user)


def offer_enrolment(cohort: Cohort, user: User, *, actor: User) -> tuple[EnrolmentInvitation, bool]:
    """Invite an existing account to join `cohort`; the pending offer and whether it is new."""
    pending = db.session.scalar(
        sa.select(EnrolmentInvitation).where(
            EnrolmentInvitation.cohort_id == cohort.id, EnrolmentInvitation.user_id == user.id
        )
    )
    if pending is not None:
        return pending, False
    offer = EnrolmentInvitation(cohort=cohort, user=user, invited_by=actor)
    db.session.add(offer)
    db.session.flush()
    audit.record(
        "enrolment.offer",
        offer,
        f"Inscription proposée dans la promotion « {cohort.name} » (en attente d'acceptation)",
        actor=actor,
        cohort_id=cohort.id,
        user_id=user.id,
    )
    return offer, True


def _already_enrolled(cohort: Cohort, user: User, email: str) -> None:
    already = db.session.scalar(
        sa.select(Enrolment.id).where(
            Enrolment.cohort_id == cohort.id, Enrolment.learner_id == user.id
        )
    )
    if already is not None:
        raise CohortError(_("%(email)s est déjà inscrit·e dans cette promotion.", email=email))


def enrol_learner(cohort: Cohort, data: LearnerData, *, actor: User) -> EnrolResult:
    """Enrol one learner, creating and inviting their account if the e-mail is new.

    An account that is not wholly the actor's organisations' is not touched: the person gets
    an offer to accept when logged in (their home page), and nothing of theirs is changed.
    """
    user = db.session.scalar(sa.select(User).where(User.email == data.email))
    invitation = None
    identity_kept = False
    if user is None:
        user = _new_learner(data)
        db.session.flush()
        (invitation,) = _invite([user], actor)
    else:
        _already_enrolled(cohort, user, data.email)
        if not _may_enrol_directly(actor, user):
            offer, new = offer_enrolment(cohort, user, actor=actor)
            message = mail.enrolment_offer(user, cohort, inviter=actor) if new else None
            return EnrolResult(None, invitation=message, identity_kept=True, offer=offer)
        identity = db.session.get(LearnerIdentity, user.id)
        identity_kept = identity is not None
        _make_learner(user, identity, data)
    enrolment = Enrolment(cohort=cohort, learner=user)
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "enrolment.create",
        enrolment,
        f"{user.full_name} inscrit·e dans la promotion « {cohort.name} »",
        cohort_id=cohort.id,
        learner_id=user.id,
        new_account=invitation is not None,
    )
    return EnrolResult(enrolment, invitation=invitation, identity_kept=identity_kept)


def pending_offers(user: User) -> list[EnrolmentInvitation]:
    """The enrolments offered to `user` and not answered yet, oldest first."""
    return list(
        db.session.scalars(
            sa.select(EnrolmentInvitation)
            .where(EnrolmentInvitation.user_id == user.id)
            .options(
                joinedload(EnrolmentInvitation.cohort).joinedload(Cohort.organisation),
                joinedload(EnrolmentInvitation.cohort).joinedload(Cohort.version),
            )
            .order_by(EnrolmentInvitation.created_at, EnrolmentInvitation.id)
        )
    )


def answer_offer(offer: EnrolmentInvitation, *, accept: bool) -> Enrolment | None:
    """The person accepts (an enrolment is made) or declines an enrolment offer."""
    user, cohort = offer.user, offer.cohort
    enrolment = None
    if accept:
        exists = db.session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.cohort_id == cohort.id, Enrolment.learner_id == user.id
            )
        )
        if exists is None:
            if not user.has_role(Role.LEARNER):
                user.role_rows.append(UserRole(role=Role.LEARNER))
            enrolment = Enrolment(cohort=cohort, learner=user)
            db.session.add(enrolment)
            db.session.flush()
            audit.record(
                "enrolment.create",
                enrolment,
                f"{user.full_name} a accepté son inscription dans la promotion « {cohort.name} »",
                actor=user,
                cohort_id=cohort.id,
                learner_id=user.id,
                new_account=False,
            )
    else:
        audit.record(
            "enrolment.decline",
            offer,
            f"Inscription dans la promotion « {cohort.name} » refusée par la personne",
            actor=user,
            cohort_id=cohort.id,
        )
    db.session.delete(offer)
    return enrolment


class StatusError(CohortError):
    """A status change refused (a certified enrolment, for one)."""


def set_status(enrolment: Enrolment, status: EnrolmentStatus) -> None:
    """Change an enrolment's status by hand: enrolled or withdrawn (abandon).

    "Certified" is a jury's decision (app/jury), and a certified enrolment changes only by a
    jury decision or a recorded withdrawal of the certification (`withdraw_certification`).
    """
    if enrolment.status is status:
        return
    if enrolment.status is EnrolmentStatus.CERTIFIED:
        raise StatusError(
            _(
                "%(name)s est certifié·e par un jury : son statut ne change que par une "
                "décision de jury ou par un retrait de la certification motivé.",
                name=enrolment.learner.full_name,
            )
        )
    if status is EnrolmentStatus.CERTIFIED:
        raise StatusError(_("La certification se décide en session de jury, pas ici."))
    previous = enrolment.status
    enrolment.status = status
    enrolment.status_changed_at = utcnow()
    audit.record(
        "enrolment.status",
        enrolment,
        f"Statut de {enrolment.learner.full_name} : {previous.value} → {status.value}",
        previous=previous.value,
        status=status.value,
    )
    if previous is EnrolmentStatus.CERTIFIED:
        revoke_stale([enrolment.id])  # the certification's badge no longer stands


def withdraw_certification(enrolment: Enrolment, *, reason: str, on: dt.date, by: User) -> None:
    """Record the withdrawal (retrait) of a certification awarded by a jury, with its reason:
    the enrolment goes back to "enrolled" and keeps the date, reason and author."""
    reason = reason.strip()
    if enrolment.status is not EnrolmentStatus.CERTIFIED:
        raise StatusError(_("Seule une certification délivrée peut être retirée."))
    if not reason:
        raise StatusError(_("Indiquez le motif du retrait de la certification."))
    certified_on = enrolment.certified_on
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.status_changed_at = utcnow()
    enrolment.certified_on = None
    enrolment.certification_withdrawn_on = on
    enrolment.certification_withdrawal_reason = reason
    enrolment.certification_withdrawn_by = by
    db.session.flush()
    revoke_stale([enrolment.id])  # the certification's badges no longer stand
    audit.record(
        "enrolment.certification_withdrawn",
        enrolment,
        f"Certification de {enrolment.learner.full_name} retirée : {reason}",
        actor=by,
        certified_on=certified_on.isoformat() if certified_on else None,
        withdrawn_on=on.isoformat(),
        reason=reason,
    )


def entry_date_problem(entered_on: dt.date, enrolment: Enrolment) -> str | None:
    """Why `entered_on` cannot be this enrolment's entry date (None when it can)."""
    if enrolment.certified_on is not None and entered_on > enrolment.certified_on:
        return _(
            "La date d'entrée en formation (%(entry)s) ne peut pas être postérieure à la date "
            "de certification (%(certified)s).",
            entry=entered_on.strftime("%d/%m/%Y"),
            certified=enrolment.certified_on.strftime("%d/%m/%Y"),
        )
    return None


def set_entry_date(enrolment: Enrolment, entered_on: dt.date | None) -> None:
    """Record the learner's real entry date (None: the cohort's start date)."""
    if entered_on is not None:
        problem = entry_date_problem(entered_on, enrolment)
        if problem:
            raise CohortError(problem)
    if enrolment.entered_on == entered_on:
        return
    previous = enrolment.entered_on
    enrolment.entered_on = entered_on
    audit.record(
        "enrolment.entry_date",
        enrolment,
        f"Date d'entrée en formation de {enrolment.learner.full_name} : "
        f"{entered_on.isoformat() if entered_on else 'début de la promotion'}",
        previous=previous.isoformat() if previous else None,
        entered_on=entered_on.isoformat() if entered_on else None,
    )


# --- import ------------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    """What confirming an import would do, checked against the database."""

    new: list[LearnerRow] = field(default_factory=list)
    existing_accounts: list[LearnerRow] = field(default_factory=list)
    already_enrolled: list[LearnerRow] = field(default_factory=list)
    # Accounts that belong to another organisation too: offered the enrolment, not enrolled.
    offered: list[LearnerRow] = field(default_factory=list)

    @property
    def to_enrol(self) -> int:
        return len(self.new) + len(self.existing_accounts)

    @property
    def rows(self) -> list[tuple[LearnerRow, bool]]:
        """The rows to enrol in file order, each with whether its account is new."""
        rows = [(row, True) for row in self.new] + [(row, False) for row in self.existing_accounts]
        return sorted(rows, key=lambda pair: pair[0].line)


def _existing_users(emails: list[str]) -> dict[str, User]:
    if not emails:
        return {}
    users = db.session.scalars(sa.select(User).where(User.email.in_(emails)))
    return {user.email: user for user in users}


def plan_import(cohort: Cohort, parsed: ParseResult, *, actor: User) -> ImportPlan:
    """Sort the parsed rows: new accounts, existing accounts of the actor's organisations,
    accounts shared with another organisation (offered), already enrolled (skipped)."""
    plan = ImportPlan()
    users = _existing_users([row.learner.email for row in parsed.rows])
    enrolled = set(
        db.session.scalars(sa.select(Enrolment.learner_id).where(Enrolment.cohort_id == cohort.id))
    )
    for row in parsed.rows:
        user = users.get(row.learner.email)
        if user is None:
            plan.new.append(row)
        elif user.id in enrolled:
            plan.already_enrolled.append(row)
        elif _may_enrol_directly(actor, user):
            plan.existing_accounts.append(row)
        else:
            plan.offered.append(row)
    return plan


@dataclass
class ImportResult:
    plan: ImportPlan
    # The invitation mails of the new accounts, to send after commit.
    invitations: list[EmailMessage]
    # The enrolment offers' mails to the accounts shared with another organisation.
    offers: list[EmailMessage] = field(default_factory=list)


def import_learners(
    cohort: Cohort, parsed: ParseResult, filename: str, *, actor: User
) -> ImportResult:
    """Enrol every learner of a checked file, or none: any problem refuses the whole file."""
    if not parsed.ok:
        raise CohortError(_("Le fichier contient des erreurs : aucun apprenant n'a été importé."))
    plan = plan_import(cohort, parsed, actor=actor)
    if plan.to_enrol == 0 and not plan.offered:
        raise CohortError(_("Tous les apprenants du fichier sont déjà inscrits."))
    users = _existing_users([row.learner.email for row in plan.existing_accounts])
    identities = identities_of([user.id for user in users.values()])
    for row in plan.existing_accounts:
        user = users[row.learner.email]
        _make_learner(user, identities.get(user.id), row.learner)
        db.session.add(Enrolment(cohort=cohort, learner=user))
    new_users = []
    for row in plan.new:
        user = _new_learner(row.learner)
        db.session.add(Enrolment(cohort=cohort, learner=user))
        new_users.append(user)
    db.session.flush()
    invitations = _invite(new_users, actor)
    offers = []
    for offered in _existing_users([row.learner.email for row in plan.offered]).values():
        _offer, fresh = offer_enrolment(cohort, offered, actor=actor)
        if fresh:
            offers.append(mail.enrolment_offer(offered, cohort, inviter=actor))
    audit.record(
        "learner.import",
        cohort,
        f"{plan.to_enrol} apprenant·es importé·es dans la promotion « {cohort.name} »",
        filename=filename,
        enrolled=plan.to_enrol,
        new_accounts=len(plan.new),
        already_enrolled=len(plan.already_enrolled),
        offered=len(plan.offered),
    )
    db.session.flush()
    return ImportResult(plan, invitations, offers)


# --- identity ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityData:
    first_names: list[str]  # in the civil register's order, at least one
    birth_name: str
    usage_name: str | None
    birth_date: dt.date | None
    sex: Sex | None
    birth_commune_code: str | None
    birth_country_code: str | None


def save_identity(user: User, data: IdentityData, *, revision: int) -> LearnerIdentity:
    """Create or change a learner's civil identity, if nobody changed it meanwhile.

    `revision` is the identity's revision the form was loaded with, 0 when there was none.
    """
    if not data.first_names or not all(name.strip() for name in data.first_names):
        raise CohortError(_("Indiquez au moins un prénom, sans case vide entre deux prénoms."))
    identity = db.session.get(LearnerIdentity, user.id)
    if identity is None:
        if revision != 0:
            raise StaleEdit()
        identity = LearnerIdentity(user=user, **vars(data))
        db.session.add(identity)
        changed = sorted(k for k, v in vars(data).items() if v is not None)
    else:
        _claim_revision(LearnerIdentity, user.id, revision)
        changed = sorted(k for k, v in vars(data).items() if getattr(identity, k) != v)
        for key, value in vars(data).items():
            setattr(identity, key, value)
    user.full_name = " ".join([*data.first_names, data.usage_name or data.birth_name])
    # Field names only: birth data stays out of the audit log.
    audit.record(
        "identity.update", identity, f"Identité de {user.full_name} mise à jour", fields=changed
    )
    return identity


# --- reading -----------------------------------------------------------------------------------


def load_cohort_page(query: sa.Select[Any], cohort_id: int) -> Cohort | None:
    """A visible cohort with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        query.where(Cohort.id == cohort_id).options(
            joinedload(Cohort.organisation),
            joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
            selectinload(Cohort.trainers).options(*_PLAIN_USER),
            selectinload(Cohort.enrolments).joinedload(Enrolment.learner).options(*_PLAIN_USER),
        )
    )


def identities_of(user_ids: list[int]) -> dict[int, LearnerIdentity]:
    if not user_ids:
        return {}
    rows = db.session.scalars(
        sa.select(LearnerIdentity).where(LearnerIdentity.user_id.in_(user_ids))
    )
    return {identity.user_id: identity for identity in rows}


def enrolment_counts(cohort_ids: list[int]) -> dict[int, int]:
    if not cohort_ids:
        return {}
    rows = db.session.execute(
        sa.select(Enrolment.cohort_id, sa.func.count())
        .where(Enrolment.cohort_id.in_(cohort_ids))
        .group_by(Enrolment.cohort_id)
    )
    return {cohort_id: count for cohort_id, count in rows}


def enrolments_of(learner: User) -> list[Enrolment]:
    """A learner's own enrolments, with their cohort and framework version."""
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(Enrolment.learner_id == learner.id)
            .options(
                joinedload(Enrolment.cohort)
                .joinedload(Cohort.version)
                .joinedload(FrameworkVersion.certification),
                joinedload(Enrolment.cohort).joinedload(Cohort.organisation),
            )
            .join(Enrolment.cohort)
            .order_by(Cohort.start_date.desc(), Cohort.id)
        )
    )


# --- uploaded files waiting for confirmation ---------------------------------------------------

UPLOAD_MAX_AGE = dt.timedelta(hours=12)
_UPLOAD_KEY = re.compile(r"(?P<cohort>[0-9]+)-(?P<user>[0-9]+)-[0-9a-f]{32}\.(?:csv|xlsx)")


def store_upload(folder: Path, cohort: Cohort, user: User, data: bytes, filename: str) -> str:
    """Keep an uploaded file until its import is confirmed; return its key (a random name)."""
    folder.mkdir(parents=True, exist_ok=True)
    limit = time.time() - UPLOAD_MAX_AGE.total_seconds()
    for old in folder.glob("*-*-*.*"):
        if old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)
    extension = "xlsx" if filename.lower().endswith(".xlsx") else "csv"
    key = f"{cohort.id}-{user.id}-{secrets.token_hex(16)}.{extension}"
    (folder / key).write_bytes(data)
    return key


def read_upload(folder: Path, key: str, cohort: Cohort, user: User) -> bytes | None:
    """The file stored under `key` for this cohort and person, or None (unknown, expired)."""
    match = _UPLOAD_KEY.fullmatch(key)
    if match is None or (int(match["cohort"]), int(match["user"])) != (cohort.id, user.id):
        return None
    path = folder / key
    try:
        if path.stat().st_mtime < time.time() - UPLOAD_MAX_AGE.total_seconds():
            return None
        return path.read_bytes()
    except OSError:
        return None


def discard_upload(folder: Path, key: str) -> None:
    if _UPLOAD_KEY.fullmatch(key):
        (folder / key).unlink(missing_ok=True)
