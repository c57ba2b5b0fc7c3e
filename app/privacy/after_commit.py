"""File changes that must follow the database: done once the transaction commits, undone if it
rolls back, so a refused erasure or retention run leaves the files as they were."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction

from app.db import db

_KEY = "privacy_after_commit"
Action = Callable[[], None]

log = logging.getLogger(__name__)


def after_commit(action: Action, undo: Action | None = None) -> None:
    """Run `action` after the current transaction commits; `undo` if it rolls back instead."""
    db.session().info.setdefault(_KEY, []).append((action, undo))


@sa.event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    for action, _ in session.info.pop(_KEY, []):
        try:
            action()
        except OSError:  # the rows are committed: report, do not fail the request
            log.exception("file change after commit failed")


@sa.event.listens_for(Session, "after_soft_rollback")
def _undo(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is not None:
        return
    for _, undo in session.info.pop(_KEY, []):
        if undo is not None:
            try:
                undo()
            except OSError:
                log.exception("undoing a file change after rollback failed")


def pending(session: Any = None) -> int:
    """How many file changes wait for the commit (for tests)."""
    return len((session or db.session()).info.get(_KEY, []))
