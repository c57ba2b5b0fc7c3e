"""Real plurals: no "(s)" in what the app writes, and counted texts in the form each language
gives a number (French: singular for 0 and 1; English: singular for 1 only)."""

from __future__ import annotations

import ast
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale
from lxml import html as lxml_html

from tests.assessment.conftest import World, make_world  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parent.parent
# "(s)" after a letter: "problème(s)", "inconnue(s)"; not "%(s)s" nor "call(s)" in code.
PARENTHESISED_PLURAL = re.compile(r"[^\W\d_]\(s\)")
# Jinja statements and comments: code, not text ({% call(s) data_table(...) %}).
JINJA_TAGS = re.compile(r"{%.*?%}|{#.*?#}", re.DOTALL)
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def _catalogue_messages() -> Iterator[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "translations"))
    try:
        import catalog
    finally:
        sys.path.pop(0)
    for message in catalog.extract():
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        where = ", ".join(f"{file}:{line}" for file, line in message.locations[:2])
        for text in ids:
            yield where, text


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _python_strings() -> Iterator[tuple[str, str]]:
    """Every string literal of the app and the exporters (f-strings' text included), but
    docstrings, which speak to developers."""
    for path in sorted([*(ROOT / "app").rglob("*.py"), *(ROOT / "exports").rglob("*.py")]):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in skip
            ):
                yield f"{path.relative_to(ROOT)}:{node.lineno}", node.value


def _template_texts() -> Iterator[tuple[str, str]]:
    """The text and the expressions of every template, its statements and comments left out."""
    for path in sorted((ROOT / "templates").rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        for number, line in enumerate(JINJA_TAGS.sub("", source).splitlines(), 1):
            yield f"{path.relative_to(ROOT)}:~{number}", line


def test_no_parenthesised_plural_is_left() -> None:
    found = [
        f"{where}: {text!r}"
        for source in (_catalogue_messages(), _python_strings(), _template_texts())
        for where, text in source
        if PARENTHESISED_PLURAL.search(text)
    ]
    assert not found, "write both forms (ngettext) instead of “(s)”:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("fr", 0, "Vérifications : 0 problème"),
        ("fr", 1, "Vérifications : 1 problème"),
        ("fr", 2, "Vérifications : 2 problèmes"),
        ("en", 0, "Checks: 0 problems"),
        ("en", 1, "Checks: 1 problem"),
        ("en", 2, "Checks: 2 problems"),
    ],
)
def test_the_app_picks_the_form_of_each_language(
    app: Flask, locale: str, n: int, expected: str
) -> None:
    # The editor's heading, as templates/editor/edit.html writes it.
    source = (ROOT / "templates/editor/edit.html").read_text(encoding="utf-8")
    heading = re.search(r'{{ ngettext\("Vérifications : .*?}}', source)
    assert heading is not None
    with app.test_request_context(), force_locale(locale):
        assert render_template_string(heading.group(0).replace("problems|length", "n"), n=n) == (
            expected
        )


def test_pdf_templates_say_0_abandon_in_french_and_0_dropouts_in_english() -> None:
    from exports.pdf import environment

    template = environment("fr").from_string(
        '{{ ngettext("%(num)d abandon", "%(num)d abandons", n) }}'
    )
    assert [template.render(n=n) for n in (0, 1, 2)] == ["0 abandon", "1 abandon", "2 abandons"]
    english = environment("en").from_string(
        '{{ ngettext("%(num)d abandon", "%(num)d abandons", n) }}'
    )
    assert [english.render(n=n) for n in (0, 1, 2)] == ["0 dropouts", "1 dropout", "2 dropouts"]


def test_an_empty_draft_counts_its_problems_in_both_languages(
    client: Any, create_user: Any, login: Any, db_session: Any
) -> None:
    from app.people.models import Organisation, OrganisationKind

    certifier = Organisation(name="Le Labo", kind=OrganisationKind.CERTIFIER)
    db_session.add(certifier)
    login(create_user("coordinator", organisations=[certifier]))
    response = client.post(
        "/edition/nouveau",
        data={
            "code": "ANIM",
            "label": "v1",
            "title": "Animer",
            "level": "5",
            "certifier_name": "Le Labo",
        },
    )
    page = response.headers["Location"]
    french = client.get(page).get_data(as_text=True)
    assert "Vérifications : 3 problèmes" in french
    english = client.get(page, headers=ENGLISH).get_data(as_text=True)
    assert "Checks: 3 problems" in english


def _grid_plurals(html: str) -> dict[str, list[str]]:
    script = lxml_html.document_fromstring(html).get_element_by_id("grid-data")
    data: dict[str, Any] = json.loads(script.text)
    return data["plurals"]


def test_the_grid_script_gets_the_forms_for_0_1_and_more(
    client: Any,
    make_world: Any,  # noqa: F811  (the fixture imported above)
    login: Any,
) -> None:
    world: World = make_world()
    login(world.trainer_a)
    french = _grid_plurals(client.get(world.grid_url).get_data(as_text=True))
    assert french["rows"] == ["{n} ligne", "{n} ligne", "{n} lignes"]
    assert french["filled"] == [
        "{n} cellule recopiée",
        "{n} cellule recopiée",
        "{n} cellules recopiées",
    ]
    english = _grid_plurals(client.get(world.grid_url, headers=ENGLISH).get_data(as_text=True))
    assert english["rows"] == ["{n} rows", "{n} row", "{n} rows"]
    assert english["changes"] == [
        "{n} unsaved changes",
        "{n} unsaved change",
        "{n} unsaved changes",
    ]
