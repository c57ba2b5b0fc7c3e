"""Load test over HTTP: gunicorn workers on loopback, wrk on the learner page and the grid.

    .venv/bin/python bench/load.py                # PostgreSQL database bench_load, demo volumes
    .venv/bin/python bench/load.py --size large   # bench_load_large: 10,000 learners
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/load.py --workers 8

Without DATABASE_URL, the PostgreSQL database `bench_load` (`bench_load_large` for --size
large) on postgresql+psycopg://postgres@127.0.0.1:5432/ is created when missing. The database is
migrated and seeded when it holds no benchmark data (bench/run.py's `ensure_data`), then gunicorn
starts with app/gunicorn_conf.py in production mode on a free loopback port, and wrk (Debian
package `wrk`) loads, each in turn, GET /me as a learner and GET of a 30 × 60 grid as its
trainer, with signed session cookies: a warm-up, then a bounded run. Any answer other than 200,
in wrk's count or in gunicorn's access log, fails the run. Requests per second, latency
percentiles and the CPU a request costs (gunicorn workers and PostgreSQL backends, read from
/proc: steadier than latency when other work shares the machine) go to bench/results.json under
"load-ENGINE-SIZE", and a table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from grid import grid_cohort
from run import SIZES, ensure_data
from timing import login

from app import create_app
from app.assessment.models import Result
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db

SECRET_KEY = "bench-load-not-secret"  # noqa: S105  (a throwaway key on loopback)
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BIN = Path(sys.executable).parent
UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def database_url(size: str) -> sa.URL:
    raw = os.environ.get("DATABASE_URL") or DEFAULT_SERVER + (
        "bench_load" if size == "demo" else f"bench_load_{size}"
    )
    url = sa.make_url(raw)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def create_database(url: sa.URL) -> None:
    """Create the PostgreSQL database when it does not exist yet."""
    if url.get_backend_name() != "postgresql" or not url.database:
        return
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        found = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not found:
            conn.exec_driver_sql(
                f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(url.database)}"
            )
            print(f"created database {url.database}")
    admin.dispose()


def prepare(url: sa.URL, size: str) -> dict[str, Any]:
    """Migrate and seed; return the pages to load, their session cookies and the data counts."""
    app = create_app(
        "production",
        SQLALCHEMY_DATABASE_URI=url.render_as_string(hide_password=False),
        SECRET_KEY=SECRET_KEY,
        PUBLIC_URL="http://localhost",  # the test client's host, for the session cookies
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        ensure_data(size)
        grid = grid_cohort()
        enrolment = db.session.scalar(
            sa.select(Enrolment).where(Enrolment.status == EnrolmentStatus.CERTIFIED).limit(1)
        ) or db.session.scalar(sa.select(Enrolment).limit(1))
        pages = {
            "learner_page": ("/me", session_cookie(app, enrolment.learner)),
            "grid": (grid["url"], session_cookie(app, grid["trainer"])),
        }
        counts = {
            name: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for name, model in (("learners", Enrolment), ("cohorts", Cohort), ("results", Result))
        }
        engine = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    return {"pages": pages, "counts": counts, "engine": engine}


def session_cookie(app: Any, user: Any) -> str:
    """The `Cookie` header of a session logged in as `user`, signed with the app's key."""
    client = app.test_client()
    login(client, user)
    name = app.config["SESSION_COOKIE_NAME"]
    return f"{name}={client.get_cookie(name).value}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str, cookie: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start_gunicorn(url: sa.URL, port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APP_CONFIG": "production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": url.render_as_string(hide_password=False),
        "INSTANCE_PATH": str(log.parent / "instance"),
        "BIND": f"127.0.0.1:{port}",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
    }
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603
            [BIN / "gunicorn", "-c", "python:app.gunicorn_conf", "app.wsgi:app"],
            env=env,
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn exited with {server.returncode}; see {log}")
        try:
            if get(port, "/sante") == 200:
                return server
        except OSError:
            pass
        time.sleep(0.1)
    stop(server)
    sys.exit(f"gunicorn did not answer /sante within 60 s; see {log}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def cpu_times(server_pid: int, database: str) -> dict[str, dict[int, float]]:
    """CPU seconds used so far by each gunicorn worker and each PostgreSQL backend serving
    `database`: with other work on the machine, the CPU a request costs is steadier than its
    latency."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, dict[int, float]] = {"app": {}, "database": {}}
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            title = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        seconds = (int(stat[11]) + int(stat[12])) / tick  # utime, stime
        if int(stat[1]) == server_pid:
            out["app"][int(proc.name)] = seconds
        elif title.startswith("postgres:") and f" {database} " in title:
            out["database"][int(proc.name)] = seconds
    return out


def cpu_used(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    return {
        part: round(sum(t - before[part].get(pid, 0.0) for pid, t in after[part].items()), 2)
        for part in after
    }


def milliseconds(value: str, unit: str) -> float:
    return round(float(value) * UNITS_MS[unit], 2)


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests, requests per second, latency percentiles and errors from `wrk --latency`."""
    percentiles = {
        f"p{p}_ms": milliseconds(value, unit)
        for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    latency = re.search(r"Latency\s+([\d.]+)(us|ms|s|m)\s+\S+\s+([\d.]+)(us|ms|s|m)", output)
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if not (percentiles and latency and total and rate):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(total.group(1)),
        "seconds": round(milliseconds(total.group(2), total.group(3)) / 1000, 2),
        "requests_per_s": float(rate.group(1)),
        "mean_ms": milliseconds(latency.group(1), latency.group(2)),
        "max_ms": milliseconds(latency.group(3), latency.group(4)),
        **percentiles,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "socket_errors": (
            dict(
                zip(
                    ("connect", "read", "write", "timeout"),
                    map(int, socket_errors.groups()),
                    strict=True,
                )
            )
            if socket_errors
            else {}
        ),
    }


def run_wrk(wrk: str, args: argparse.Namespace, url: str, cookie: str, seconds: int) -> str:
    command = [
        wrk,
        "--latency",
        f"--threads={args.threads}",
        f"--connections={args.connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--header=Cookie: {cookie}",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def statuses(log: Path) -> dict[str, Counter[str]]:
    """Status codes per path, from gunicorn's access log."""
    out: dict[str, Counter[str]] = {}
    for path, status in re.findall(r'"GET (\S+) HTTP/1\.[01]" (\d{3}) ', log.read_text()):
        out.setdefault(path, Counter())[status] += 1
    return out


def save(path: Path, key: str, entry: dict[str, Any]) -> None:
    """Merge the entry into the results file (read just before writing, replaced atomically)."""
    results = json.loads(path.read_text()) if path.exists() else {}
    results[key] = entry
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="demo")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per page (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="unrecorded seconds per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not on PATH: install it (Debian: apt-get install wrk)")

    url = database_url(args.size)
    create_database(url)
    setup = prepare(url, args.size)
    setup["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(
        f"{setup['engine']}, {args.size}: {setup['counts']}, {os.cpu_count()} cores,"
        f" load average {setup['load_average']}"
    )

    cores = os.cpu_count() or 1
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="bench-load-")) / "gunicorn.log"
    server = start_gunicorn(url, port, args.workers, log)
    measures: dict[str, dict[str, Any]] = {}
    try:
        for name, (path, cookie) in setup["pages"].items():
            status = get(port, path, cookie)
            if status != 200:
                sys.exit(f"{name}: GET {path} answered {status}, not 200; see {log}")
            target = f"http://127.0.0.1:{port}{path}"
            if args.warmup:
                run_wrk(wrk, args, target, cookie, args.warmup)
            before = cpu_times(server.pid, url.database or "")
            wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            entry = {"path": path, **parse_wrk(run_wrk(wrk, args, target, cookie, args.duration))}
            wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = cpu_used(before, cpu_times(server.pid, url.database or ""))
            cpu["wrk"] = round(
                wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime,
                2,
            )
            entry["cpu_s"] = cpu
            entry["cpu_ms_per_request"] = {
                part: round(1000 * seconds / max(entry["requests"], 1), 1)
                for part, seconds in cpu.items()
                if part != "wrk"
            }
            # Share of the machine's cores used by the server and wrk: well below 1, other
            # processes were busy.
            entry["cpu_share"] = round(sum(cpu.values()) / (entry["seconds"] * cores), 2)
            measures[name] = entry
    finally:
        stop(server)

    served = statuses(log)
    failures = []
    for name, entry in measures.items():
        entry["statuses"] = dict(served.get(entry["path"], {}))
        others = sum(n for s, n in entry["statuses"].items() if s != "200")
        if entry["non_2xx_3xx"] or others or any(entry["socket_errors"].values()):
            failures.append(f"{name}: {entry['statuses']}, wrk errors {entry['socket_errors']}")

    key = f"load-{setup['engine']}-{args.size}"
    save(
        Path(args.out),
        key,
        {
            "engine": setup["engine"],
            "size": args.size,
            "data": setup["counts"],
            "cores": os.cpu_count(),
            "load_average_before": setup["load_average"],
            "machine": platform.platform(),
            "gunicorn": package_version("gunicorn"),
            "workers": args.workers,
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "measured_at": dt.datetime.now(dt.UTC).isoformat(),
            "measures": measures,
        },
    )
    print(
        f"{key}: {args.workers} workers, {args.connections} connections, {args.threads} threads,"
        f" {args.duration} s per page (gunicorn log: {log})"
    )
    print(
        f"  {'page':<14}{'req/s':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'requests':>10}"
        f"{'CPU ms/req app + db':>22}{'CPU share':>11}"
    )
    for name, entry in measures.items():
        per_request = entry["cpu_ms_per_request"]
        print(
            f"  {name:<14}{entry['requests_per_s']:>8.1f}{entry['p50_ms']:>9.1f}"
            f"{entry['p90_ms']:>9.1f}{entry['p99_ms']:>9.1f}{entry['requests']:>10}"
            f"{per_request['app']:>14.1f} + {per_request['database']:<5.1f}"
            f"{entry['cpu_share']:>11.2f}"
        )
    print(f"written {args.out}")
    if failures:
        sys.exit("answers other than 200:\n  " + "\n  ".join(failures))


if __name__ == "__main__":
    main()
