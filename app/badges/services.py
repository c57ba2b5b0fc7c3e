"""Issuing Open Badges 3.0 for validated blocs and certifications, the certifier's keys
(created on first use, rotated on demand, never unpublished), revocation and the published
status list. Issuing and revoking record audit events."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.assessment.progress import standing_blocs, validated_blocs
from app.badges import credential as cred
from app.badges import crypto
from app.badges.models import BadgeKey, IssuedBadge
from app.cohorts.models import Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.frameworks.models import FrameworkVersion
from app.frameworks.structure import structure
from app.people import audit
from app.people.links import public_base, public_url
from app.people.models import Organisation
from app.progress.records import closed_decisions, jury_dates
from app.settings.services import certifier_of


class BadgeRefused(Exception):
    """A badge that cannot be issued; the message says why, for the learner."""


# --- the certifier and its keys -----------------------------------------------------------------


def _secret() -> str:
    return str(current_app.config.get("BADGE_KEY_SECRET") or current_app.config["SECRET_KEY"])


def _new_key(organisation: Organisation) -> BadgeKey:
    seed, public = crypto.new_key_pair()
    kid = f"{utcnow():%Y%m%d}-{secrets.token_hex(4)}"
    key = BadgeKey(
        organisation_id=organisation.id,
        kid=kid,
        public_key=public,
        sealed_private_key=crypto.seal(seed, _secret(), kid),
    )
    db.session.add(key)
    audit.record(
        "badge.key_create",
        key,
        f"Nouvelle clé de signature des badges {kid} pour {organisation.name}",
        organisation_id=organisation.id,
    )
    return key


def _lock(organisation: Organisation) -> None:
    """One writer at a time per certifier: keys and status list indexes are handed out in turn."""
    db.session.execute(
        sa.select(Organisation.id).where(Organisation.id == organisation.id).with_for_update()
    ).all()


def current_key(organisation: Organisation) -> BadgeKey | None:
    return db.session.scalar(
        sa.select(BadgeKey)
        .where(BadgeKey.organisation_id == organisation.id, BadgeKey.retired_at.is_(None))
        .order_by(BadgeKey.id.desc())
        .limit(1)
    )


def rotate_key(organisation: Organisation) -> BadgeKey:
    """Retire the signing key and make a new one. The retired key stays published, and the
    badges it signed stay valid."""
    _lock(organisation)
    old = current_key(organisation)
    if old is not None:
        old.retired_at = utcnow()
        audit.record(
            "badge.key_retire",
            old,
            f"Clé de signature des badges {old.kid} retirée (elle reste publiée)",
            organisation_id=organisation.id,
        )
    db.session.flush()
    return _new_key(organisation)


def seed_of(key: BadgeKey) -> bytes:
    return crypto.unseal(key.sealed_private_key, _secret(), key.kid)


# --- addresses ----------------------------------------------------------------------------------


def issuer_url(organisation_id: int) -> str:
    return public_url("badges.issuer", organisation_id=organisation_id)


def key_url(kid: str) -> str:
    return public_url("badges.key", kid=kid)


def status_list_url(organisation_id: int) -> str:
    return public_url("badges.status_list", organisation_id=organisation_id)


def site_url() -> str:
    return public_base(current_app) or ""


def issuer_of(organisation: Organisation) -> cred.Issuer:
    return cred.Issuer(
        id=issuer_url(organisation.id),
        name=organisation.name,
        url=site_url() + "/",
        siret=organisation.siret,
    )


# --- issuing ------------------------------------------------------------------------------------


def _subject(version: FrameworkVersion, bloc_id: int | None) -> cred.Subject:
    tree = structure(version)
    code = version.certification.code
    common: dict[str, Any] = {
        "certification_code": code,
        "certification_title": version.title,
        "level": version.level,
        "version_label": version.label,
    }
    if bloc_id is None:
        mandatory = [b for b in tree.blocs if not b.optional]
        return cred.Subject(
            **common,
            code=code,
            title=version.title,
            is_certification=True,
            aligned=tuple(cred.Aligned("bloc", b.code, b.title) for b in tree.blocs),
            criteria=tuple(f"{b.code} — {b.title}" for b in mandatory),
        )
    bloc = next(b for b in tree.blocs if b.id == bloc_id)
    return cred.Subject(
        **common,
        code=bloc.code,
        title=bloc.title,
        is_certification=False,
        aligned=tuple(cred.Aligned("competency", c.code, c.statement) for c in bloc.competencies),
        criteria=tuple(
            f"{crit.code} — {crit.statement}" for c in bloc.competencies for crit in c.criteria
        ),
    )


def _valid_from(enrolment: Enrolment, bloc_id: int | None) -> dt.date:
    """The date of the jury that validated the bloc (or awarded the certification)."""
    if bloc_id is None:
        if enrolment.status is not EnrolmentStatus.CERTIFIED or enrolment.certified_on is None:
            raise BadgeRefused(
                _("La certification n'est pas obtenue : il n'y a pas encore de badge à délivrer.")
            )
        return enrolment.certified_on
    # One read of the closed sessions' decisions gives both what stands validated and when.
    decisions = closed_decisions([enrolment.id])
    validated = standing_blocs(
        (row.enrolment_id, row.bloc_id, row.decision) for row in decisions
    ).get(enrolment.id, set())
    dates = jury_dates(decisions, validated, enrolment.id)
    if bloc_id not in dates:
        raise BadgeRefused(
            _("Ce bloc n'est pas validé par un jury : il n'y a pas encore de badge à délivrer.")
        )
    return dates[bloc_id]


def _key_and_last_index(organisation: Organisation) -> tuple[BadgeKey, int | None]:
    """The key that signs now (the newest unretired one, made on first use) and the last
    status list index handed out, in one query once the key exists (the caller holds the
    certifier's lock, so no other writer hands out an index)."""
    last = (
        sa.select(sa.func.max(IssuedBadge.status_index))
        .where(IssuedBadge.organisation_id == organisation.id)
        .scalar_subquery()
    )
    row = db.session.execute(
        sa.select(BadgeKey, last)
        .where(BadgeKey.organisation_id == organisation.id, BadgeKey.retired_at.is_(None))
        .order_by(BadgeKey.id.desc())
        .limit(1)
    ).first()
    if row is not None:
        return row[0], row[1]
    key = _new_key(organisation)  # first use
    db.session.flush()
    return key, db.session.scalar(
        sa.select(sa.func.max(IssuedBadge.status_index)).where(
            IssuedBadge.organisation_id == organisation.id
        )
    )


def issue_badge(enrolment: Enrolment, bloc_id: int | None) -> IssuedBadge:
    """The badge of a validated bloc (or, with None, of the certification): the one already
    issued when it still stands, otherwise a new one, signed and recorded."""
    db.session.execute(
        sa.select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update()
    ).all()
    valid_from = _valid_from(enrolment, bloc_id)
    existing = db.session.scalar(
        sa.select(IssuedBadge)
        .where(
            IssuedBadge.enrolment_id == enrolment.id,
            IssuedBadge.bloc_id.is_(None) if bloc_id is None else IssuedBadge.bloc_id == bloc_id,
            IssuedBadge.revoked_at.is_(None),
        )
        .order_by(IssuedBadge.id.desc())
        .limit(1)
    )
    if existing is not None and existing.valid_from == valid_from:
        return existing
    version = enrolment.cohort.version
    organisation = certifier_of(version)
    if organisation is None:
        raise BadgeRefused(
            _(
                "Aucun organisme certificateur « %(name)s » n'est enregistré sur ce site : "
                "le badge ne peut pas être signé. Prévenez la coordination.",
                name=version.certifier_name,
            )
        )
    _lock(organisation)
    key, last = _key_and_last_index(organisation)
    index = 0 if last is None else last + 1
    badge_uuid = str(uuid.uuid4())
    unsigned = cred.credential(
        credential_id=f"urn:uuid:{badge_uuid}",
        issuer=issuer_of(organisation),
        subject=_subject(version, bloc_id),
        email=enrolment.learner.email,
        salt=secrets.token_hex(16),
        valid_from=valid_from,
        status_list_url=status_list_url(organisation.id),
        status_index=index,
        base_url=site_url(),
    )
    now = utcnow()
    signed = crypto.sign(
        unsigned, seed_of(key), key_url(key.kid), now.replace(microsecond=0).isoformat()
    )
    badge = IssuedBadge(
        uuid=badge_uuid,
        enrolment_id=enrolment.id,
        bloc_id=bloc_id,
        organisation_id=organisation.id,
        key_id=key.id,
        status_index=index,
        valid_from=valid_from,
        credential=signed,
        issued_at=now,
    )
    db.session.add(badge)
    audit.record(
        "badge.issue",
        badge,
        # No name here: the badge row, not the journal, ties it to the person (erasure).
        f"Badge « {signed['name']} » délivré (inscription {enrolment.id})",
        enrolment_id=enrolment.id,
        bloc_id=bloc_id,
        kid=key.kid,
    )
    return badge


# --- revoking -----------------------------------------------------------------------------------


def revoke_stale(enrolment_ids: list[int]) -> list[IssuedBadge]:
    """Revoke the badges of these enrolments that no longer stand: a bloc a later jury did
    not validate again, a certification no longer held. Returns those revoked."""
    badges = list(
        db.session.scalars(
            sa.select(IssuedBadge).where(
                IssuedBadge.enrolment_id.in_(enrolment_ids), IssuedBadge.revoked_at.is_(None)
            )
        )
    )
    if not badges:
        return []
    db.session.flush()
    validated = validated_blocs({b.enrolment_id for b in badges})
    revoked = []
    for badge in badges:
        enrolment = badge.enrolment
        if badge.bloc_id is None:
            if enrolment.status is EnrolmentStatus.CERTIFIED:
                continue
            reason = "La certification n'est plus acquise (statut de l'inscription modifié)."
        else:
            if badge.bloc_id in validated.get(badge.enrolment_id, set()):
                continue
            reason = "Une décision de jury ultérieure ne valide plus ce bloc."
        badge.revoked_at = utcnow()
        badge.revoked_reason = reason
        revoked.append(badge)
        audit.record(
            "badge.revoke",
            badge,
            f"Badge {badge.credential.get('name', '')} révoqué : {reason}",
            enrolment_id=badge.enrolment_id,
            status_index=badge.status_index,
        )
    return revoked


# --- published documents ------------------------------------------------------------------------


def issuer_document(organisation: Organisation) -> dict[str, Any]:
    keys = db.session.scalars(
        sa.select(BadgeKey.kid)
        .where(BadgeKey.organisation_id == organisation.id)
        .order_by(BadgeKey.id)
    )
    return {
        "@context": list(cred.CONTEXTS),
        **cred.profile(issuer_of(organisation)),
        # Every key it ever signed with, retired ones included (informative).
        "assertionMethod": [key_url(kid) for kid in keys],
    }


def key_document(key: BadgeKey) -> dict[str, Any]:
    """The public key as a Multikey (what `proof.verificationMethod` points to)."""
    out: dict[str, Any] = {
        "@context": ["https://w3id.org/security/multikey/v1"],
        "id": key_url(key.kid),
        "type": "Multikey",
        "controller": issuer_url(key.organisation_id),
        "publicKeyMultibase": crypto.multibase_key(key.public_key),
        "publicKeyJwk": crypto.public_jwk(key.public_key),
        "created": key.created_at.replace(microsecond=0).isoformat(),
    }
    if key.retired_at is not None:
        # Retired for signing only: what it signed before stays valid.
        out["retired"] = key.retired_at.replace(microsecond=0).isoformat()
    return out


def key_list() -> dict[str, Any]:
    """Every public key of this site, retired ones included, as a JWK set."""
    keys = db.session.scalars(sa.select(BadgeKey).order_by(BadgeKey.id))
    return {
        "keys": [
            {**crypto.public_jwk(k.public_key), "kid": key_url(k.kid), "use": "sig", "alg": "EdDSA"}
            for k in keys
        ]
    }


def find_key(kid: str) -> BadgeKey | None:
    return db.session.scalar(sa.select(BadgeKey).where(BadgeKey.kid == kid))


def revoked_indexes(organisation_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(IssuedBadge.status_index).where(
                IssuedBadge.organisation_id == organisation_id,
                IssuedBadge.revoked_at.is_not(None),
            )
        )
    )


def status_list_credential(organisation: Organisation) -> dict[str, Any] | None:
    """The signed BitstringStatusListCredential of the certifier's badges (revocation), or
    None before its first badge."""
    key = current_key(organisation)
    if key is None:
        return None
    last = db.session.scalar(
        sa.select(sa.func.max(IssuedBadge.status_index)).where(
            IssuedBadge.organisation_id == organisation.id
        )
    )
    size = crypto.MIN_LIST_BITS
    while last is not None and last >= size:
        size *= 2
    url = status_list_url(organisation.id)
    now = utcnow().replace(microsecond=0)
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_url(organisation.id),
        "validFrom": now.isoformat(),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": crypto.encode_status_list(revoked_indexes(organisation.id), size),
        },
    }
    return crypto.sign(unsigned, seed_of(key), key_url(key.kid), now.isoformat())
