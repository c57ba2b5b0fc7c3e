"""From the database to the plain data the exporters take (exports/), in a fixed number of
queries whatever the size of the framework or of the cohorts."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from fractions import Fraction

import sqlalchemy as sa

from app.cohorts.models import AccessRoute, Cohort, Enrolment, EnrolmentStatus, LearnerIdentity
from app.dates import local
from app.dates import today as local_today
from app.db import db
from app.dossier import services as dossier_services
from app.frameworks import codes
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.insertion.models import Horizon
from app.insertion.rates import InsertionRates, horizon_rates
from app.insertion.services import latest_answers
from app.names import name_key
from app.people.models import User
from app.registry import correspondences
from app.registry.models import CorrespondenceKind
from app.settings.services import certifier_siret
from exports.accrochage import AccrochageData, Holder, Passage
from exports.fiche import (
    Certifier,
    Code,
    Correspondence,
    FicheBloc,
    FicheData,
    JuryRoute,
    Partner,
    PromotionStats,
    Section,
)

# Voies d'accès → the fiche's SI_JURY_xx routes.
JURY_ROUTE_OF = {
    AccessRoute.INITIAL_TRAINING: "FI",
    AccessRoute.APPRENTICESHIP: "CA",
    AccessRoute.CONTINUING_TRAINING: "FC",
    AccessRoute.PROFESSIONALISATION: "CQ",
    AccessRoute.INDIVIDUAL_APPLICATION: "CL",
    AccessRoute.VAE: "VAE",
}


def _certified() -> sa.ColumnElement[bool]:
    """Only people certified, with the date of the jury that certified them."""
    return sa.and_(
        Enrolment.status == EnrolmentStatus.CERTIFIED, Enrolment.certified_on.is_not(None)
    )


def _percent(rate: Fraction | None) -> int | None:
    """A rate as whole percents, halves rounded up; None stays unknown."""
    return None if rate is None else math.floor(rate * 100 + Fraction(1, 2))


def _promotion_stats(version: FrameworkVersion) -> list[PromotionStats]:
    """Per year of certification (all versions of the certification): the certified people,
    those certified through VAE, and the insertion rates from the survey's current answers."""
    rows = db.session.execute(
        sa.select(Enrolment.id, Enrolment.certified_on, Cohort.access_route)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
        .where(FrameworkVersion.certification_id == version.certification_id, _certified())
    ).all()
    answers = latest_answers([enrolment_id for enrolment_id, _, _ in rows])
    by_year: dict[int, list[int]] = defaultdict(list)
    by_vae: Counter[int] = Counter()
    for enrolment_id, certified_on, route in rows:
        if certified_on is None:  # excluded by _certified(); for the type checker
            continue
        by_year[certified_on.year].append(enrolment_id)
        if route is AccessRoute.VAE:
            by_vae[certified_on.year] += 1

    today = local_today()
    certified_on_by_id = {enrolment_id: on for enrolment_id, on, _route in rows}

    def rates(people: list[int], horizon: Horizon) -> InsertionRates:
        dated = [(e, certified_on_by_id[e]) for e in people]
        return horizon_rates(dated, answers, horizon, today)

    stats = []
    for year in sorted(by_year):
        six_months = rates(by_year[year], Horizon.SIX_MONTHS)
        two_years = rates(by_year[year], Horizon.TWO_YEARS)
        stats.append(
            PromotionStats(
                year=year,
                certified=len(by_year[year]),
                certified_vae=by_vae[year],
                global_insertion_6m=_percent(six_months.employment_rate),
                job_insertion_6m=_percent(six_months.target_job_rate),
                job_insertion_2y=_percent(two_years.target_job_rate),
            )
        )
    return stats


def _modality(title: str, description: str) -> str:
    description = " ".join(description.split())
    return f"{title} : {description}" if description else title


def _labelled(kind: str, values: list[str], typed: dict[str, str]) -> list[Code]:
    return [Code(code, codes.code_label(kind, code, typed)) for code in values]


def _regulations(version: FrameworkVersion) -> str:
    if version.regulated is None:
        return ""
    return version.regulations if version.regulated else codes.NO_REGULATION


def fiche_state(version: FrameworkVersion) -> tuple[str, bool]:
    """ETAT_FICHE and ACTIF of our fiche: active once the certification is registered (it has
    its RNCP number) and the version is published; a retired version's fiche is archived."""
    registered = version.certification.rncp_number is not None
    if version.status is VersionStatus.RETIRED:
        return "Archivée", False
    if version.status is VersionStatus.PUBLISHED and registered:
        return "Publiée", True
    return "Brouillon", False


