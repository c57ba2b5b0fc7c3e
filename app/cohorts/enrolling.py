"""Enrolling learners: one at a time, offers to accounts of other organisations, their
status, withdrawal and entry date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.message import EmailMessage

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from app.badges.services import revoke_stale
from app.cohorts.importer import LearnerData
from app.cohorts.models import (
    Cohort,
    Enrolment,
    EnrolmentInvitation,
    EnrolmentStatus,
    LearnerIdentity,
)
from app.cohorts.services import CohortError
from app.db import db, utcnow
from app.people import audit, mail
from app.people import services as people_services
from app.people.models import (
    Role,
    TokenPurpose,
    User,
    UserRole,
)

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


def new_learner(data: LearnerData) -> User:
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


def invite(users: list[User], actor: User) -> list[EmailMessage]:
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


def make_learner(user: User, identity: LearnerIdentity | None, data: LearnerData) -> None:
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


def may_enrol_directly(actor: User, user: User) -> bool:
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


def _is_enrolled(cohort: Cohort, user: User) -> bool:
    return (
        db.session.scalar(
            sa.select(Enrolment.id).where(
                Enrolment.cohort_id == cohort.id, Enrolment.learner_id == user.id
            )
        )
        is not None
    )


def _already_enrolled(cohort: Cohort, user: User, email: str) -> None:
    if _is_enrolled(cohort, user):
        raise CohortError(_("%(email)s est déjà inscrit·e dans cette promotion.", email=email))


def _enrol(
    cohort: Cohort, user: User, summary: str, *, new_account: bool, actor: User | None = None
) -> Enrolment:
    """Enrol `user` in `cohort`, journaled with `summary`."""
    enrolment = Enrolment(cohort=cohort, learner=user)
    db.session.add(enrolment)
    db.session.flush()
    audit.record(
        "enrolment.create",
        enrolment,
        summary,
        actor=actor,
        cohort_id=cohort.id,
        learner_id=user.id,
        new_account=new_account,
    )
    return enrolment


def enrol_learner(cohort: Cohort, data: LearnerData, *, actor: User) -> EnrolResult:
    """Enrol one learner, creating and inviting their account if the e-mail is new.

    An account that is not wholly the actor's organisations' is not touched: the person gets
    an offer to accept when logged in (their home page), and nothing of theirs is changed.
    """
    user = db.session.scalar(sa.select(User).where(User.email == data.email))
    invitation = None
    identity_kept = False
    if user is None:
        user = new_learner(data)
        db.session.flush()
        (invitation,) = invite([user], actor)
    else:
        _already_enrolled(cohort, user, data.email)
        if not may_enrol_directly(actor, user):
            offer, new = offer_enrolment(cohort, user, actor=actor)
            message = mail.enrolment_offer(user, cohort, inviter=actor) if new else None
            return EnrolResult(None, invitation=message, identity_kept=True, offer=offer)
        identity = db.session.get(LearnerIdentity, user.id)
        identity_kept = identity is not None
        make_learner(user, identity, data)
    enrolment = _enrol(
        cohort,
        user,
        f"{user.full_name} inscrit·e dans la promotion « {cohort.name} »",
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
        if not _is_enrolled(cohort, user):
            if not user.has_role(Role.LEARNER):
                user.role_rows.append(UserRole(role=Role.LEARNER))
            enrolment = _enrol(
                cohort,
                user,
                f"{user.full_name} a accepté son inscription dans la promotion « {cohort.name} »",
                new_account=False,
                actor=user,
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
