"""The measures: what is measured (each page, save and export, with its floor); how a measure
is taken and reported is in timing.py."""

from __future__ import annotations

import datetime as dt
import gc
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from floors import RAW_QUERIES, floor_cohort, floor_learner, floor_save, floor_version
from grid import GRID_COHORT, filled_workbook, grid_cohort, grid_form, moved_cells
from seed import refresh_statistics
from timing import Clock, FreshClient, Report, login, ok, redirected, stats, timed
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.assessment.models import Result
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.people.models import User

RUN = Path(__file__).with_name("run.py")
FORM = "application/x-www-form-urlencoded"


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


def measure_all(app: Any, report: Report, *, long_dossier: bool = True) -> None:
    app.test_client_class = FreshClient
    client = app.test_client()
    grid = grid_cohort()
    saves = max(5, report.runs // 4)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
    # Each save on a grid of its own, with the same 3-deep history (results are never deleted,
    # not even here), all made before measuring, then fresh planner statistics.
    grids = [grid_cohort(f"{GRID_COHORT} {stamp}-{n}") for n in range(2 * (saves + 1) + 1)]
    floor_grid = grids.pop()
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

    # The request bodies are encoded before the clock starts: what the browser does is not
    # server time (urlencoding the 3,600 fields of a grid costs the test client ~15 ms).
    def fresh_form() -> tuple[str, bytes, str]:
        other = fresh()
        return other["url"], urlencode(grid_form(other)).encode(), FORM

    def fresh_workbook() -> tuple[str, bytes, str]:
        other = fresh()
        book = io.BytesIO(filled_workbook(trainer, other["url"]))
        boundary, body = encode_multipart({"file": FileStorage(book, "grille.xlsx")})
        return other["url"] + "/import", body, f"multipart/form-data; boundary={boundary}"

    def post(sent: tuple[str, bytes, str]) -> None:
        redirected(trainer.post(sent[0], data=sent[1], content_type=sent[2]))

    save = report.record("grid_save", post, runs=saves, prepare=fresh_form)
    RAW_QUERIES[0] = 0
    write_floor = timed(
        lambda cells: floor_save(cells, trainer_id), saves, prepare=lambda: moved_cells(floor_grid)
    )
    save["write_floor_median_ms"] = write_floor["median_ms"]
    save["write_floor_statements"] = RAW_QUERIES[0] // (saves + 1)
    save["ratio_to_write_floor"] = round(save["median_ms"] / write_floor["median_ms"], 1)
    print(
        f"  {'write_floor':<18} {write_floor['median_ms']:9.1f} {write_floor['p95_ms']:9.1f}"
        f" {save['write_floor_statements']:5d}   grid_save ×{save['ratio_to_write_floor']}",
        flush=True,
    )
    entry = report.record("grid_import", post, runs=saves, prepare=fresh_workbook)
    entry["write_floor_median_ms"] = write_floor["median_ms"]
    entry["ratio_to_write_floor"] = round(entry["median_ms"] / write_floor["median_ms"], 1)

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
            test_file=True,  # the shipped certifications have no RNCP number yet
        )
        build_accrochage(data)

    entry = report.record(
        "accrochage", accrochage, runs=max(3, report.runs // 5), target="accrochage"
    )
    entry["certified_people"] = total

    case_export(client, report)
    open_badges(app, client, version, report)

    cohorts = cohorts_of_size(version)
    report.add("dossier_pdf", dossier(version.id, cohorts, runs=min(3, report.runs)), "dossier_pdf")
    readiness(app, version, report)
    if not long_dossier:  # tests/test_bench.py's tiny run: the rest is enough to check
        return
    # The dossier stays linear in its pages (#14): each pilot cohort adds its tables, so the
    # same version's dossier with many cohorts runs to about sixty pages.
    # The generator spreads new cohorts over every published version: ask for what this
    # version lacks (a few rounds at most, as each round adds that many to this version).
    many: list[int] = []
    for _round in range(3):
        many = list(
            db.session.scalars(
                sa.select(Cohort.id)
                .where(Cohort.version_id == version.id)
                .order_by(Cohort.id)
                .limit(LONG_DOSSIER_COHORTS)
            )
        )
        if len(many) >= LONG_DOSSIER_COHORTS:
            break
        ensure_promotions(version, promotions(version) + LONG_DOSSIER_COHORTS - len(many))
    report.add(
        "dossier_pdf_long", dossier(version.id, many, runs=min(3, report.runs)), "dossier_pdf"
    )


def case_export(client: Any, report: Report) -> None:
    """The CASE package of the largest version (most criteria): built from the database as
    `flask case export` does (the target's measure), then downloaded from its page, where a
    published version's package is kept once built."""
    from app.frameworks import case as case_service
    from app.frameworks import services
    from app.frameworks.models import Criterion
    from exports import case

    largest = db.session.execute(
        sa.select(FrameworkVersion.id, sa.func.count(Criterion.id).label("criteria"))
        .join(Criterion, Criterion.version_id == FrameworkVersion.id)
        .group_by(FrameworkVersion.id)
        .order_by(sa.desc("criteria"), FrameworkVersion.id)
        .limit(1)
    ).one()
    version = db.session.get(FrameworkVersion, largest.id)
    code, label = version.certification.code, version.label

    def export(_: Any) -> bytes:
        db.session.expire_all()  # nothing reused from the previous run
        return case.package_bytes(case_service.package(services.load_version(code, label)))

    body = export(None)
    entry = report.record("case_export", export)
    entry["version"] = f"{code} {label}"
    entry["criteria"] = largest.criteria
    entry["items"] = len(case_service.package(services.load_version(code, label))["CFItems"])
    entry["package_kb"] = round(len(body) / 1024)
    url = f"/referentiels/{code}/{label}/case.json"
    report.record("case_download", lambda _: ok(client.get(url)), target="case_export")


def dossier(version_id: int, cohort_ids: list[int], runs: int) -> dict[str, Any]:
    command = [sys.executable, str(RUN), "--dossier", str(version_id), *map(str, cohort_ids)]
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
        "ms_per_page": round(entry["median_ms"] / max(rows[-1]["pages"], 1), 1),
        "learners": rows[-1]["learners"],
        "cohorts": len(cohort_ids),
    }


