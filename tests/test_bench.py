"""`make bench` keeps working: bench/run.py measures every page and export of issue #7 on a
tiny database of the engine under test and writes every figure to its results file and the
page generated from it; and the generator (bench/seed.py) writes only where no real account
lives."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from app.assessment.models import Result
from app.cohorts.models import Enrolment
from app.people.models import Role
from tests.conftest import own_database

ROOT = Path(__file__).resolve().parents[1]
READS = ("version_page", "learner_page", "grid_load", "cohort_analytics")
WRITES = ("grid_save", "grid_import", "accrochage", "dossier_pdf", "case_export")
CHECKS = ("readiness_check",)  # issue #14: ten promotions at least


@pytest.mark.slow
def test_the_bench_measures_everything(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    script = ROOT / "bench" / "run.py"
    with own_database(tmp_path, "bench") as url:
        done = subprocess.run(
            [
                sys.executable,
                str(script),
                *("--size", "tiny", "--runs", "1", "--out", str(out)),
                *("--docs", str(tmp_path / "benchmarks.md")),
            ],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    engine = sa.make_url(url).get_backend_name()
    entry = json.loads(out.read_text())[f"{engine}-tiny"]
    assert entry["data"]["learners"] >= 80 and entry["data"]["results"] > 1000
    assert entry["cores"] == os.cpu_count()
    measures = entry["measures"]
    assert set(READS + WRITES + CHECKS) <= set(measures)
    assert measures["readiness_check"]["promotions"] >= 10
    for name in READS:
        m = measures[name]
        assert m["floor_median_ms"] > 0 and m["floor_queries"] >= 5, (name, m)
        assert m["ratio_to_floor"] > 0 and isinstance(m["within_floor_ratio"], bool)
    for name in READS + WRITES + CHECKS:
        m = measures[name]
        assert 0 < m["median_ms"] <= m["p95_ms"] and m["queries"] > 0, (name, m)
        assert isinstance(m.get("meets_target"), bool) or name == "grid_import", (name, m)
    assert measures["dossier_pdf"]["pages"] > 0 and measures["dossier_pdf"]["peak_mb"] > 0
    save = measures["grid_save"]
    assert save["write_floor_median_ms"] > 0 and save["write_floor_statements"] == 2
    assert save["ratio_to_write_floor"] > 0
    assert "median" in done.stdout and "written" in done.stdout
    page = (tmp_path / "benchmarks.md").read_text()
    assert f"## {engine}, tiny" in page and "| grid_save |" in page
    assert "Plancher d'écriture" in page


def seed_command() -> Any:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from seed import seed_command
    finally:
        sys.path.remove(str(ROOT / "bench"))
    return seed_command


def test_bench_seed_fills_a_database_without_real_accounts(runner: Any, db_session: Any) -> None:
    before = db_session.scalar(sa.select(sa.func.count(Result.id)))
    result = runner.invoke(seed_command(), ["--learners", "24", "--cohorts", "2"])
    assert result.exit_code == 0, result.output
    assert "24 apprenant·es, 2 promotions" in result.output
    assert db_session.scalar(sa.select(sa.func.count(Enrolment.id))) == 24
    assert db_session.scalar(sa.select(sa.func.count(Result.id))) > before + 24 * 20


def test_bench_seed_never_writes_next_to_real_accounts(
    runner: Any, db_session: Any, create_user: Any
) -> None:
    create_user(Role.COORDINATOR, email="camille.martin@cooperative-du-territoire.fr")
    result = runner.invoke(seed_command(), ["--learners", "24", "--cohorts", "2"])
    assert result.exit_code == 1
    assert "cette base contient de vrais comptes (camille.martin@" in result.output
    assert db_session.scalar(sa.select(sa.func.count(Enrolment.id))) == 0
