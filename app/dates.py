"""Dates as the certifier reads them: in its time zone (CERTIFIER_TIMEZONE, Europe/Paris by
default), whatever the server's. Timestamps are stored in UTC (app.db.utcnow)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Europe/Paris"


def certifier_timezone() -> ZoneInfo:
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("CERTIFIER_TIMEZONE") or DEFAULT_TIMEZONE
    return ZoneInfo(name)


def local(moment: dt.datetime) -> dt.datetime:
    """`moment` (timezone-aware) in the certifier's time zone."""
    return moment.astimezone(certifier_timezone())


def local_date(moment: dt.datetime | None) -> dt.date | None:
    return local(moment).date() if moment is not None else None


def today() -> dt.date:
    """Today's date at the certifier's."""
    return dt.datetime.now(certifier_timezone()).date()


def file_stamp(moment: dt.datetime) -> str:
    """A timestamp for file names: 20261205-101500, the certifier's local time."""
    return f"{local(moment):%Y%m%d-%H%M%S}"


def format_date(value: dt.date | dt.datetime | None, time: bool = False) -> str:
    """The `date` template filter: 05/12/2026 (or 05/12/2026 10:15 with `time`) for a date or a
    timestamp, the timestamp read in the certifier's time zone; empty for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local(value)
        return f"{value:%d/%m/%Y %H:%M}" if time else f"{value:%d/%m/%Y}"
    return f"{value:%d/%m/%Y}"
