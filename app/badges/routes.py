"""What the certifier publishes for anyone to check its badges: its profile, its public keys
(retired ones included) and its revocation list. JSON, read-only, no login."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort
from werkzeug.wrappers import Response

from app.badges import services
from app.db import db
from app.people.models import Organisation, OrganisationKind
from app.route_rules import public

bp = Blueprint("badges", __name__, url_prefix="/badges")


def _json(
    document: dict[str, Any], mimetype: str = "application/json", max_age: int = 3600
) -> Response:
    body = json.dumps(document, ensure_ascii=False, indent=2)
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"  # wallets and verifiers elsewhere
    return response


def _certifier(organisation_id: int) -> Organisation:
    organisation = db.session.scalar(
        sa.select(Organisation).where(
            Organisation.id == organisation_id, Organisation.kind == OrganisationKind.CERTIFIER
        )
    )
    if organisation is None:
        abort(404)
    return organisation


@bp.get("/emetteurs/<int:organisation_id>")
@public
def issuer(organisation_id: int) -> Response:
    return _json(services.issuer_document(_certifier(organisation_id)), "application/ld+json")


@bp.get("/cles")
@public
def keys() -> Response:
    return _json(services.key_list(), "application/jwk-set+json")


@bp.get("/cles/<kid>")
@public
def key(kid: str) -> Response:
    found = services.find_key(kid)
    if found is None:
        abort(404)
    return _json(services.key_document(found), "application/ld+json", max_age=86400)


@bp.get("/statut/<int:organisation_id>")
@public
def status_list(organisation_id: int) -> Response:
    document = services.status_list_credential(_certifier(organisation_id))
    if document is None:
        abort(404)
    # Short-lived: a revocation shows within minutes.
    return _json(document, "application/vc+ld+json", max_age=300)
