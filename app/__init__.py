"""The application factory."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask.typing import ResponseReturnValue

from app.db import db, dispatch_in_transaction
from app.errors import IdConverter, register_error_handlers
from app.extensions import babel, csrf, login_manager, migrate
from app.i18n import plural_forms, select_locale
from config import CONFIGS, DEV_SECRET_KEY, Config

ROOT = Path(__file__).resolve().parent.parent

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


class App(Flask):
    """Flask, with each request's view run as one transaction (see `app.db`)."""

    def dispatch_request(self) -> ResponseReturnValue:
        return dispatch_in_transaction(lambda: self.make_response(Flask.dispatch_request(self)))


def _log_to_stdout(app: Flask) -> None:
    """In production, logs go to stdout, one line each, for the process manager to collect."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(logging.INFO)


def _register_blueprints(app: Flask) -> None:
    from app.analytics.routes import bp as analytics
    from app.assessment.evidence_routes import bp as evidence
    from app.assessment.routes import bp as assessment
    from app.badges.routes import bp as badges
    from app.cohorts.routes import bp as cohorts
    from app.dossier.routes import bp as dossier
    from app.exports_history.routes import bp as exports
    from app.frameworks.case_routes import bp as case
    from app.frameworks.editing import bp as editor
    from app.frameworks.routes import bp as frameworks
    from app.health import bp as health
    from app.home.routes import bp as home
    from app.i18n import bp as i18n
    from app.insertion.routes import bp as insertion
    from app.jury.routes import bp as jury
    from app.people.routes import bp as people
    from app.privacy.routes import bp as privacy
    from app.progress.routes import bp as progress
    from app.registry.routes import bp as registry
    from app.settings.routes import bp as settings

    for blueprint in (
        frameworks,
        home,
        editor,
        people,
        cohorts,
        assessment,
        evidence,
        jury,
        insertion,
        progress,
        analytics,
        exports,
        dossier,
        registry,
        badges,
        health,
        privacy,
        case,
        settings,
        i18n,
    ):
        app.register_blueprint(blueprint)


def _register_commands(app: Flask) -> None:
    from app.assessment.cli import grid_cli
    from app.badges.cli import badges_cli
    from app.demo import demo_command
    from app.dossier import cli as _dossier_cli  # noqa: F401  (adds `dossier check`)
    from app.exports_history.cli import accrochage_cli, dossier_cli, fiche_cli
    from app.exports_history.tasks import register_jobs
    from app.frameworks.case_cli import case_cli
    from app.frameworks.cli import referentiel_cli
    from app.jobs.cli import jobs_cli
    from app.ops.cli import backup_command, restore_command
    from app.people.cli import users_cli
    from app.privacy.cli import people_cli, retention_cli
    from app.registry.cli import rncp_cli
    from app.registry.tasks import register_jobs as register_registry_jobs

    register_jobs(app)
    register_registry_jobs(app)
    for command in (
        referentiel_cli,
        demo_command,
        users_cli,
        grid_cli,
        jobs_cli,
        fiche_cli,
        accrochage_cli,
        dossier_cli,
        backup_command,
        restore_command,
        rncp_cli,
        people_cli,
        retention_cli,
        case_cli,
        badges_cli,
    ):
        app.cli.add_command(command)


def create_app(config: str | type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the application for a configuration name or class, plus explicit overrides."""
    app = App(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(Config.INSTANCE_DIR),
    )
    if config is None:
        config = os.environ.get("APP_CONFIG", "development")
    app.config.from_object(CONFIGS[config] if isinstance(config, str) else config)
    app.config.update(overrides)
    insecure_key = app.config["SECRET_KEY"] in ("", DEV_SECRET_KEY)
    if insecure_key and not app.config["DEBUG"] and not app.config["TESTING"]:
        raise RuntimeError("SECRET_KEY must be set in production")
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.debug and not app.testing:
        _log_to_stdout(app)
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    babel.init_app(app, locale_selector=select_locale)
    csrf.init_app(app)
    login_manager.init_app(app)

    from app import models  # noqa: F401  (every model registered before migrations run)
    from app.people.auth import load_user

    login_manager.user_loader(load_user)
    app.url_map.converters["int"] = IdConverter  # before any route is added
    _register_blueprints(app)
    _register_commands(app)

    from app.glossary import template_globals

    app.context_processor(template_globals)
    from app.dates import format_date

    app.add_template_filter(format_date, "date")
    app.add_template_global(plural_forms)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.after_request
    def security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    register_error_handlers(app)
    return app
