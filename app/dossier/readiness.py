"""The readiness check: criterion by criterion, what the dossier of a version still lacks.

France Compétences examines a registration request on the nine criteria of article R.6113-9
of the Code du travail (and, since 2025, a few additions). For each, the check says *ready*,
*to complete* (the dossier can be filed, but a rapporteur will ask) or *blocking* (the dossier
cannot be filed), and for every gap what is missing and the page where it is filled. The
dossier never prints « non renseigné »: what is missing is listed here instead.

A fixed number of queries whatever the number of promotions (tests/dossier/test_readiness.py
pins it): the version with its content, the texts, one row per promotion, the survey answers,
a few counts.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.assessment.models import EvaluationSession
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.dates import today as local_today
from app.db import db
from app.dossier import services
from app.dossier.models import DossierText
from app.dossier.readiness_links import Links, how_to_load_the_register, register_loaded
from app.dossier.texts import TEXTS, WrittenText
from app.frameworks.models import FrameworkVersion
from app.insertion.models import Horizon, SurveyAnswer
from app.insertion.rates import survey_due
from app.registry.models import BlocCorrespondence
from app.settings.services import certifier_siret


class Level(enum.IntEnum):
    READY = 0
    TO_COMPLETE = 1
    BLOCKING = 2

    @property
    def label(self) -> str:
        return {
            Level.READY: _("prêt"),
            Level.TO_COMPLETE: _("à compléter"),
            Level.BLOCKING: _("bloquant"),
        }[self]


@dataclass(frozen=True)
class Gap:
    level: Level
    message: str
    url: str | None = None  # the page (and field) where it is filled
    hint: str = ""  # what to do where no page of the app does it (plain text, no link)


@dataclass
class CriterionReport:
    key: str  # "identity", "1"…"9", "2025"
    title: str
    gaps: list[Gap] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # what is there, said plainly

    @property
    def level(self) -> Level:
        return max((gap.level for gap in self.gaps), default=Level.READY)

    def missing(self, level: Level, message: str, url: str | None = None, hint: str = "") -> None:
        self.gaps.append(Gap(level, message, url, hint))


@dataclass
class Readiness:
    certification_code: str
    version_label: str
    criteria: list[CriterionReport]
    # A published version is frozen: its content gaps are filled in this draft of the
    # certification (its label), whose own check says what it still lacks.
    draft_label: str | None = None

    @property
    def level(self) -> Level:
        return max((c.level for c in self.criteria), default=Level.READY)

    @property
    def blocking(self) -> list[tuple[CriterionReport, Gap]]:
        return [(c, g) for c in self.criteria for g in c.gaps if g.level is Level.BLOCKING]

    def gaps(self) -> list[tuple[CriterionReport, Gap]]:
        return [(c, g) for c in self.criteria for g in c.gaps]


TITLES = {
    "identity": _l("Identité de la certification"),
    "1": _l("1° Adéquation des emplois occupés au métier visé"),
    "2": _l("2° Impact sur l'accès ou le retour à l'emploi"),
    "3": _l("3° Qualité des référentiels"),
    "4": _l("4° Contrôle des modalités d'évaluation"),
    "5": _l("5° Contraintes légales et réglementaires"),
    "6": _l("6° Accès par la validation des acquis de l'expérience"),
    "7": _l("7° Cohérence des blocs de compétences"),
    "8": _l("8° Correspondances avec d'autres certifications"),
    "9": _l("9° Participation des branches professionnelles"),
    "2025": _l("Exigences de 2025"),
}


@dataclass(frozen=True)
class Promotion:
    """A cohort of the certification (any version) and its certified people."""

    cohort: Cohort
    certified: list[int]  # enrolment ids
    certified_on: dict[int, dt.date]  # enrolment id → date of certification


def _promotions(version: FrameworkVersion) -> list[Promotion]:
    """Every cohort of the certification, with its certified people (two queries)."""
    cohorts = db.session.scalars(
        sa.select(Cohort)
        .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
        .where(FrameworkVersion.certification_id == version.certification_id)
        .order_by(Cohort.start_date, Cohort.id)
    ).all()
    certified: dict[int, list[int]] = defaultdict(list)
    dates: dict[int, dict[int, dt.date]] = defaultdict(dict)
    if cohorts:
        rows = db.session.execute(
            sa.select(Enrolment.id, Enrolment.cohort_id, Enrolment.certified_on).where(
                Enrolment.cohort_id.in_([c.id for c in cohorts]),
                Enrolment.status == EnrolmentStatus.CERTIFIED,
            )
        )
        for enrolment_id, cohort_id, on in rows:
            certified[cohort_id].append(enrolment_id)
            if on is not None:
                dates[cohort_id][enrolment_id] = on
    return [Promotion(c, certified[c.id], dates[c.id]) for c in cohorts]


def _answered(enrolment_ids: list[int]) -> set[tuple[int, Horizon]]:
    if not enrolment_ids:
        return set()
    return {
        (enrolment_id, horizon)
        for enrolment_id, horizon in db.session.execute(
            sa.select(SurveyAnswer.enrolment_id, SurveyAnswer.horizon)
            .where(SurveyAnswer.enrolment_id.in_(enrolment_ids))
            .distinct()
        )
    }


def _text_gaps(
    report: CriterionReport,
    texts: DossierText | None,
    links: Links,
    level: Callable[[WrittenText], Level] = lambda _t: Level.BLOCKING,
) -> None:
    for text in TEXTS:
        if text.criterion != report.key:
            continue
        if texts is None or not (getattr(texts, text.key) or "").strip():
            report.missing(
                level(text), _("Texte à écrire : %(label)s.", label=text.label), links.text(text)
            )


def check(version: FrameworkVersion, *, today: dt.date | None = None) -> Readiness:
    """The readiness of `version`'s dossier (loaded with its content:
    frameworks.services.load_version)."""
    today = today or local_today()
    links = Links(version)
    texts = services.texts_for(version.certification_id)
    promotions = _promotions(version)
    reports = {key: CriterionReport(key, str(title)) for key, title in TITLES.items()}

    _identity(reports["identity"], version, texts, links)
    _employment(reports["1"], reports["2"], promotions, today, links)
    _referentials(reports["3"], version, texts, links)
    _control(reports["4"], promotions, texts, links)
    _regulations(reports["5"], version, links)
    _vae(reports["6"], version, texts, links)
    _blocs(reports["7"], version, links)
    _correspondences(reports["8"], version, texts, links)
    _text_gaps(reports["9"], texts, links, level=lambda _t: Level.TO_COMPLETE)
    _text_gaps(reports["2025"], texts, links)
    draft = links.draft if links.draft is not version else None
    return Readiness(
        version.certification.code,
        version.label,
        list(reports.values()),
        draft_label=draft.label if draft is not None else None,
    )


def _identity(
    report: CriterionReport, version: FrameworkVersion, texts: DossierText | None, links: Links
) -> None:
    if not certifier_siret(version):
        # The certifier organisation's SIRET serves when the version names none: it is filled
        # in Administration › Paramètres du certificateur, whatever the version's state.
        report.missing(
            Level.BLOCKING,
            _("Le SIRET du certificateur n'est pas renseigné."),
            url_for("settings.index") + "#siret",
        )
    required = (
        ("objectives_context", _("Les objectifs et le contexte de la certification")),
        ("sectors", _("Les secteurs d'activité")),
        ("job_types", _("Les types d'emplois accessibles")),
    )
    for attribute, label in required:
        if not (getattr(version, attribute) or "").strip():
            report.missing(
                Level.BLOCKING, _("%(what)s manquent.", what=label), links.identity(attribute)
            )
    for attribute, label in (
        ("entry_prerequisites", _("Les prérequis à l'entrée en formation")),
        ("validation_prerequisites", _("Les prérequis à la validation")),
    ):
        if not (getattr(version, attribute) or "").strip():
            report.missing(
                Level.TO_COMPLETE, _("%(what)s manquent.", what=label), links.identity(attribute)
            )
    if not version.nsf_codes:
        report.missing(Level.BLOCKING, _("Aucun code NSF."), links.identity("nsf_codes"))
    if not version.rome_codes:
        report.missing(Level.BLOCKING, _("Aucun code ROME."), links.identity("rome_codes"))
    if not version.partners:
        report.missing(
            Level.TO_COMPLETE,
            _("Aucun organisme partenaire habilité n'est déclaré."),
            links.identity("partners_text"),
        )
    _text_gaps(report, texts, links)
    if version.certification.rncp_number:
        report.facts.append(
            _("Numéro RNCP : %(number)s.", number=version.certification.rncp_number)
        )


def _employment(
    first: CriterionReport,
    second: CriterionReport,
    promotions: list[Promotion],
    today: dt.date,
    links: Links,
) -> None:
    with_certified = [p for p in promotions if p.certified]
    if not with_certified:
        first.missing(
            Level.BLOCKING,
            _("Aucune promotion n'a encore de certifié·es : l'adéquation ne peut être montrée."),
            links.juries(),
        )
    elif len(with_certified) == 1:
        first.missing(
            Level.TO_COMPLETE,
            _(
                "Une seule promotion de certifié·es : l'enregistrement serait limité à trois "
                "ans. Deux promotions au moins sont attendues."
            ),
            links.cohorts(),
        )
    first.facts.append(
        ngettext(
            "%(num)d promotion avec des certifié·es.",
            "%(num)d promotions avec des certifié·es.",
            len(with_certified),
        )
    )
    answered = _answered([e for p in with_certified for e in p.certified])
    promotions_with_figures = 0
    for promotion in with_certified:
        due = [
            e
            for e in promotion.certified
            if survey_due(promotion.certified_on.get(e), Horizon.SIX_MONTHS, today)
        ]
        missing = [e for e in due if (e, Horizon.SIX_MONTHS) not in answered]
        if due and len(missing) < len(due):
            promotions_with_figures += 1
        if missing:
            first.missing(
                Level.TO_COMPLETE,
                ngettext(
                    "%(cohort)s : %(num)d réponse à l'enquête à 6 mois n'est pas saisie.",
                    "%(cohort)s : %(num)d réponses à l'enquête à 6 mois ne sont pas saisies.",
                    len(missing),
                    cohort=promotion.cohort.name,
                ),
                links.insertion(promotion.cohort.id),
            )
    if with_certified and promotions_with_figures == 0:
        second.missing(
            Level.TO_COMPLETE,
            _(
                "Aucune promotion n'a encore de chiffres d'insertion à 6 mois : l'effet sur "
                "l'accès à l'emploi ne peut être montré."
            ),
            links.insertion(),
        )
    elif not with_certified:
        second.missing(
            Level.BLOCKING,
            _("Aucune promotion de certifié·es : pas de chiffres d'insertion."),
            links.juries(),
        )


def _referentials(
    report: CriterionReport, version: FrameworkVersion, texts: DossierText | None, links: Links
) -> None:
    if not version.domains:
        report.missing(
            Level.BLOCKING, _("Le référentiel d'activités est vide."), links.add("domaine")
        )
    for bloc in version.blocs:
        if not bloc.competencies:
            report.missing(
                Level.BLOCKING,
                _("Le bloc %(code)s n'a aucune compétence.", code=bloc.code),
                links.add("competence", bloc),
            )
        for competency in bloc.competencies:
            if not competency.criteria:
                report.missing(
                    Level.BLOCKING,
                    _("La compétence %(code)s n'a aucun critère.", code=competency.code),
                    links.add("critere", competency),
                )
    _text_gaps(report, texts, links)
    if not register_loaded():
        report.missing(
            Level.TO_COMPLETE,
            _(
                "Le répertoire national n'est pas chargé : rien ne montre que les référentiels "
                "ne reproduisent pas ceux d'une autre certification."
            ),
            links.register_import(),
            hint=how_to_load_the_register(),
        )


def _control(
    report: CriterionReport,
    promotions: list[Promotion],
    texts: DossierText | None,
    links: Links,
) -> None:
    _text_gaps(report, texts, links)
    sessions = 0
    if promotions:
        sessions = (
            db.session.scalar(
                sa.select(sa.func.count(EvaluationSession.id)).where(
                    EvaluationSession.cohort_id.in_([p.cohort.id for p in promotions])
                )
            )
            or 0
        )
    if not sessions:
        report.missing(
            Level.TO_COMPLETE,
            _("Aucune session d'évaluation enregistrée : pas de chiffres sur le contrôle."),
            links.cohorts(),
        )


def _regulations(report: CriterionReport, version: FrameworkVersion, links: Links) -> None:
    if version.regulated is None:
        report.missing(
            Level.BLOCKING,
            _("Dites si l'activité est réglementée (ou qu'elle ne l'est pas)."),
            links.identity("regulation_state"),
        )
    elif version.regulated and not version.regulations.strip():
        report.missing(
            Level.BLOCKING,
            _("Décrivez la réglementation de l'activité."),
            links.identity("regulations"),
        )


def _vae(
    report: CriterionReport, version: FrameworkVersion, texts: DossierText | None, links: Links
) -> None:
    _text_gaps(report, texts, links)
    routes = services.jury_routes(texts, services.used_routes(version.certification_id))
    if not routes[AccessRoute.VAE].open:
        report.missing(
            Level.BLOCKING,
            _("La voie d'accès par la VAE n'est pas déclarée ouverte, avec son jury."),
            links.jury_route(AccessRoute.VAE),
        )


def _blocs(report: CriterionReport, version: FrameworkVersion, links: Links) -> None:
    for bloc in version.blocs:
        if not bloc.modalities:
            report.missing(
                Level.BLOCKING,
                _("Le bloc %(code)s n'a aucune modalité d'évaluation.", code=bloc.code),
                links.add("modalite", bloc),
            )
        if not bloc.validation_rule.strip():
            report.missing(
                Level.BLOCKING,
                _("Le bloc %(code)s ne dit pas comment il est validé.", code=bloc.code),
                links.item("bloc", bloc, "validation_rule"),
            )
        if bloc.validity_years is None and not bloc.validity_unlimited:
            report.missing(
                Level.TO_COMPLETE,
                _("Le bloc %(code)s ne dit pas combien de temps il reste acquis.", code=bloc.code),
                links.item("bloc", bloc, "validity"),
            )
        criteria = [
            criterion
            for competency in bloc.competencies
            for criterion in competency.criteria
            if not criterion.modalities
        ]
        uncovered = [criterion.code for criterion in criteria]
        if uncovered:
            report.missing(
                Level.BLOCKING,
                ngettext(
                    "Bloc %(bloc)s : le critère %(codes)s n'est évalué par aucune modalité.",
                    "Bloc %(bloc)s : %(num)d critères ne sont évalués par aucune modalité "
                    "(%(codes)s).",
                    len(uncovered),
                    bloc=bloc.code,
                    codes=", ".join(uncovered),
                ),
                # The first one's form; saved, the check names the next.
                links.item("critere", criteria[0], "modality_ids"),
            )


def _correspondences(
    report: CriterionReport, version: FrameworkVersion, texts: DossierText | None, links: Links
) -> None:
    marked = (
        db.session.scalar(
            sa.select(sa.func.count(BlocCorrespondence.id)).where(
                BlocCorrespondence.version_id == version.id
            )
        )
        or 0
    )
    written = texts is not None and texts.correspondences.strip()
    if marked:
        report.facts.append(
            ngettext(
                "%(num)d correspondance de bloc établie.",
                "%(num)d correspondances de blocs établies.",
                marked,
            )
        )
    if not marked and not written:
        if register_loaded():
            report.missing(
                Level.TO_COMPLETE,
                _(
                    "Ni correspondance établie avec le répertoire national, ni texte disant "
                    "pourquoi il n'y en a pas."
                ),
                links.correspondences(),
            )
        else:
            # The correspondences are chosen among the register's fiches: none to choose from
            # until it is loaded. Meanwhile the text can say why there is none.
            report.missing(
                Level.TO_COMPLETE,
                _(
                    "Ni correspondance établie, ni texte disant pourquoi il n'y en a pas. Les "
                    "correspondances se choisissent parmi les fiches du répertoire national, qui "
                    "n'est pas chargé."
                ),
                links.text(next(t for t in TEXTS if t.key == "correspondences")),
                hint=how_to_load_the_register(),
            )
