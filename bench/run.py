"""The benchmark: server time and SQL of the heavy pages and exports, each with its floor.

    .venv/bin/python bench/run.py --size demo              # temporary SQLite, demo volumes
    .venv/bin/python bench/run.py --size large             # temporary SQLite, 10,000 learners
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/run.py --size large

With DATABASE_URL that database is migrated, then seeded unless it already holds benchmark
data (accounts @bench.cooperation.test); without it, a temporary SQLite file is seeded and
deleted afterwards. For each measure, over --runs runs: the median and 95th percentile of the
server time (Flask's test client, so no network), the SQL statements of one run, and the median
time spent waiting for them and rendering templates. For each read, a
floor: the same data fetched with the fewest hand-written SQL queries through the database
driver, without ORM or templates, and the ratio of our time to it. `request_floor` is the time
of the smallest page through the same stack (GET /sante: routing, session, one query).
Results go to bench/results.json (one entry per engine and size) and a table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import before_render_template, g, template_rendered
from flask.testing import FlaskClient
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app
from app.assessment.models import Result, ResultHead
from app.assessment.xlsx import FIRST_COLUMN, FIRST_ROW, GRID_SHEET
from app.bench_data import refresh_statistics, seed
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.frameworks import services
from app.frameworks.models import FrameworkVersion
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole

SIZES = {"tiny": (80, 4), "demo": (300, 15), "large": (10_000, 400)}  # tiny: tests/test_bench.py
TARGETS = {  # median ms, p95 ms or None, peak MB or None (issue #7)
    "version_page": (50, 100, None),
    "learner_page": (50, 100, None),
    "grid_load": (150, None, None),
    "grid_save": (300, None, None),
    "cohort_analytics": (200, None, None),
    "dossier_pdf": (10_000, None, 500),
    "accrochage": (5000, None, None),
}
FLOOR_RATIO = 3  # each page within 3× of its floor
GRID_LEARNERS, GRID_COMPETENCIES, GRID_CRITERIA_EACH, GRID_HISTORY = 30, 10, 6, 3
GRID_COHORT = "Grille de mesure 30×60"
GRID_TRAINER = "grille@bench.cooperation.test"


class FreshClient(FlaskClient):
    """Requests run inside the bench's open app context: give each one a fresh `g` and
    session state, as a real request would have."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        g.__dict__.clear()
        db.session.expire_all()
        return super().open(*args, **kwargs)


