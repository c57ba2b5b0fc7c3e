"""Who may see what: every route declares its rule here, and object checks live here too.

Each view is wrapped by exactly one of `public`, `public_frameworks`, `authenticated` or `roles`
(app/route_rules.py); the route × role test walks the URL map and fails on a view that has none.
Object-level checks (`cohort_query`, `cohort_or_404`, `can_view_enrolment`, …) are the only way
routes reach cohorts and learners.

Organisations are walls. One rule, `organisation_ids(user)`, decides every object check: what
a coordinator, trainer or jury member reaches belongs to one of their organisations.

- cohorts, enrolments, evidence, insertion answers, grids: by `Cohort.organisation_id`;
  trainers reach only the cohorts they are assigned to, learners only their own enrolments.
- identities: a coordinator reads the identity of a person enrolled in one of their
  organisations' cohorts; they change it only when the account is wholly theirs
  (`can_manage_user`), or as coordinator of the certifier owning the certification of one of
  the person's enrolments (the accrochage flows). A coordinator of an organisation that shares
  the person with another one reads it and does not change it.
- accounts: managed (disable, re-enable, re-invite, rename) by the coordinators of an
  organisation only when every tie of the account (memberships and enrolments) lies in their
  organisations; an account attached to nothing is nobody's. Enrolling an e-mail that has an
  account elsewhere creates an invitation the person accepts, never a takeover.
- jury sessions: the owner organisation's coordinators and the coordinators of the certifier
  owning the certification run them; jury members see the sessions they sit on; others 404.
  Only jury members of the owner organisation sit on a session (`jury_member_query`); only
  trainers of a cohort's organisation are assigned to it (`trainer_query`).
- certifications (versions, drafts, dossier texts): their owner certifier organisation's
  coordinators change them (a legacy certification without owner: any certifier's);
  training organisations read and use the published versions.
- exports: by the organisations whose data they hold; the audit log: by its event's
  organisation.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort

from app.cohorts.models import Cohort, Enrolment, cohort_trainers
from app.frameworks.models import Certification, FrameworkVersion
from app.jury.models import JuryPresentation, JurySession, jury_members
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole, memberships
from app.route_rules import current_person

# --- the organisation rule --------------------------------------------------------------------


def organisation_ids(user: User) -> sa.Select[Any]:
    """The ids of `user`'s organisations, as a subquery: the one wall every check uses."""
    return sa.select(memberships.c.organisation_id).where(memberships.c.user_id == user.id)


def _in_my_organisations(user: User, organisation_id: int | None) -> bool:
    return organisation_id is not None and any(o.id == organisation_id for o in user.organisations)


def _is_certifier(user: User) -> bool:
    return any(o.kind is OrganisationKind.CERTIFIER for o in user.organisations)


# --- certifications: owned by the certifier -----------------------------------------------------


def owned_certifications(user: User) -> sa.ColumnElement[bool]:
    """A condition on `Certification`: those whose référentiels and dossier `user` changes."""
    if not user.has_role(Role.COORDINATOR):
        return sa.false()
    owned = Certification.organisation_id.in_(organisation_ids(user))
    if not _is_certifier(user):
        return owned
    return sa.or_(owned, Certification.organisation_id.is_(None))


def can_edit_certification(user: User, certification: Certification) -> bool:
    """Coordinators of the owner certifier change the versions, drafts and dossier texts; a
    certification without owner (legacy) is every certifier's."""
    if not user.has_role(Role.COORDINATOR):
        return False
    if certification.organisation_id is None:
        return _is_certifier(user)
    return _in_my_organisations(user, certification.organisation_id)


def certifier_of(user: User) -> Organisation | None:
    """The certifier organisation a coordinator creates certifications for (their first)."""
    if not user.has_role(Role.COORDINATOR):
        return None
    return next((o for o in user.organisations if o.kind is OrganisationKind.CERTIFIER), None)


def _owned_versions(user: User) -> sa.Select[Any]:
    return (
        sa.select(FrameworkVersion.id)
        .join(Certification, Certification.id == FrameworkVersion.certification_id)
        .where(owned_certifications(user))
    )


# --- cohorts and learners ------------------------------------------------------------------------


def _staff_cohort_conditions(user: User) -> list[sa.ColumnElement[bool]]:
    """Coordinators work on their organisations' cohorts, trainers on those they are assigned to."""
    conditions: list[sa.ColumnElement[bool]] = []
    if user.has_role(Role.COORDINATOR):
        conditions.append(Cohort.organisation_id.in_(organisation_ids(user)))
    if user.has_role(Role.TRAINER):
        conditions.append(
            Cohort.id.in_(
                sa.select(cohort_trainers.c.cohort_id).where(cohort_trainers.c.user_id == user.id)
            )
        )
    return conditions