def fiche_data(version: FrameworkVersion) -> FicheData:
    """The fiche of a version loaded with its content (frameworks.services.load_version)."""
    routes = dossier_services.jury_routes(
        dossier_services.texts_for(version.certification_id),
        dossier_services.used_routes(version.certification_id),
    )
    rncp = version.certification.rncp_number
    shown = {bloc.code: codes.bloc_code(bloc.code, bloc.position, rncp) for bloc in version.blocs}
    typed = version.code_labels or {}
    state, active = fiche_state(version)
    return FicheData(
        number=codes.certification_code(version.certification.code, rncp),
        title=version.title,
        level=version.level,
        level_label=f"Niveau {version.level}",
        nsf=_labelled("nsf", version.nsf_codes, typed),
        rome=_labelled("rome", version.rome_codes, typed),
        formacodes=_labelled("formacode", version.formacodes, typed),
        certifiers=[Certifier(version.certifier_name, certifier_siret(version))],
        state=state,
        active=active,
        objectives_context=version.objectives_context,
        sectors=version.sectors,
        job_types=version.job_types,
        regulations=_regulations(version),
        entry_prerequisites=version.entry_prerequisites,
        validation_prerequisites=version.validation_prerequisites,
        partners=[
            Partner(
                name=partner["name"],
                siret=partner.get("siret", ""),
                habilitation=codes.HABILITATIONS.get(partner.get("habilitation", ""), ""),
            )
            for partner in version.partners or []
        ],
        activities=[
            Section(domain.title, [activity.title for activity in domain.activities])
            for domain in version.domains
        ],
        capacities=[
            Section(bloc.title, [comp.statement for comp in bloc.competencies])
            for bloc in version.blocs
        ],
        blocs=[
            FicheBloc(
                code=shown[bloc.code],
                title=bloc.title,
                competencies=[comp.statement for comp in bloc.competencies],
                modalities=[_modality(m.title, m.description) for m in bloc.modalities],
            )
            for bloc in version.blocs
        ],
        # Open routes: those the coordinator declares open in the dossier's texts, and those
        # a cohort followed; the jury's composition is the coordinator's text.
        jury={
            key: JuryRoute(open=routes[route].open, composition=routes[route].composition)
            for route, key in JURY_ROUTE_OF.items()
        },
        statistics=_promotion_stats(version),
        correspondences=[
            Correspondence(
                bloc_code=shown.get(mark.bloc_code, mark.bloc_code),
                fiche_number=mark.fiche_number,
                fiche_title=mark.fiche_title,
                other_bloc_code=mark.registry_bloc_code,
                other_bloc_title=mark.registry_bloc_title,
                total=mark.kind is CorrespondenceKind.TOTAL,
            )
            for mark in correspondences.marks(db.session(), version)
            if mark.kind is not CorrespondenceKind.NONE
        ],
    )


def certified_passages(cohort_ids: Sequence[int]) -> list[Passage]:
    """The certified people of these cohorts, with their civil identity (one query)."""
    if not cohort_ids:
        return []
    rows = db.session.execute(
        sa.select(
            Enrolment.id,
            Enrolment.certified_on,
            Enrolment.entered_on,
            Cohort.start_date,
            Cohort.name,
            Cohort.access_route,
            User.full_name,
            LearnerIdentity,
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(User, User.id == Enrolment.learner_id)
        .outerjoin(LearnerIdentity, LearnerIdentity.user_id == Enrolment.learner_id)
        .where(Enrolment.cohort_id.in_(cohort_ids), _certified())
    ).all()
    rows = sorted(rows, key=lambda row: (name_key(row.full_name), row.id))
    passages = []
    for row in rows:
        identity = row.LearnerIdentity
        holder = None
        if identity is not None:
            holder = Holder(
                birth_name=identity.birth_name,
                usage_name=identity.usage_name,
                first_names=tuple(identity.first_names or ()),
                birth_date=identity.birth_date,
                sex=identity.sex.value if identity.sex is not None else None,
                birth_commune_code=identity.birth_commune_code,
                birth_country_code=identity.birth_country_code,
            )
        passages.append(
            Passage(
                enrolment_id=row.id,
                display_name=row.full_name,
                cohort_name=row.name,
                access_route=row.access_route.value,
                certified_on=row.certified_on,
                # The real entry date, never the day the enrolment was typed into the app.
                entered_on=row.entered_on or row.start_date,
                holder=holder,
            )
        )
    return passages


def accrochage_data(
    version: FrameworkVersion,
    cohort_ids: Sequence[int],
    *,
    flux_id: str,
    client_id: str,
    contract_id: str,
    generated_at: dt.datetime,
    test_file: bool = False,
) -> AccrochageData:
    return AccrochageData(
        flux_id=flux_id,
        generated_at=local(generated_at),
        client_id=client_id,
        contract_id=contract_id,
        certification_code=version.certification.code,
        rncp_number=rncp_number(version),
        passages=certified_passages(cohort_ids),
        test_file=test_file,
    )


def rncp_number(version: FrameworkVersion) -> str | None:
    """The certification's RNCP number (RNCPnnnnn), None until France Compétences gives it."""
    return version.certification.rncp_number or None
