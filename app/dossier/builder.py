"""From the database to the dossier's plain data (exports/dossier.py), in a fixed number of
queries whatever the number of cohorts, learners, results and versions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from app.assessment.progress import LearnerProgress, progress
from app.assessment.rules import BlocStatus
from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus
from app.dates import local, local_date
from app.db import db
from app.dossier import criteria, services
from app.dossier.texts import TEXT_KEYS
from app.frameworks import codes, comparison
from app.frameworks import services as frameworks
from app.frameworks.models import Bloc, Competency, CompetencyRule, FrameworkVersion
from app.glossary import ACCESS_ROUTE, CONTRACT_TYPE, HORIZON, VERSION_STATUS
from app.insertion.models import Horizon, SurveyAnswer
from app.insertion.rates import horizon_rates
from app.insertion.services import latest_answers
from app.settings.services import certifier_siret
from exports.dossier import (
    ActivityLine,
    BlocRate,
    BlocSection,
    CohortSection,
    CompetencyRate,
    CompetencyRow,
    CriterionLine,
    DomainSection,
    DossierData,
    Identity,
    InsertionLine,
    InsertionTable,
    JuryRouteText,
    ModalityLine,
    Rate,
    VersionLine,
)


def _rule(version: FrameworkVersion) -> str:
    acquired = " ou ".join(
        f"« {lvl.label} »" for lvl in version.scale_levels if lvl.counts_as_acquired
    )
    if version.competency_rule is CompetencyRule.MINIMUM:
        return _(
            "Une compétence est acquise lorsqu'au moins %(n)s de ses critères d'évaluation sont "
            "au niveau %(levels)s.",
            n=version.minimum_criteria,
            levels=acquired,
        )
    return _(
        "Une compétence est acquise lorsque tous ses critères d'évaluation sont au niveau "
        "%(levels)s.",
        levels=acquired,
    )


def _validity(bloc: Bloc) -> str:
    if bloc.validity_unlimited:
        return _("sans limite de durée")
    if bloc.validity_years:
        return ngettext("%(num)d an", "%(num)d ans", bloc.validity_years)
    return ""


def _competency_modalities(bloc: Bloc, competency: Competency) -> list[ModalityLine]:
    """The bloc's modalities that observe at least one of the competency's criteria, in the
    bloc's order (none linked yet: empty, and the table shows all the bloc's)."""
    used = {m.id for criterion in competency.criteria for m in criterion.modalities}
    return [ModalityLine(m.code, m.title, m.description) for m in bloc.modalities if m.id in used]


def _blocs(version: FrameworkVersion) -> list[BlocSection]:
    rncp = version.certification.rncp_number
    return [
        BlocSection(
            code=codes.bloc_code(bloc.code, position, rncp),
            title=bloc.title,
            description=bloc.description,
            optional=bloc.optional,
            modalities=[ModalityLine(m.code, m.title, m.description) for m in bloc.modalities],
            competencies=[
                CompetencyRow(
                    code=comp.code,
                    statement=comp.statement,
                    activities=[ActivityLine(a.code, a.title) for a in comp.activities],
                    criteria=[CriterionLine(c.code, c.statement) for c in comp.criteria],
                    modalities=_competency_modalities(bloc, comp),
                )
                for comp in bloc.competencies
            ],
            validation_rule=bloc.validation_rule,
            validity=_validity(bloc),
        )
        for position, bloc in enumerate(version.blocs)
    ]


def _labelled(kind: str, values: Sequence[str], typed: dict[str, str]) -> list[str]:
    """« K1802 — Développement local », or the code alone when nothing names it."""
    labelled = []
    for code in values:
        label = codes.code_label(kind, code, typed)
        labelled.append(f"{code} — {label}" if label else code)
    return labelled


def _identity(version: FrameworkVersion) -> Identity:
    typed = dict(version.code_labels or {})
    partners = []
    for partner in version.partners or []:
        name, siret = partner.get("name", ""), partner.get("siret", "")
        habilitation = codes.HABILITATIONS.get(partner.get("habilitation", ""), "")
        details = ", ".join(x for x in (f"SIRET {siret}" if siret else "", habilitation) if x)
        partners.append(f"{name} ({details})" if details else name)
    return Identity(
        code=codes.certification_code(
            version.certification.code, version.certification.rncp_number
        ),
        title=version.title,
        level=version.level,
        nsf=_labelled("nsf", version.nsf_codes, typed),
        rome=_labelled("rome", version.rome_codes, typed),
        formacodes=_labelled("formacode", version.formacodes, typed),
        certifier_name=version.certifier_name,
        certifier_siret=certifier_siret(version),
        profile=[
            (_("Objectifs et contexte de la certification"), version.objectives_context),
            (_("Secteurs d'activité"), version.sectors),
            (_("Types d'emplois accessibles"), version.job_types),
            (_("Prérequis à l'entrée en formation"), version.entry_prerequisites),
            (_("Prérequis à la validation de la certification"), version.validation_prerequisites),
        ],
        partners=partners,
        regulated=version.regulated,
        regulations=version.regulations,
    )


def _versions(current: FrameworkVersion) -> list[VersionLine]:
    """Every version of the certification, with what changed from the one before."""
    versions = db.session.scalars(
        frameworks.version_query()
        .where(FrameworkVersion.certification_id == current.certification_id)
        .order_by(FrameworkVersion.id)
    ).all()
    lines = []
    previous = None
    for version in versions:
        diff: comparison.VersionDiff | None = None
        if previous is not None:
            diff = comparison.diff(previous, version)
        lines.append(
            VersionLine(
                label=version.label,
                status=str(VERSION_STATUS[version.status.value]),
                created_on=local(version.created_at).date(),
                published_on=local_date(version.published_at),
                retired_on=local_date(version.retired_at),
                added=len(diff.of("added")) if diff else None,
                removed=len(diff.of("removed")) if diff else None,
                reworded=len(diff.of("reworded")) if diff else None,
                notes=version.notes,
                current=version.id == current.id,
            )
        )
        previous = version
    return lines


def _cohort_section(
    version: FrameworkVersion,
    cohort: Cohort,
    enrolments: list[tuple[int, EnrolmentStatus, dt.date | None]],
    states: dict[int, LearnerProgress],
) -> CohortSection:
    counted = [
        states[e] for e, status, _on in enrolments if status is not EnrolmentStatus.WITHDRAWN
    ]
    total = len(counted)
    return CohortSection(
        name=cohort.name,
        organisation=cohort.organisation.name,
        start=cohort.start_date,
        end=cohort.end_date,
        access_route=str(ACCESS_ROUTE[cohort.access_route.value]),
        enrolled=len(enrolments),
        withdrawn=sum(1 for _e, s, _on in enrolments if s is EnrolmentStatus.WITHDRAWN),
        certified=sum(1 for _e, s, _on in enrolments if s is EnrolmentStatus.CERTIFIED),
        counted=total,
        blocs=[
            BlocRate(
                code=bloc.code,
                title=bloc.title,
                optional=bloc.optional,
                validated=Rate(
                    sum(1 for s in counted if s.blocs[bloc.id] is BlocStatus.VALIDATED), total
                ),
            )
            for bloc in version.blocs
        ],
        competencies=[
            CompetencyRate(
                bloc_code=bloc.code,
                code=comp.code,
                statement=comp.statement,
                acquired=Rate(
                    sum(1 for s in counted if s.competencies[comp.id].is_acquired), total
                ),
            )
            for bloc in version.blocs
            for comp in bloc.competencies
        ],
    )


def _certified(
    cohorts: list[Cohort],
    enrolments: dict[int, list[tuple[int, EnrolmentStatus, dt.date | None]]],
) -> dict[int, list[tuple[int, dt.date | None]]]:
    """Per cohort, its certified people: (enrolment id, certified on)."""
    return {
        cohort.id: [(e, on) for e, s, on in enrolments[cohort.id] if s is EnrolmentStatus.CERTIFIED]
        for cohort in cohorts
    }


def _insertion(
    cohorts: list[Cohort],
    certified: dict[int, list[tuple[int, dt.date | None]]],
    answers: Mapping[tuple[int, Horizon], SurveyAnswer],
    today: dt.date,
) -> list[InsertionTable]:
    """Per horizon, each cohort's certified people and their current survey answers; people
    not due to answer yet are counted apart."""
    tables = []
    for horizon in Horizon:
        lines = []
        for cohort in cohorts:
            rates = horizon_rates(certified[cohort.id], answers, horizon, today)
            lines.append(
                InsertionLine(
                    cohort=cohort.name,
                    certified=rates.people,
                    respondents=rates.respondents,
                    no_answer=rates.no_answer,
                    excluded=rates.excluded,
                    target_job=Rate(rates.in_target_job, rates.respondents),
                    employment=Rate(rates.in_employment, rates.respondents),
                    not_due=rates.not_due,
                    contracts=tuple((str(CONTRACT_TYPE[c.value]), n) for c, n in rates.contracts),
                )
            )
        tables.append(InsertionTable(horizon=str(HORIZON[horizon.value]), lines=lines))
    return tables


def dossier_data(
    version: FrameworkVersion, cohort_ids: Sequence[int], *, generated_on: dt.date
) -> DossierData:
    """The dossier of `version` (loaded with its content: frameworks.services.load_version)
    with the chosen pilot cohorts among those following it."""
    texts = services.texts_for(version.certification_id)
    routes = services.jury_routes(texts, services.used_routes(version.certification_id))
    cohorts: list[Cohort] = []
    if cohort_ids:
        cohorts = list(
            db.session.scalars(
                sa.select(Cohort)
                .where(Cohort.id.in_(list(cohort_ids)), Cohort.version_id == version.id)
                .options(selectinload(Cohort.organisation))
                .order_by(Cohort.start_date, Cohort.name, Cohort.id)
            )
        )
    enrolments: dict[int, list[tuple[int, EnrolmentStatus, dt.date | None]]] = defaultdict(list)
    if cohorts:
        rows = db.session.execute(
            sa.select(Enrolment.id, Enrolment.cohort_id, Enrolment.status, Enrolment.certified_on)
            .where(Enrolment.cohort_id.in_([c.id for c in cohorts]))
            .order_by(Enrolment.id)
        )
        for enrolment_id, cohort_id, status, certified_on in rows:
            enrolments[cohort_id].append((enrolment_id, status, certified_on))
    states = progress(version, [e for people in enrolments.values() for e, _s, _d in people])
    certified = _certified(cohorts, enrolments)
    answers = latest_answers([e for people in certified.values() for e, _on in people])
    return DossierData(
        identity=_identity(version),
        version_label=version.label,
        version_status=str(VERSION_STATUS[version.status.value]),
        version_published_on=local_date(version.published_at),
        generated_on=generated_on,
        context_and_opportunity=texts.context_and_opportunity if texts else "",
        vae_access=texts.vae_access if texts else "",
        texts_revision=texts.revision if texts else 0,
        texts={key: getattr(texts, key) for key in TEXT_KEYS} if texts else {},
        control=criteria.control([c.id for c in cohorts]),
        correspondences=criteria.correspondences(version),
        jobs_held=criteria.jobs_held(answers),
        certified_promotions=criteria.certified_promotions(version),
        copy_check=criteria.copy_check(version),
        scale=[level.label for level in version.scale_levels],
        acquired_levels=[lvl.label for lvl in version.scale_levels if lvl.counts_as_acquired],
        competency_rule=_rule(version),
        domains=[
            DomainSection(
                d.code,
                d.title,
                [ActivityLine(a.code, a.title, a.description) for a in d.activities],
            )
            for d in version.domains
        ],
        blocs=_blocs(version),
        jury=[
            JuryRouteText(
                route=str(ACCESS_ROUTE[route.value]),
                open=routes[route].open,
                composition=routes[route].composition,
                vae=route is AccessRoute.VAE,
            )
            for route in AccessRoute
        ],
        cohorts=[
            _cohort_section(version, cohort, enrolments[cohort.id], states) for cohort in cohorts
        ],
        insertion=_insertion(cohorts, certified, answers, generated_on) if cohorts else [],
        versions=_versions(version),
    )
