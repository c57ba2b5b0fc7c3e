"""Database plumbing: the declarative base, naming convention, SQLite pragmas, UTC timestamps,
and the one place where a unit of work ends.

A web request is one transaction (`dispatch_in_transaction`, wired in `create_app`): committed
when its view returns a response below 400, rolled back when the view raises or answers with
an error. A command of `flask …` is one transaction too (`unit_of_work`, applied to every
command of a `CommandGroup`). Views, services and commands therefore never commit or roll
back; a step that may fail on its own without failing the request runs in `savepoint()`, and
what must wait for the commit (an e-mail, an inline job) is handed to `after_commit()`.
"""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NoReturn, ParamSpec, TypeVar

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from werkzeug.wrappers import Response

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite stores it naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use app.db.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def link_table(name: str, left: tuple[str, str, str], right: tuple[str, str, str]) -> sa.Table:
    """A many-to-many table: two foreign keys, `(column, "table.id", ondelete)` each, making
    its primary key; the second is indexed too (the key's index serves the first)."""
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(left[0], sa.ForeignKey(left[1], ondelete=left[2]), primary_key=True),
        sa.Column(
            right[0], sa.ForeignKey(right[1], ondelete=right[2]), primary_key=True, index=True
        ),
    )


def enum_column(enum_cls: type[enum.Enum], name: str) -> sa.Enum:
    """A portable enum: a VARCHAR guarded by a named CHECK constraint, storing the values."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
        length=max(len(m.value) for m in enum_cls),
    )


@sa.event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Enforce foreign keys, use WAL and wait on locks instead of failing at once."""
    import sqlite3

    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself, so SAVEPOINT and transactional DDL behave.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@sa.event.listens_for(Engine, "begin")
def _sqlite_begin(connection: sa.Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


P = ParamSpec("P")
R = TypeVar("R")

_AFTER_COMMIT = "after_commit"
_AFTER_ROLLBACK = "after_rollback"


def commit() -> None:
    """Commit the unit of work, rolling back if the commit itself fails; then run what waited
    for it (`after_commit`).

    Only the boundaries below and a background job recording its progress call this."""
    try:
        db.session.commit()
    except BaseException:
        rollback()
        raise
    for callback in _take(_AFTER_COMMIT):
        callback()


def rollback() -> None:
    """Undo the unit of work, then run what must follow a failure (`after_rollback`).

    A rollback that fails itself (the database is gone) is logged, not raised: the error that
    caused it is the one to report."""
    callbacks = _take(_AFTER_ROLLBACK)
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: nothing left to undo
        current_app.logger.warning("rollback failed", exc_info=True)
        db.session.close()
    for callback in callbacks:
        callback()


def after_commit(callback: Callable[[], object]) -> None:
    """Run `callback` once the current unit of work is committed; never if it is rolled back
    (an e-mail whose link must point at a saved token, a job that reads saved rows)."""
    db.session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def after_rollback(callback: Callable[[], object]) -> None:
    """Run `callback` if the current unit of work is rolled back (a file written for a row
    that will not exist)."""
    db.session.info.setdefault(_AFTER_ROLLBACK, []).append(callback)


def _take(key: str) -> list[Callable[[], object]]:
    info = db.session.info
    other = _AFTER_ROLLBACK if key == _AFTER_COMMIT else _AFTER_COMMIT
    info.pop(other, None)
    return list(info.pop(key, []))


@contextmanager
def savepoint() -> Iterator[None]:
    """Run a step that may fail without failing the request: its writes are flushed at the
    end, and undone (and only they) if it raises, whose exception goes on to the caller.

    For a form whose service refuses the change (a domain error, a unique constraint): the
    view catches the error and shows the form again, and the request commits nothing."""
    with db.session.begin_nested():
        yield


def dispatch_in_transaction(dispatch: Callable[[], Response]) -> Response:
    """Run a request's view as one transaction and return its response.

    Committed when the view returns a response below 400; rolled back when it raises (the
    exception then goes on to the error handlers) or answers with an error status, so an
    error page never saves half a change. A failing commit raises like the view would have,
    hence becomes an error response, never a silent success. The commit comes before the
    response is sent: a redirect's next page sees the change, and a streamed body runs after
    it (it may read, and must not write)."""
    try:
        response = dispatch()
    except BaseException:
        rollback()
        raise
    if response.status_code >= 400:
        rollback()
    else:
        commit()
    return response


def unit_of_work(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command as one transaction: committed when it returns, rolled back when it
    raises or exits (`sys.exit`, `click.Abort`, Ctrl-C)."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            result = command(*args, **kwargs)
        except BaseException:
            rollback()
            raise
        commit()
        return result

    run.unit_of_work = True  # type: ignore[attr-defined]
    return run


class CommandGroup(AppGroup):
    """A `flask` command group whose every command is one unit of work."""

    def command(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Callable[[Callable[..., Any]], click.Command]:
        register = super().command(*args, **kwargs)

        def decorator(callback: Callable[..., Any]) -> click.Command:
            return register(unit_of_work(callback))

        return decorator


def fail(*messages: str, status: int = 1) -> NoReturn:
    """End a command with `messages` as errors on stderr; its unit of work rolls back."""
    for message in messages:
        click.echo(_("erreur : %(message)s", message=message), err=True)
    sys.exit(status)
