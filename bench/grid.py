"""The benchmark's grids: a cohort of 30 learners on a synthetic bloc of 60 criteria with a
3-deep history per cell, what the browser posts to save it, and the offline workbook."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import sqlalchemy as sa
from openpyxl import load_workbook

from app.assessment.models import ResultHead
from app.assessment.recording import NewResult, record_results
from app.assessment.xlsx import FIRST_COLUMN, FIRST_ROW, GRID_SHEET
from app.cohorts.models import AccessRoute, Cohort, Enrolment
from app.db import db
from app.frameworks import services
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole

GRID_LEARNERS, GRID_COMPETENCIES, GRID_CRITERIA_EACH, GRID_HISTORY = 30, 10, 6, 3
GRID_COHORT = "Grille de mesure 30×60"
GRID_TRAINER = "grille@bench.cooperation.test"


def grid_document() -> dict[str, Any]:
    """A valid référentiel with one bloc of 10 competencies × 6 criteria, 3 levels."""
    return {
        "format": 1,
        "certification": {
            "code": "GRID60",
            "title": "Certification de mesure",
            "level": 5,
            "certifier": {"name": "Organisme de mesure"},
        },
        "version": {"label": "v1"},
        "scale": {
            "competency_rule": "all",
            "levels": [
                {"code": "NA", "label": "Non acquis", "acquired": False},
                {"code": "EC", "label": "En cours d’acquisition", "acquired": False},
                {"code": "A", "label": "Acquis", "acquired": True},
            ],
        },
        "activity_domains": [
            {"code": "D1", "title": "Coopérer", "activities": [{"code": "A1", "title": "Animer"}]}
        ],
        "blocs": [
            {
                "code": "BC01",
                "title": "Animer une coopération territoriale",
                "optional": False,
                "modalities": [{"code": "M1", "title": "Mise en situation professionnelle"}],
                "competencies": [
                    {
                        "code": f"C{c:02d}",
                        "statement": f"Compétence {c} afin de faire coopérer les acteurs",
                        "activities": ["A1"],
                        "criteria": [
                            {
                                "code": f"C{c:02d}.{k}",
                                "statement": f"Critère observable {k} de la compétence {c}",
                            }
                            for k in range(1, GRID_CRITERIA_EACH + 1)
                        ],
                    }
                    for c in range(1, GRID_COMPETENCIES + 1)
                ],
            }
        ],
    }


def grid_cohort(name: str = GRID_COHORT) -> dict[str, Any]:
    """A 30 × 60 grid: a cohort of 30 learners on a synthetic bloc of 60 criteria, 3 results
    per cell; the one called `name`, made when missing."""
    cohort = db.session.scalar(sa.select(Cohort).where(Cohort.name == name))
    if cohort is None:
        cohort = new_grid_cohort(name)
    version = cohort.version
    return {
        "cohort": cohort,
        "url": f"/promotions/{cohort.id}/grille/{version.blocs[0].code}",
        "trainer": cohort.trainers[0],
        "levels": [lvl.id for lvl in version.scale_levels],
        "competencies": [c.id for c in version.blocs[0].competencies],
    }


def new_grid_cohort(name: str) -> Cohort:
    trainer = db.session.scalar(sa.select(User).where(User.email == GRID_TRAINER))
    if trainer is None:
        version = services.import_document(grid_document())
        services.publish(version)
        org = Organisation(name="Organisme grille 30×60", kind=OrganisationKind.TRAINING)
        trainer = User(
            email=GRID_TRAINER,
            full_name="Formateur grille",
            role_rows=[UserRole(role=Role.TRAINER)],
            organisations=[org],
        )
        db.session.add(trainer)
    else:
        version = services.load_version("GRID60")
        org = trainer.organisations[0]
    cohort = Cohort(
        name=name,
        organisation=org,
        version=version,
        start_date=dt.date(2026, 1, 5),
        end_date=dt.date(2026, 12, 18),
        access_route=AccessRoute.CONTINUING_TRAINING,
        trainers=[trainer],
    )
    db.session.add(cohort)
    db.session.flush()
    learners = [
        User(
            email=f"grille{cohort.id}-{i}@bench.cooperation.test",
            full_name=f"Apprenant·e {i}",
            role_rows=[UserRole(role=Role.LEARNER)],
        )
        for i in range(GRID_LEARNERS)
    ]
    enrolments = [Enrolment(cohort=cohort, learner=u) for u in learners]
    db.session.add_all([*learners, *enrolments])
    db.session.flush()
    criteria = [k.id for c in version.blocs[0].competencies for k in c.criteria]
    levels = [lvl.id for lvl in version.scale_levels]
    record_results(
        [
            NewResult(e.id, k, levels[(i + h) % 3], trainer.id, source="bench")
            for h in range(GRID_HISTORY)
            for i, e in enumerate(enrolments)
            for k in criteria
        ]
    )
    db.session.commit()
    return cohort


def grid_form(grid: dict[str, Any]) -> dict[str, str]:
    """The whole grid as the browser posts it, every cell moved to another level."""
    data = {"origin": "web"}
    levels = grid["levels"]
    ids = [e.id for e in grid["cohort"].enrolments]
    for h in _heads(ids):
        data[f"c-{h.enrolment_id}-{h.criterion_id}"] = str(_next_level(levels, h.level_id))
        data[f"h-{h.enrolment_id}-{h.criterion_id}"] = str(h.result_id)
    for e in ids:
        for c in grid["competencies"]:
            data[f"m-{e}-{c}"] = ""
            data[f"mh-{e}-{c}"] = "0"
    return data


def filled_workbook(client: Any, url: str) -> bytes:
    """The grid exported for offline use, every cell then moved to another level, as a trainer
    would bring it back."""
    response = client.get(url + "/export?format=xlsx")
    assert response.status_code == 200, response.status_code
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book[GRID_SHEET]
    labels = ["Non acquis", "En cours d’acquisition", "Acquis"]
    for row in sheet.iter_rows(min_row=FIRST_ROW, min_col=FIRST_COLUMN):
        for cell in row:
            if cell.value in labels:
                cell.value = labels[(labels.index(cell.value) + 1) % len(labels)]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _heads(enrolment_ids: list[int]) -> list[Any]:
    return list(
        db.session.execute(
            sa.select(
                ResultHead.enrolment_id,
                ResultHead.criterion_id,
                ResultHead.result_id,
                ResultHead.level_id,
            ).where(ResultHead.enrolment_id.in_(enrolment_ids))
        )
    )


def _next_level(levels: list[int], level_id: int | None) -> int:
    return levels[(levels.index(level_id) + 1) % len(levels)] if level_id else levels[0]


def moved_cells(grid: dict[str, Any]) -> list[tuple[int, int, int]]:
    """Every cell of the grid moved to another level, as (learner, criterion, level)."""
    levels = grid["levels"]
    return [
        (h.enrolment_id, h.criterion_id, _next_level(levels, h.level_id))
        for h in _heads([e.id for e in grid["cohort"].enrolments])
    ]
