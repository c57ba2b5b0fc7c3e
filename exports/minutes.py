"""The minutes (procès-verbal) of a jury session as a PDF: plain data in, bytes out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from exports.pdf import html_to_pdf, render_html


@dataclass(frozen=True)
class BlocLine:
    code: str
    title: str
    optional: bool
    proposal: str  # the results' proposal, in French (« proposé à la validation », …)
    decision: str | None  # « validé », « non validé », « ajourné »; None: no decision taken
    reason: str = ""


@dataclass(frozen=True)
class LearnerLine:
    name: str
    cohort: str
    access_route: str
    blocs: list[BlocLine]
    certified: bool  # every mandatory bloc validated once this session's decisions count
    validated_codes: list[str] = field(default_factory=list)  # every bloc validated so far


@dataclass(frozen=True)
class Minutes:
    certification_code: str
    certification_title: str
    level: int
    version_label: str
    certifier: str
    session_date: dt.date
    location: str
    members: list[str]
    external_members: list[str]
    learners: list[LearnerLine]
    closed_on: dt.date | None  # None: the session is still open, the minutes are a draft
    generated_on: dt.date


def render_minutes(minutes: Minutes) -> bytes:
    """The procès-verbal as PDF bytes."""
    return html_to_pdf(render_html("dossier/minutes.html", m=minutes))
