"""The benchmark: server time and SQL queries of the heavy pages and exports, with floors.

    .venv/bin/python bench/run.py --size demo              # temporary SQLite, demo volumes
    .venv/bin/python bench/run.py --size large             # temporary SQLite, 10,000 learners
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/run.py --size large

With DATABASE_URL the database is used as it is when it already holds the benchmark data
(`flask bench seed` marks it), else it is migrated and seeded first. For each measure: the
median and 95th percentile of the server time over --runs runs (Flask's test client, so no
network), the number of SQL statements of one run, and for reads a floor: the same data fetched
with the fewest hand-written SQL queries through the database driver, without ORM or templates.
Results go to bench/results.json (one entry per engine and size) and a table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import g
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from app import create_app
from app.assessment.models import Result, ResultHead
from app.bench_data import seed
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.frameworks import services
from app.frameworks.models import FrameworkVersion
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole

SIZES = {"demo": (300, 15), "large": (10_000, 400)}
TARGETS_MS = {  # median, p95 (issue #7); None: no target
    "version_page": (50, 100),
    "learner_page": (50, 100),
    "grid_load": (150, None),
    "grid_save": (300, None),
    "cohort_analytics": (200, None),
    "accrochage_1000": (5000, None),
}


class FreshClient(FlaskClient):
    """Requests run inside the bench's open app context: give each one a fresh `g` and
    session state, as a real request would have."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        g.__dict__.clear()
        db.session.expire_all()
        return super().open(*args, **kwargs)


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any) -> None:
        self.count += 1


def ok(response: Any) -> bytes:
    assert response.status_code == 200, response.status_code
    return response.get_data()


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], int]:
    fn()  # warm-up (template compilation, caches)
    counter = Counter()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    fn()
    sa.event.remove(db.engine, "before_cursor_execute", counter)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples, counter.count


def stats(samples: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(p95, 2)}


# --- data -----------------------------------------------------------------------------------


def ensure_data(size: str) -> None:
    if db.session.scalar(sa.select(User.id).where(User.email.like("%@bench.cooperation.test"))):
        return
    learners, cohorts = SIZES[size]
    report = seed(learners, cohorts)
    db.session.commit()
    print(f"seeded {report.learners} learners, {report.results} results in {report.seconds:.0f} s")


def grid_cohort() -> dict[str, Any]:
    """A 30 × 60 grid: a synthetic bloc of 60 criteria, 30 learners, 3 results per cell."""
    from grid_timing import document  # the grid helper's synthetic référentiel

    existing = db.session.scalar(sa.select(Cohort).where(Cohort.name == "Grille de mesure 30×60"))
    if existing is None:
        doc = document()
        doc["certification"]["code"] = "GRID60"
        version = services.import_document(doc)
        services.publish(version)
        org = Organisation(name="Organisme grille 30×60", kind=OrganisationKind.TRAINING)
        trainer = User(
            email="grille@bench.cooperation.test",
            full_name="Formateur grille",
            role_rows=[UserRole(role=Role.TRAINER)],
            organisations=[org],
        )
        existing = Cohort(
            name="Grille de mesure 30×60",
            organisation=org,
            version=version,
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 12, 18),
            access_route=AccessRoute.CONTINUING_TRAINING,
            trainers=[trainer],
        )
        learners = [
            User(
                email=f"grille{i}@bench.cooperation.test",
                full_name=f"Apprenant·e {i}",
                role_rows=[UserRole(role=Role.LEARNER)],
            )
            for i in range(30)
        ]
        enrolments = [Enrolment(cohort=existing, learner=u) for u in learners]
        db.session.add_all([org, existing, *learners, *enrolments])
        db.session.flush()
        criteria = [k.id for c in version.blocs[0].competencies for k in c.criteria]
        levels = [lvl.id for lvl in version.scale_levels]
        now = utcnow()
        for h in range(3):
            rows = [
                {
                    "enrolment_id": e.id,
                    "criterion_id": k,
                    "level_id": levels[(i + h) % 3],
                    "assessor_id": trainer.id,
                    "recorded_at": now,
                    "source": "bench",
                }
                for i, e in enumerate(enrolments)
                for k in criteria
            ]
            db.session.execute(sa.insert(Result), rows)
        latest = (
            sa.select(Result.enrolment_id, Result.criterion_id, sa.func.max(Result.id))
            .where(Result.enrolment_id.in_([e.id for e in enrolments]))
            .group_by(Result.enrolment_id, Result.criterion_id)
        )
        heads = [
            {"enrolment_id": e, "criterion_id": k, "result_id": r}
            for e, k, r in db.session.execute(latest)
        ]
        level_of = dict(
            db.session.execute(
                sa.select(Result.id, Result.level_id).where(
                    Result.id.in_([h["result_id"] for h in heads])
                )
            ).all()
        )
        for head in heads:
            head["level_id"] = level_of[head["result_id"]]
        db.session.execute(sa.insert(ResultHead), heads)
        db.session.commit()
    version = existing.version
    return {
        "cohort": existing,
        "url": f"/promotions/{existing.id}/grille/{version.blocs[0].code}",
        "trainer": existing.trainers[0],
        "levels": [lvl.id for lvl in version.scale_levels],
        "competencies": [c.id for c in version.blocs[0].competencies],
    }


