"""Importing learners from a file: the plan shown before anything is written, the import
itself, and the uploaded file kept while the coordinator confirms."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.cohorts.enrolling import (
    invite,
    make_learner,
    may_enrol_directly,
    new_learner,
    offer_enrolment,
)
from app.cohorts.importer import LearnerRow, ParseResult
from app.cohorts.models import (
    Cohort,
    Enrolment,
)
from app.cohorts.services import CohortError, identities_of
from app.db import db
from app.people import audit, mail
from app.people.models import (
    User,
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
        elif may_enrol_directly(actor, user):
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
        make_learner(user, identities.get(user.id), row.learner)
        db.session.add(Enrolment(cohort=cohort, learner=user))
    new_users = []
    for row in plan.new:
        user = new_learner(row.learner)
        db.session.add(Enrolment(cohort=cohort, learner=user))
        new_users.append(user)
    db.session.flush()
    invitations = invite(new_users, actor)
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