def _cohorts_where(conditions: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    return sa.select(Cohort).where(sa.or_(*conditions) if conditions else sa.false())


def cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` may see: coordinators those of their organisations, trainers their own,
    learners those they are enrolled in."""
    conditions = _staff_cohort_conditions(user)
    if user.has_role(Role.LEARNER):
        conditions.append(
            Cohort.id.in_(sa.select(Enrolment.cohort_id).where(Enrolment.learner_id == user.id))
        )
    return _cohorts_where(conditions)


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """Coordinators of the cohort's organisation may change it."""
    return user.has_role(Role.COORDINATOR) and _in_my_organisations(user, cohort.organisation_id)


def can_view_identity(user: User) -> bool:
    """Civil identity (birth data) is for coordinators only (see `identity_access`)."""
    return user.has_role(Role.COORDINATOR)


# --- accounts ------------------------------------------------------------------------------------


def managed_users_query(user: User) -> sa.Select[Any]:
    """Accounts a coordinator manages (disable, re-enable, re-invite, rename): those whose every
    tie (memberships, enrolments) lies in the coordinator's organisations, with at least one.

    A learner of my cohort who is also enrolled elsewhere, or a member of another organisation,
    is not mine to manage: I act on my enrolment only. An account tied to nothing is nobody's.
    """
    if not user.has_role(Role.COORDINATOR):
        return sa.select(User).where(sa.false())
    mine = organisation_ids(user)
    theirs = memberships.c.user_id == User.id
    enrolled = sa.and_(Enrolment.learner_id == User.id, Enrolment.cohort_id == Cohort.id)
    return sa.select(User).where(
        sa.or_(sa.exists().where(theirs), sa.exists().where(enrolled)),
        ~sa.exists().where(theirs, memberships.c.organisation_id.not_in(mine)),
        ~sa.exists().where(enrolled, Cohort.organisation_id.not_in(mine)),
    )


def can_manage_user(user: User, target: User) -> bool:
    """Whether `user` may disable, re-enable, re-invite or rename `target`
    (see managed_users_query)."""
    from app.db import db

    query = managed_users_query(user).where(User.id == target.id).with_only_columns(User.id)
    return db.session.scalar(query) is not None


def staff_cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` works on: as coordinator of its organisation or as its trainer.

    Unlike `cohort_query`, being enrolled in a cohort does not count: its page lists the
    other learners, which a learner must not see.
    """
    return _cohorts_where(_staff_cohort_conditions(user))


def cohort_or_404(cohort_id: int, *, manage: bool = False, refuse: int = 403) -> Cohort:
    """A cohort the signed-in person works on (404 otherwise); with `manage`, one they may
    change (`refuse`, 403 by default, when they only work on it)."""
    from app.db import db

    user = current_person()
    cohort = db.session.scalar(staff_cohort_query(user).where(Cohort.id == cohort_id))
    if cohort is None:
        abort(404)
    if manage and not can_manage_cohort(user, cohort):
        abort(refuse)
    return cohort


def identity_access(user: User, learner_id: int) -> str | None:
    """What a coordinator may do with a person's civil identity: "edit", "read" or None.

    Read: the person is enrolled in a cohort of one of the coordinator's organisations, or in
    a cohort on a certification their certifier owns. Edit: the account is wholly theirs
    (`can_manage_user`), or they are the certifier's coordinator (the accrochage flows need
    the identity right). A pending enrolment invitation gives nothing.
    """
    from app.db import db

    if not can_view_identity(user):
        return None
    owned = (
        sa.select(Cohort.id)
        .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
        .join(Certification, Certification.id == FrameworkVersion.certification_id)
        .where(owned_certifications(user))
    )
    row = db.session.execute(
        sa.select(
            sa.func.count(Enrolment.id).filter(Cohort.organisation_id.in_(organisation_ids(user))),
            sa.func.count(Enrolment.id).filter(Cohort.id.in_(owned)),
        )
        .select_from(Enrolment)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.learner_id == learner_id)
    ).one()
    mine, certified_by_me = row[0], row[1]
    if certified_by_me:
        return "edit"
    if not mine:
        return None
    target = db.session.get(User, learner_id)
    return "edit" if target is not None and can_manage_user(user, target) else "read"


# --- evidence and jury sessions (app/assessment/evidence.py, app/jury) ---------------------------


def _is_cohort_trainer(user: User, cohort_id: int) -> bool:
    from app.db import db

    return user.has_role(Role.TRAINER) and (
        db.session.scalar(
            sa.select(cohort_trainers.c.user_id).where(
                cohort_trainers.c.cohort_id == cohort_id, cohort_trainers.c.user_id == user.id
            )
        )
        is not None
    )


def can_view_enrolment(user: User, enrolment: Enrolment) -> bool:
    """Who sees one learner's record in one cohort (results, evidence): the learner, the
    cohort's trainers, the coordinators of its organisation, and the jury members and
    coordinators running a session the enrolment is presented to."""
    from app.db import db

    if user.id == enrolment.learner_id:
        return True
    if can_manage_cohort(user, enrolment.cohort) or _is_cohort_trainer(user, enrolment.cohort_id):
        return True
    if not user.has_role(Role.JURY, Role.COORDINATOR):
        return False
    sessions = jury_session_query(user).with_only_columns(JurySession.id).scalar_subquery()
    seat = (
        sa.select(JuryPresentation.id)
        .where(
            JuryPresentation.enrolment_id == enrolment.id,
            JuryPresentation.jury_session_id.in_(sessions),
        )
        .limit(1)
    )
    return db.session.scalar(seat) is not None


def can_attach_evidence(user: User, enrolment: Enrolment) -> bool:
    """The learner themself and the trainers of their cohort attach evidence."""
    return user.id == enrolment.learner_id or _is_cohort_trainer(user, enrolment.cohort_id)


def jury_session_query(user: User) -> sa.Select[Any]:
    """Jury sessions `user` may see: coordinators those their organisations own and those on a
    certification their certifier owns; jury members the sessions they sit on."""
    conditions = []
    if user.has_role(Role.COORDINATOR):
        conditions.append(JurySession.organisation_id.in_(organisation_ids(user)))
        conditions.append(JurySession.version_id.in_(_owned_versions(user)))
    if user.has_role(Role.JURY):
        conditions.append(
            JurySession.id.in_(
                sa.select(jury_members.c.jury_session_id).where(jury_members.c.user_id == user.id)
            )
        )
    if not conditions:
        return sa.select(JurySession).where(sa.false())
    return sa.select(JurySession).where(sa.or_(*conditions))


def jury_member_query(user: User, organisation_id: int | None = None) -> sa.Select[Any]:
    """Active accounts with the jury role that a coordinator may seat on a session: members of
    one of their organisations (of `organisation_id` only, the session's owner, when given)."""
    if not user.has_role(Role.COORDINATOR):
        return sa.select(User).where(sa.false())
    mine: sa.ColumnElement[bool] = memberships.c.organisation_id.in_(organisation_ids(user))
    if organisation_id is not None:
        mine = sa.and_(mine, memberships.c.organisation_id == organisation_id)
    return sa.select(User).where(
        User.active.is_(True),
        sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.JURY),
        sa.exists().where(memberships.c.user_id == User.id, mine),
    )


