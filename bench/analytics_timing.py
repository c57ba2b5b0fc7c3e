"""Server time of the analytics pages, on the demo pilot and on ten times more.

Builds the demo (`app.demo`: two cohorts of 16 and 14 learners on the real frameworks, 61 and
64 criteria, with their results and a closed jury) and times through the Flask test client, as
the coordinator, over --runs runs: the cohort analytics page of the finished cohort, its heat
map as CSV, and the comparison page of its framework version. Then makes every cohort ten times
larger: new learners, each with a history of three results (NA → EC → final value) on every
criterion, and times again. Prints the median and the 95th percentile in milliseconds.

    .venv/bin/python bench/analytics_timing.py                   # a temporary SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_analytics \\
        .venv/bin/python bench/analytics_timing.py --reset       # a PostgreSQL database

The database is emptied first: a non-empty database is refused unless --reset is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.assessment.grid import load_version
from app.assessment.models import Result, ResultHead
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.demo import build_demo, plan_demo
from app.people.models import Role, User, UserRole

HISTORY = 3
FACTOR = 10
CHUNK = 5000


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])


def generate_results(enrolment_ids: list[int], rng: random.Random) -> int:
    """Give each of these enrolments a history of HISTORY results on every criterion of its
    cohort's version, and point the cells' heads at the latest; return the results added."""
    rows = db.session.execute(
        sa.select(Enrolment.id, Cohort.version_id, Cohort.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Enrolment.id.in_(enrolment_ids))
    ).all()
    trainers = {
        cohort.id: cohort.trainers[0].id for cohort in db.session.scalars(sa.select(Cohort))
    }
    versions = {v: load_version(v) for v in {version_id for _e, version_id, _c in rows}}
    # How likely each criterion ends acquired: most often, a few rarely.
    chance = {
        crit.id: rng.choice((0.2, 0.5, 0.8, 0.9, 0.9))
        for version in versions.values()
        for bloc in version.blocs
        for comp in bloc.competencies
        for crit in comp.criteria
    }
    now = utcnow()
    results = []
    for enrolment_id, version_id, cohort_id in rows:
        version = versions[version_id]
        na, ec, acquired = (lvl.id for lvl in version.scale_levels)
        for bloc in version.blocs:
            for comp in bloc.competencies:
                for crit in comp.criteria:
                    final = acquired if rng.random() < chance[crit.id] else rng.choice((na, ec))
                    for level in (na, ec, final)[-HISTORY:]:
                        results.append(
                            {
                                "enrolment_id": enrolment_id,
                                "criterion_id": crit.id,
                                "level_id": level,
                                "assessor_id": trainers[cohort_id],
                                "recorded_at": now,
                                "source": "bench",
                            }
                        )
    _insert(Result, results)
    latest = (
        sa.select(
            Result.enrolment_id,
            Result.criterion_id,
            sa.func.max(Result.id).label("result_id"),
        )
        .where(Result.enrolment_id.in_(enrolment_ids))
        .group_by(Result.enrolment_id, Result.criterion_id)
        .subquery()
    )
    heads = [
        {"enrolment_id": e, "criterion_id": c, "result_id": r, "level_id": lvl}
        for e, c, r, lvl in db.session.execute(
            sa.select(
                latest.c.enrolment_id, latest.c.criterion_id, latest.c.result_id, Result.level_id
            ).join(Result, Result.id == latest.c.result_id)
        )
    ]
    _insert(ResultHead, heads)
    return len(results)


def grow(factor: int) -> list[int]:
    """Make each cohort `factor` times larger; return the new enrolments' ids."""
    added = []
    for cohort in db.session.scalars(sa.select(Cohort).order_by(Cohort.id)):
        size = len(cohort.enrolments)
        for n in range(size * (factor - 1)):
            learner = User(
                email=f"mesure{cohort.id}-{n}@analyse.test",
                full_name=f"Apprenant·e de mesure {n:04d}",
                role_rows=[UserRole(role=Role.LEARNER)],
            )
            status = EnrolmentStatus.WITHDRAWN if n % 15 == 14 else EnrolmentStatus.ENROLLED
            enrolment = Enrolment(cohort=cohort, learner=learner, status=status)
            db.session.add_all([learner, enrolment])
            added.append(enrolment)
    db.session.flush()
    return [e.id for e in added]


def milliseconds(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def measure(client: Any, urls: dict[str, str], runs: int) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in urls}
    for run in range(runs + 2):  # two warm-up runs
        for name, url in urls.items():
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
            assert response.status_code == 200, (url, response.status_code)
            if run >= 2:
                samples[name].append(elapsed)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="empty a non-empty database")
    args = parser.parse_args()
    rng = random.Random(2026)
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
            plan = plan_demo(dt.date.today())
            build_demo(plan)
            db.session.commit()
            coordinator = db.session.scalar(
                sa.select(User).where(User.email == plan.coordinator.email)
            )
            assert coordinator is not None
            finished = db.session.scalar(sa.select(Cohort).order_by(Cohort.start_date).limit(1))
            assert finished is not None
            login = coordinator.get_id()
            finished_id = finished.id
            urls = {
                "analyse d'une promotion (GET)": f"/analyse/promotions/{finished.id}",
                "carte de chaleur en CSV": f"/analyse/promotions/{finished.id}"
                "?format=csv&table=heatmap",
                "promotions comparées (GET)": f"/analyse/versions/{finished.version_id}",
            }
            engine = db.engine.dialect.name
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = login
        report = []
        for label in ("démo", f"démo × {FACTOR}"):
            if label != "démo":
                with app.app_context():
                    generate_results(grow(FACTOR), rng)
                    db.session.commit()
            with app.app_context():
                learners = db.session.scalar(
                    sa.select(sa.func.count(Enrolment.id)).where(Enrolment.cohort_id == finished_id)
                )
                results = db.session.scalar(sa.select(sa.func.count(Result.id)))
            report.append(
                (
                    f"{label} : {learners} apprenant·es dans la promotion, {results} résultats",
                    measure(client, urls, args.runs),
                )
            )
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    print(f"{engine} : analyse, {args.runs} mesures par page")
    for title, samples in report:
        print(f"  {title}")
        for name, values in samples.items():
            print(f"    {name:<34} {milliseconds(values)}")


if __name__ == "__main__":
    main()
