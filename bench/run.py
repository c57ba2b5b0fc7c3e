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
Results go to bench/results.json (one entry per engine and size), a table is printed, and
docs/benchmarks.md is written again from bench/results.json (never edit it by hand). The
generator is bench/seed.py and bench/grid.py, the measures bench/measures.py and bench/floors.py,
how each is timed and reported bench/timing.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from docs_page import benchmarks_page
from measures import dossier_child, measure_all
from seed import refresh_statistics, seed
from timing import HEADER, Report

from app import create_app
from app.assessment.models import Result
from app.cohorts.models import Cohort, Enrolment
from app.db import db
from app.people.models import User

SIZES = {"tiny": (80, 4), "demo": (300, 15), "large": (10_000, 400)}  # tiny: tests/test_bench.py


def ensure_data(size: str) -> None:
    if db.session.scalar(sa.select(User.id).where(User.email.like("%@bench.cooperation.test"))):
        return
    learners, cohorts = SIZES[size]
    report = seed(learners, cohorts)
    db.session.commit()
    refresh_statistics()
    print(f"seeded {report.learners} learners, {report.results} results in {report.seconds:.0f} s")


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
        PUBLIC_URL="http://localhost",  # the test client's host
        SESSION_COOKIE_SECURE=False,
        WTF_CSRF_ENABLED=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    parser.add_argument("--docs", default=str(ROOT / "docs" / "benchmarks.md"))
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
        measure_all(app, report, long_dossier=args.size != "tiny")
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
    Path(args.docs).write_text(benchmarks_page(results), encoding="utf-8")
    missed = [n for n, e in report.measures.items() if e.get("meets_target") is False]
    print(
        f"written {path} and {args.docs}"
        + (f"; targets missed: {', '.join(missed)}" if missed else "")
    )


if __name__ == "__main__":
    main()
