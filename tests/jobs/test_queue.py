"""The job queue: claimed once, run inline or by the worker, failures and progress recorded."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.jobs import queue
from app.jobs.models import Job, JobStatus
from app.jobs.queue import Handler, Progress, register_handler
from app.people.models import AuditEvent
from tests.jobs.conftest import Calls


def queued(kind: str = "test.ok", **payload: Any) -> Job:
    job = queue.enqueue(kind, payload)
    db.session.commit()
    return job


def test_a_job_is_claimed_once_oldest_first(db_session: Any, handlers: Calls) -> None:
    first, second = queued(n=1), queued(n=2)
    claimed = queue.claim_next()
    assert claimed is not None and claimed.id == first.id
    assert claimed.status is JobStatus.RUNNING
    assert claimed.attempts == 1 and claimed.started_at is not None
    again = queue.claim_next()
    assert again is not None and again.id == second.id
    assert queue.claim_next() is None


def test_enqueue_then_dispatch_without_inline_leaves_it_queued(
    db_session: Any, handlers: Calls
) -> None:
    job = queued(n=1)
    queue.dispatch(job)
    assert job.status is JobStatus.QUEUED and handlers.runs == []


def test_inline_mode_runs_the_job_at_once(
    app: Flask, db_session: Any, handlers: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)
    job = queued(n=1, steps=[50])
    queue.dispatch(job)
    db.session.refresh(job)
    assert handlers.runs == [{"n": 1, "steps": [50]}]
    assert job.status is JobStatus.DONE and job.progress == 100
    assert job.attempts == 1 and job.finished_at is not None and job.error == ""


def test_progress_is_committed_as_the_job_goes(
    db_session: Any, handlers: Calls, app: Flask
) -> None:
    seen: list[int | None] = []

    def watch(payload: dict[str, Any], progress: Progress) -> None:
        for percent in (10, 55, 120):
            progress(percent)
            db.session.expire_all()
            seen.append(db.session.scalar(sa.select(Job.progress).where(Job.id == job.id)))

    register_handler(app, "test.watch", Handler(run=watch))
    job = queued("test.watch")
    done = queue.run_job(job.id)
    assert seen == [10, 55, 100]
    assert done.progress == 100 and done.status is JobStatus.DONE


def test_a_failure_is_recorded_with_its_error(db_session: Any, handlers: Calls) -> None:
    job = queued("test.boom", n=3)
    failed = queue.run_job(job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error.startswith("le calcul a échoué")
    assert "ValueError" in failed.error  # the traceback, for the operator
    assert failed.finished_at is not None
    assert failed.progress == 40  # what it had reported before failing
    ((payload, error),) = handlers.failures
    assert payload == {"n": 3} and isinstance(error, ValueError)
    # What the handler wrote before failing is not kept.
    assert (
        db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "test.half")) is None
    )


def test_an_unknown_kind_fails(db_session: Any, handlers: Calls) -> None:
    job = queued("test.nobody")
    failed = queue.run_job(job.id)
    assert failed.status is JobStatus.FAILED
    assert "type de tâche inconnu : test.nobody" in failed.error


def test_stale_running_jobs_are_queued_again_or_given_up(
    app: Flask, db_session: Any, handlers: Calls
) -> None:
    long_ago = utcnow() - timedelta(minutes=app.config["JOBS_STALE_MINUTES"] + 5)
    retry = Job(
        kind="test.ok", payload={"n": 1}, status=JobStatus.RUNNING, started_at=long_ago, attempts=1
    )
    give_up = Job(
        kind="test.ok",
        payload={"n": 2},
        status=JobStatus.RUNNING,
        started_at=long_ago,
        attempts=app.config["JOBS_MAX_ATTEMPTS"],
    )
    fresh = Job(
        kind="test.ok", payload={"n": 3}, status=JobStatus.RUNNING, started_at=utcnow(), attempts=1
    )
    db.session.add_all([retry, give_up, fresh])
    db.session.commit()
    assert queue.requeue_stale() == 2
    assert retry.status is JobStatus.QUEUED
    assert give_up.status is JobStatus.FAILED and give_up.finished_at is not None
    assert fresh.status is JobStatus.RUNNING
    assert [p for p, _ in handlers.failures] == [{"n": 2}]


def test_worker_command_burst_and_once(runner: Any, db_session: Any, handlers: Calls) -> None:
    ids = [queued(n=n).id for n in range(3)]
    once = runner.invoke(args=["jobs", "work", "--once"])
    assert once.exit_code == 0, once.output
    assert "1 tâche exécutée" in once.output
    burst = runner.invoke(args=["jobs", "work", "--burst"])
    assert burst.exit_code == 0, burst.output
    assert "2 tâches exécutées" in burst.output
    statuses = db.session.scalars(sa.select(Job.status).where(Job.id.in_(ids))).all()
    assert statuses == [JobStatus.DONE] * 3
    assert [r["n"] for r in handlers.runs] == [0, 1, 2]
    empty = runner.invoke(args=["jobs", "work", "--burst"])
    assert empty.exit_code == 0 and "0 tâche exécutée" in empty.output


# --- real transactions: several workers, progress seen from outside ---------------------------


@pytest.fixture
def committed_jobs(app: Flask) -> Any:
    """Create jobs for real (outside the rolled-back test transaction), deleted afterwards."""
    created: list[int] = []

    def create(count: int, kind: str = "test.ok") -> list[int]:
        with app.app_context(), Session(db.engine) as session:
            jobs = [Job(kind=kind, payload={"n": n}) for n in range(count)]
            session.add_all(jobs)
            session.commit()
            ids = [job.id for job in jobs]
        created.extend(ids)
        return ids

    yield create
    with app.app_context(), Session(db.engine) as session:
        session.execute(sa.delete(Job).where(Job.id.in_(created)))
        session.commit()


def test_concurrent_workers_never_claim_the_same_job(app: Flask, committed_jobs: Any) -> None:
    ids = committed_jobs(30)
    claimed: list[list[int]] = [[], [], []]
    errors: list[BaseException] = []
    start = threading.Barrier(len(claimed))

    def worker(mine: list[int]) -> None:
        try:
            with app.app_context(), Session(db.engine) as session:
                start.wait()
                while (job := queue.claim_next(session)) is not None:
                    mine.append(job.id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    everything = [job_id for mine in claimed for job_id in mine]
    assert sorted(everything) == sorted(ids)  # each job once, none lost
    with app.app_context(), Session(db.engine) as session:
        rows = session.execute(sa.select(Job.status, Job.attempts).where(Job.id.in_(ids))).all()
    assert set(rows) == {(JobStatus.RUNNING, 1)}


def test_a_worker_progress_is_visible_while_it_runs(
    app: Flask, committed_jobs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def slow(payload: dict[str, Any], progress: Progress) -> None:
        progress(50)
        assert release.wait(timeout=30)

    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    saved = dict(app.extensions.get("job_handlers", {}))
    register_handler(app, "test.slow", Handler(run=slow))
    (job_id,) = committed_jobs(1, kind="test.slow")
    outcome: list[int] = []

    def run_worker() -> None:
        with app.app_context():
            outcome.append(queue.work(once=True, echo=lambda message: None))
            db.session.remove()

    thread = threading.Thread(target=run_worker)
    thread.start()
    try:
        progress = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.app_context(), Session(db.engine) as session:
                progress = session.scalar(sa.select(Job.progress).where(Job.id == job_id))
            if progress == 50:
                break
            time.sleep(0.05)
        assert progress == 50
    finally:
        release.set()
        thread.join(timeout=30)
        app.extensions["job_handlers"] = saved
    assert outcome == [1]
    with app.app_context(), Session(db.engine) as session:
        done = session.get(Job, job_id)
        assert done is not None
        assert (done.status, done.progress) == (JobStatus.DONE, 100)