class Clock:
    """Counts the SQL statements sent to the database, the time spent waiting for them and
    the time spent rendering templates."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.render_seconds = 0.0
        self._started = 0.0
        self._render_started = 0.0

    def before(self, *args: Any) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def after(self, *args: Any) -> None:
        self.seconds += time.perf_counter() - self._started

    def render_begins(self, *args: Any, **kwargs: Any) -> None:
        self._render_started = time.perf_counter()

    def render_ends(self, *args: Any, **kwargs: Any) -> None:
        self.render_seconds += time.perf_counter() - self._render_started

    def __enter__(self) -> Clock:
        sa.event.listen(db.engine, "before_cursor_execute", self.before)
        sa.event.listen(db.engine, "after_cursor_execute", self.after)
        before_render_template.connect(self.render_begins)
        template_rendered.connect(self.render_ends)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(db.engine, "before_cursor_execute", self.before)
        sa.event.remove(db.engine, "after_cursor_execute", self.after)
        before_render_template.disconnect(self.render_begins)
        template_rendered.disconnect(self.render_ends)


def ok(response: Any) -> bytes:
    assert response.status_code == 200, response.status_code
    return response.get_data()


def redirected(response: Any) -> None:
    assert response.status_code in (302, 303), (response.status_code, response.get_data()[:500])


def timed(
    fn: Callable[[Any], Any], runs: int, prepare: Callable[[], Any] = lambda: None
) -> dict[str, Any]:
    """Run `fn(prepare())` once to warm up, then `runs` times; `prepare` is not timed."""
    fn(prepare())  # warm-up (template compilation, caches)
    samples, sql, render = [], [], []
    count = 0
    for _ in range(runs):
        arg = prepare()
        with Clock() as clock:
            start = time.perf_counter()
            fn(arg)
            samples.append(time.perf_counter() - start)
        sql.append(clock.seconds)
        render.append(clock.render_seconds)
        count = clock.count
    return {
        **stats(samples),
        "queries": count,
        "sql_ms": stats(sql)["median_ms"],
        "render_ms": stats(render)["median_ms"],
    }


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
    refresh_statistics()
    print(f"seeded {report.learners} learners, {report.results} results in {report.seconds:.0f} s")


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
    now = utcnow()
    for h in range(GRID_HISTORY):
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
    results = Result.__table__
    latest = (
        sa.select(sa.func.max(results.c.id))
        .where(results.c.enrolment_id.in_([e.id for e in enrolments]))
        .group_by(results.c.enrolment_id, results.c.criterion_id)
    )
    db.session.execute(
        sa.insert(ResultHead).from_select(
            ["enrolment_id", "criterion_id", "result_id", "level_id"],
            sa.select(
                results.c.enrolment_id, results.c.criterion_id, results.c.id, results.c.level_id
            ).where(results.c.id.in_(latest)),
        )
    )
    db.session.commit()
    return cohort


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


# --- floors: the same data through the driver, hand-written SQL, no ORM, no templates -------------


RAW_QUERIES = [0]


def raw(sql: str, params: dict[str, Any]) -> list[Any]:
    """One hand-written query through the DB-API driver; `:name` parameters on both engines."""
    RAW_QUERIES[0] += 1
    if db.engine.dialect.name == "postgresql":
        for name in params:
            sql = sql.replace(f":{name}", f"%({name})s")
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return rows


STRUCTURE = (
    "SELECT b.id, b.code, b.title, b.optional, c.id, c.code, c.statement, k.id, k.code,"
    " k.statement FROM blocs b JOIN competencies c ON c.bloc_id = b.id"
    " JOIN criteria k ON k.competency_id = c.id WHERE b.version_id {} "
    " ORDER BY b.position, c.position, k.position"
)
LEVELS = (
    "SELECT id, version_id, code, label, counts_as_acquired FROM scale_levels WHERE version_id {}"
)
USER = "SELECT id, full_name, active, session_version FROM users WHERE id = :u"


def floor_version(version_id: int) -> None:
    raw(
        "SELECT v.label, v.title, v.level, v.status, v.notes, v.nsf_codes, v.rome_codes,"
        " v.formacodes, v.certifier_name, v.competency_rule, v.minimum_criteria, c.code"
        " FROM framework_versions v JOIN certifications c ON c.id = v.certification_id"
        " WHERE v.id = :v",
        {"v": version_id},
    )
    raw(LEVELS.format("= :v"), {"v": version_id})
    raw(STRUCTURE.format("= :v"), {"v": version_id})
    raw(
        "SELECT d.code, d.title, a.code, a.title, ca.competency_id FROM activity_domains d"
        " JOIN activities a ON a.domain_id = d.id"
        " LEFT JOIN competency_activities ca ON ca.activity_id = a.id"
        " WHERE d.version_id = :v ORDER BY d.position, a.position",
        {"v": version_id},
    )
    raw(
        "SELECT bloc_id, code, title, description FROM evaluation_modalities"
        " WHERE version_id = :v ORDER BY position",
        {"v": version_id},
    )


def floor_learner(user_id: int) -> None:
    mine = "SELECT id FROM enrolments WHERE learner_id = :u"
    versions = (
        "IN (SELECT co.version_id FROM enrolments e JOIN cohorts co ON co.id = e.cohort_id"
        " WHERE e.learner_id = :u)"
    )
    p = {"u": user_id}
    raw(USER, p)
    raw(
        "SELECT e.id, e.status, e.certified_on, co.id, co.name, co.start_date, co.end_date,"
        " o.name, v.id, v.label, v.title, v.level, v.competency_rule, v.minimum_criteria, c.code"
        " FROM enrolments e JOIN cohorts co ON co.id = e.cohort_id"
        " JOIN organisations o ON o.id = co.organisation_id"
        " JOIN framework_versions v ON v.id = co.version_id"
        " JOIN certifications c ON c.id = v.certification_id WHERE e.learner_id = :u",
        p,
    )
    raw(STRUCTURE.format(versions), p)
    raw(LEVELS.format(versions), p)
    raw(
        "SELECT enrolment_id, criterion_id, level_id FROM result_heads"
        f" WHERE enrolment_id IN ({mine})",
        p,
    )
    raw(
        "SELECT m.enrolment_id, m.competency_id, m.text, u.full_name, m.recorded_at"
        " FROM competency_comments m JOIN users u ON u.id = m.author_id WHERE m.id IN"
        " (SELECT max(id) FROM competency_comments"
        f" WHERE enrolment_id IN ({mine}) GROUP BY enrolment_id, competency_id)",
        p,
    )
    raw(
        "SELECT p.enrolment_id, d.bloc_id, d.decision, d.reason, s.session_date, s.closed_at"
        " FROM bloc_decisions d JOIN jury_presentations p ON p.id = d.presentation_id"
        " JOIN jury_sessions s ON s.id = p.jury_session_id"
        f" WHERE p.enrolment_id IN ({mine}) AND s.closed_at IS NOT NULL",
        p,
    )
    raw(
        "SELECT * FROM (SELECT r.id, r.enrolment_id, r.criterion_id, r.level_id,"
        " lag(r.level_id) OVER (PARTITION BY r.enrolment_id, r.criterion_id ORDER BY r.id),"
        " r.recorded_at, u.full_name, r.session_id FROM results r"
        f" JOIN users u ON u.id = r.assessor_id WHERE r.enrolment_id IN ({mine})) h"
        " ORDER BY recorded_at DESC, id DESC LIMIT 21",
        p,
    )
    raw(
        "SELECT s.cohort_id, s.session_date, s.title, b.code, b.title FROM evaluation_sessions s"
        " JOIN blocs b ON b.id = s.bloc_id WHERE s.session_date >= :today AND s.cohort_id IN"
        " (SELECT cohort_id FROM enrolments WHERE learner_id = :u)",
        {**p, "today": dt.date.today()},
    )


def floor_cohort(user_id: int, cohort_id: int, bloc_code: str | None) -> None:
    """What a grid (one bloc: with its cells' disagreement flags and latest comments) or the
    cohort analytics (every bloc) shows."""
    p = {"u": user_id, "c": cohort_id, "b": bloc_code}
    version = "= (SELECT version_id FROM cohorts WHERE id = :c)"
    raw(USER, p)
    raw("SELECT id, name, version_id, start_date, end_date FROM cohorts WHERE id = :c", p)
    raw(STRUCTURE.format(version + (" AND b.code = :b" if bloc_code else "")), p)
    raw(LEVELS.format(version), p)
    raw(
        "SELECT e.id, e.status, u.full_name FROM enrolments e JOIN users u ON u.id = e.learner_id"
        " WHERE e.cohort_id = :c ORDER BY u.full_name",
        p,
    )
    raw(
        "SELECT h.enrolment_id, h.criterion_id, h.level_id, h.result_id, h.disagreement"
        " FROM result_heads h JOIN enrolments e ON e.id = h.enrolment_id WHERE e.cohort_id = :c",
        p,
    )
    if bloc_code:
        raw(
            "SELECT m.id, m.enrolment_id, m.competency_id, m.text FROM competency_comments m"
            " WHERE m.id IN (SELECT max(m2.id) FROM competency_comments m2"
            " JOIN enrolments e ON e.id = m2.enrolment_id WHERE e.cohort_id = :c"
            " GROUP BY m2.enrolment_id, m2.competency_id)",
            p,
        )


# --- the measures -------------------------------------------------------------------------------


def login(client: Any, user: User) -> None:
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


class Report:
    def __init__(self, runs: int) -> None:
        self.runs = runs
        self.measures: dict[str, dict[str, Any]] = {}

    def record(
        self,
        name: str,
        fn: Callable[[Any], Any],
        floor: Callable[[], Any] | None = None,
        *,
        runs: int | None = None,
        prepare: Callable[[], Any] = lambda: None,
        target: str | None = None,
    ) -> dict[str, Any]:
        entry = timed(fn, runs or self.runs, prepare)
        if floor is not None:
            bare = timed(lambda _: floor(), runs or self.runs)
            RAW_QUERIES[0] = 0
            floor()
            entry["floor_median_ms"] = bare["median_ms"]
            entry["floor_queries"] = RAW_QUERIES[0]
            entry["ratio_to_floor"] = round(entry["median_ms"] / max(bare["median_ms"], 1e-3), 1)
        return self.add(name, entry, target or name)

    def add(self, name: str, entry: dict[str, Any], target_name: str) -> dict[str, Any]:
        target = TARGETS.get(target_name)
        if target:
            median, p95, peak = target
            entry["target"] = {"median_ms": median, "p95_ms": p95, "peak_mb": peak}
            entry["meets_target"] = (
                entry["median_ms"] <= median
                and (p95 is None or entry["p95_ms"] <= p95)
                and (peak is None or entry["peak_mb"] <= peak)
            )
        if "ratio_to_floor" in entry:
            entry["within_floor_ratio"] = entry["ratio_to_floor"] <= FLOOR_RATIO
        self.measures[name] = entry
        print(line(name, entry), flush=True)
        return entry


def line(name: str, e: dict[str, Any]) -> str:
    text = (
        f"  {name:<18} {e['median_ms']:9.1f} {e['p95_ms']:9.1f} {e['queries']:5d}"
        f" {e.get('sql_ms', 0):8.1f} {e.get('render_ms', 0):9.1f}"
    )
    if "floor_median_ms" in e:
        text += f" {e['floor_median_ms']:7.2f} {e['floor_queries']:3d} ×{e['ratio_to_floor']:<6}"
    else:
        text += " " * 20
    if "peak_mb" in e:
        text += f" {e['peak_mb']:.0f} MB"
    if "meets_target" in e:
        text += "  target met" if e["meets_target"] else "  TARGET MISSED"
    return text


HEADER = (
    f"  {'measure':<18} {'median':>9} {'p95 ms':>9} {'SQL':>5} {'SQL ms':>8} {'render ms':>9}"
    f" {'floor':>7} {'SQL':>3} {'ratio':<7}"
)


def certified_cohorts(version: FrameworkVersion, people: int) -> tuple[list[int], int]:
    """Cohorts of `version` holding at least `people` certified learners together (fewest)."""
    counts = db.session.execute(
        sa.select(Enrolment.cohort_id, sa.func.count())
        .join(Cohort)
        .where(Enrolment.status == EnrolmentStatus.CERTIFIED, Cohort.version_id == version.id)
        .group_by(Enrolment.cohort_id)
        .order_by(Enrolment.cohort_id)
    ).all()
    chosen, total = [], 0
    for cohort_id, count in counts:
        if total >= people:
            break
        chosen.append(cohort_id)
        total += count
    return chosen, total


def cohorts_of_size(version: FrameworkVersion, size: int = 20) -> list[int]:
    """The two cohorts of `version` whose sizes are nearest to `size`."""
    counts = db.session.execute(
        sa.select(Enrolment.cohort_id, sa.func.count())
        .join(Cohort)
        .where(Cohort.version_id == version.id)
        .group_by(Enrolment.cohort_id)
        .order_by(Enrolment.cohort_id)
    ).all()
    return [c for c, _ in sorted(counts, key=lambda row: (abs(row[1] - size), row[0]))[:2]]


def measure_all(app: Any, report: Report) -> None:
    app.test_client_class = FreshClient
    client = app.test_client()
    grid = grid_cohort()
    saves = max(5, report.runs // 4)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    # Each save on a grid of its own, with the same 3-deep history (results are never deleted,
    # not even here), all made before measuring, then fresh planner statistics.
    grids = [grid_cohort(f"{GRID_COHORT} {stamp}-{n}") for n in range(2 * (saves + 1))]
    refresh_statistics()
    # As app/gunicorn_conf.py does before forking workers: the long-lived objects leave the
    # collector's view, so full collections stay short.
    gc.collect()
    gc.freeze()

    report.record("request_floor", lambda _: ok(client.get("/sante")))

    version = db.session.scalar(
        sa.select(FrameworkVersion)
        .join(FrameworkVersion.certification)
        .where(sa.text("certifications.code = 'CTD'"))
    )
    url = f"/referentiels/CTD/{version.label}"
    report.record("version_page", lambda _: ok(client.get(url)), lambda: floor_version(version.id))

    # The same shapes at every size: a cohort of 20 (nearest), one of its certified learners.
    cohort_id = cohorts_of_size(version)[0]
    enrolment = db.session.scalar(
        sa.select(Enrolment)
        .where(Enrolment.cohort_id == cohort_id)
        .order_by((Enrolment.status == EnrolmentStatus.CERTIFIED).desc(), Enrolment.id)
        .limit(1)
    )
    learner = app.test_client()
    login(learner, enrolment.learner)
    learner_id = enrolment.learner_id
    entry = report.record(
        "learner_page", lambda _: ok(learner.get("/me")), lambda: floor_learner(learner_id)
    )
    entry["learner_results"] = db.session.scalar(
        sa.select(sa.func.count(Result.id)).where(Result.enrolment_id == enrolment.id)
    )

    trainer = app.test_client()
    login(trainer, grid["trainer"])
    trainer_id, grid_id = grid["trainer"].id, grid["cohort"].id
    report.record(
        "grid_load",
        lambda _: ok(trainer.get(grid["url"])),
        lambda: floor_cohort(trainer_id, grid_id, "BC01"),
    )

    def fresh() -> dict[str, Any]:
        return grids.pop()

    def fresh_form() -> tuple[str, dict[str, str]]:
        other = fresh()
        return other["url"], grid_form(other)

    def fresh_workbook() -> tuple[str, bytes]:
        other = fresh()
        return other["url"], filled_workbook(trainer, other["url"])

    report.record(
        "grid_save",
        lambda sent: redirected(trainer.post(sent[0], data=sent[1])),
        runs=saves,
        prepare=fresh_form,
    )
    report.record(
        "grid_import",
        lambda sent: redirected(
            trainer.post(
                sent[0] + "/import",
                data={"file": (io.BytesIO(sent[1]), "grille.xlsx")},
                content_type="multipart/form-data",
            )
        ),
        runs=saves,
        prepare=fresh_workbook,
    )

    coordinator = db.session.scalar(
        sa.select(User).where(User.email.like("coordination%@bench.cooperation.test")).limit(1)
    )
    coordination = app.test_client()
    login(coordination, coordinator)
    coordinator_id = coordinator.id
    entry = report.record(
        "cohort_analytics",
        lambda _: ok(coordination.get(f"/analyse/promotions/{cohort_id}")),
        lambda: floor_cohort(coordinator_id, cohort_id, None),
    )
    entry["cohort_learners"] = db.session.scalar(
        sa.select(sa.func.count(Enrolment.id)).where(Enrolment.cohort_id == cohort_id)
    )

    from app.exports_history.builders import accrochage_data
    from exports.accrochage import build_accrochage

    chosen, total = certified_cohorts(version, 1000)

    def accrochage(_: Any) -> None:
        data = accrochage_data(
            version,
            chosen,
            flux_id="BENCH",
            client_id="BENCHCLI",
            contract_id="BENCHCONTRAT",
            generated_at=utcnow(),
        )
        build_accrochage(data)

    entry = report.record(
        "accrochage", accrochage, runs=max(3, report.runs // 5), target="accrochage"
    )
    entry["certified_people"] = total

    cohorts = cohorts_of_size(version)
    report.add("dossier_pdf", dossier(version.id, cohorts, runs=min(3, report.runs)), "dossier_pdf")


# --- the dossier, in fresh processes (its peak memory is the process's) ---------------------------


def dossier(version_id: int, cohort_ids: list[int], runs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--dossier", str(version_id), *map(str, cohort_ids)]
    rows = [
        json.loads(
            subprocess.run(  # noqa: S603  (this very script, in a fresh process)
                command, check=True, capture_output=True, text=True, env=os.environ
            ).stdout.splitlines()[-1]
        )
        for _ in range(runs)
    ]
    entry = stats([r["seconds"] for r in rows])
    return {
        **entry,
        "queries": rows[-1]["queries"],
        "sql_ms": stats([r["sql_seconds"] for r in rows])["median_ms"],
        "peak_mb": max(r["peak_mb"] for r in rows),
        "pages": rows[-1]["pages"],
        "learners": rows[-1]["learners"],
        "cohorts": len(cohort_ids),
    }


def dossier_child(app: Any, version_id: int, cohort_ids: list[int]) -> None:
    from app.dossier.builder import dossier_data
    from exports.dossier import render

    with app.app_context(), Clock() as clock:
        start = time.perf_counter()
        version = db.session.get(FrameworkVersion, version_id)
        data = dossier_data(version, cohort_ids, generated_on=dt.date.today())
        rendered = render(data)
        seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "queries": clock.count,
                "sql_seconds": clock.seconds,
                "pages": rendered.pages,
                "learners": sum(c.enrolled for c in data.cohorts),
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def commit() -> str | None:
    """The code measured: the checkout's commit, with "+changes" when the tree differs."""
    git = shutil.which("git")
    if git is None:
        return None

    def run(*args: str) -> str:
        return subprocess.run(  # noqa: S603  (git, on this checkout)
            [git, "-C", str(ROOT), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    try:
        head = run("rev-parse", "--short", "HEAD")
        dirty = run("status", "--porcelain", "--untracked-files=no")
    except subprocess.CalledProcessError:
        return None
    return head + ("+changes" if dirty else "")


def make_app(url: str) -> Any:
    return create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=url,
        SECRET_KEY="bench",
        SESSION_COOKIE_SECURE=False,
        WTF_CSRF_ENABLED=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--dossier", type=int, nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if args.dossier:
        dossier_child(make_app(str(url)), args.dossier[0], args.dossier[1:])
        return
    if url:
        measure(make_app(url), args)
        return
    with tempfile.TemporaryDirectory(prefix="cooperation-bench-") as folder:
        url = f"sqlite:///{folder}/bench-{args.size}.sqlite3"
        os.environ["DATABASE_URL"] = url  # for the dossier's processes
        measure(make_app(url), args)


def measure(app: Any, args: argparse.Namespace) -> None:
    """Seed the database when it holds no benchmark data, measure, write the results."""
    report = Report(args.runs)
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        ensure_data(args.size)
        counts = {
            t: db.session.scalar(sa.select(sa.func.count()).select_from(m))
            for t, m in (("learners", Enrolment), ("cohorts", Cohort), ("results", Result))
        }
        engine = db.engine.dialect.name
        print(f"{engine}, {args.size}: {counts}, {os.cpu_count()} cores, load {os.getloadavg()}")
        print(HEADER)
        measure_all(app, report)
        db.engine.dispose()
    path = Path(args.out)
    results = json.loads(path.read_text()) if path.exists() else {}
    results[f"{engine}-{args.size}"] = {
        "engine": engine,
        "size": args.size,
        "data": counts,
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "machine": platform.platform(),
        "commit": commit(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(),
        "runs": args.runs,
        "measures": report.measures,
    }
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    missed = [n for n, e in report.measures.items() if e.get("meets_target") is False]
    print(f"written {path}" + (f"; targets missed: {', '.join(missed)}" if missed else ""))


if __name__ == "__main__":
    main()
