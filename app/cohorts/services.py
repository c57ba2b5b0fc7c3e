"""Writes for organisations, cohorts, trainers, enrolments and identities, each one audited.

Services never commit: the request or command commits once (app/db.py), so a refused or failed
write leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, lazyload, selectinload

from app.access import trainer_query
from app.cohorts.models import (
    AccessRoute,
    Cohort,
    Enrolment,
    LearnerIdentity,
    Sex,
)
from app.db import db
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.names import name_key
from app.people import audit
from app.people.models import (
    Organisation,
    OrganisationKind,
    Role,
    User,
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


def trainer_choices(coordinator: User, cohort: Cohort) -> list[User]:
    """People with the trainer role in the cohort's organisation (one of the coordinator's):
    a trainer reaches the learners of their cohorts, so they belong to its organisation."""
    trainers = list(
        db.session.scalars(trainer_query(coordinator, cohort.organisation_id).options(*_PLAIN_USER))
    )
    return sorted(trainers, key=lambda u: (name_key(u.full_name), u.id))


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