def trainer_query(user: User, organisation_id: int) -> sa.Select[Any]:
    """Accounts with the trainer role a coordinator may assign to a cohort of
    `organisation_id`: members of that organisation, provided it is one of theirs. Invited
    people (no password yet, so inactive) count."""
    if not user.has_role(Role.COORDINATOR) or not _in_my_organisations(user, organisation_id):
        return sa.select(User).where(sa.false())
    return sa.select(User).where(
        sa.or_(User.active.is_(True), User.password_hash.is_(None)),
        sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.TRAINER),
        sa.exists().where(
            memberships.c.user_id == User.id, memberships.c.organisation_id == organisation_id
        ),
    )


def can_run_jury_session(user: User, jury_session: JurySession) -> bool:
    """Coordinators of the owner organisation, and of the certifier owning the certification,
    present learners, decide and close the session."""
    if not user.has_role(Role.COORDINATOR):
        return False
    if _in_my_organisations(user, jury_session.organisation_id):
        return True
    return can_edit_certification(user, jury_session.version.certification)


def presentable_cohorts(jury_session: JurySession) -> sa.Select[Any]:
    """Cohorts whose learners may be presented to the session: the owner organisation's on
    the session's version, or every cohort on it when the owner is the certifier."""
    query = sa.select(Cohort).where(Cohort.version_id == jury_session.version_id)
    owner = jury_session.organisation_id
    certification = jury_session.version.certification
    certifier_owned = owner is not None and (
        owner == certification.organisation_id
        or (
            certification.organisation_id is None
            and jury_session.organisation is not None
            and jury_session.organisation.kind is OrganisationKind.CERTIFIER
        )
    )
    if certifier_owned:
        return query
    return query.where(Cohort.organisation_id == owner)


