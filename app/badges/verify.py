"""Checking a badge someone pasted or uploaded: JSON, the official Open Badges 3.0 schema, the
signature with one of this site's published keys, and the revocation status. Every refusal
says why, in words a recruiter can act on."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError

from app.badges import crypto
from app.badges.models import BadgeKey, IssuedBadge
from app.badges.services import issuer_url, key_url, status_list_url
from app.db import db, utcnow

SCHEMA_PATH = Path(__file__).with_name("ob_v3p0_achievementcredential_schema.json")
MAX_BYTES = 256 * 1024
MAX_SCHEMA_ERRORS = 5


@cache
def validator() -> Draft201909Validator:
    """The official AchievementCredential schema (draft 2019-09, local `$ref`s only)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft201909Validator(schema, format_checker=Draft201909Validator.FORMAT_CHECKER)


@dataclass
class Verdict:
    """What the verifier found: `reasons` empty means the badge holds."""

    reasons: list[str] = field(default_factory=list)
    credential: dict[str, Any] | None = None
    badge: IssuedBadge | None = None
    key: BadgeKey | None = None

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def name(self) -> str:
        return str((self.credential or {}).get("name", ""))

    @property
    def issuer_name(self) -> str:
        issuer = (self.credential or {}).get("issuer")
        return str(issuer.get("name", "")) if isinstance(issuer, dict) else str(issuer or "")

    @property
    def achievement(self) -> dict[str, Any]:
        subject = (self.credential or {}).get("credentialSubject") or {}
        achieved = subject.get("achievement") if isinstance(subject, dict) else None
        return achieved if isinstance(achieved, dict) else {}


