"""The health check touches the database."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def test_health_ok(client: Any) -> None:
    response = client.get("/sante")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": True}


def test_health_reports_a_broken_database(client: Any, monkeypatch: Any) -> None:
    from app.db import db

    def broken(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connexion refusée"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/sante")
    assert response.status_code == 503
    assert response.get_json()["database"] is False
