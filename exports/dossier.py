"""The certification dossier as a PDF: plain data in, bytes out.

The builder (app/dossier/builder.py) turns the database into `DossierData`; this module only
lays it out, with templates/dossier/dossier.html and WeasyPrint (through exports/pdf.py: only
the application's static files may be fetched).

Layout work grows with pages, not faster: the référentiel table is one table per bloc and each
pilot cohort has tables of its own, so no table spans the whole document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup
from weasyprint import HTML

from exports.pdf import BASE_URL, PDF_VARIANT, StaticOnlyFetcher, environment
from exports.typography import NARROW_NBSP, french_spacing_filter, typeset_apostrophes

Progress = Callable[[int], None]


# --- the data ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    code: str
    title: str
    level: int
    nsf: list[str]
    rome: list[str]
    formacodes: list[str]
    certifier_name: str
    certifier_siret: str | None
    # What the fiche says of the certification: (heading, text) in the dossier's order.
    profile: list[tuple[str, str]] = field(default_factory=list)
    partners: list[str] = field(default_factory=list)  # « name (SIRET …) »
    regulated: bool | None = None  # None: not said (the readiness check lists it)
    regulations: str = ""


@dataclass(frozen=True)
class ActivityLine:
    code: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class DomainSection:
    code: str
    title: str
    activities: list[ActivityLine]


@dataclass(frozen=True)
class ModalityLine:
    code: str
    title: str
    description: str = ""


@dataclass(frozen=True)
class CriterionLine:
    code: str
    statement: str


@dataclass(frozen=True)
class CompetencyRow:
    """One row of the four-column table: a competency with its activities and criteria, and
    the modalities that assess it (empty: all the bloc's modalities)."""

    code: str
    statement: str
    activities: list[ActivityLine]
    criteria: list[CriterionLine]
    modalities: list[ModalityLine] = field(default_factory=list)


@dataclass(frozen=True)
class ModalitySpan:
    """The modalities cell of the four-column table, over `rows` consecutive rows."""

    rows: int
    modalities: list[ModalityLine]


@dataclass(frozen=True)
class BlocSection:
    code: str
    title: str
    description: str
    optional: bool
    modalities: list[ModalityLine]
    competencies: list[CompetencyRow]
    validation_rule: str = ""
    validity: str = ""  # « 5 ans », « sans limite de durée »; empty when not said

    @property
    def modality_spans(self) -> list[ModalitySpan | None]:
        """Per row: the modalities cell that starts on it (spanning the following rows
        assessed the same way), or None where a cell above covers the row."""
        spans: list[ModalitySpan | None] = []
        start, rows, current = 0, 0, None
        for index, comp in enumerate(self.competencies):
            modalities = comp.modalities or self.modalities
            if rows and modalities == current:
                rows += 1
                spans.append(None)
            else:
                start, rows, current = index, 1, modalities
                spans.append(None)
            spans[start] = ModalitySpan(rows, modalities)
        return spans


@dataclass(frozen=True)
class JuryRouteText:
    route: str  # the voie d'accès, in French
    open: bool
    composition: str
    vae: bool = False


@dataclass(frozen=True)
class Rate:
    """`count` out of `total`; no percentage when nobody is counted."""

    count: int
    total: int

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return (200 * self.count + self.total) // (2 * self.total)  # halves rounded up


@dataclass(frozen=True)
class BlocRate:
    code: str
    title: str
    optional: bool
    validated: Rate


@dataclass(frozen=True)
class CompetencyRate:
    bloc_code: str
    code: str
    statement: str
    acquired: Rate


@dataclass(frozen=True)
class CohortSection:
    """A pilot cohort: who was enrolled and what they reached."""

    name: str
    organisation: str
    start: dt.date
    end: dt.date
    access_route: str
    enrolled: int  # every enrolment
    withdrawn: int
    certified: int
    counted: int  # the learners rates are computed on: everyone but those who withdrew
    blocs: list[BlocRate]
    competencies: list[CompetencyRate]


@dataclass(frozen=True)
class InsertionLine:
    """One promotion's insertion survey at one horizon."""

    cohort: str
    certified: int
    respondents: int
    no_answer: int
    excluded: int
    target_job: Rate  # taux d'insertion dans le métier visé
    employment: Rate  # taux d'insertion global
    not_due: int = 0  # not asked yet: the horizon has not come
    contracts: tuple[tuple[str, int], ...] = ()  # people in employment by contract type


@dataclass(frozen=True)
class InsertionTable:
    horizon: str  # « à 6 mois », « à 2 ans »
    lines: list[InsertionLine]


@dataclass(frozen=True)
class VersionLine:
    label: str
    status: str
    created_on: dt.date
    published_on: dt.date | None
    retired_on: dt.date | None
    added: int | None  # None for the first version (nothing to compare with)
    removed: int | None
    reworded: int | None
    notes: str
    current: bool


@dataclass(frozen=True)
class CorrespondenceLine:
    """A coordinator's verdict on one of our blocs and a bloc of the national register."""

    bloc_code: str
    fiche_number: str
    fiche_title: str
    registry_bloc_code: str
    registry_bloc_title: str
    kind: str  # « totale », « partielle », « aucune », in French
    note: str


@dataclass(frozen=True)
class JobHeld:
    """A job certified people held at 6 months, with how many held it."""

    title: str
    rome_code: str | None
    target_job: bool
    people: int


@dataclass(frozen=True)
class Control:
    """How assessment is controlled (criterion 4°), computed from the app's history."""

    sessions: int
    double_marked_sessions: int
    assessors_min: int
    marks: int
    corrections: int
    disagreements_raised: int
    disagreements_settled: int
    jury_sessions: int
    jury_sessions_closed: int
    jury_members_min: int

    @property
    def double_marked(self) -> Rate:
        return Rate(self.double_marked_sessions, self.sessions)


@dataclass(frozen=True)
class CopyCheck:
    """The check that no statement reproduces another certification's (criterion 3°)."""

    register_fiches: int  # fiches of the register loaded (0: not loaded, no check)
    statements: int  # our statements compared
    flagged: list[tuple[str, str, int]]  # (our code, fiche number, similarity in percent)


@dataclass(frozen=True)
class DossierData:
    identity: Identity
    version_label: str
    version_status: str
    version_published_on: dt.date | None
    generated_on: dt.date
    context_and_opportunity: str
    vae_access: str
    scale: list[str]  # the scale's levels, lowest first
    acquired_levels: list[str]
    competency_rule: str  # how criteria make a competency acquired, in French
    domains: list[DomainSection]
    blocs: list[BlocSection]
    jury: list[JuryRouteText]
    cohorts: list[CohortSection] = field(default_factory=list)
    insertion: list[InsertionTable] = field(default_factory=list)
    versions: list[VersionLine] = field(default_factory=list)
    texts_revision: int = 0  # the revision of the coordinator's texts used (0: none written)
    # The coordinator's texts per criterion, by key (app/dossier/texts.py); empty when unwritten.
    texts: dict[str, str] = field(default_factory=dict)
    control: Control | None = None
    correspondences: list[CorrespondenceLine] = field(default_factory=list)
    jobs_held: list[JobHeld] = field(default_factory=list)
    certified_promotions: int = 0  # promotions of the certification with certified people
    copy_check: CopyCheck | None = None

    def text(self, key: str) -> str:
        return self.texts.get(key, "").strip()

    @property
    def competency_count(self) -> int:
        return sum(len(bloc.competencies) for bloc in self.blocs)

    @property
    def criterion_count(self) -> int:
        return sum(len(c.criteria) for bloc in self.blocs for c in bloc.competencies)


# --- rendering -----------------------------------------------------------------------------------


def upper_first(text: str) -> str:
    """« formation continue » → « Formation continue » (the rest kept as is, unlike capitalize)."""
    return text[:1].upper() + text[1:]


def date_short(value: dt.date | None) -> str:
    """A date for tables: 01/04/2025."""
    return value.strftime("%d/%m/%Y") if value else "—"


def percent(value: int | None) -> str:
    """A whole percentage as French writes it: « 75 % » (narrow no-break space)."""
    return "—" if value is None else f"{value}{NARROW_NBSP}%"


def paragraphs(text: str) -> Markup:
    """Text typed in a textarea as HTML paragraphs: blank lines separate paragraphs, single
    line breaks are kept; the text is escaped and French-spaced."""
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    html = []
    for block in blocks:
        # Markup.join and Markup.format escape the plain strings they are given.
        lines = [french_spacing_filter(line.strip()) for line in block.split("\n")]
        html.append(Markup("<p>{}</p>").format(Markup("<br>").join(lines)))
    return Markup("\n").join(html)


@cache
def _environment() -> jinja2.Environment:
    """The PDF environment of exports/pdf.py, with the dossier's typography filters."""
    env = environment().overlay(cache_size=20, extensions=["jinja2.ext.do"])
    env.filters = {
        **env.filters,
        "percent": percent,
        "paragraphs": paragraphs,
        "upper_first": upper_first,
        "date_short": date_short,
    }
    return env


def render_html(data: DossierData) -> str:
    """The dossier's HTML, its prose set with the typographic apostrophe (codes untouched)."""
    return typeset_apostrophes(_environment().get_template("dossier/dossier.html").render(d=data))


@dataclass(frozen=True)
class RenderedDossier:
    pdf: bytes
    pages: int


def render(data: DossierData, progress: Progress | None = None) -> RenderedDossier:
    """Lay the dossier out and write its PDF, reporting coarse progress in percent:
    HTML ready, pages laid out, PDF written (WeasyPrint has no finer callback)."""
    report: Progress = progress or (lambda percent: None)
    html = render_html(data)
    report(20)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).render()
    report(85)
    pdf: Any = document.write_pdf(pdf_variant=PDF_VARIANT)
    report(100)
    return RenderedDossier(pdf=pdf, pages=len(document.pages))
