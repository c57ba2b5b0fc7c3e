"""Dates on pages: one filter, `date` (app.dates.format_date), in the certifier's time zone."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, render_template_string

ROOT = Path(__file__).resolve().parents[1]


def test_the_date_filter_reads_timestamps_in_the_certifiers_time_zone(app: Flask) -> None:
    late = dt.datetime(2026, 12, 5, 23, 30, tzinfo=dt.UTC)  # already the 6th in Paris
    with app.test_request_context():
        assert render_template_string("{{ d|date }}", d=late) == "06/12/2026"
        assert render_template_string("{{ d|date(time=True) }}", d=late) == "06/12/2026 00:30"
        assert render_template_string("{{ d|date }}", d=dt.date(2026, 4, 1)) == "01/04/2026"
        assert render_template_string("{{ d|date }}", d=None) == ""


def test_no_template_formats_a_date_by_hand() -> None:
    """strftime ignores the time zone and the locale: templates use the `date` filter."""
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "templates").rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "strftime" in line
    ]
    assert not offenders, offenders