def dossier_child(app: Any, version_id: int, cohort_ids: list[int]) -> None:
    from app.dossier.builder import dossier_data
    from app.frameworks.services import version_query
    from exports.dossier import render

    with app.app_context(), Clock() as clock:
        start = time.perf_counter()
        # Loaded with its content, as the export job does (frameworks.services.load_version).
        version = db.session.scalar(version_query().where(FrameworkVersion.id == version_id))
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


def open_badges(app: Any, client: Any, version: FrameworkVersion, report: Report) -> None:
    """A certified learner downloads the badge of a mandatory bloc (each run a learner who
    has none yet, so each run signs and records one), then anyone checks it at /verifier."""
    from app.badges.models import IssuedBadge
    from app.frameworks.models import Bloc
    from app.people.models import Organisation, OrganisationKind

    if not db.session.scalar(
        sa.select(Organisation.id).where(Organisation.kind == OrganisationKind.CERTIFIER)
    ):
        db.session.add(Organisation(name=version.certifier_name, kind=OrganisationKind.CERTIFIER))
        db.session.commit()
    bloc = db.session.scalar(
        sa.select(Bloc)
        .where(Bloc.version_id == version.id, Bloc.optional.is_(False))
        .order_by(Bloc.position)
        .limit(1)
    )
    cohorts, _ = certified_cohorts(version, report.runs + 1)
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .where(
                Enrolment.cohort_id.in_(cohorts),
                Enrolment.status == EnrolmentStatus.CERTIFIED,
                ~sa.exists().where(
                    IssuedBadge.enrolment_id == Enrolment.id, IssuedBadge.bloc_id == bloc.id
                ),
            )
            .order_by(Enrolment.id)
        )
    )
    runs = min(report.runs, len(enrolments) - 1)
    if runs < 3:
        print("  badge_issue: too few certified learners without a badge", flush=True)
        return
    issued: list[bytes] = []

    def next_learner() -> tuple[Any, str]:
        enrolment = enrolments.pop()
        learner = app.test_client()
        login(learner, enrolment.learner)
        return learner, f"/me/badges/{enrolment.id}/blocs/{bloc.code}.json"

    def issue(arg: tuple[Any, str]) -> None:
        learner, url = arg
        issued.append(ok(learner.get(url)))

    report.record("badge_issue", issue, runs=runs, prepare=next_learner)
    text = issued[-1].decode()

    def check(_: Any) -> None:
        body = ok(client.post("/verifier/badge", data={"badge-credential": text}))
        assert b"Badge authentique" in body or b"Badge authentic" in body, body[:300]

    report.record("badge_verify", check)


PROMOTIONS = 10  # issue #14: the readiness check of a version with ten promotions
LONG_DOSSIER_COHORTS = 16  # about sixty pages with the shipped CTD


def promotions(version: FrameworkVersion) -> int:
    """The cohorts of `version`'s certification (any version)."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Cohort.id))
            .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
            .where(FrameworkVersion.certification_id == version.certification_id)
        )
        or 0
    )


def ensure_promotions(version: FrameworkVersion, wanted: int) -> None:
    """When the seeded volumes hold fewer than `wanted` promotions of `version`'s
    certification, the generator adds some (to every published version in turn), with their
    learners, results, jury decisions and insertion surveys."""
    missing = wanted - promotions(version)
    if missing <= 0:
        return
    from seed import seed

    versions = (
        db.session.scalar(
            sa.select(sa.func.count(FrameworkVersion.id)).where(
                FrameworkVersion.status == VersionStatus.PUBLISHED
            )
        )
        or 1
    )
    seed(20 * missing * versions, missing * versions, seed_value=wanted)
    db.session.commit()
    refresh_statistics()


def readiness(app: Any, version: FrameworkVersion, report: Report) -> None:
    """The readiness check (app/dossier/readiness.py) of a version whose certification has at
    least ten promotions: the version loaded with its content, then checked, as its page
    does. Measured after the other pages, as it may add promotions."""
    from app.dossier.readiness import check
    from app.frameworks import services

    ensure_promotions(version, PROMOTIONS)
    code, label = version.certification.code, version.label

    def run(_: Any) -> None:
        db.session.expire_all()  # nothing reused from the previous run
        with app.test_request_context():
            check(services.load_version(code, label))

    entry = report.record("readiness_check", run)
    entry["version"] = f"{code} {label}"
    entry["promotions"] = promotions(version)
    entry["certified_people"] = (
        db.session.scalar(
            sa.select(sa.func.count(Enrolment.id))
            .join(Cohort)
            .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
            .where(
                FrameworkVersion.certification_id == version.certification_id,
                Enrolment.status == EnrolmentStatus.CERTIFIED,
            )
        )
        or 0
    )
