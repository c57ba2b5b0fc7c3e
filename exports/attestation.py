"""The attestation of validated blocs as a PDF: plain data in, bytes out."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from exports.pdf import html_to_pdf, render_html


@dataclass(frozen=True)
class ValidatedBloc:
    code: str
    title: str
    jury_date: dt.date | None


@dataclass(frozen=True)
class AttestationData:
    """What an attestation states, exactly as it was issued."""

    code: str
    issued_on: dt.date
    learner_name: str
    certification_code: str
    certification_title: str
    level: int
    version_label: str
    certifier: str
    blocs: list[ValidatedBloc]
    certified_on: dt.date | None  # the whole certification obtained (all mandatory blocs)


def render_attestation(data: AttestationData, verify_url: str, language: str = "fr") -> bytes:
    """The attestation as PDF bytes in `language` (fr or en: the reader's); `verify_url` is the
    public page where its code is typed."""
    html = render_html("progress/pdf/attestation.html", language, a=data, verify_url=verify_url)
    return html_to_pdf(html)