def _path(error: ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return ".".join(parts) if parts else _("racine du document")


_JSON_TYPES = {
    "string": "du texte",
    "array": "une liste",
    "object": "un objet",
    "boolean": "true ou false",
    "integer": "un nombre entier",
    "number": "un nombre",
}


def _detail(error: ValidationError) -> str:
    """The schema problem in French (jsonschema's English message as a last resort)."""
    kind, expected = error.validator, error.validator_value
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return _("la propriété « %(name)s » manque", name=missing)
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        names = " ou ".join(_JSON_TYPES.get(str(w), str(w)) for w in wanted)
        return _("la valeur devrait être %(expected)s", expected=names)
    if kind in ("enum", "const"):
        return _("la valeur « %(value)s » n'est pas permise ici", value=error.instance)
    if kind == "pattern":
        return _("la valeur « %(value)s » n'a pas la forme attendue", value=error.instance)
    if kind == "format":
        return _(
            "la valeur « %(value)s » n'est pas au format %(format)s",
            value=error.instance,
            format=expected,
        )
    if kind == "minItems":
        return ngettext(
            "la liste devrait compter au moins %(num)d élément",
            "la liste devrait compter au moins %(num)d éléments",
            expected,
        )
    if kind == "contains":
        return _("la liste ne contient pas l'élément obligatoire")
    if kind in ("oneOf", "anyOf"):
        return _("la valeur ne correspond à aucune des formes permises")
    return error.message


def schema_reasons(document: Any) -> list[str]:
    if validator().is_valid(document):  # the usual case, in about half the time of a full walk
        return []
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    reasons = []
    for error in errors[:MAX_SCHEMA_ERRORS]:
        detail = _detail(error)
        reasons.append(
            _(
                "Non conforme au schéma officiel Open Badges 3.0, à « %(path)s » : %(detail)s.",
                path=_path(error),
                detail=detail,
            )
        )
    if len(errors) > MAX_SCHEMA_ERRORS:
        reasons.append(
            ngettext(
                "… et %(num)d autre écart au schéma.",
                "… et %(num)d autres écarts au schéma.",
                len(errors) - MAX_SCHEMA_ERRORS,
            )
        )
    return reasons


def parse(text: str) -> tuple[Any, str | None]:
    stripped = text.strip()
    if not stripped:
        return None, _("Collez le contenu du badge (JSON) ou choisissez son fichier.")
    if len(stripped.encode()) > MAX_BYTES:
        return None, _("Ce document dépasse 256 Ko : ce n'est pas un badge de ce site.")
    if stripped.count(".") == 2 and not stripped.startswith("{"):
        return None, _(
            "Ce badge est au format JWT (VC-JOSE) : ce vérificateur lit les badges JSON dont "
            "la signature est intégrée (Data Integrity), ceux que délivre ce site."
        )
    try:
        return json.loads(stripped), None
    except json.JSONDecodeError as exc:
        return None, _(
            "Ce n'est pas un document JSON lisible (ligne %(line)s, colonne %(col)s) : le "
            "fichier est peut-être tronqué ou modifié.",
            line=exc.lineno,
            col=exc.colno,
        )


def _our_key(verification_method: str) -> BadgeKey | None:
    prefix = key_url("KID").removesuffix("KID")
    if not verification_method.startswith(prefix):
        return None
    kid = verification_method.removeprefix(prefix)
    return db.session.scalar(sa.select(BadgeKey).where(BadgeKey.kid == kid))


def _status(document: dict[str, Any], key: BadgeKey) -> tuple[IssuedBadge | None, str | None]:
    status = document.get("credentialStatus")
    if not isinstance(status, dict):
        return None, _("Le badge n'indique pas de liste de révocation (credentialStatus).")
    expected_list = status_list_url(key.organisation_id)
    if status.get("statusListCredential") != expected_list:
        return None, _("La liste de révocation indiquée n'est pas celle de l'émetteur.")
    try:
        index = int(status.get("statusListIndex", ""))
    except ValueError:
        return None, _("La position dans la liste de révocation est illisible.")
    badge = db.session.scalar(
        sa.select(IssuedBadge).where(
            IssuedBadge.organisation_id == key.organisation_id, IssuedBadge.status_index == index
        )
    )
    if badge is None or f"urn:uuid:{badge.uuid}" != document.get("id") or badge.key_id != key.id:
        return None, _("Ce badge ne figure pas parmi ceux que ce site a délivrés.")
    if badge.revoked_at is not None:
        return badge, _(
            "Ce badge a été révoqué le %(date)s : %(reason)s",
            date=badge.revoked_at.date().strftime("%d/%m/%Y"),
            reason=badge.revoked_reason,
        )
    return badge, None


def verify_text(text: str) -> Verdict:
    """Check a badge given as text; the verdict lists every reason it does not hold."""
    document, problem = parse(text)
    if problem:
        return Verdict([problem])
    if not isinstance(document, dict):
        return Verdict([_("Ce document JSON n'est pas un badge : il devrait être un objet.")])
    verdict = Verdict(schema_reasons(document), credential=document)
    try:
        proof = crypto.proof_of(document)
    except crypto.ProofError as exc:
        verdict.reasons.append(str(exc))
        return verdict
    key = _our_key(proof["verificationMethod"])
    if key is None:
        verdict.reasons.append(
            _(
                "La clé de signature « %(method)s » n'est pas une clé publiée par ce site : ce "
                "badge n'a pas été délivré ici.",
                method=proof["verificationMethod"],
            )
        )
        return verdict
    verdict.key = key
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != issuer_url(key.organisation_id):
        verdict.reasons.append(
            _("L'émetteur du badge n'est pas le détenteur de la clé qui l'a signé.")
        )
    try:
        crypto.verify(document, key.public_key)
    except crypto.ProofError as exc:
        verdict.reasons.append(str(exc))
        return verdict
    badge, problem = _status(document, key)
    verdict.badge = badge
    if problem:
        verdict.reasons.append(problem)
    valid_from = document.get("validFrom")
    if isinstance(valid_from, str):
        try:
            start = dt.datetime.fromisoformat(valid_from)
        except ValueError:
            start = None
        if start is not None and start.tzinfo is not None and start > utcnow():
            verdict.reasons.append(_("Ce badge n'est pas encore valable (validFrom à venir)."))
    return verdict
