"""The OpenBadgeCredential of a validated bloc or of a whole certification, from plain data.

Pure functions (no Flask, no session): the service gathers the data, this shapes it as the
Open Badges 3.0 AchievementCredential schema (`schemas/ob_v3p0_achievementcredential_schema.json`)
wants it, and `crypto.sign()` adds the proof.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from exports import case

CONTEXTS = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
PARIS = ZoneInfo("Europe/Paris")


def case_item_id(certification_code: str, version_label: str, kind: str, code: str) -> str:
    """The CASE identifier (CFItem) of an item of a version, as the CASE export gives it."""
    return case.item_identifier(
        case.document_identifier(certification_code, version_label), kind, code
    )


def case_item_url(base_url: str, identifier: str) -> str:
    """Where the CASE read API serves the item."""
    return f"{base_url}/ims/case/v1p1/CFItems/{identifier}"


def identity_hash(email: str, salt: str) -> str:
    """`sha256$` + hex SHA-256 of the e-mail (trimmed, lower case) followed by the salt."""
    plain = email.strip().lower() + salt
    return "sha256$" + hashlib.sha256(plain.encode()).hexdigest()


def paris_midnight(day: dt.date) -> str:
    """The start of `day` in France, as an XML Schema dateTime with its offset."""
    return dt.datetime.combine(day, dt.time(), PARIS).isoformat()


@dataclass(frozen=True)
class Issuer:
    id: str  # the profile's URL
    name: str
    url: str  # the site
    siret: str | None


@dataclass(frozen=True)
class Aligned:
    """A competency (or a bloc, for the whole certification) the achievement aligns to."""

    kind: str  # the CASE export's item kind: "competency" or "bloc"
    code: str
    text: str


@dataclass(frozen=True)
class Subject:
    """What the badge says was achieved."""

    certification_code: str
    certification_title: str
    level: int
    version_label: str
    code: str  # the bloc's code, or the certification's
    title: str
    is_certification: bool
    aligned: tuple[Aligned, ...]
    criteria: tuple[str, ...]  # the criteria statements (bloc) or bloc titles (certification)


def profile(issuer: Issuer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": issuer.id,
        "type": ["Profile"],
        "name": issuer.name,
        "url": issuer.url,
    }
    if issuer.siret:
        out["otherIdentifier"] = [
            {"type": "IdentifierEntry", "identifier": issuer.siret, "identifierType": "ext:SIRET"}
        ]
    return out


def achievement(subject: Subject, base_url: str) -> dict[str, Any]:
    cert, label = subject.certification_code, subject.version_label
    framework = f"{subject.certification_title} ({cert}, version {label})"
    if subject.is_certification:
        description = (
            f"Certification professionnelle « {subject.title} » de niveau {subject.level} "
            f"(cadre national des certifications professionnelles), référentiel {cert} "
            f"version {label} : tous les blocs de compétences obligatoires validés par un jury."
        )
        narrative = (
            "Certification délivrée par le jury de certification lorsque tous les blocs de "
            "compétences obligatoires sont validés :\n\n"
            + "\n".join(f"- {line}" for line in subject.criteria)
        )
    else:
        description = (
            f"Bloc de compétences {subject.code} « {subject.title} » de la certification "
            f"« {subject.certification_title} » ({cert}, niveau {subject.level}, référentiel "
            f"version {label}), validé par un jury de certification."
        )
        narrative = (
            "Bloc validé par le jury de certification au vu des résultats aux évaluations, "
            "appréciés selon les critères suivants :\n\n"
            + "\n".join(f"- {line}" for line in subject.criteria)
        )
    return {
        "id": "urn:uuid:"
        + (
            case.document_identifier(cert, label)
            if subject.is_certification
            else case_item_id(cert, label, "bloc", subject.code)
        ),
        "type": ["Achievement"],
        "achievementType": "Certification" if subject.is_certification else "Certificate",
        "name": subject.title,
        "humanCode": subject.code,
        "description": description,
        "criteria": {"narrative": narrative},
        "inLanguage": "fr",
        "version": label,
        "tag": [f"niveau {subject.level}", cert],
        "alignment": [
            {
                "type": ["Alignment"],
                "targetName": f"{item.code} — {item.text}",
                "targetCode": item.code,
                "targetDescription": item.text,
                "targetFramework": framework,
                "targetType": "CFItem",
                "targetUrl": case_item_url(
                    base_url, case_item_id(cert, label, item.kind, item.code)
                ),
            }
            for item in subject.aligned
        ],
    }


def credential(
    *,
    credential_id: str,
    issuer: Issuer,
    subject: Subject,
    email: str,
    salt: str,
    valid_from: dt.date,
    status_list_url: str,
    status_index: int,
    base_url: str,
) -> dict[str, Any]:
    """The unsigned OpenBadgeCredential."""
    title = subject.title if subject.is_certification else f"{subject.code} — {subject.title}"
    return {
        "@context": list(CONTEXTS),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": title,
        "issuer": profile(issuer),
        "validFrom": paris_midnight(valid_from),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [
                {
                    "type": "IdentityObject",
                    "hashed": True,
                    "identityHash": identity_hash(email, salt),
                    "identityType": "emailAddress",
                    "salt": salt,
                }
            ],
            "achievement": achievement(subject, base_url),
        },
        "credentialStatus": {
            "id": f"{status_list_url}#{status_index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(status_index),
            "statusListCredential": status_list_url,
        },
    }
