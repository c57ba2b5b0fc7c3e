"""Enqueue, claim and run jobs.

A job is claimed by one worker only: on PostgreSQL with `SELECT … FOR UPDATE SKIP LOCKED`, on
SQLite with a compare-and-set `UPDATE … WHERE status = 'queued'` (SQLite has one writer at a
time, so the second worker's update finds the job taken and changes nothing).

Handlers are registered per application (`register_handler`) and get the payload and a
`progress(percent)` callback. A handler writes its results in the session; the runner commits
them with the job's final status. `progress()` commits too, so a handler must not leave
unfinished writes pending when it reports progress.

This is the one place outside `app.db`'s boundaries that commits and rolls back by hand: a job
is many units of work (claimed, each step of progress, finished or failed), each of which must
be seen by other processes as soon as it happens.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import ngettext
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.db import commit, db, utcnow
from app.jobs.models import Job, JobStatus

Progress = Callable[[int], None]


class JobError(Exception):
    """A job cannot run (unknown kind, bad payload)."""


@dataclass(frozen=True)
class Handler:
    run: Callable[[dict[str, Any], Progress], None]
    # Called (in a fresh transaction, committed with the job) with the payload and the
    # exception when run fails.
    on_failure: Callable[[dict[str, Any], Exception], None] | None = None


def register_handler(app: Flask, kind: str, handler: Handler) -> None:
    app.extensions.setdefault("job_handlers", {})[kind] = handler


def _handler(kind: str) -> Handler | None:
    handlers: dict[str, Handler] = current_app.extensions.get("job_handlers", {})
    return handlers.get(kind)


def enqueue(kind: str, payload: dict[str, Any]) -> Job:
    """Add a job to the queue (in the caller's transaction)."""
    job = Job(kind=kind, payload=payload, status=JobStatus.QUEUED)
    db.session.add(job)
    db.session.flush()
    return job


def dispatch(job: Job) -> None:
    """After the caller has committed: run the job now when JOBS_INLINE is set."""
    if current_app.config.get("JOBS_INLINE"):
        run_job(job.id)


# --- claiming --------------------------------------------------------------------------------


def _claim_values() -> dict[str, Any]:
    return {
        "status": JobStatus.RUNNING,
        "started_at": utcnow(),
        "attempts": Job.attempts + 1,
        "progress": 0,
    }


def claim_next(worker_session: Session | None = None) -> Job | None:
    """Take the oldest queued job for this worker, committed as running; None if none."""
    session = cast(Session, worker_session if worker_session is not None else db.session)
    session.commit()  # start from a fresh transaction (no stale snapshot)
    queued = sa.select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        job_id = session.scalar(queued.with_for_update(skip_locked=True))
        if job_id is None:
            session.rollback()  # nothing to claim: end the read
            return None
        session.execute(
            sa.update(Job)
            .where(Job.id == job_id)
            .values(**_claim_values())
            .execution_options(synchronize_session=False)
        )
        session.commit()  # claimed: other workers must see it now
        job = session.get(Job, job_id)
        if job is not None:
            session.refresh(job)
        return job
    for _ in range(20):
        try:
            job_id = session.scalar(queued)
            if job_id is None:
                session.rollback()  # nothing to claim: end the read
                return None
            result = session.execute(
                sa.update(Job)
                .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
                .values(**_claim_values())
                .execution_options(synchronize_session=False)
            )
            if cast(CursorResult[Any], result).rowcount == 1:
                session.commit()  # claimed: other workers must see it now
                job = session.get(Job, job_id)
                if job is not None:
                    session.refresh(job)
                return job
            session.rollback()  # another worker took it: try the next one
        except OperationalError:  # SQLite: the database was busy; try again
            session.rollback()  # busy: try again on a fresh transaction
            time.sleep(0.05)
    return None


def requeue_stale() -> int:
    """Jobs left running by a worker that died: queue again, or fail after too many tries."""
    limit = utcnow() - timedelta(minutes=current_app.config["JOBS_STALE_MINUTES"])
    stale = db.session.scalars(
        sa.select(Job).where(Job.status == JobStatus.RUNNING, Job.started_at < limit)
    ).all()
    for job in stale:
        if job.attempts >= current_app.config["JOBS_MAX_ATTEMPTS"]:
            job.status = JobStatus.FAILED
            job.finished_at = utcnow()
            job.error = "abandonnée : le processus qui l'exécutait s'est arrêté"
            handler = _handler(job.kind)
            if handler is not None and handler.on_failure is not None:
                handler.on_failure(dict(job.payload), JobError(job.error))
        else:
            job.status = JobStatus.QUEUED
    commit()  # before the worker's first job: requeued jobs are claimable at once
    return len(stale)


# --- running ---------------------------------------------------------------------------------


def run_job(job_id: int) -> Job:
    """Run one claimed (or inline) job to its end and record how it ended."""
    job = db.session.get(Job, job_id)
    if job is None:
        raise JobError(f"tâche introuvable : {job_id}")
    if job.status is JobStatus.QUEUED:  # inline: claim it here
        job.status = JobStatus.RUNNING
        job.started_at = utcnow()
        job.attempts += 1
        commit()  # the job is running: pages show it
    payload = dict(job.payload)
    handler = _handler(job.kind)

    def progress(percent: int) -> None:
        job.progress = max(0, min(100, int(percent)))
        commit()  # progress is seen by the page polling it

    try:
        if handler is None:
            raise JobError(f"type de tâche inconnu : {job.kind}")
        handler.run(payload, progress)
        job.status = JobStatus.DONE
        job.progress = 100
        job.finished_at = utcnow()
        commit()  # the job's results and its end, together
    except Exception as exc:  # any failure is recorded on the job, never lost
        db.session.rollback()  # undo the half-done work; record the failure below
        current_app.logger.exception("job %s (%s) failed", job_id, job.kind)
        message = str(exc) or type(exc).__name__
        failed = db.session.get(Job, job_id)
        assert failed is not None
        failed.status = JobStatus.FAILED
        failed.finished_at = utcnow()
        failed.error = f"{message}\n\n{traceback.format_exc()}"[:20000]
        if handler is not None and handler.on_failure is not None:
            handler.on_failure(payload, exc)
        commit()  # the failure is recorded even though the work was undone
        return failed
    return job


def work(*, once: bool = False, burst: bool = False, echo: Callable[[str], None]) -> int:
    """The worker loop; returns how many jobs it ran.

    `once`: run at most one job. `burst`: run until the queue is empty. Otherwise poll forever.
    """
    ran = 0
    requeued = requeue_stale()
    if requeued:
        echo(
            ngettext(
                "%(num)d tâche abandonnée remise en file",
                "%(num)d tâches abandonnées remises en file",
                requeued,
            )
        )
    while True:
        job = claim_next()
        if job is None:
            if once or burst:
                return ran
            time.sleep(current_app.config["JOBS_POLL_SECONDS"])
            continue
        echo(f"tâche {job.id} ({job.kind}) : démarrée")
        finished = run_job(job.id)
        ran += 1
        echo(f"tâche {finished.id} ({finished.kind}) : {finished.status.value}")
        db.session.remove()  # start the next job with a clean session
        if once:
            return ran
