"""Server time of loading and saving a whole grid: 30 learners × 60 criteria.

Builds a cohort on a synthetic référentiel (one bloc of 10 competencies × 6 criteria, a
three-level scale) with 3 results of history per cell, then times through the Flask test
client, over --runs runs: GET of the grid page, and POST of the grid with every cell changed.
Prints the median and the 95th percentile in milliseconds.

    .venv/bin/python bench/grid_timing.py                      # a temporary SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_grid \\
        .venv/bin/python bench/grid_timing.py --reset          # a PostgreSQL database

The database is emptied first: a non-empty database is refused unless --reset is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.assessment.models import Result, ResultHead
from app.cohorts.models import AccessRoute, Cohort, Enrolment
from app.db import db, utcnow
from app.frameworks import services
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole

LEARNERS = 30
COMPETENCIES = 10
CRITERIA_EACH = 6
HISTORY = 3
FORM = "application/x-www-form-urlencoded"


def document() -> dict[str, Any]:
    """A valid référentiel with one bloc of 60 criteria."""
    return {
        "format": 1,
        "certification": {
            "code": "BENCH",
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
                            for k in range(1, CRITERIA_EACH + 1)
                        ],
                    }
                    for c in range(1, COMPETENCIES + 1)
                ],
            }
        ],
    }


def build() -> dict[str, Any]:
    """Create the cohort and its history; return what the measure needs."""
    version = services.import_document(document())
    services.publish(version)
    org = Organisation(name="Organisme de mesure", kind=OrganisationKind.TRAINING)
    trainers = [
        User(
            email=f"formateur{i}@mesure.test",
            full_name=f"Formateur·rice {i}",
            role_rows=[UserRole(role=Role.TRAINER)],
            organisations=[org],
        )
        for i in (1, 2)
    ]
    cohort = Cohort(
        name="Promotion de mesure",
        organisation=org,
        version=version,
        start_date=dt.date(2025, 1, 6),
        end_date=dt.date(2025, 12, 19),
        access_route=AccessRoute.CONTINUING_TRAINING,
        trainers=trainers,
    )
    learners = [
        User(
            email=f"apprenant{i}@mesure.test",
            full_name=f"Apprenant·e {i:02d} N'Diaye-Brûlé",
            role_rows=[UserRole(role=Role.LEARNER)],
        )
        for i in range(LEARNERS)
    ]
    enrolments = [Enrolment(cohort=cohort, learner=learner) for learner in learners]
    db.session.add_all([org, cohort, *learners, *enrolments])
    db.session.flush()
    criteria = [crit for comp in version.blocs[0].competencies for crit in comp.criteria]
    levels = [lvl.id for lvl in version.scale_levels]
    now = utcnow()
    rows = [
        {
            "enrolment_id": e.id,
            "criterion_id": c.id,
            "level_id": levels[(i + h) % len(levels)],
            "assessor_id": trainers[h % 2].id,
            "recorded_at": now,
            "source": "bench",
        }
        for h in range(HISTORY)
        for i, e in enumerate(enrolments)
        for c in criteria
    ]
    db.session.execute(sa.insert(Result), rows)
    latest = sa.select(
        Result.enrolment_id,
        Result.criterion_id,
        sa.func.max(Result.id).label("result_id"),
    ).group_by(Result.enrolment_id, Result.criterion_id)
    heads = [
        {"enrolment_id": e, "criterion_id": c, "result_id": r}
        for e, c, r in db.session.execute(latest)
    ]
    level_of = dict(db.session.execute(sa.select(Result.id, Result.level_id)).all())
    for head in heads:
        head["level_id"] = level_of[head["result_id"]]
    db.session.execute(sa.insert(ResultHead), heads)
    db.session.commit()
    return {
        "url": f"/promotions/{cohort.id}/grille/BC01",
        "login": trainers[0].get_id(),
        "levels": levels,
        "competencies": [comp.id for comp in version.blocs[0].competencies],
    }


def form_data(setup: dict[str, Any]) -> dict[str, str]:
    """The whole grid as a browser sends it, every cell changed to another level."""
    data = {"origin": "web"}
    levels = setup["levels"]
    for enrolment_id, criterion_id, result_id, level_id in db.session.execute(
        sa.select(
            ResultHead.enrolment_id,
            ResultHead.criterion_id,
            ResultHead.result_id,
            ResultHead.level_id,
        )
    ):
        new = levels[(levels.index(level_id) + 1) % len(levels)]
        data[f"c-{enrolment_id}-{criterion_id}"] = str(new)
        data[f"h-{enrolment_id}-{criterion_id}"] = str(result_id)
    # No comment is written by the bench: each comment box is sent empty, as loaded.
    for enrolment_id in db.session.scalars(sa.select(Enrolment.id)):
        for competency_id in setup["competencies"]:
            data[f"m-{enrolment_id}-{competency_id}"] = ""
            data[f"mh-{enrolment_id}-{competency_id}"] = "0"
    db.session.rollback()
    return data


def milliseconds(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="empty a non-empty database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            WTF_CSRF_ENABLED=False,
            INSTANCE_DIR=Path(tmp) / "instance",
        )
        with app.app_context():
            if sa.inspect(db.engine).get_table_names() and not args.reset:
                sys.exit(f"{url} n'est pas vide : relancez avec --reset pour l'effacer")
            db.drop_all()
            db.create_all()
            setup = build()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = setup["login"]
        loads, saves = [], []
        size = 0
        for run in range(args.runs + 2):  # two warm-up runs
            start = time.perf_counter()
            page = client.get(setup["url"])
            elapsed = time.perf_counter() - start
            assert page.status_code == 200, page.status_code
            size = len(page.data)
            with app.app_context():
                body = urlencode(form_data(setup))  # encoded outside the timing
            start = time.perf_counter()
            response = client.post(setup["url"], data=body, content_type=FORM)
            saved = time.perf_counter() - start
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
            if run >= 2:
                loads.append(elapsed)
                saves.append(saved)
        with app.app_context():
            results = db.session.scalar(sa.select(sa.func.count(Result.id)))
            engine = db.engine.dialect.name
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    cells = LEARNERS * COMPETENCIES * CRITERIA_EACH
    print(
        f"{engine} : grille {LEARNERS} × {COMPETENCIES * CRITERIA_EACH} ({cells} cellules), "
        f"{args.runs} mesures, page de {size / 1024:.0f} Kio, {results} résultats en base"
    )
    print(f"  chargement (GET)                      {milliseconds(loads)}")
    print(f"  enregistrement (POST, tout modifié)   {milliseconds(saves)}")


if __name__ == "__main__":
    main()
