"""Error pages, and the guards that turn bad input into a clear answer instead of a 500.

- `IdConverter` replaces Flask's `int` URL converter: an id beyond the database's INTEGER
  range (2**31 - 1 on PostgreSQL) is a 404 at routing, before any query runs.
- Every HTTP error (400, 403, 404, 405, 413, 500, 503) gets a page in the site's layout, in
  French, with no traceback (Flask shows one only in debug mode); clients that ask for JSON
  get JSON.
- A database that cannot be reached or is busy answers 503 with Retry-After; a value the
  database refuses (out of range, too long) answers 400. Both roll the session back.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable
from werkzeug.routing import IntegerConverter, Map

from app.db import db

# The largest id any table can hold: PostgreSQL's INTEGER (SQLite's is larger).
MAX_ID = 2**31 - 1
# Seconds a client is asked to wait before trying again when the database is unavailable.
RETRY_AFTER_SECONDS = 30

# Errors meaning "the database cannot answer now" rather than "the request is wrong".
UNAVAILABLE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError)


def digits_up_to(limit: int) -> str:
    """A regular expression matching the decimal numbers from 0 to `limit`, and no others."""
    text = str(limit)
    choices = [rf"\d{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            choices.append(text[:i] + f"[0-{int(digit) - 1}]" + (rf"\d{{{rest}}}" if rest else ""))
    choices.append(text)
    return "(?:" + "|".join(choices) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` limited to ids a table can hold: larger numbers do not match (404).

    The limit is in the regular expression, not only in the value check, so a path whose
    other methods exist (GET and POST as two rules) is a 404 too rather than a 405.
    """

    regex = digits_up_to(MAX_ID)

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)


PAGES: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Requête invalide"),
        _l("La demande envoyée n'a pas pu être comprise. Revenez en arrière et recommencez."),
    ),
    403: (_l("Accès refusé"), _l("Vous n'avez pas accès à cette page.")),
    404: (_l("Page introuvable"), _l("Cette page n'existe pas ou plus.")),
    405: (
        _l("Méthode non autorisée"),
        _l("Cette adresse ne s'utilise pas ainsi : passez par le lien ou le formulaire du site."),
    ),
    413: (
        _l("Fichier trop volumineux"),
        _l("Le fichier ou le formulaire envoyé dépasse la taille acceptée (%(size)s Mo)."),
    ),
    500: (
        _l("Erreur interne"),
        _l(
            "Une erreur inattendue est survenue ; rien n'a été enregistré. L'équipe technique "
            "en est informée. Réessayez plus tard."
        ),
    ),
    503: (
        _l("Service momentanément indisponible"),
        _l(
            "La base de données ne répond pas pour le moment ; rien n'a été enregistré. "
            "Réessayez dans quelques instants."
        ),
    ),
}
CSRF_MESSAGE = _l(
    "Le formulaire a expiré ou n'a pas été envoyé depuis ce site. Rechargez la page et recommencez."
)
REFUSED_VALUE_MESSAGE = _l(
    "Une valeur envoyée est hors des limites acceptées (nombre trop grand ou texte trop long)."
)


def _rollback() -> None:
    """Drop the failed unit of work; a dead connection may refuse even that."""
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing left to undo
        db.session.close()


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _as_anonymous() -> None:
    """Show the page as to a visitor: loading the account needs the database."""
    from app.extensions import login_manager

    g._login_user = login_manager.anonymous_user()


def error_response(code: int, message: Any = None, headers: dict[str, str] | None = None) -> Any:
    """The error page (or JSON) for `code`, in the site's layout."""
    from flask import current_app

    title, default = PAGES[code]
    if message is None:
        message = default
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        message = message % {"size": max(1, round(limit / (1024 * 1024)))}
    if _wants_json():
        response = jsonify(error=code, title=str(title), message=str(message))
    else:
        if code == 503:
            _as_anonymous()
        context = {"code": code, "title": title, "message": message}
        try:
            body = render_template("errors/error.html", **context)
        except Exception:  # the header could not read the account: render it for a visitor
            _rollback()
            _as_anonymous()
            body = render_template("errors/error.html", **context)
        response = Response(body, mimetype="text/html")
    response.status_code = code
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Bind the error pages and the database guards to `app`."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        if error.code not in PAGES:
            return error
        if error.code == 500:
            return server_error(error)
        if error.code == 503:
            return unavailable(error)
        message = CSRF_MESSAGE if isinstance(error, CSRFError) else None
        return error_response(error.code, message)

    @app.errorhandler(InternalServerError)
    def server_error(error: HTTPException) -> ResponseReturnValue:
        # Flask has logged the original exception with its traceback already.
        _rollback()
        return error_response(500)

    @app.errorhandler(ServiceUnavailable)
    def unavailable(error: Exception) -> ResponseReturnValue:
        _rollback()
        return error_response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    def database_unavailable(error: Exception) -> ResponseReturnValue:
        app.logger.error("Database unavailable on %s %s: %s", request.method, request.path, error)
        return unavailable(error)

    for kind in UNAVAILABLE:
        app.register_error_handler(kind, database_unavailable)

    @app.errorhandler(sa.exc.DataError)
    def refused_value(error: sa.exc.DataError) -> ResponseReturnValue:
        # A form or a converter should have refused this value first: log it to fix that.
        app.logger.exception("Value refused by the database on %s %s", request.method, request.path)
        _rollback()
        return error_response(400, REFUSED_VALUE_MESSAGE)
