"""A health check for load balancers and process managers: it touches the database."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from app.db import db
from app.route_rules import public

bp = Blueprint("health", __name__)


@bp.get("/sante")
@public
def health() -> ResponseReturnValue:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        return jsonify(status="indisponible", database=False), 503
    return jsonify(status="ok", database=True)
