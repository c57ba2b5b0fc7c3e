"""The national register's benchmark: import, re-import, search, copy check, correspondences.

    .venv/bin/python bench/registry.py                     # temporary SQLite, 40,000 fiches
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/registry.py
    .venv/bin/python bench/registry.py --fiches 2000       # a quick run

Generates the register in the official shape (bench/rncp_register.py; cached in the system's
temporary folder by size and edition), imports it into an empty migrated database in a child
process (to measure its peak memory), imports the same file again, then the next day's
export, and measures over --runs runs the median and 95th percentile of a search, the copy
check of the largest shipped référentiel and the correspondence ranking of one of its blocs.
Results go to bench/results.json under "registry", one entry per engine, and
docs/benchmarks.md is written again from it (as bench/run.py does).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.docs_page import benchmarks_page
from bench.rncp_register import write_register

TARGETS = {
    "import_s": 120,
    "import_peak_mb": 400,
    "reimport_s": 60,
    "search_ms": 100,
    "copy_check_ms": 2000,
    "correspondence_ms": 200,
}
SEARCHES = [
    {"words": "cuisine collective"},
    {"words": "maintenance préventive des équipements"},
    {"words": "relation client", "level": 5},
    {"rome": "K1802"},
    {"words": "réglementation", "nsf": "221t"},
]


def _register(fiches: int, edition: int) -> Path:
    path = Path(tempfile.gettempdir()) / f"rncp-register-{fiches}-{edition}.zip"
    if not path.exists():
        write_register(path.with_suffix(".part"), fiches, edition=edition)
        path.with_suffix(".part").rename(path)
    return path


def _child_import(url: str, path: Path) -> dict[str, Any]:
    """Import in a child process: wall time and the child's peak resident memory."""
    code = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from app import create_app\n"
        "from app.db import db\n"
        "from app.registry.importer import import_register\n"
        "app = create_app('production', SQLALCHEMY_DATABASE_URI=sys.argv[1], SECRET_KEY='bench',"
        " PUBLIC_URL='http://localhost')\n"
        "with app.app_context():\n"
        "    started = time.perf_counter()\n"
        "    report = import_register(db.session(), Path(sys.argv[2]))\n"
        "    db.session.commit()\n"
        "    print(json.dumps({'seconds': time.perf_counter() - started, **report.as_dict()}))\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run(  # noqa: S603  (this Python, with our own code)
        [sys.executable, "-c", code, url, str(path)],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["peak_mb"] = round(max(peak, before) / 1024)
    result["seconds"] = round(result["seconds"], 1)
    return result


def _timed(action: Callable[[], Any], runs: int) -> dict[str, float]:
    action()  # warm the caches once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 1),
        "p95_ms": round(times[min(len(times) - 1, int(len(times) * 0.95))], 1),
    }


def _measure_reads(url: str, runs: int) -> dict[str, Any]:
    from app import create_app
    from app.db import db
    from app.frameworks import documents, services
    from app.registry import copycheck, correspondences, search

    app = create_app(
        "production", SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench", PUBLIC_URL="http://localhost"
    )
    with app.app_context():
        session = db.session()
        versions = []
        for document in documents.load_shipped(ROOT / "referentiel", 2_000_000):
            versions.append(services.import_document(document))
        session.flush()
        largest = max(versions, key=lambda v: len(copycheck.version_statements(v)))
        statements = copycheck.version_statements(largest)
        everything = [s for v in versions for s in copycheck.version_statements(v)]
        queries = [search.Query(**q) for q in SEARCHES]
        per_search = {
            " ".join(f"{k}={v}" for k, v in q.items()): _timed(
                lambda query=query: search.search(session, query), runs
            )
            for q, query in zip(SEARCHES, queries, strict=True)
        }
        bloc = max(largest.blocs, key=lambda b: len(b.competencies))
        result = {
            "search": per_search,
            "search_worst_median_ms": max(m["median_ms"] for m in per_search.values()),
            "copy_check": {
                "version": f"{largest.certification.code} {largest.label}",
                "statements": len(statements),
                "flagged": len(copycheck.check(session, statements)),
                **_timed(lambda: copycheck.check(session, statements), max(3, runs // 5)),
            },
            # The "whole version" is about 250 statements; the largest shipped one has
            # about 100: both shipped versions at once come nearer.
            "copy_check_all": {
                "versions": len(versions),
                "statements": len(everything),
                **_timed(lambda: copycheck.check(session, everything), max(3, runs // 5)),
            },
            "correspondence": {
                "bloc": bloc.code,
                **_timed(lambda: correspondences.rank(session, largest, bloc), runs),
            },
        }
        session.rollback()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fiches", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    first, second = _register(args.fiches, 1), _register(args.fiches, 2)
    configured = os.environ.get("DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        url = configured or f"sqlite:///{Path(tmp) / 'registry.sqlite3'}"
        from flask_migrate import upgrade

        from app import create_app
        from app.db import db

        app = create_app(
            "production",
            SQLALCHEMY_DATABASE_URI=url,
            SECRET_KEY="bench",
            PUBLIC_URL="http://localhost",
        )
        with app.app_context():
            from tests.conftest import reset_database

            reset_database(url)
            upgrade()
            db.engine.dispose()
        load = _child_import(url, first)
        again = _child_import(url, first)
        update = _child_import(url, second)
        with app.app_context(), db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("ANALYZE")
        reads = _measure_reads(url, args.runs)
        engine = "postgresql" if url.startswith("postgresql") else "sqlite"

    entry = {
        "engine": engine,
        "fiches": args.fiches,
        "file_mb": round(first.stat().st_size / 1024**2, 1),
        "import": load,
        "reimport_same": again,
        "reimport_next_day": update,
        **reads,
        "targets": TARGETS,
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607  (git, on this checkout)
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout.strip(),
    }
    results_path = ROOT / "bench" / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.setdefault("registry", {})[engine] = entry
    results_path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    docs = ROOT / "docs" / "benchmarks.md"
    docs.write_text(benchmarks_page(results), encoding="utf-8")

    print(f"register of {args.fiches} fiches ({entry['file_mb']} MB zipped) on {engine}")
    print(
        f"  import {load['seconds']} s, peak {load['peak_mb']} MB "
        f"[{TARGETS['import_s']} s, {TARGETS['import_peak_mb']} MB]"
    )
    print(f"  re-import of the same file {again['seconds']} s [{TARGETS['reimport_s']} s]")
    print(
        f"  next day's export {update['seconds']} s: {update['added']} added, "
        f"{update['changed']} changed, {update['withdrawn']} withdrawn"
    )
    print(f"  search, worst median {reads['search_worst_median_ms']} ms [{TARGETS['search_ms']}]")
    check = reads["copy_check"]
    print(
        f"  copy check of {check['version']} ({check['statements']} statements) "
        f"{check['median_ms']} ms [{TARGETS['copy_check_ms']}]"
    )
    both = reads["copy_check_all"]
    print(
        f"  copy check of every shipped version ({both['statements']} statements) "
        f"{both['median_ms']} ms [{TARGETS['copy_check_ms']}]"
    )
    print(
        f"  correspondences of {reads['correspondence']['bloc']} "
        f"{reads['correspondence']['median_ms']} ms [{TARGETS['correspondence_ms']}]"
    )


if __name__ == "__main__":
    main()
