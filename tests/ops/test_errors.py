"""Bad input never yields a 500: huge ids, an unreachable database, error pages in the layout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import IntegerConverter

from app import create_app
from app.errors import MAX_ID
from tests.test_access_matrix import _client_for

HUGE = 10**20
# Sample values for the URL parameters that are not ids.
TEXT_VALUES = {
    "cert_code": "MINI",
    "label": "v1",
    "kind": "bloc",
    "token": "lien-inconnu",
    "bloc_code": "BC01",
    "horizon": "6m",
    "code": "ABCD-EFGH-JKMN-PQRS",
}


def _int_routes(app: Flask) -> list[tuple[str, str, str, list[str]]]:
    """(endpoint, rule, method, int parameters) of every route taking an id."""
    out = []
    for rule in app.url_map.iter_rules():
        ints = [n for n, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if not ints:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, rule.rule, method, ints))
    return sorted(out)


def _url(app: Flask, endpoint: str, ints: list[str], value: int) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    path = rule.rule
    for name in rule.arguments:
        sample = str(value) if name in ints else TEXT_VALUES[name]
        path = path.replace(f"<int:{name}>", sample).replace(f"<{name}>", sample)
    return path


@pytest.fixture
def everyone(create_user: Any, organisation: Any, version: Any) -> Any:
    """One person holding every role, so every route runs past its role check."""
    return create_user("coordinator", "trainer", "learner", "jury", organisations=[organisation])


def _call(client: Any, method: str, url: str) -> int:
    response = client.get(url) if method == "GET" else client.post(url, data={})
    response.get_data()
    response.close()
    return response.status_code


def test_every_id_parameter_is_walked(app: Flask) -> None:
    assert len(_int_routes(app)) > 40
    for endpoint, _rule, _method, ints in _int_routes(app):
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
        assert set(rule.arguments) - set(ints) <= set(TEXT_VALUES), endpoint


@pytest.mark.parametrize("value", [HUGE, 2**63, MAX_ID + 1])
def test_ids_beyond_the_integer_range_are_not_found(app: Flask, everyone: Any, value: int) -> None:
    client = _client_for(app, everyone)
    answers = {
        f"{method} {_url(app, endpoint, ints, value)}": _call(
            client, method, _url(app, endpoint, ints, value)
        )
        for endpoint, _rule, method, ints in _int_routes(app)
    }
    assert {k: v for k, v in answers.items() if v != 404} == {}


def test_the_largest_id_reaches_the_database_without_error(
    app: Flask, everyone: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """MAX_ID passes the converter: every view must look it up and answer 4xx, never 500,
    and never lean on the handler of values the database refuses."""
    client = _client_for(app, everyone)
    answers = {}
    for endpoint, _rule, method, ints in _int_routes(app):
        url = _url(app, endpoint, ints, MAX_ID)
        answers[f"{method} {url}"] = _call(client, method, url)
    assert {k: v for k, v in answers.items() if v >= 500} == {}
    assert 404 in answers.values()
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []


@pytest.mark.parametrize(
    "url",
    [
        f"/me/historique?page={HUGE}",
        f"/me/attestation.pdf?inscription={HUGE}",
        f"/exports?page={HUGE}",
        f"/exports?page=-{HUGE}",
    ],
)
def test_huge_numbers_in_the_query_string(app: Flask, everyone: Any, url: str) -> None:
    assert _call(_client_for(app, everyone), "GET", url) < 500


# --- the database is down --------------------------------------------------------------------

UNREACHABLE_PAGES = [
    ("GET", "/", None),
    ("GET", "/referentiels/MINI/v1", None),
    ("POST", "/connexion", {"email": "claire@exemple.fr", "password": "motdepasse-solide-42"}),
    ("GET", "/verifier/ABCD-EFGH-JKMN-PQRS", None),
    ("GET", "/promotions", "user"),
    ("GET", "/promotions/1", "user"),
    ("POST", "/promotions/1/grille/BC01", "user"),
    ("GET", "/me", "user"),
]


@pytest.fixture(params=["closed-port", "unreadable-sqlite"])
def unreachable_app(request: Any, tmp_path: Path) -> Flask:
    url = {
        # Nothing listens on port 1: the connection is refused at once.
        "closed-port": "postgresql+psycopg://postgres@127.0.0.1:1/absente?connect_timeout=2",
        "unreadable-sqlite": f"sqlite:///{tmp_path}/pas/de/dossier/app.sqlite3",
    }[request.param]
    return create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=url,
        WTF_CSRF_ENABLED=False,
        INSTANCE_DIR=tmp_path / "instance",
    )


@pytest.mark.parametrize(("method", "url", "data"), UNREACHABLE_PAGES)
def test_an_unreachable_database_answers_503_in_the_layout(
    unreachable_app: Flask, method: str, url: str, data: Any
) -> None:
    client = unreachable_app.test_client()
    if data == "user":
        with client.session_transaction() as session:
            session["_user_id"] = "1:0"
            session["_fresh"] = True
        data = {}
    response = client.open(url, method=method, data=data)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    page = response.get_data(as_text=True)
    assert "Service momentanément indisponible" in page
    assert 'class="site-header"' in page  # the site's layout
    assert "Traceback" not in page and "OperationalError" not in page


def test_an_unreachable_database_answers_json_to_json_clients(unreachable_app: Flask) -> None:
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:0"
    response = client.get("/exports/1/statut", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"] == 503


# --- error pages -------------------------------------------------------------------------------


@pytest.fixture
def production_app(tmp_path: Path) -> Flask:
    """A production app (no debug, exceptions not propagated) with a view that fails."""
    app = create_app(
        "production",
        SECRET_KEY="x" * 32,
        PUBLIC_URL="http://localhost",  # the test client's host
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/app.sqlite3",
        INSTANCE_DIR=tmp_path / "instance",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )

    def broken() -> str:
        raise RuntimeError("secret detail of the failure")

    app.add_url_rule("/casse", "broken", broken)
    return app


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "code", "title"),
    [
        ("GET", "/casse", {}, 500, "Erreur interne"),
        ("GET", "/page-qui-n-existe-pas", {}, 404, "Page introuvable"),
        ("GET", "/deconnexion", {}, 405, "Méthode non autorisée"),
        ("POST", "/connexion", {"data": {"email": "a@b.fr"}}, 400, "Requête invalide"),
        ("POST", "/connexion", {"data": b"x" * (2 * 1024 * 1024)}, 413, "trop volumineux"),
    ],
)
def test_error_pages_in_the_layout_without_traceback(
    production_app: Flask, method: str, url: str, kwargs: Any, code: int, title: str
) -> None:
    response = production_app.test_client().open(url, method=method, **kwargs)
    assert response.status_code == code
    page = response.get_data(as_text=True)
    assert title in page
    assert 'class="site-header"' in page and 'lang="fr"' in page
    assert "Traceback" not in page and "secret detail" not in page


def test_forbidden_page(client: Any, login: Any, create_user: Any) -> None:
    login(create_user("learner"))
    response = client.get("/journal")
    assert response.status_code == 403
    assert "Accès refusé" in response.get_data(as_text=True)
