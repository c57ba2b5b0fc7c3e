"""The interface's language: French by default, English for those who ask.

The language is, in order: the one chosen with the switch in the page (a cookie, so that it
holds before login and after logout), the browser's best match among the supported ones, French.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from flask import Blueprint, current_app, has_request_context, redirect, request
from flask.typing import ResponseReturnValue
from flask_babel import get_translations

from app.route_rules import public

F = TypeVar("F", bound=Callable[..., Any])
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def N_(message: str) -> str:
    """Mark a message for extraction where it is translated later (``_l(kind.noun)``)."""
    return message


def plural_forms(singular: str, plural: str) -> list[str]:
    """A counted text in the forms this language gives 0, 1 and 2 (or more), unformatted, for
    scripts to pick from by count: French ["{n} ligne", "{n} ligne", "{n} lignes"], English
    ["{n} rows", "{n} row", "{n} rows"]. Both languages use one form from 2 on. Extracted like
    `ngettext` (translations/catalog.py)."""
    translations = get_translations()
    return [str(translations.ngettext(singular, plural, n)) for n in (0, 1, 2)]


# The region whose formats (dates, numbers) each language uses: British English, for
# European partners (22 December 2025, 05/12/2026), not the United States' default.
REGIONS = {"en": "en_GB"}


def select_locale() -> str:
    """The language of this request (the command line's: CLI_LOCALE, French by default)."""
    supported: list[str] = current_app.config["LANGUAGES"]
    default: str = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():
        chosen = current_app.config.get("CLI_LOCALE") or default
        language = chosen if chosen in supported else default
    else:
        chosen = request.cookies.get(COOKIE)
        if chosen in supported:
            language = chosen
        else:
            language = request.accept_languages.best_match(supported) or default
    return REGIONS.get(language, language)


def _safe_next(target: str | None) -> str:
    """A path of this site to go back to (never another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@bp.get("/langue/<code>")
@public
def switch(code: str) -> ResponseReturnValue:
    """Remember the chosen language and go back to the page the switch was on."""
    response = redirect(_safe_next(request.args.get("next")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            COOKIE,
            code,
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


class TranslatedOption(click.Option):
    """A command-line option whose help is a lazy message, translated when the help is shown
    (click would otherwise read it once, at import, before any language is chosen)."""

    def __init__(self, *args: Any, help: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.translated_help = help

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        self.help = str(self.translated_help) if self.translated_help is not None else None
        return super().get_help_record(ctx)


def option(*declarations: str, **attributes: Any) -> Callable[[F], F]:
    """`click.option` with a translated help: ``@option("--bloc", help=_l("Code du bloc."))``."""
    return click.option(*declarations, cls=TranslatedOption, **attributes)