def grid_form(grid: dict[str, Any]) -> dict[str, str]:
    """The whole grid as the browser posts it, every cell moved to another level."""
    data = {"origin": "web"}
    levels = grid["levels"]
    ids = [e.id for e in grid["cohort"].enrolments]
    for e, k, r, level in db.session.execute(
        sa.select(
            ResultHead.enrolment_id,
            ResultHead.criterion_id,
            ResultHead.result_id,
            ResultHead.level_id,
        ).where(ResultHead.enrolment_id.in_(ids))
    ):
        data[f"c-{e}-{k}"] = str(levels[(levels.index(level) + 1) % len(levels)])
        data[f"h-{e}-{k}"] = str(r)
    for e in ids:
        for c in grid["competencies"]:
            data[f"m-{e}-{c}"] = ""
            data[f"mh-{e}-{c}"] = "0"
    return data


# --- floors: hand-written SQL through the driver ------------------------------------------------


def raw(sql: str, params: dict[str, Any]) -> list[Any]:
    conn = db.session.connection().connection.driver_connection
    cursor = conn.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return rows


def floor_version(version_id: int) -> None:
    p = "%(v)s" if db.engine.dialect.name == "postgresql" else ":v"
    raw(
        f"SELECT b.code, b.title, c.code, c.statement, k.code, k.statement FROM blocs b "
        f"JOIN competencies c ON c.bloc_id = b.id JOIN criteria k ON k.competency_id = c.id "
        f"WHERE b.version_id = {p} ORDER BY b.position, c.position, k.position",
        {"v": version_id},
    )
    raw(
        f"SELECT d.code, d.title, a.code, a.title, ca.competency_id FROM activity_domains d "
        f"JOIN activities a ON a.domain_id = d.id LEFT JOIN competency_activities ca "
        f"ON ca.activity_id = a.id WHERE d.version_id = {p}",
        {"v": version_id},
    )
    raw(
        f"SELECT m.bloc_id, m.title, m.description FROM evaluation_modalities m "
        f"WHERE m.version_id = {p}",
        {"v": version_id},
    )


def floor_heads(enrolment_ids: list[int]) -> None:
    marks = ",".join(str(int(i)) for i in enrolment_ids)
    raw(
        f"SELECT enrolment_id, criterion_id, level_id, result_id FROM result_heads "
        f"WHERE enrolment_id IN ({marks})",
        {},
    )


# --- the measures -------------------------------------------------------------------------------


