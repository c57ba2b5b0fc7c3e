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
from babel.support import Translations
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from exports.plurals import FrenchSource
from exports.typography import french_spacing_filter, typeset_apostrophes

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
TRANSLATIONS_DIR = ROOT / "translations"
STATIC_DIR = ROOT / "app" / "static"
# Relative URLs in a document resolve against the static folder: href="style.css".
BASE_URL = STATIC_DIR.as_uri() + "/"
LOCALE = "fr_FR"
# The documents' languages. The dossier, the fiche, the accrochage flow and the jury's minutes
# are records filed with French bodies: always French. The attestation follows the reader's
# language (docs/i18n.md).
DOCUMENT_LOCALES = {"fr": "fr_FR", "en": "en_GB"}


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


def date_long(value: dt.date | None, locale: str = LOCALE) -> str:
    """A date as documents write it: 12 mars 2026 (12 March 2026 in English)."""
    return format_date(value, format="long", locale=locale) if value else ""


def translations(language: str) -> Any:
    """The catalogue of a document language over the French source texts (French: the msgids
    themselves, with the French plural rule)."""
    if language == "fr":
        return FrenchSource()
    catalogue = Translations.load(str(TRANSLATIONS_DIR), [language])
    catalogue.add_fallback(FrenchSource())
    return catalogue


@cache
def environment(language: str = "fr") -> jinja2.Environment:
    """The Jinja environment of PDF templates in `language` (fr or en): autoescaped, `_()` and
    `ngettext` from that language's catalogue; `lang` in the context for <html lang>; the
    `fr` filter sets a text's punctuation the French way in a French document (and leaves it
    as it is in English, which puts no space before a colon)."""
    if language not in DOCUMENT_LOCALES:
        language = "fr"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    locale = DOCUMENT_LOCALES[language]
    env.filters["date_long"] = lambda value: date_long(value, locale)
    env.filters["fr"] = french_spacing_filter if language == "fr" else _as_typed
    env.globals["lang"] = language
    return env


def _as_typed(value: object) -> object:
    return value


def render_html(template: str, language: str = "fr", **context: Any) -> str:
    """A PDF template rendered in `language`, its prose set with one apostrophe, the
    typographic ’ (French typesetting's, and English's too): the template's own texts and the
    data it shows alike; codes, URLs and e-mail addresses keep what was typed."""
    return typeset_apostrophes(environment(language).get_template(template).render(**context))


# Every PDF is tagged for screen readers (structure tree, marked content, reading order):
# PDF/UA-1, which WeasyPrint writes since version 59. Its language is the document's
# <html lang>, its title the <title>, shown by readers instead of the file name.
PDF_VARIANT = "pdf/ua-1"


def html_to_pdf(html: str) -> bytes:
    """Render an HTML document to tagged PDF bytes (PDF/UA-1), fetching only static files."""
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher())
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    assert pdf is not None
    return pdf
