"""Attestations: what one states (a snapshot of the validated blocs), issuing it once per
content with a verification code, and finding it again by that code. Issuing records an audit
event."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import to_user_timezone

from app.assessment.progress import validated_blocs
from app.cohorts.models import Enrolment
from app.db import db
from app.frameworks.structure import structure
from app.people import audit
from app.progress.models import CODE_ALPHABET, CODE_GROUP_LENGTH, CODE_GROUPS, Attestation
from app.progress.records import closed_decisions, jury_dates
from exports import plurals as french
from exports.attestation import AttestationData, ValidatedBloc

CONTENT_FORMAT = 1


def new_code() -> str:
    """A random verification code, XXXX-XXXX-XXXX-XXXX (80 bits)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH))
    return "-".join(
        chars[i : i + CODE_GROUP_LENGTH] for i in range(0, len(chars), CODE_GROUP_LENGTH)
    )


_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_code(text: str) -> str | None:
    """The code as stored, from what someone typed (any case, spaces or hyphens, O for 0,
    I or L for 1); None when it cannot be a code."""
    plain = re.sub(r"[\s\-–—.]", "", text).upper().translate(_TYPOS)
    size = CODE_GROUPS * CODE_GROUP_LENGTH
    if len(plain) != size or any(c not in CODE_ALPHABET for c in plain):
        return None
    return "-".join(plain[i : i + CODE_GROUP_LENGTH] for i in range(0, size, CODE_GROUP_LENGTH))


def pick_enrolment(enrolments: Sequence[Enrolment], enrolment_id: int | None) -> Enrolment | None:
    """The enrolment asked for among the learner's own, or their most recent one."""
    if enrolment_id is None:
        return enrolments[0] if enrolments else None
    return next((e for e in enrolments if e.id == enrolment_id), None)


def attestation_content(enrolment: Enrolment) -> dict[str, Any]:
    """What an attestation of `enrolment` states today, as JSON-ready plain data (two queries).

    `enrolment` comes from `own_enrolments()`.
    """
    validated = validated_blocs([enrolment.id]).get(enrolment.id, set())
    dates = jury_dates(closed_decisions([enrolment.id]), validated, enrolment.id)
    version = enrolment.cohort.version
    return {
        "format": CONTENT_FORMAT,
        "learner_name": enrolment.learner.full_name,
        "certification": {
            "code": version.certification.code,
            "title": version.title,
            "level": version.level,
            "version": version.label,
            "certifier": version.certifier_name,
        },
        "blocs": [
            {
                "code": bloc.code,
                "title": bloc.title,
                "optional": bloc.optional,
                "jury_date": dates[bloc.id].isoformat() if bloc.id in dates else None,
            }
            for bloc in structure(version).blocs
            if bloc.id in validated
        ],
        "certified_on": enrolment.certified_on.isoformat() if enrolment.certified_on else None,
    }


def issue_attestation(enrolment: Enrolment, content: dict[str, Any]) -> Attestation:
    """The attestation stating `content`: the enrolment's latest one if it states exactly
    that, otherwise a new one with a new code."""
    # One issuer at a time per enrolment, so two downloads do not make two codes.
    db.session.execute(
        sa.select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update()
    ).all()
    latest = db.session.scalar(
        sa.select(Attestation)
        .where(Attestation.enrolment_id == enrolment.id)
        .order_by(Attestation.id.desc())
        .limit(1)
    )
    if latest is not None and latest.content == content:
        return latest
    code = new_code()
    while db.session.scalar(sa.select(Attestation.id).where(Attestation.code == code)):
        code = new_code()  # 80 random bits: practically never
    attestation = Attestation(enrolment_id=enrolment.id, code=code, content=content)
    db.session.add(attestation)
    audit.record(
        "attestation.issue",
        attestation,
        french.ngettext(
            "Attestation %(code)s émise pour %(name)s (%(cert)s, %(num)d bloc validé)",
            "Attestation %(code)s émise pour %(name)s (%(cert)s, %(num)d blocs validés)",
            len(content["blocs"]),
            code=code,
            name=content["learner_name"],
            cert=content["certification"]["code"],
        ),
        enrolment_id=enrolment.id,
        blocs=[b["code"] for b in content["blocs"]],
    )
    return attestation


def find_attestation(code: str) -> Attestation | None:
    canonical = normalise_code(code)
    if canonical is None:
        return None
    return db.session.scalar(sa.select(Attestation).where(Attestation.code == canonical))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def stated(attestation: Attestation) -> AttestationData:
    """What `attestation` states, from its snapshot (never from today's records)."""
    content = attestation.content
    cert = content["certification"]
    return AttestationData(
        code=attestation.code,
        issued_on=to_user_timezone(attestation.issued_at).date(),
        learner_name=content["learner_name"],
        certification_code=cert["code"],
        certification_title=cert["title"],
        level=cert["level"],
        version_label=cert["version"],
        certifier=cert["certifier"],
        blocs=[
            ValidatedBloc(b["code"], b["title"], _date(b.get("jury_date")))
            for b in content["blocs"]
        ],
        certified_on=_date(content.get("certified_on")),
    )