def login(client: Any, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def measure_all(app: Any, runs: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def record(
        name: str, fn: Callable[[], Any], floor: Callable[[], Any] | None = None, n: int = runs
    ) -> None:
        samples, queries = timed(fn, n)
        entry: dict[str, Any] = {**stats(samples), "queries": queries}
        if floor is not None:
            floor_samples, floor_queries = timed(floor, n)
            entry["floor_median_ms"] = stats(floor_samples)["median_ms"]
            entry["floor_queries"] = floor_queries
            entry["ratio_to_floor"] = round(
                entry["median_ms"] / max(entry["floor_median_ms"], 1e-3), 2
            )
        target = TARGETS_MS.get(name)
        if target:
            entry["target_median_ms"], entry["target_p95_ms"] = target
            entry["meets_target"] = entry["median_ms"] <= target[0] and (
                target[1] is None or entry["p95_ms"] <= target[1]
            )
        out[name] = entry
        print(
            f"  {name:<22} median {entry['median_ms']:8.1f} ms  p95 {entry['p95_ms']:8.1f} ms"
            f"  {queries:4d} queries"
            + (
                f"  floor {entry['floor_median_ms']:.1f} ms (×{entry['ratio_to_floor']})"
                if floor
                else ""
            )
        )

    app.test_client_class = FreshClient
    client = app.test_client()
    version = db.session.scalar(
        sa.select(FrameworkVersion)
        .join(FrameworkVersion.certification)
        .where(sa.text("certifications.code = 'CTD'"))
    )
    url = f"/referentiels/CTD/{version.label}"
    record("version_page", lambda: ok(client.get(url)), lambda: floor_version(version.id))

    learner_enrolment = db.session.scalar(
        sa.select(Enrolment).where(Enrolment.status == EnrolmentStatus.CERTIFIED).limit(1)
    ) or db.session.scalar(sa.select(Enrolment).limit(1))
    learner_client = app.test_client()
    login(learner_client, learner_enrolment.learner)
    record(
        "learner_page",
        lambda: ok(learner_client.get("/me")),
        lambda: floor_heads([learner_enrolment.id]),
    )

    grid = grid_cohort()
    trainer_client = app.test_client()
    login(trainer_client, grid["trainer"])
    enrolment_ids = [e.id for e in grid["cohort"].enrolments]
    record(
        "grid_load", lambda: ok(trainer_client.get(grid["url"])), lambda: floor_heads(enrolment_ids)
    )

    def save() -> None:
        response = trainer_client.post(grid["url"], data=grid_form(grid))
        assert response.status_code in (302, 303), response.status_code

    record("grid_save", save, n=max(3, runs // 4))

    if "analytics.cohort" in app.view_functions:
        cohort = learner_enrolment.cohort
        coordinator = db.session.scalar(
            sa.select(User).where(User.email.like("coordination%@bench.cooperation.test")).limit(1)
        )
        coord_client = app.test_client()
        login(coord_client, coordinator)
        ids = [e.id for e in cohort.enrolments]
        record(
            "cohort_analytics",
            lambda: ok(coord_client.get(f"/analyse/promotions/{cohort.id}")),
            lambda: floor_heads(ids),
        )

    from app.exports_history.builders import accrochage_data
    from exports.accrochage import build_accrochage

    certified_cohorts = list(
        db.session.scalars(
            sa.select(Enrolment.cohort_id)
            .where(Enrolment.status == EnrolmentStatus.CERTIFIED)
            .join(Cohort)
            .where(Cohort.version_id == version.id)
            .group_by(Enrolment.cohort_id)
            .order_by(Enrolment.cohort_id)
        )
    )
    chosen, total = [], 0
    counts = dict(
        db.session.execute(
            sa.select(Enrolment.cohort_id, sa.func.count())
            .where(Enrolment.status == EnrolmentStatus.CERTIFIED)
            .group_by(Enrolment.cohort_id)
        ).all()
    )
    for cid in certified_cohorts:
        if total >= 1000:
            break
        chosen.append(cid)
        total += counts[cid]

    def accrochage() -> None:
        data = accrochage_data(
            version,
            chosen,
            flux_id="BENCH",
            client_id="BENCHCLI",
            contract_id="BENCHCONTRAT",
            generated_at=utcnow(),
        )
        build_accrochage(data)

    if chosen:
        record(
            f"accrochage_{min(total, 1000) if total >= 1000 else total}",
            accrochage,
            n=max(3, runs // 5),
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    tmp = None
    if not url:
        tmp = tempfile.mkdtemp(prefix="bench-")
        url = f"sqlite:///{tmp}/bench-{args.size}.sqlite3"
    app = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=url,
        SECRET_KEY="bench",
        SESSION_COOKIE_SECURE=False,
        WTF_CSRF_ENABLED=False,
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        ensure_data(args.size)
        counts = {
            t: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for t, m in (("learners", Enrolment), ("cohorts", Cohort), ("results", Result))
        }
        engine = db.engine.dialect.name
        print(f"{engine}, {args.size}: {counts}, {os.cpu_count()} cores")
        measures = measure_all(app, args.runs)
    path = Path(args.out)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"{engine}-{args.size}"] = {
        "engine": engine,
        "size": args.size,
        "data": counts,
        "cores": os.cpu_count(),
        "machine": platform.platform(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(),
        "runs": args.runs,
        "measures": measures,
    }
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {path}")


if __name__ == "__main__":
    main()
