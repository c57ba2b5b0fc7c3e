"""The identity data an organisation holds on a learner, for the learner to read, and whom
to ask for a correction (their right of rectification)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.cohorts.models import Cohort, Enrolment, LearnerIdentity
from app.db import db
from app.names import name_key
from app.people.models import Organisation, Role, User, UserRole, memberships


@dataclass(frozen=True)
class Contact:
    """An organisation that holds the learner's data, and its coordinators."""

    organisation: str
    cohorts: list[str]
    coordinators: list[tuple[str, str]]  # (name, e-mail)


@dataclass(frozen=True)
class IdentityPage:
    user: User
    identity: LearnerIdentity | None
    contacts: list[Contact]


def identity_page(user: User) -> IdentityPage:
    """`user`'s account and civil identity, and the organisations of their cohorts with their
    active coordinators (3 queries)."""
    identity = db.session.get(LearnerIdentity, user.id)
    rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Cohort.name.label("cohort"))
        .join(Cohort, Cohort.organisation_id == Organisation.id)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.learner_id == user.id)
        .order_by(Organisation.name, Cohort.start_date, Cohort.id)
    ).mappings()
    organisations: dict[int, tuple[str, list[str]]] = {}
    for row in rows:
        organisations.setdefault(row["id"], (row["name"], []))[1].append(row["cohort"])
    coordinators: dict[int, list[tuple[str, str]]] = {}
    if organisations:
        for row in db.session.execute(
            sa.select(memberships.c.organisation_id, User.full_name, User.email)
            .join(User, User.id == memberships.c.user_id)
            .where(
                memberships.c.organisation_id.in_(organisations),
                User.active.is_(True),
                sa.exists().where(UserRole.user_id == User.id, UserRole.role == Role.COORDINATOR),
            )
        ).mappings():
            coordinators.setdefault(row["organisation_id"], []).append(
                (row["full_name"], row["email"])
            )
    contacts = [
        Contact(
            organisation=name,
            cohorts=cohorts,
            coordinators=sorted(coordinators.get(org_id, []), key=lambda c: name_key(c[0])),
        )
        for org_id, (name, cohorts) in organisations.items()
    ]
    return IdentityPage(user=user, identity=identity, contacts=contacts)