def can_decide(user: User, jury_session: JurySession) -> bool:
    """The session's jury members, and the coordinators running it, record its decisions."""
    if user.has_role(Role.JURY) and any(m.id == user.id for m in jury_session.members):
        return True
    return can_run_jury_session(user, jury_session)


def jury_owner_for(user: User, version: FrameworkVersion) -> Organisation | None:
    """The organisation a new session of `user` on `version` belongs to: the certifier when
    they own the certification, else their organisation whose cohorts follow the version."""
    from app.db import db

    if not user.has_role(Role.COORDINATOR):
        return None
    if can_edit_certification(user, version.certification):
        owner_id = version.certification.organisation_id
        return next(
            (
                o
                for o in user.organisations
                if o.id == owner_id or (owner_id is None and o.kind is OrganisationKind.CERTIFIER)
            ),
            None,
        )
    with_cohorts = set(
        db.session.scalars(
            sa.select(Cohort.organisation_id).where(
                Cohort.version_id == version.id,
                Cohort.organisation_id.in_(organisation_ids(user)),
            )
        )
    )
    return next((o for o in user.organisations if o.id in with_cohorts), None)


def jury_versions_query(user: User) -> sa.Select[Any]:
    """Versions a coordinator may open a jury session on: those their organisations' cohorts
    follow and those of the certifications their certifier owns."""
    return sa.select(FrameworkVersion).where(
        sa.or_(
            FrameworkVersion.id.in_(
                sa.select(Cohort.version_id).where(
                    Cohort.organisation_id.in_(organisation_ids(user))
                )
            ),
            FrameworkVersion.id.in_(_owned_versions(user)),
        )
    )


# --- exports history (app/exports_history) ---------------------------------------------------


def export_query(user: User) -> sa.Select[Any]:
    """Exports a coordinator sees: their own, and those holding no data of an organisation
    they are not a member of (an export of framework data only holds none)."""
    from app.exports_history.models import ExportRecord, export_record_organisations

    if not user.has_role(Role.COORDINATOR):
        return sa.select(ExportRecord).where(sa.false())
    mine = organisation_ids(user)
    foreign_data = sa.exists().where(
        export_record_organisations.c.export_id == ExportRecord.id,
        export_record_organisations.c.organisation_id.not_in(mine),
    )
    return sa.select(ExportRecord).where(
        sa.or_(ExportRecord.created_by_id == user.id, ~foreign_data)
    )


def managed_cohort_query(user: User) -> sa.Select[Any]:
    """Cohorts `user` may run (as `can_manage_cohort`): coordinators' organisations' cohorts."""
    if not user.has_role(Role.COORDINATOR):
        return sa.select(Cohort).where(sa.false())
    return sa.select(Cohort).where(Cohort.organisation_id.in_(organisation_ids(user)))


# --- the audit log ---------------------------------------------------------------------------


def audit_query(user: User) -> sa.ColumnElement[bool]:
    """A condition on `AuditEvent`: the events of `user`'s organisations."""
    from app.people.models import AuditEvent

    if not user.has_role(Role.COORDINATOR):
        return sa.false()
    return AuditEvent.organisation_id.in_(organisation_ids(user))


def can_erase_person(user: User, person: User) -> bool:
    """A coordinator erases a learner (app/privacy) whose every enrolment is in one of their
    organisations' cohorts; staff accounts and people shared with another organisation are
    erased from the command line."""
    from app.db import db

    if not user.has_role(Role.COORDINATOR) or person.id == user.id:
        return False
    if person.has_role(Role.COORDINATOR, Role.TRAINER, Role.JURY):
        return False
    mine = organisation_ids(user)
    counts = db.session.execute(
        sa.select(
            sa.func.count(Enrolment.id),
            sa.func.count(Enrolment.id).filter(Cohort.organisation_id.in_(mine)),
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.learner_id == person.id)
    ).one()
    return counts[0] > 0 and counts[0] == counts[1]


# --- the certifier's settings (app/settings) -------------------------------------------------


def certifier_organisations(user: User) -> list[Organisation]:
    """The certifier organisations whose settings `user` edits: those they coordinate."""
    if not user.has_role(Role.COORDINATOR):
        return []
    return [org for org in user.organisations if org.kind is OrganisationKind.CERTIFIER]
