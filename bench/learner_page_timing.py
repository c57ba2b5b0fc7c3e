"""Server time of the learner's page (/me) on the demo pilot, and with ten times more history.

Builds the demo (`app.demo`: two cohorts of 16 and 14 learners on the real frameworks) and
gives every learner an assessment history, as the demo has none: on each criterion, rounds of
results going from « non acquis » to « acquis » (three results per criterion, the last bloc left
unfinished), a comment per competency and round, evaluation sessions (past and upcoming), and a
closed jury validating the first two blocs of the measured learner (the first active learner of
the ongoing cohort). Then times GET /me and GET /me/historique through the Flask test client,
over --runs runs, and again after multiplying the results and comments by ten. Prints the
median and the 95th percentile in milliseconds and the SQL statements of one request.

    .venv/bin/python bench/learner_page_timing.py                  # a temporary SQLite file
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_me \\
        .venv/bin/python bench/learner_page_timing.py --reset      # a PostgreSQL database

The database is emptied first: a non-empty database is refused unless --reset is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app
from app.assessment.models import CompetencyComment, EvaluationSession, Result, ResultHead
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.demo import build_demo, plan_demo
from app.frameworks.models import Bloc, Competency, FrameworkVersion
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.people.models import Role, User, UserRole

ROUNDS = 3  # results per criterion on the demo: non acquis → en cours → acquis
CHUNK = 5000


def _insert(model: Any, rows: list[dict[str, Any]]) -> None:
    table = model.__table__
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])


def _versions() -> dict[int, FrameworkVersion]:
    return {
        v.id: v
        for v in db.session.scalars(
            sa.select(FrameworkVersion).options(
                sa.orm.selectinload(FrameworkVersion.scale_levels),
                sa.orm.selectinload(FrameworkVersion.blocs)
                .selectinload(Bloc.competencies)
                .selectinload(Competency.criteria),
            )
        )
    }


def add_history(factor: int, start: dt.datetime) -> tuple[int, int]:
    """Add `factor` times the demo's history to every learner; returns (results, comments)."""
    versions = _versions()
    trainer_of = {
        c.id: c.trainers[0].id
        for c in db.session.scalars(sa.select(Cohort).options(sa.orm.selectinload(Cohort.trainers)))
    }
    enrolments = db.session.execute(
        sa.select(Enrolment.id, Enrolment.cohort_id, Cohort.version_id).join(Enrolment.cohort)
    ).all()
    sessions = {
        (cohort_id, bloc_id): session_id
        for session_id, cohort_id, bloc_id in db.session.execute(
            sa.select(EvaluationSession.id, EvaluationSession.cohort_id, EvaluationSession.bloc_id)
            .where(EvaluationSession.session_date < dt.date.today())
            .order_by(EvaluationSession.id)
        )
    }
    results: list[dict[str, Any]] = []
    comments: list[dict[str, Any]] = []
    at = start
    for enrolment_id, cohort_id, version_id in enrolments:
        version = versions[version_id]
        levels = [lvl.id for lvl in version.scale_levels]  # NA, EC, A
        last = len(version.blocs) - 1
        for repeat in range(factor):
            for round_ in range(ROUNDS):
                for b, bloc in enumerate(version.blocs):
                    # The last bloc stays « en cours »; the others end « acquis ».
                    level = levels[min(round_, 1)] if b == last else levels[round_]
                    for comp in bloc.competencies:
                        for crit in comp.criteria:
                            at += dt.timedelta(seconds=7)
                            results.append(
                                {
                                    "enrolment_id": enrolment_id,
                                    "criterion_id": crit.id,
                                    "level_id": level,
                                    "assessor_id": trainer_of[cohort_id],
                                    "session_id": sessions.get((cohort_id, bloc.id)),
                                    "recorded_at": at,
                                    "source": "bench",
                                }
                            )
                        comments.append(
                            {
                                "enrolment_id": enrolment_id,
                                "competency_id": comp.id,
                                "author_id": trainer_of[cohort_id],
                                "session_id": sessions.get((cohort_id, bloc.id)),
                                "text": f"Retour {repeat + 1}.{round_ + 1} sur {comp.code} : "
                                "objectifs clairs, à consolider en situation réelle.",
                                "recorded_at": at,
                            }
                        )
    _insert(Result, results)
    _insert(CompetencyComment, comments)
    # Move every cell's head to its latest result, as a grid save does.
    db.session.execute(sa.delete(ResultHead))
    latest = (
        sa.select(sa.func.max(Result.id).label("id"))
        .group_by(Result.enrolment_id, Result.criterion_id)
        .subquery()
    )
    heads = [
        {"enrolment_id": e, "criterion_id": c, "result_id": r, "level_id": lvl}
        for e, c, r, lvl in db.session.execute(
            sa.select(Result.enrolment_id, Result.criterion_id, Result.id, Result.level_id).join(
                latest, latest.c.id == Result.id
            )
        )
    ]
    _insert(ResultHead, heads)
    db.session.commit()
    return len(results), len(comments)


