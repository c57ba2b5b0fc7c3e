"""The site header: links by role, login state, aria-current, escaping."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, render_template_string


def nav(html: str) -> str:
    return html[html.index('<header class="site-header">') : html.index("</header>")]


def test_logged_out_header(client: Any) -> None:
    header = nav(client.get("/").get_data(as_text=True))
    assert 'href="/connexion"' in header and "Se connecter" in header
    assert "Se déconnecter" not in header and "Comptes" not in header
    login_page = nav(client.get("/connexion").get_data(as_text=True))
    assert '<a href="/connexion" aria-current="page">Se connecter</a>' in login_page


def test_learner_header(client: Any, create_user: Any, login: Any) -> None:
    login(create_user("learner", name="Awa Diallo"))
    header = nav(client.get("/").get_data(as_text=True))
    assert "Awa Diallo" in header and "Se déconnecter" in header
    assert '<a href="/" aria-current="page">Référentiels</a>' in header
    assert 'action="/deconnexion"' in header and 'name="csrf_token"' in header
    assert "Comptes" not in header and "Journal" not in header and "Se connecter" not in header


def test_coordinator_header(client: Any, create_user: Any, login: Any) -> None:
    login(create_user("coordinator"))
    header = nav(client.get("/comptes").get_data(as_text=True))
    assert '<a href="/comptes" aria-current="page">Comptes</a>' in header
    assert '<a href="/journal">Journal</a>' in header
    assert '<a href="/" >' not in header


@pytest.mark.parametrize(
    ("role", "endpoint", "label"),
    [
        ("coordinator", "cohorts.index", "Promotions"),
        ("trainer", "cohorts.index", "Promotions"),
        ("learner", "progress.me", "Mon parcours"),
        ("coordinator", "editor.index", "Édition des référentiels"),
    ],
)
def test_links_to_other_features_only_when_they_exist(
    app: Flask, client: Any, create_user: Any, login: Any, role: str, endpoint: str, label: str
) -> None:
    login(create_user(role))
    header = nav(client.get("/").get_data(as_text=True))
    if endpoint in app.view_functions:
        with app.test_request_context():
            from flask import url_for

            assert f'href="{url_for(endpoint)}"' in header and label in header
    else:
        assert label not in header


def test_has_endpoint(app: Flask) -> None:
    with app.test_request_context():
        rendered = render_template_string(
            "{{ has_endpoint('people.login') }} {{ has_endpoint('nulle.part') }}"
        )
    assert rendered == "True False"


def test_name_is_escaped_in_the_header(client: Any, create_user: Any, login: Any) -> None:
    login(create_user("learner", name="<img src=x onerror=alert(1)>"))
    header = nav(client.get("/").get_data(as_text=True))
    assert "<img" not in header and "&lt;img src=x onerror=alert(1)&gt;" in header


def test_security_headers_on_login_page(client: Any) -> None:
    response = client.get("/connexion")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
