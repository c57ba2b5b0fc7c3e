"""What a save compares with: the values each cell and comment was loaded with, known from the
current heads and latest comments, and read by id only when stale (and then checked to belong
to that very cell or comment)."""

from __future__ import annotations

from typing import Any

from app.assessment.models import CompetencyComment, Result
from tests.assessment.conftest import World
from tests.factories import count_rows


def test_a_comment_loaded_with_another_learners_comment_is_refused(
    client: Any, world: World, login: Any, load_grid_form: Any, db_session: Any
) -> None:
    comp = world.bloc.competencies[0]
    mine, theirs = (f"{e.id}-{comp.id}" for e in world.enrolments[:2])
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    data[f"m-{theirs}"] = "Un commentaire sur quelqu'un d'autre."
    assert client.post(world.grid_url, data=data).status_code == 302
    data = load_grid_form(world.grid_url)
    data[f"mh-{mine}"] = data[f"mh-{theirs}"]  # an id from elsewhere, as a crafted form would
    data[f"m-{mine}"] = "Réécrit."
    comments, results = count_rows(db_session, CompetencyComment), count_rows(db_session, Result)
    response = client.post(world.grid_url, data=data)
    assert response.status_code == 400
    assert "ne correspond à aucun commentaire connu" in response.get_data(as_text=True)
    assert count_rows(db_session, CompetencyComment) == comments
    assert count_rows(db_session, Result) == results


def test_a_cell_loaded_with_an_older_result_of_its_own_compares_with_that_value(
    client: Any, world: World, login: Any, load_grid_form: Any, db_session: Any
) -> None:
    """A page loaded before two saves: the cell's loaded result is no longer its head, so its
    loaded level is read; sent unchanged, it records nothing (no conflict either)."""
    learner, crit = world.enrolments[0], world.criteria[0]
    cell = f"{learner.id}-{crit.id}"
    login(world.trainer_a)
    data = load_grid_form(world.grid_url)
    data[f"c-{cell}"] = str(world.levels["NA"].id)
    assert client.post(world.grid_url, data=data).status_code == 302
    old_page = load_grid_form(world.grid_url)
    data = load_grid_form(world.grid_url)
    data[f"c-{cell}"] = str(world.levels["A"].id)
    assert client.post(world.grid_url, data=data).status_code == 302
    before = count_rows(db_session, Result)
    assert client.post(world.grid_url, data=old_page).status_code == 302
    assert count_rows(db_session, Result) == before
