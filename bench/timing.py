"""How a measure is taken and reported: server time through Flask's test client, the SQL
statements and their time, the time spent rendering, medians and percentiles, targets."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import before_render_template, g, template_rendered
from flask.testing import FlaskClient
from floors import RAW_QUERIES

from app.db import db
from app.people.models import User

TARGETS = {  # median ms, p95 ms or None, peak MB or None (issues #7 and #12)
    "version_page": (50, 100, None),
    "learner_page": (50, 100, None),
    "grid_load": (150, None, None),
    "grid_save": (60, None, None),
    "grid_import": (60, None, None),
    "cohort_analytics": (200, None, None),
    "dossier_pdf": (10_000, None, 500),
    "accrochage": (5000, None, None),
    "case_export": (200, None, None),  # issue #16
    "badge_issue": (50, None, None),  # issue #16: an Open Badge signed and downloaded
    "badge_verify": (50, None, None),  # issue #16: the same badge checked at /verifier
    "readiness_check": (200, None, None),  # issue #14: a version with ten promotions
}
ENGINE_TARGETS = {"postgresql": {"grid_save": (80, None, None), "grid_import": (80, None, None)}}
FLOOR_RATIO = 3  # each page within 3× of its floor


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
        target = {**TARGETS, **ENGINE_TARGETS.get(db.engine.dialect.name, {})}.get(target_name)
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
