"""The benchmark's generator: realistic volumes, inserted in bulk.

    DATABASE_URL=… .venv/bin/python bench/seed.py --learners 10000 --cohorts 400

Builds cohorts of 10–30 learners on the real published frameworks, with full assessment
histories (progressions and corrections), closed juries with decisions, certifications and
insertion-survey answers. Rows are inserted with Core `executemany` in chunks and explicit ids,
results through `record_results` (the same primitive as the grid) one cohort at a time, so
10,000 learners and ~2 million results take minutes, not hours. It refuses a database that
holds any account outside reserved domains.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import ScriptInfo, with_appcontext

from app import create_app
from app.assessment.recording import NewResult, record_results
from app.cohorts.models import (
    AccessRoute,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LearnerIdentity,
    Sex,
    cohort_trainers,
)
from app.db import commit, db, utcnow
from app.frameworks import documents, services
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.insertion.models import Horizon, Situation, SurveyAnswer
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole, memberships
from app.people.passwords import hash_password

CHUNK = 10_000
# Domains that can never be real addresses (RFC 2606, RFC 6761), such as the demo's and the
# bench's (.test). A database holding any other address belongs to people: no bench data there.
RESERVED = (
    ".test",
    ".example",
    ".invalid",
    ".localhost",
    "example.org",
    "example.com",
    "example.net",
)
BENCH_DOMAIN = "bench.cooperation.test"
BENCH_PASSWORD = "bench-mot-de-passe-2026"  # noqa: S105  (benchmark accounts only)


@dataclass
class SeedReport:
    learners: int = 0
    cohorts: int = 0
    results: int = 0
    decisions: int = 0
    answers: int = 0
    seconds: float = 0.0


def _insert(table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(table), rows[start : start + CHUNK])


def _next_id(model: Any) -> int:
    return (db.session.scalar(sa.select(sa.func.max(model.id))) or 0) + 1


def _fix_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's sequences past them."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "users",
        "organisations",
        "cohorts",
        "enrolments",
        "jury_sessions",
        "jury_presentations",
        "bloc_decisions",
        "survey_answers",
    ):
        db.session.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )


def _cohort_sizes(learners: int, cohorts: int, rng: random.Random) -> list[int]:
    """Split `learners` into `cohorts` groups of 10–30 (as even as the bounds allow)."""
    base = max(10, min(30, learners // max(cohorts, 1)))
    sizes = [base] * cohorts
    remaining = learners - base * cohorts
    i = 0
    while remaining != 0 and any(10 < s < 30 or (remaining > 0 and s < 30) for s in sizes):
        step = 1 if remaining > 0 else -1
        if 10 <= sizes[i] + step <= 30:
            sizes[i] += step
            remaining -= step
        i = (i + 1) % cohorts
    rng.shuffle(sizes)
    return sizes


def seed(learners: int, cohorts: int, seed_value: int = 7) -> SeedReport:
    """Add `cohorts` cohorts holding about `learners` learners, with their whole history."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    report = SeedReport()
    for document in documents.load_shipped(Path(current_app.config["REFERENTIEL_DIR"])):
        services.ensure_published(document)
    db.session.flush()
    versions = list(
        db.session.scalars(
            services.version_query().where(FrameworkVersion.status == VersionStatus.PUBLISHED)
        )
    )
    run = db.session.scalar(sa.select(sa.func.count()).select_from(Cohort)) or 0
    password_hash = hash_password(BENCH_PASSWORD)
    now = utcnow()
    today = dt.date.today()

    # Organisations and trainers: one training organisation per 40 cohorts.
    org_id, user_id = _next_id(Organisation), _next_id(User)
    n_orgs = max(1, cohorts // 40)
    orgs = [
        {
            "id": org_id + i,
            "name": f"Organisme de mesure {run}-{i + 1}",
            "kind": OrganisationKind.TRAINING,
            "created_at": now,
        }
        for i in range(n_orgs)
    ]
    _insert(Organisation.__table__, orgs)
    n_trainers = max(2, cohorts // 2)
    users: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    for i in range(n_trainers):
        uid = user_id + i
        users.append(
            {
                "id": uid,
                "email": f"formateur{run}-{i}@{BENCH_DOMAIN}",
                "full_name": f"Formateur·rice {run}-{i}",
                "password_hash": password_hash,
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
        )
        roles.append({"user_id": uid, "role": Role.TRAINER})
        members.append({"user_id": uid, "organisation_id": orgs[i % n_orgs]["id"]})
    coordinator_id = user_id + n_trainers
    users.append(
        {
            "id": coordinator_id,
            "email": f"coordination{run}@{BENCH_DOMAIN}",
            "full_name": f"Coordination {run}",
            "password_hash": password_hash,
            "active": True,
            "session_version": 1,
            "created_at": now,
        }
    )
    roles.append({"user_id": coordinator_id, "role": Role.COORDINATOR})
    members += [{"user_id": coordinator_id, "organisation_id": o["id"]} for o in orgs]
    next_user = coordinator_id + 1

    cohort_id, enrolment_id = _next_id(Cohort), _next_id(Enrolment)
    session_id = _next_id(JurySession)
    presentation_id, decision_id = _next_id(JuryPresentation), _next_id(BlocDecision)
    answer_id = _next_id(SurveyAnswer)
    cohort_rows: list[dict[str, Any]] = []
    trainer_rows: list[dict[str, Any]] = []
    enrolment_rows: list[dict[str, Any]] = []
    identity_rows: list[dict[str, Any]] = []
    results: list[list[NewResult]] = []  # one list per cohort
    session_rows: list[dict[str, Any]] = []
    presentation_rows: list[dict[str, Any]] = []
    decision_rows: list[dict[str, Any]] = []
    answer_rows: list[dict[str, Any]] = []
    routes = list(AccessRoute)
    for c, size in enumerate(_cohort_sizes(learners, cohorts, rng)):
        version = versions[c % len(versions)]
        levels = [lvl.id for lvl in version.scale_levels]
        acquired = [lvl.id for lvl in version.scale_levels if lvl.counts_as_acquired]
        criteria = [
            (b, k.id) for b in version.blocs for comp in b.competencies for k in comp.criteria
        ]
        start = today - dt.timedelta(days=rng.randint(30, 365 * 6))
        end = start + dt.timedelta(days=rng.randint(150, 330))
        finished = end < today
        cid = cohort_id + c
        trainer = user_id + (c % n_trainers)
        cohort_rows.append(
            {
                "id": cid,
                "name": f"Promotion de mesure {run}-{c + 1}",
                "organisation_id": orgs[c % n_orgs]["id"],
                "version_id": version.id,
                "start_date": start,
                "end_date": end,
                "access_route": rng.choice(routes),
                "created_at": now,
                "updated_at": now,
                "revision": 1,
            }
        )
        trainer_rows.append({"cohort_id": cid, "user_id": trainer})
        results.append([])
        if finished:
            jsid = session_id + len(session_rows)
            session_rows.append(
                {
                    "id": jsid,
                    "version_id": version.id,
                    "session_date": end,
                    "location": "Salle du conseil",
                    "external_members": "",
                    "created_at": now,
                    "closed_at": now,
                    "closed_by_id": coordinator_id,
                }
            )
        for _ in range(size):
            uid, eid = next_user, enrolment_id + len(enrolment_rows)
            next_user += 1
            users.append(
                {
                    "id": uid,
                    "email": f"apprenant{uid}@{BENCH_DOMAIN}",
                    "full_name": f"Apprenant·e {uid}",
                    "password_hash": password_hash,
                    "active": True,
                    "session_version": 1,
                    "created_at": now,
                }
            )
            roles.append({"user_id": uid, "role": Role.LEARNER})
            identity_rows.append(
                {
                    "user_id": uid,
                    "birth_name": f"Nom{uid}",
                    "first_names": ["Camille"],
                    "birth_date": dt.date(
                        rng.randint(1970, 2002), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    "sex": rng.choice(list(Sex)),
                    "birth_commune_code": "75111",
                    "updated_at": now,
                    "revision": 1,
                }
            )
            withdrawn = rng.random() < 0.06
            skill = rng.random()
            progress_share = 1.0 if finished else rng.uniform(0.2, 0.9)
            validated_blocs = set()
            acquired_all: dict[int, bool] = {}
            for bloc, crit in criteria:
                if (withdrawn and rng.random() < 0.7) or rng.random() > progress_share:
                    continue
                # 3.4 assessments per criterion on average: formative ones, the summative
                # one, corrections. About 2 million results for 10,000 learners.
                steps = 1 + sum(rng.random() < p for p in (0.9, 0.7, 0.5, 0.3))
                history = sorted(rng.choices(range(len(levels)), k=steps))
                if finished and skill > 0.25:
                    history[-1] = levels.index(acquired[-1])
                results[-1].extend(
                    NewResult(
                        eid,
                        crit,
                        levels[index],
                        trainer,
                        source="bench",
                        recorded_at=now - dt.timedelta(days=(steps - step) * 7),
                    )
                    for step, index in enumerate(history)
                )
                ok = levels[history[-1]] in acquired
                acquired_all[bloc.id] = acquired_all.get(bloc.id, True) and ok
            status = EnrolmentStatus.WITHDRAWN if withdrawn else EnrolmentStatus.ENROLLED
            certified_on = None
            if finished and not withdrawn:
                pid = presentation_id + len(presentation_rows)
                presentation_rows.append(
                    {"id": pid, "jury_session_id": session_rows[-1]["id"], "enrolment_id": eid}
                )
                for bloc in version.blocs:
                    proposed = acquired_all.get(bloc.id, False)
                    decision = Decision.VALIDATED if proposed else Decision.DEFERRED
                    if proposed:
                        validated_blocs.add(bloc.id)
                    decision_rows.append(
                        {
                            "id": decision_id + len(decision_rows),
                            "presentation_id": pid,
                            "bloc_id": bloc.id,
                            "decision": decision,
                            "proposed_validation": proposed,
                            "reason": "",
                            "decided_by_id": coordinator_id,
                            "decided_at": now,
                        }
                    )
                mandatory = {b.id for b in version.blocs if not b.optional}
                if mandatory <= validated_blocs:
                    status, certified_on = EnrolmentStatus.CERTIFIED, end
                    for horizon in Horizon:
                        answer_rows.append(
                            {
                                "id": answer_id + len(answer_rows),
                                "enrolment_id": eid,
                                "horizon": horizon,
                                "situation": rng.choice(list(Situation)),
                                "contract_type": None,
                                "answered_on": end + dt.timedelta(days=190),
                                "recorded_by_id": coordinator_id,
                                "recorded_at": now,
                            }
                        )
            enrolment_rows.append(
                {
                    "id": eid,
                    "cohort_id": cid,
                    "learner_id": uid,
                    "status": status,
                    "enrolled_at": now,
                    "status_changed_at": None,
                    "certified_on": certified_on,
                }
            )
    with click.progressbar(length=10 + len(results), label="insertion", file=None) as bar:
        for table, rows in (
            (User.__table__, users),
            (UserRole.__table__, roles),
            (memberships, members),
            (Cohort.__table__, cohort_rows),
            (cohort_trainers, trainer_rows),
            (Enrolment.__table__, enrolment_rows),
            (LearnerIdentity.__table__, identity_rows),
        ):
            _insert(table, rows)
            bar.update(1)
        for cohort_results in results:
            record_results(cohort_results)
            bar.update(1)
        for table, rows in (
            (JurySession.__table__, session_rows),
            (JuryPresentation.__table__, presentation_rows),
        ):
            _insert(table, rows)
            bar.update(1)
    _insert(BlocDecision.__table__, decision_rows)
    _insert(SurveyAnswer.__table__, answer_rows)
    _fix_sequences()
    report.learners = len(enrolment_rows)
    report.cohorts = len(cohort_rows)
    report.results = sum(len(rows) for rows in results)
    report.decisions = len(decision_rows)
    report.answers = len(answer_rows)
    report.seconds = time.perf_counter() - started
    return report


def refresh_statistics() -> None:
    """After a bulk load, what PostgreSQL's autovacuum would do some minutes later, at once:
    fresh statistics for the planner, and the new rows' visibility settled (a first reader of
    a row just written otherwise marks it as it goes; the first saves measured on a database
    seeded a second before took half as long again as the next ones). SQLite keeps no
    statistics until asked."""
    if db.engine.dialect.name == "postgresql":
        commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
        return
    db.session.execute(sa.text("ANALYZE"))
    commit()


@click.command("seed")
@click.option("--learners", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--cohorts", default=40, show_default=True, type=click.IntRange(1))
@click.option("--seed", "seed_value", default=7, show_default=True)
@with_appcontext
def seed_command(learners: int, cohorts: int, seed_value: int) -> None:
    """Fill the database with benchmark volumes (never on a database people use)."""
    real = db.session.scalar(
        sa.select(User.email).where(~sa.or_(*(User.email.endswith(d) for d in RESERVED))).limit(1)
    )
    if real is not None:
        raise click.ClickException(
            f"cette base contient de vrais comptes ({real}…) : les données de mesure ne "
            "s'écrivent que dans une base de mesure ou de démonstration"
        )
    if not 10 * cohorts <= learners <= 30 * cohorts:
        raise click.BadParameter(
            f"{learners} apprenant·es ne tiennent pas dans {cohorts} promotions de 10 à 30",
            param_hint="--learners",
        )
    report = seed(learners, cohorts, seed_value)
    commit()
    refresh_statistics()
    click.echo(
        f"{report.learners} apprenant·es, {report.cohorts} promotions, {report.results} résultats, "
        f"{report.decisions} décisions de jury, {report.answers} réponses d'enquête "
        f"en {report.seconds:.1f} s"
    )


if __name__ == "__main__":
    # DATABASE_URL names the database (migrated beforehand with `flask db upgrade`).
    seed_command(obj=ScriptInfo(create_app=create_app))
