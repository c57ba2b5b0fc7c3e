"""The interface in English: French by default, the browser's language or the page's switch,
the catalogue complete enough that the key pages read in English."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask

from app.i18n import COOKIE
from tests.assessment.conftest import make_world  # noqa: F401  (fixture)
from tests.dossier.test_readiness import certifier_coordinator

ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
# Words of the French navigation that must not be left on an English page.
FRENCH_NAV = {"Mon espace", "Promotions", "Jurys", "Référentiels", "Se déconnecter", "Comptes"}


class NavText(HTMLParser):
    """The texts of the page's <header> (brand, main navigation, account, language switch)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "header" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth and data.strip():
            self.texts.append(data.strip())


def header_texts(html: str) -> list[str]:
    reader = NavText()
    reader.feed(html)
    return reader.texts


def html_lang(html: str) -> str:
    found = re.search(r'<html lang="([^"]+)"', html)
    assert found
    return found.group(1)


def test_french_is_the_default(client: Any) -> None:
    page = client.get("/connexion").get_data(as_text=True)
    assert html_lang(page) == "fr"
    assert "Se connecter" in page


def test_the_browser_language_is_followed(client: Any) -> None:
    page = client.get("/connexion", headers=ENGLISH).get_data(as_text=True)
    assert html_lang(page) == "en-GB"
    assert "Log in" in page and "Se connecter" not in page
    # A language without a catalogue falls back to French.
    page = client.get("/connexion", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert html_lang(page) == "fr"


def test_the_switch_remembers_the_choice_for_anonymous_users(client: Any) -> None:
    login = client.get("/connexion").get_data(as_text=True)
    assert "/langue/en?next=/connexion" in login
    response = client.get("/langue/en?next=/connexion")
    assert response.status_code == 302 and response.headers["Location"] == "/connexion"
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None and cookie.value == "en"
    page = client.get("/connexion").get_data(as_text=True)
    assert html_lang(page) == "en-GB" and "Log in" in page
    # The choice wins over the browser's language, both ways.
    client.get("/langue/fr")
    page = client.get("/connexion", headers=ENGLISH).get_data(as_text=True)
    assert html_lang(page) == "fr"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil", ""])
def test_the_switch_only_goes_back_to_this_site(client: Any, target: str) -> None:
    response = client.get("/langue/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


def test_an_unknown_language_changes_nothing(client: Any) -> None:
    client.get("/langue/xx")
    assert client.get_cookie(COOKIE) is None


def assert_english(html: str) -> None:
    assert html_lang(html) == "en-GB"
    texts = header_texts(html)
    assert texts, "no header"
    leftovers = FRENCH_NAV & set(texts)
    assert not leftovers, f"French left in the navigation: {leftovers}"


def test_key_pages_read_in_english(
    client: Any,
    login: Any,
    make_world: Any,  # noqa: F811  (the fixture imported above)
    create_user: Any,
    db_session: Any,
) -> None:
    world = make_world()
    login(world.coordinator)
    client.get("/langue/en")
    home = client.get("/").get_data(as_text=True)
    assert_english(home)
    assert "My space" in home and "Cohorts" in home
    grid = client.get(world.grid_url).get_data(as_text=True)
    assert_english(grid)
    assert "Assessment grid" in grid and "Save the grid" in grid
    assert "Grille d'évaluation" not in grid

    login(certifier_coordinator(create_user, world.version, db_session))
    label = world.version.label
    readiness = client.get(f"/dossier/MINI/{label}/verification").get_data(as_text=True)
    assert_english(readiness)
    assert "4° Quality control of the assessment methods" in readiness
    assert "blocking" in readiness and "bloquant" not in readiness


def test_english_dates_are_british(app: Flask) -> None:
    import datetime as dt

    from flask_babel import format_date

    with app.test_request_context(headers=ENGLISH):
        assert format_date(dt.date(2025, 12, 22), "long") == "22 December 2025"


def test_the_command_line_speaks_english_when_asked(app: Flask) -> None:
    runner = app.test_cli_runner()
    app.config["CLI_LOCALE"] = "en"
    try:
        # `flask` pushes an app context before parsing (FlaskGroup); the test runner does not.
        with app.app_context():
            result = runner.invoke(args=["referentiel", "export", "--help"])
    finally:
        app.config["CLI_LOCALE"] = "fr"
    assert "Label of the version (default: the latest)." in result.output


def test_plural_forms_follow_english_rules(app: Flask) -> None:
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("en"):
        assert ngettext("%(num)d page", "%(num)d pages", 0) == "0 pages"
        assert ngettext("%(num)d page", "%(num)d pages", 1) == "1 page"
    with app.test_request_context(), force_locale("fr"):
        assert ngettext("%(num)d page", "%(num)d pages", 0) == "0 page"


def test_documents_for_french_bodies_stay_french_and_the_attestation_follows(app: Flask) -> None:
    from exports.pdf import environment

    minutes = environment("fr").from_string('{{ _("Procès-verbal du jury") }}').render()
    assert minutes == "Procès-verbal du jury"
    english = environment("en").from_string('{{ _("Attestation") }} {{ lang }}').render()
    assert english == "Attestation en"
    title = environment("en").from_string('{{ _("Attestation de blocs de compétences validés") }}')
    assert title.render() == "Attestation of validated skills blocks"
