"""Evaluation sessions: planned per cohort, for one bloc, its modality, the cohort's trainers."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.assessment.models import EvaluationSession
from app.people.models import AuditEvent
from tests.assessment.conftest import World


@pytest.fixture
def world2(make_world: Any, two_blocs_doc: dict[str, Any]) -> World:
    return make_world(two_blocs_doc)


def form(world: World, **changes: Any) -> dict[str, Any]:
    data = {
        "session_date": "2025-06-12",
        "title": "Mise en situation — groupe 1",
        "bloc_id": world.bloc.id,
        "modality_id": world.bloc.modalities[0].id,
        "assessors": [world.trainer_a.id, world.trainer_b.id],
    }
    data.update(changes)
    return data


def test_the_page_lists_grids_and_exports(client: Any, world2: World, login: Any) -> None:
    login(world2.trainer_a)
    html = client.get(f"/promotions/{world2.cohort.id}/evaluations").get_data(as_text=True)
    for bloc in world2.version.blocs:
        assert f"/promotions/{world2.cohort.id}/grille/{bloc.code}" in html
    assert f"/promotions/{world2.cohort.id}/resultats?format=xlsx" in html
    assert escape(world2.trainer_b.full_name) in html


@pytest.mark.parametrize("who", ["trainer_a", "coordinator"])
def test_create_a_session(
    who: str, client: Any, world2: World, login: Any, db_session: Any
) -> None:
    login(getattr(world2, who))
    url = f"/promotions/{world2.cohort.id}/evaluations"
    response = client.post(url, data=form(world2))
    assert response.status_code == 302
    session = db_session.scalars(sa.select(EvaluationSession)).one()
    assert response.headers["Location"].endswith(
        f"/promotions/{world2.cohort.id}/grille/BC01?session={session.id}"
    )
    assert session.title == "Mise en situation — groupe 1"
    assert session.modality_id == world2.bloc.modalities[0].id
    assert {a.id for a in session.assessors} == {world2.trainer_a.id, world2.trainer_b.id}
    assert db_session.scalar(
        sa.select(AuditEvent).where(AuditEvent.action == "assessment.session.create")
    )
    html = client.get(url).get_data(as_text=True)
    assert "12/06/2025" in html and "Mise en situation — groupe 1" in html
    grid = client.get(f"/promotions/{world2.cohort.id}/grille/BC01").get_data(as_text=True)
    assert "Mise en situation — groupe 1" in grid


def test_bad_sessions_are_refused(client: Any, world2: World, login: Any, db_session: Any) -> None:
    login(world2.trainer_a)
    url = f"/promotions/{world2.cohort.id}/evaluations"
    other_bloc = next(b for b in world2.version.blocs if b.code == "BC02")
    cases = [
        (
            form(world2, modality_id=other_bloc.modalities[0].id),
            "Choisissez une modalité du bloc BC01",
        ),
        (
            form(world2, assessors=[world2.coordinator.id]),
            "n'est pas un choix valide pour ce champ",
        ),
        (form(world2, assessors=[]), "Choisissez au moins un·e évaluateur·rice"),
        (form(world2, session_date=""), "Indiquez la date"),
        (form(world2, title="x" * 201), "200 caractères au plus"),
        (form(world2, bloc_id=999999), "N'est pas un choix valide"),
    ]
    for data, message in cases:
        response = client.post(url, data=data)
        assert response.status_code == 400, message
        html = response.get_data(as_text=True)
        assert message in html or escape(message) in html, message
    assert db_session.scalar(sa.select(sa.func.count(EvaluationSession.id))) == 0
