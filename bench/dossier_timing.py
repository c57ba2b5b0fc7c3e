"""Time and peak memory of the certification dossier: one version, 2 and 10 cohorts of 20.

Builds a temporary SQLite database with the real référentiel (CTA), the dossier's texts and
--max-cohorts cohorts of --learners learners, each learner with a current result on every
criterion, closed jury decisions on every bloc and insertion-survey answers for the certified.
Then, for each count of cohorts asked, a fresh process builds the dossier's data, lays it out
and writes the PDF; it reports seconds per step, pages and its peak resident memory
(getrusage ru_maxrss: a fresh process per measure, so one measure does not inflate the next).

    .venv/bin/python bench/dossier_timing.py                  # 0, 2 and 10 cohorts of 20
    .venv/bin/python bench/dossier_timing.py --cohorts 1 2 5 10 20 --max-cohorts 20
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app
from app.db import db, utcnow

LABEL = "2025-04"
CERT = "CTA"


def _app(database: Path) -> Any:
    return create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}",
        INSTANCE_DIR=database.parent / "instance",
    )


def build(database: Path, cohorts: int, learners: int) -> None:
    """The database: the real référentiel, texts, cohorts with results, juries and answers."""
    from app.assessment.models import Result, ResultHead
    from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
    from app.dossier.demo import demo_texts
    from app.frameworks import documents, services
    from app.insertion.models import Horizon, Situation, SurveyAnswer
    from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
    from app.people.models import Organisation, OrganisationKind, User

    rng = random.Random(2026)
    app = _app(database)
    with app.app_context():
        db.create_all()
        version = services.import_document(documents.load(ROOT / "referentiel" / f"{_file()}"))
        services.publish(version)
        org = Organisation(name="Savoir Devenir", kind=OrganisationKind.TRAINING)
        assessor = User(email="formatrice@bench.test", full_name="Formatrice", password_hash="x")
        db.session.add_all([org, assessor, *demo_texts([version.certification])])
        db.session.flush()
        levels = {lvl.code: lvl.id for lvl in version.scale_levels}
        criteria = [crit.id for b in version.blocs for c in b.competencies for crit in c.criteria]
        blocs = [b.id for b in version.blocs]
        routes = list(AccessRoute)
        for n in range(cohorts):
            start = dt.date(2025, 1, 6) + dt.timedelta(days=35 * n)
            cohort = Cohort(
                name=f"Promotion pilote {n + 1} — « Animation » ({start.year})",
                organisation=org,
                version=version,
                start_date=start,
                end_date=start + dt.timedelta(days=280),
                access_route=routes[n % len(routes)],
            )
            jury = JurySession(version=version, session_date=start + dt.timedelta(days=280))
            db.session.add_all([cohort, jury])
            people = []
            for k in range(learners):
                status = rng.choices(
                    [
                        EnrolmentStatus.CERTIFIED,
                        EnrolmentStatus.ENROLLED,
                        EnrolmentStatus.WITHDRAWN,
                    ],
                    [6, 3, 1],
                )[0]
                learner = User(
                    email=f"p{n}-{k}@bench.test",
                    full_name=f"Apprenant·e {n}-{k}",
                    password_hash="x",
                )
                enrolment = Enrolment(
                    cohort=cohort,
                    learner=learner,
                    status=status,
                    certified_on=jury.session_date if status is EnrolmentStatus.CERTIFIED else None,
                )
                db.session.add_all([learner, enrolment])
                people.append(enrolment)
            db.session.flush()
            results, heads, decisions, answers = [], [], [], []
            for enrolment in people:
                for criterion_id in criteria:
                    level = rng.choices(["NA", "EC", "A"], [1, 2, 7])[0]
                    results.append(
                        {
                            "enrolment_id": enrolment.id,
                            "criterion_id": criterion_id,
                            "level_id": levels[level],
                            "assessor_id": assessor.id,
                            "recorded_at": utcnow(),
                            "source": "bench",
                        }
                    )
                presentation = JuryPresentation(jury_session=jury, enrolment=enrolment)
                db.session.add(presentation)
                db.session.flush()
                certified = enrolment.status is EnrolmentStatus.CERTIFIED
                for bloc_id in blocs:
                    validated = certified or rng.random() < 0.5
                    decisions.append(
                        {
                            "presentation_id": presentation.id,
                            "bloc_id": bloc_id,
                            "decision": (Decision.VALIDATED if validated else Decision.DEFERRED),
                            "proposed_validation": validated,
                            "reason": "",
                            "decided_by_id": assessor.id,
                            "decided_at": utcnow(),
                        }
                    )
                if certified:
                    for horizon in Horizon:
                        answers.append(
                            {
                                "enrolment_id": enrolment.id,
                                "horizon": horizon,
                                "situation": rng.choice(list(Situation)),
                                "recorded_by_id": assessor.id,
                                "recorded_at": utcnow(),
                            }
                        )
            db.session.execute(sa.insert(Result), results)
            db.session.flush()
            for result in db.session.execute(
                sa.select(
                    Result.id, Result.enrolment_id, Result.criterion_id, Result.level_id
                ).where(Result.enrolment_id.in_([e.id for e in people]))
            ):
                heads.append(
                    {
                        "enrolment_id": result.enrolment_id,
                        "criterion_id": result.criterion_id,
                        "result_id": result.id,
                        "level_id": result.level_id,
                    }
                )
            db.session.execute(sa.insert(ResultHead), heads)
            db.session.execute(sa.insert(BlocDecision), decisions)
            if answers:
                db.session.execute(sa.insert(SurveyAnswer), answers)
            jury.closed_at, jury.closed_by_id = utcnow(), assessor.id  # decisions are final
        db.session.commit()
        db.engine.dispose()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _file() -> str:
    return "animateur-cooperation-territoriale.yaml"


def measure(database: Path, cohorts: int) -> dict[str, Any]:
    """In this (fresh) process: the dossier of the first `cohorts` cohorts, step by step."""
    from app.cohorts.models import Cohort
    from app.dossier.builder import dossier_data
    from app.frameworks import services
    from exports.dossier import render

    app = _app(database)
    with app.app_context():
        started = time.perf_counter()
        version = services.load_version(CERT, LABEL)
        ids = list(
            db.session.scalars(
                sa.select(Cohort.id).where(Cohort.version_id == version.id).order_by(Cohort.id)
            )
        )[:cohorts]
        data = dossier_data(version, ids, generated_on=dt.date.today())
        built = time.perf_counter()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        cpu_before = _cpu()
        marks: dict[int, float] = {}

        def mark(percent: int) -> None:
            marks[percent] = time.perf_counter()

        rendered = render(data, mark)
        done = time.perf_counter()
        cpu = _cpu() - cpu_before
        db.engine.dispose()
    return {
        "cohorts": len(data.cohorts),
        "learners": sum(c.enrolled for c in data.cohorts),
        "pages": rendered.pages,
        "bytes": len(rendered.pdf),
        "data_s": round(built - started, 3),
        "html_s": round(marks[20] - built, 3),
        "layout_s": round(marks[85] - marks[20], 3),
        "pdf_s": round(marks[100] - marks[85], 3),
        "total_s": round(done - started, 3),
        "s_per_page": round((done - built) / rendered.pages, 3),
        # CPU time of the rendering: what wall time would be on an idle machine.
        "render_cpu_s": round(cpu, 3),
        "cpu_s_per_page": round(cpu / rendered.pages, 3),
        "peak_rss_mb_before_render": round(rss_before, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohorts", type=int, nargs="+", default=[0, 2, 10])
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--max-cohorts", type=int, default=None)
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--database", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.database, args.measure)))
        return
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        build(database, args.max_cohorts or max(args.cohorts), args.learners)
        print(f"données : {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows = []
        for count in args.cohorts:
            command = [sys.executable, __file__, "--measure", str(count), "--database", database]
            output = subprocess.run(  # noqa: S603  (this very script, in a fresh process)
                [str(part) for part in command], check=True, capture_output=True, text=True
            ).stdout
            rows.append(json.loads(output.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), file=sys.stderr)
    header = (
        f"{'promotions':>10} {'apprenant·es':>12} {'pages':>5} {'données s':>9} "
        f"{'HTML s':>6} {'mise en page s':>14} {'PDF s':>5} {'total s':>7} {'s/page':>6} "
        f"{'CPU rendu s':>11} {'CPU s/page':>10} {'RSS max Mo':>10}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['cohorts']:>10} {r['learners']:>12} {r['pages']:>5} {r['data_s']:>9} "
            f"{r['html_s']:>6} {r['layout_s']:>14} {r['pdf_s']:>5} {r['total_s']:>7} "
            f"{r['s_per_page']:>6} {r['render_cpu_s']:>11} {r['cpu_s_per_page']:>10} "
            f"{r['peak_rss_mb']:>10}"
        )


if __name__ == "__main__":
    main()
