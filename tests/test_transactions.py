"""One transaction per request and per command (app/db.py): committed on success, rolled back
on any error, and a failing commit is an error, never a silent success."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask import Flask, abort, redirect
from flask.cli import ScriptInfo

from app import create_app
from app.db import CommandGroup, after_commit, after_rollback, db, savepoint
from app.people.models import Organisation, OrganisationKind

WRITTEN: list[str] = []


def _add(name: str) -> None:
    db.session.add(Organisation(name=name, kind=OrganisationKind.TRAINING))
    db.session.flush()


@pytest.fixture
def probe(app: Flask, db_session: Any, tmp_path: Path) -> Iterator[Flask]:
    """An app with a few views and commands that write, then succeed or fail."""
    probe = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        INSTANCE_DIR=tmp_path,
        PROPAGATE_EXCEPTIONS=False,
        WTF_CSRF_ENABLED=False,
    )

    def ok() -> Any:
        _add("ok")
        after_commit(lambda: WRITTEN.append("mail"))
        return redirect("/")

    def raises() -> str:
        _add("raises")
        after_commit(lambda: WRITTEN.append("mail"))
        after_rollback(lambda: WRITTEN.append("discarded"))
        raise RuntimeError("boom")

    def aborts() -> str:
        _add("aborts")
        abort(404)

    def error_status() -> tuple[str, int]:
        _add("error status")
        return "refusé", 409

    def failed_step() -> str:
        _add("kept")
        try:
            with savepoint():
                _add("undone")
                raise ValueError("refused")
        except ValueError:
            pass
        return "formulaire"

    for view in (ok, raises, aborts, error_status, failed_step):
        probe.add_url_rule(f"/probe/{view.__name__}", view_func=view, methods=["POST"])

    group = CommandGroup("probe")

    @group.command("ok")
    def ok_command() -> None:
        _add("command ok")

    @group.command("fails")
    def failing_command() -> None:
        _add("command fails")
        click.echo("erreur", err=True)
        sys.exit(1)

    probe.cli.add_command(group)
    WRITTEN.clear()
    yield probe


def _names(db_session: Any) -> set[str]:
    return set(db_session.scalars(sa.select(Organisation.name)))


def test_a_successful_view_is_committed_then_after_commit_runs(
    probe: Flask, db_session: Any
) -> None:
    response = probe.test_client().post("/probe/ok")
    assert response.status_code == 302
    assert "ok" in _names(db_session)
    assert WRITTEN == ["mail"]


@pytest.mark.parametrize(
    ("view", "status"), [("raises", 500), ("aborts", 404), ("error_status", 409)]
)
def test_a_failing_view_saves_nothing(
    probe: Flask, db_session: Any, view: str, status: int
) -> None:
    response = probe.test_client().post(f"/probe/{view}")
    assert response.status_code == status
    assert _names(db_session) == set()
    assert "mail" not in WRITTEN


def test_after_rollback_runs_when_the_view_fails(probe: Flask, db_session: Any) -> None:
    probe.test_client().post("/probe/raises")
    assert WRITTEN == ["discarded"]


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (sa.exc.IntegrityError("COMMIT", {}, Exception("deferred constraint")), 500),
        (sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection")), 503),
    ],
)
def test_a_failing_commit_is_an_error_response(
    probe: Flask, db_session: Any, error: Exception, status: int
) -> None:
    def failing_commit() -> None:
        raise error

    db_session.commit = failing_commit
    try:
        response = probe.test_client().post("/probe/ok")
    finally:
        del db_session.commit
    assert response.status_code == status
    assert WRITTEN == []
    assert _names(db_session) == set()


def test_a_failed_step_undoes_only_itself(probe: Flask, db_session: Any) -> None:
    response = probe.test_client().post("/probe/failed_step")
    assert response.status_code == 200
    assert _names(db_session) == {"kept"}


def test_a_command_is_one_unit_of_work(probe: Flask, db_session: Any) -> None:
    runner = CliRunner()
    info = ScriptInfo(create_app=lambda: probe)
    assert runner.invoke(probe.cli, ["probe", "fails"], obj=info).exit_code == 1
    assert _names(db_session) == set()
    assert runner.invoke(probe.cli, ["probe", "ok"], obj=info).exit_code == 0
    assert _names(db_session) == {"command ok"}


def _callbacks(command: click.Command, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _callbacks(sub, f"{path} {name}")
    else:
        yield path, command.callback


def test_every_command_of_the_app_is_a_unit_of_work(app: Flask) -> None:
    unwrapped = []
    for path, callback in _callbacks(app.cli, "flask"):
        if path.startswith("flask db "):  # Flask-Migrate's: Alembic runs its own transactions
            continue
        while callback is not None and not getattr(callback, "unit_of_work", False):
            callback = getattr(callback, "__wrapped__", None)
        if callback is None:
            unwrapped.append(path)
    assert unwrapped == []
