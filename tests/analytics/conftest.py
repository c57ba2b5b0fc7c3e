"""A small pilot whose rates can be computed by hand, built through the real services.

Référentiel: scale NA / EC / A (only A counts as acquired), rule "all criteria";
bloc BC01 = C1.1 (a, b) + C1.2 (a, b), bloc BC02 = C2.1 (a, b).
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask_babel import force_locale

from app.assessment.grid import current_heads, load_grid
from app.assessment.inputs import CellInput
from app.assessment.saving import save_grid
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.frameworks.models import Criterion, FrameworkVersion
from app.people.models import Organisation, OrganisationKind, Role, User
from tests.factories import new_cohort

Values = dict[str, str | None]  # criterion code → level code (None: cleared)


@pytest.fixture
def analytics_doc(two_blocs_doc: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(two_blocs_doc)
    doc["certification"]["code"] = "ANALYSE"
    return doc


@dataclass
class Pilot:
    version: FrameworkVersion
    org: Organisation
    coordinator: User
    trainer: User
    criteria: dict[str, Criterion] = field(default_factory=dict)
    levels: dict[str, int] = field(default_factory=dict)
    counter: list[int] = field(default_factory=lambda: [0])


@pytest.fixture
def pilot(db_session: Any, create_user: Any, create_version: Any, analytics_doc: Any) -> Pilot:
    """A published version, an organisation with a coordinator and a trainer."""
    version = create_version(analytics_doc, publish=True)
    org = Organisation(name="Coopérative d'Analyse", kind=OrganisationKind.TRAINING)
    db_session.add(org)
    db_session.commit()
    return Pilot(
        version=version,
        org=org,
        coordinator=create_user(Role.COORDINATOR, name="Claire Coord", organisations=[org]),
        trainer=create_user(Role.TRAINER, name="Théo Formateur", organisations=[org]),
        criteria={
            crit.code: crit
            for bloc in version.blocs
            for comp in bloc.competencies
            for crit in comp.criteria
        },
        levels={lvl.code: lvl.id for lvl in version.scale_levels},
    )


@pytest.fixture
def make_cohort(db_session: Any, create_user: Any, pilot: Pilot) -> Callable[..., Cohort]:
    """A cohort of `pilot`'s organisation whose trainers are `trainers` (default: the pilot's
    trainer), with learners named in `learners`."""

    def make(
        learners: list[str],
        *,
        route: AccessRoute = AccessRoute.CONTINUING_TRAINING,
        org: Organisation | None = None,
        trainers: list[User] | None = None,
        version: FrameworkVersion | None = None,
    ) -> Cohort:
        pilot.counter[0] += 1
        cohort = new_cohort(
            db_session,
            org or pilot.org,
            version or pilot.version,
            f"Promotion {pilot.counter[0]}",
            [pilot.trainer] if trainers is None else trainers,
            start_date=dt.date(2025, 1, 6) + dt.timedelta(days=pilot.counter[0]),
            end_date=dt.date(2025, 12, 19),
            access_route=route,
        )
        for name in learners:
            db_session.add(Enrolment(cohort=cohort, learner=create_user(Role.LEARNER, name=name)))
        db_session.commit()
        return cohort

    return make


@pytest.fixture
def record(db_session: Any, pilot: Pilot) -> Callable[[Cohort, dict[str, Values]], None]:
    """Save results through the grid service: {learner name: {criterion code: level code}};
    each value is a new result in the cell's history."""

    def save(cohort: Cohort, values: dict[str, Values], assessor: User | None = None) -> None:
        enrolments = {e.learner.full_name: e for e in cohort.enrolments}
        by_bloc: dict[str, list[tuple[int, int, str | None]]] = {}
        for name, cells in values.items():
            for code, level in cells.items():
                crit = pilot.criteria[code]
                by_bloc.setdefault(crit.competency.bloc.code, []).append(
                    (enrolments[name].id, crit.id, level)
                )
        for bloc_code, cells in by_bloc.items():
            grid = load_grid(cohort, bloc_code)
            assert grid is not None
            heads = current_heads(grid)
            inputs = [
                CellInput(
                    e,
                    c,
                    pilot.levels[level] if level else None,
                    heads[(e, c)].result_id if (e, c) in heads else 0,
                )
                for e, c, level in cells
            ]
            with force_locale("fr"):
                assert save_grid(grid, assessor or pilot.trainer, inputs).saved
        db_session.commit()

    return save


def set_status(db_session: Any, cohort: Cohort, name: str, status: EnrolmentStatus) -> None:
    enrolment = next(e for e in cohort.enrolments if e.learner.full_name == name)
    enrolment.status = status
    db_session.commit()


ALL_A = {code: "A" for code in ("C1.1.a", "C1.1.b", "C1.2.a", "C1.2.b", "C2.1.a", "C2.1.b")}


@pytest.fixture
def small_cohort(db_session: Any, make_cohort: Any, record: Any, pilot: Pilot) -> Cohort:
    """Four active learners (Dora certified), one who withdrew; the rates in
    test_rates.py are computed by hand from these values."""
    cohort = make_cohort(
        ["Anaïs Brûlé", "Bruno N'Diaye", "Chloé Œuvray", "Dora Da Silva", "Émile Parti"]
    )
    record(
        cohort,
        {
            "Anaïs Brûlé": {
                "C1.1.a": "A",
                "C1.1.b": "A",
                "C1.2.a": "A",
                "C1.2.b": "NA",
                "C2.1.a": "A",
                "C2.1.b": "A",
            },
            "Bruno N'Diaye": {"C1.1.a": "A", "C1.1.b": "EC", "C1.2.a": "NA", "C1.2.b": "NA"},
            "Chloé Œuvray": {"C1.1.a": "A", "C1.1.b": "A", "C1.2.a": "A"},
            "Dora Da Silva": ALL_A,
            "Émile Parti": {code: "NA" for code in ALL_A},
        },
    )
    # History: Chloé's C1.2.a is corrected to NA; only the current value counts.
    record(cohort, {"Chloé Œuvray": {"C1.2.a": "NA"}})
    set_status(db_session, cohort, "Dora Da Silva", EnrolmentStatus.CERTIFIED)
    set_status(db_session, cohort, "Émile Parti", EnrolmentStatus.WITHDRAWN)
    return cohort