def build() -> dict[str, Any]:
    """The demo, its evaluation sessions and a closed jury; returns what the measure needs."""
    today = dt.date.today()
    build_demo(plan_demo(today))
    db.session.flush()
    cohorts = db.session.scalars(sa.select(Cohort).order_by(Cohort.start_date)).all()
    for cohort in cohorts:
        blocs = db.session.scalars(
            sa.select(Bloc).where(Bloc.version_id == cohort.version_id).order_by(Bloc.position)
        ).all()
        for i, bloc in enumerate(blocs):
            db.session.add(
                EvaluationSession(
                    cohort=cohort,
                    bloc=bloc,
                    session_date=min(cohort.start_date + dt.timedelta(days=30 * (i + 1)), today),
                    title=f"Mise en situation {bloc.code}",
                )
            )
            db.session.add(
                EvaluationSession(
                    cohort=cohort,
                    bloc=bloc,
                    session_date=today + dt.timedelta(days=14 * (i + 1)),
                    title=f"Rattrapage {bloc.code}",
                )
            )
    db.session.flush()
    ongoing = cohorts[-1]
    enrolment = db.session.scalars(
        sa.select(Enrolment)
        .where(Enrolment.cohort_id == ongoing.id, Enrolment.status == EnrolmentStatus.ENROLLED)
        .order_by(Enrolment.id)
    ).first()
    assert enrolment is not None
    coordinator = db.session.scalars(
        sa.select(User).join(UserRole).where(UserRole.role == Role.COORDINATOR)
    ).first()
    assert coordinator is not None
    blocs = db.session.scalars(
        sa.select(Bloc).where(Bloc.version_id == ongoing.version_id).order_by(Bloc.position)
    ).all()
    jury = JurySession(
        version_id=ongoing.version_id,
        session_date=today - dt.timedelta(days=20),
        location="Lyon",
        external_members="Marc Pro (employeur)",
        closed_at=utcnow() - dt.timedelta(days=19),
        closed_by_id=coordinator.id,
    )
    presentation = JuryPresentation(jury_session=jury, enrolment=enrolment)
    presentation.decisions = [
        BlocDecision(
            bloc_id=bloc.id,
            decision=Decision.VALIDATED,
            proposed_validation=True,
            decided_by_id=coordinator.id,
        )
        for bloc in blocs[:2]
    ]
    db.session.add_all([jury, presentation])
    learner = db.session.get(User, enrolment.learner_id)
    assert learner is not None
    db.session.commit()
    return {"login": learner.get_id(), "name": learner.full_name, "enrolment_id": enrolment.id}


def milliseconds(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[18] if len(ms) > 1 else ms[0]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def measure(app: Any, client: Any, url: str, runs: int) -> tuple[list[float], int, int]:
    """Times of `runs` GETs (after two warm-ups), the SQL statements of one, the page size."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    page = client.get(url)
    sa.event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200, page.status_code
    samples = []
    for run in range(runs + 2):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200
        if run >= 2:
            samples.append(elapsed)
    return samples, len(statements), len(page.data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--reset", action="store_true", help="empty a non-empty database")
    args = parser.parse_args()
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
            setup = build()
            engine = db.engine.dialect.name
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = setup["login"]
        start = utcnow() - dt.timedelta(days=400)
        lines = []
        for label, factor in (("démo", 1), ("× 10", 9)):
            with app.app_context():
                add_history(factor, start)
                start += dt.timedelta(days=1)
                results = db.session.scalar(sa.select(sa.func.count(Result.id)))
                comments = db.session.scalar(sa.select(sa.func.count(CompetencyComment.id)))
                mine = db.session.scalar(
                    sa.select(sa.func.count(Result.id)).where(
                        Result.enrolment_id == setup["enrolment_id"]
                    )
                )
            lines.append(
                f"{label} : {results} résultats et {comments} commentaires en base, "
                f"dont {mine} résultats de l'apprenant·e mesuré·e"
            )
            for path in ("/me", "/me/historique"):
                samples, queries, size = measure(app, client, path, args.runs)
                lines.append(
                    f"  GET {path:<16} {milliseconds(samples)}   {queries:2d} requêtes SQL   "
                    f"page de {size / 1024:.0f} Kio"
                )
        with app.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
    print(f"{engine} : {args.runs} mesures par page, apprenant·e « {setup['name']} »")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
