"""HTML to PDF with WeasyPrint, shared by every PDF export (minutes, dossier, attestation).

Templates live under templates/ (PDFs under templates/dossier/) and get plain data; they are
rendered by a Jinja environment of their own, without Flask. The only resources a document may
load are the application's static files: any other URL (network, other files, data:) is refused.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from babel.dates import format_date
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from exports.plurals import FrenchSource

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "app" / "static"
# Relative URLs in a document resolve against the static folder: href="style.css".
BASE_URL = STATIC_DIR.as_uri() + "/"
LOCALE = "fr_FR"


class StaticOnlyFetcher(URLFetcher):
    """Serve file: URLs inside app/static, refuse everything else (no network, no other file)."""

    def __init__(self, static_dir: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols={"file"})
        self.static_dir = static_dir.resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        return URLFetcherResponse(url, self.read(url), {"Content-Type": self.media_type(url)})

    def read(self, url: str) -> bytes:
        """The bytes of a static file named by `url`; ValueError for any other URL."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"URL refusée (seuls les fichiers statiques sont servis) : {url}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.static_dir) or not path.is_file():
            raise ValueError(f"URL refusée (hors des fichiers statiques) : {url}")
        return path.read_bytes()

    @staticmethod
    def media_type(url: str) -> str:
        return mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"


def date_long(value: dt.date | None) -> str:
    """A date as French documents write it: 12 mars 2026."""
    return format_date(value, format="long", locale=LOCALE) if value else ""


@cache
def environment() -> jinja2.Environment:
    """The Jinja environment of PDF templates: autoescaped, with `_()` returning the msgid
    (the French text) so the templates stay ready for gettext, and `ngettext` choosing the
    French plural (singular for 0 and 1)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(FrenchSource(), newstyle=True)  # type: ignore[attr-defined]
    env.filters["date_long"] = date_long
    return env


def render_html(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to PDF bytes, fetching only static files."""
    pdf = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf()
    assert pdf is not None
    return pdf
