"""Over-long and out-of-range form values are refused by the forms, never by the database.

Every page of the app is opened by each role on a populated world; every form found on it is
sent back with each text field far longer than any column and each number beyond INTEGER.
No answer may be a 500, no value may reach the database's own refusal (logged as an error),
and no stored text may be longer than its column (SQLite would keep it silently).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urljoin

import lxml.html
import pytest
import sqlalchemy as sa
from flask import Flask

from app.db import db
from tests import test_access_matrix
from tests.test_access_matrix import ROLES, World, _client_for, _url, routes

LONG_TEXT = "a" * 600
LONG_EMAIL = "a" * 300 + "@exemple.fr"
HUGE_NUMBER = "9" * 20
TEXT_TYPES = {"text", "search", "tel", "url", "password", ""}
# Buttons that end the walk's own sessions or freeze what later forms edit.
SKIPPED_ACTIONS = ("/deconnexion", "/desactiver", "/effacement", "/publier", "/retirer")

world = test_access_matrix.world  # the fixture, shared with the access matrix


def _hostile_values(form: Any) -> dict[str, str]:
    """A value too long (or too large) for each text or number field of `form`."""
    values = {}
    for field in form.inputs:
        name = field.get("name")
        if not name:
            continue
        if field.tag == "textarea":
            values[name] = LONG_TEXT * 20
        elif field.tag == "input":
            kind = (field.get("type") or "").lower()
            if kind == "email":
                values[name] = LONG_EMAIL
            elif kind == "number" or (kind == "hidden" and (field.value or "").isdigit()):
                values[name] = HUGE_NUMBER  # ids and revisions travel in hidden fields
            elif kind in TEXT_TYPES:
                values[name] = LONG_EMAIL if "mail" in name else LONG_TEXT
    return values


def _submissions(form: Any) -> list[dict[str, Any]]:
    """The form as shown with one field made hostile at a time (so an otherwise valid edit
    form reaches its save), then with all of them at once."""
    hostile = _hostile_values(form)
    # Empty fields get a short plausible value, so one long field is the only fault.
    shown: dict[str, Any] = {
        name: ("court@exemple.fr" if "mail" in name else "Court") for name in hostile
    } | {name: value for name, value in form.form_values() if value}
    return [shown | {name: value} for name, value in hostile.items()] + [shown | hostile]


def _too_long_in_database() -> list[str]:
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            length = getattr(column.type, "length", None)
            if not isinstance(column.type, sa.String) or not length:
                continue
            longest = db.session.scalar(sa.select(sa.func.max(sa.func.length(column))))
            if longest and longest > length:
                found.append(f"{table.name}.{column.name}: {longest} > {length}")
    return found


def test_every_form_refuses_what_its_columns_cannot_hold(
    app: Flask, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    pages = [
        endpoint
        for endpoint, rule, methods in routes(app)
        if "GET" in methods and not rule.endswith((".pdf", ".json", "/telecharger", "/export"))
    ]
    problems: list[str] = []
    sent = 0
    for role in (None, *ROLES):
        client = _client_for(app, world.people[role] if role else None)
        for endpoint in pages:
            url = _url(app, endpoint, world.values)
            page = client.get(url)
            body = page.get_data()
            page.close()  # a streamed file (evidence) is closed here
            if page.status_code != 200 or "html" not in page.content_type:
                continue
            document = lxml.html.fromstring(body.decode())
            for form in document.forms:
                action = urljoin(url, form.get("action") or url)
                if (form.method or "GET").upper() != "POST" or any(
                    skipped in action for skipped in SKIPPED_ACTIONS
                ):
                    continue
                for data in _submissions(form):
                    response = client.post(action, data=data)
                    response.close()
                    sent += 1
                    if response.status_code >= 500:
                        problems.append(f"{role} POST {action} ({url}): {response.status_code}")
            client = _client_for(app, world.people[role] if role else None)  # after a logout
    assert sent > 100
    assert problems == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert _too_long_in_database() == []


def test_an_e_mail_too_long_for_its_column_is_refused_at_login(client: Any) -> None:
    response = client.post("/connexion", data={"email": LONG_EMAIL, "password": "x" * 12})
    assert response.status_code == 200
    assert "254 caractères au plus." in response.get_data(as_text=True)
