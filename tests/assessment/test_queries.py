"""The grid page and a grid save run a fixed number of SQL statements, whatever the size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from app.assessment.models import Result
from app.frameworks import documents
from tests.assessment.conftest import World
from tests.conftest import REAL_FILES


@dataclass
class Plain:
    """What the measure needs, read before counting (counting ends the test's session)."""

    url: str
    user_id: str
    levels: dict[str, int]
    enrolment_ids: list[int]
    cells: int

    def get_id(self) -> str:
        return self.user_id


def plain(world: World) -> Plain:
    return Plain(
        world.grid_url,
        world.trainer_a.get_id(),
        {code: lvl.id for code, lvl in world.levels.items()},
        [e.id for e in world.enrolments],
        len(world.enrolments) * len(world.criteria),
    )


def fill(world: Plain, data: dict[str, str], level: str, comment: str) -> dict[str, str]:
    """Every cell set to `level`, every comment to `comment`."""
    for name in data:
        if name.startswith("c-"):
            data[name] = str(world.levels[level])
        elif name.startswith("m-"):
            data[name] = comment
    return data


def measure(
    world: Plain, client: Any, login: Any, load_grid_form: Any, count_queries: Any
) -> tuple[int, int]:
    login(world)
    # Some history first: every cell and comment already has a value.
    first = fill(world, load_grid_form(world.url), "NA", "Début")
    assert client.post(world.url, data=first).status_code == 302
    with count_queries() as page:
        assert client.get(world.url).status_code == 200
    data = fill(world, load_grid_form(world.url), "A", "Fin")
    with count_queries() as save:
        assert client.post(world.url, data=data).status_code == 302
    return page.count, save.count


def test_grid_queries_do_not_grow(
    client: Any,
    make_world: Any,
    login: Any,
    load_grid_form: Any,
    count_queries: Any,
    db_session: Any,
) -> None:
    small = plain(make_world())  # 3 learners × 4 criteria
    large = plain(make_world(documents.load(REAL_FILES[0]), learners=30, bloc_code="BC02"))
    assert large.cells == 30 * 19
    small_counts = measure(small, client, login, load_grid_form, count_queries)
    large_counts = measure(large, client, login, load_grid_form, count_queries)
    assert small_counts == large_counts
    page, save = small_counts
    # 3 to load the user, 2 for the cohort and its version (whose structure is in memory once
    # the first request read it), 1 for the learners, then the learners' cells on every bloc
    # (with disagreement flags: they give the statuses too), comments and jury decisions; a
    # save adds its checks, locks, one statement per table and the disagreements.
    assert (page, save) == (11, 14), small_counts
    saved = db_session.scalar(
        sa.select(sa.func.count(Result.id)).where(Result.enrolment_id.in_(large.enrolment_ids))
    )
    assert saved == 2 * large.cells
