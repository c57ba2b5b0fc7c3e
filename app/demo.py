"""A realistic demo pilot on the real frameworks, for local use only.

`flask demo` builds it once; run again it leaves an existing demo as it is. The accounts have
known passwords: never run this on a server people use.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.assessment.models import EvaluationSession
from app.cohorts.models import (
    AccessRoute,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    LearnerIdentity,
    Sex,
)
from app.db import db, unit_of_work, utcnow
from app.demo_activity import assess, jury_and_survey
from app.dossier.demo import demo_texts
from app.frameworks import documents, services
from app.frameworks.models import Certification, FrameworkVersion, VersionStatus
from app.i18n import option
from app.names import slug
from app.people import audit
from app.people.models import Organisation, OrganisationKind, Role, User, UserRole
from app.people.passwords import hash_password
from app.settings.models import CertifierSettings

DEMO_DOMAIN = "demo.cooperation.test"
CERTIFIER = ("Le Labo de l'ESS", "44789845200001")  # fictitious SIRETs (valid checksum)
TRAINING_ORG = ("Savoir Devenir", "52923713600005")  # the certifier's partner for the pilot
# A second training organisation on the same published version, with its own people: to try
# one organisation against the other (its coordinator must reach nothing of Savoir Devenir's).
SECOND_TRAINING_ORG = ("Ancrages Formation", "88778932900018")
# The certifier's Caisse des Dépôts identifiers (idClient, idContrat): made up, but well formed,
# so the accrochage flow (a test file: the demo's certifications have no RNCP number) can be
# produced from the demo without setting anything.
DEMO_ACCROCHAGE_IDS = ("DEMO0001", "DEMO-CONTRAT-2026")

FIRST_NAMES_F = [
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Élodie",
    "Hélène",
    "Aïcha",
    "Margaux",
    "Nadia",
    "Zoé",
    "Maëlle",
    "Anaïs",
    "Fatoumata",
    "Sophie",
    "Louise",
    "Agathe",
]
FIRST_NAMES_M = [
    "Lucas",
    "Hugo",
    "Thomas",
    "Mehdi",
    "Julien",
    "Nicolas",
    "Jean-Éric",
    "Yanis",
    "Mathieu",
    "Karim",
    "Antoine",
    "Bastien",
    "Romain",
    "Youssef",
    "Gaël",
    "Pierre-Louis",
    "Olivier",
    "Loïc",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "N'Diaye",
    "Moreau",
    "Garnier",
    "Faure",
    "Rousseau",
    "Le Goff",
    "Benali",
    "Mercier",
    "Boyer",
    "Chevalier",
    "Da Silva",
    "Lambert",
    "Fontaine",
    "Perrin",
    "Morel",
    "Girard",
    "Roux",
    "Nguyen",
    "Diallo",
    "Lemoine",
    "Carpentier",
    "Barbier",
    "Henry",
    "Leclerc",
    "Gauthier",
    "Renaud",
    "Traoré",
    "Colin",
    "Marchand",
    "Aubert",
]
# INSEE codes of birth communes (Paris 11e, Lyon 3e, Nantes, Rennes, Lille, Marseille 5e,
# Toulouse, Bordeaux, Grenoble, Strasbourg, Ajaccio) and of birth countries (Sénégal, Maroc).
COMMUNES = [
    "75111",
    "69383",
    "44109",
    "35238",
    "59350",
    "13205",
    "31555",
    "33063",
    "38185",
    "67482",
    "2A004",
]
COUNTRIES = ["99341", "99350"]


@dataclass
class DemoAccount:
    role: str
    email: str
    password: str
    name: str
    cohorts: list[str] = field(default_factory=list)
    # Names of the organisations the account belongs to (a learner: those of their cohorts).
    organisations: list[str] = field(default_factory=list)


@dataclass
class DemoCohort:
    name: str
    cert_code: str
    start: dt.date
    end: dt.date
    route: AccessRoute
    size: int
    organisation: str = TRAINING_ORG[0]


def _cohorts(today: dt.date) -> list[DemoCohort]:
    return [
        DemoCohort(
            "Promotion pilote 1 — Animation (2025)",
            "CTA",
            dt.date(2025, 3, 10),
            dt.date(2025, 12, 12),
            AccessRoute.CONTINUING_TRAINING,
            16,
        ),
        DemoCohort(
            "Promotion pilote 2 — Développement (2026)",
            "CTD",
            dt.date(2026, 2, 2),
            max(today + dt.timedelta(days=120), dt.date(2026, 12, 18)),
            AccessRoute.CONTINUING_TRAINING,
            14,
        ),
        DemoCohort(
            "Promotion Ancrages — Animation (2026)",
            "CTA",
            dt.date(2026, 3, 16),
            max(today + dt.timedelta(days=150), dt.date(2027, 2, 26)),
            AccessRoute.CONTINUING_TRAINING,
            8,
            SECOND_TRAINING_ORG[0],
        ),
    ]


def demo_exists() -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == f"coordination@{DEMO_DOMAIN}"))
        is not None
    )


@dataclass
class DemoLearner:
    account: DemoAccount
    first_names: str
    birth_name: str
    sex: Sex
    birth_date: dt.date
    birth_commune_code: str | None
    birth_country_code: str | None
    withdrawn: bool


@dataclass
class DemoPlan:
    """Everything the demo creates, decided up front from a seed (no database)."""

    coordinator: DemoAccount  # the certifier's, who also coordinates Savoir Devenir's pilot
    trainers: list[DemoAccount]  # one per cohort, in the order of `cohorts`
    jury: DemoAccount
    cohorts: list[DemoCohort]
    learners: list[list[DemoLearner]]  # per cohort
    second_coordinator: DemoAccount  # the second training organisation's, and only its

    @property
    def accounts(self) -> list[DemoAccount]:
        people = [self.coordinator, *self.trainers, self.jury, self.second_coordinator]
        return people + [learner.account for group in self.learners for learner in group]

    @property
    def organisations(self) -> list[tuple[str, str, OrganisationKind]]:
        """Name, SIRET and kind of each organisation, the certifier first."""
        return [
            (*CERTIFIER, OrganisationKind.CERTIFIER),
            (*TRAINING_ORG, OrganisationKind.TRAINING),
            (*SECOND_TRAINING_ORG, OrganisationKind.TRAINING),
        ]


def plan_demo(today: dt.date, seed: int = 2026) -> DemoPlan:
    rng = random.Random(seed)
    cohorts = _cohorts(today)
    names = [c.name for c in cohorts]
    certifier, partner, second = CERTIFIER[0], TRAINING_ORG[0], SECOND_TRAINING_ORG[0]
    plan = DemoPlan(
        coordinator=DemoAccount(
            Role.COORDINATOR.value,
            f"coordination@{DEMO_DOMAIN}",
            "demo-coordination-2026",
            "Claire Vasseur",
            [c.name for c in cohorts if c.organisation == partner],
            [certifier, partner],
        ),
        trainers=[
            DemoAccount(
                Role.TRAINER.value,
                f"formatrice.animation@{DEMO_DOMAIN}",
                "demo-formation-animation",
                "Sophie Renard",
                [names[0]],
                [partner],
            ),
            DemoAccount(
                Role.TRAINER.value,
                f"formateur.developpement@{DEMO_DOMAIN}",
                "demo-formation-dev-2026",
                "Marc Okafor",
                [names[1]],
                [partner],
            ),
            DemoAccount(
                Role.TRAINER.value,
                f"formateur.ancrages@{DEMO_DOMAIN}",
                "demo-ancrages-formation",
                "Yann Le Bihan",
                [names[2]],
                [second],
            ),
        ],
        jury=DemoAccount(
            Role.JURY.value,
            f"jury@{DEMO_DOMAIN}",
            "demo-jury-2026-session",
            "Bernadette Lucas",
            [],
            [certifier],
        ),
        cohorts=cohorts,
        learners=[],
        second_coordinator=DemoAccount(
            Role.COORDINATOR.value,
            f"coordination.ancrages@{DEMO_DOMAIN}",
            "demo-ancrages-coordination",
            "Nadia Ferhat",
            [c.name for c in cohorts if c.organisation == second],
            [second],
        ),
    )
    used: set[str] = set()
    for index, spec in enumerate(cohorts):
        group = []
        for n in range(spec.size):
            female = rng.random() < 0.55
            first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
            last = rng.choice(LAST_NAMES)
            base = slug(f"{first}.{last}".replace("'", ""), "x", keep=".")
            email, suffix = f"{base}@{DEMO_DOMAIN}", 2
            while email in used:
                email, suffix = f"{base}{suffix}@{DEMO_DOMAIN}", suffix + 1
            used.add(email)
            abroad = rng.random() < 0.1
            group.append(
                DemoLearner(
                    account=DemoAccount(
                        Role.LEARNER.value,
                        email,
                        f"demo-apprenant-{index + 1}{n + 1:02d}",
                        f"{first} {last}",
                        [spec.name],
                        [spec.organisation],
                    ),
                    first_names=first,
                    birth_name=last,
                    sex=Sex.FEMALE if female else Sex.MALE,
                    birth_date=dt.date(
                        rng.randint(1972, 2001), rng.randint(1, 12), rng.randint(1, 28)
                    ),
                    birth_commune_code=None if abroad else rng.choice(COMMUNES),
                    birth_country_code=rng.choice(COUNTRIES) if abroad else None,
                    withdrawn=n == spec.size - 1,
                )
            )
        plan.learners.append(group)
    return plan


def build_demo(plan: DemoPlan) -> None:
    """Write the demo of `plan` in the session; the caller commits."""
    now = utcnow()
    for doc in documents.load_shipped(Path(current_app.config["REFERENTIEL_DIR"])):
        services.ensure_published(doc, _published_on(str(doc["version"]["label"]), now))
    orgs = {
        name: Organisation(name=name, siret=siret, kind=kind)
        for name, siret, kind in plan.organisations
    }
    db.session.add_all(orgs.values())
    # The référentiels, their versions and the dossier are the certifier's (app/access.py).
    for certification in db.session.scalars(sa.select(Certification)):
        certification.organisation = orgs[CERTIFIER[0]]
    db.session.add(
        CertifierSettings(
            organisation=orgs[CERTIFIER[0]],
            accrochage_client_id=DEMO_ACCROCHAGE_IDS[0],
            accrochage_contract_id=DEMO_ACCROCHAGE_IDS[1],
        )
    )

    def user(account: DemoAccount, with_orgs: bool = True) -> User:
        created = User(
            email=account.email,
            full_name=account.name,
            password_hash=hash_password(account.password),
            role_rows=[UserRole(role=Role(account.role))],
            organisations=[orgs[name] for name in account.organisations] if with_orgs else [],
        )
        db.session.add(created)
        return created

    coordinator = user(plan.coordinator)
    trainers = [user(t) for t in plan.trainers]
    user(plan.jury)
    user(plan.second_coordinator)
    # The pilot cohorts started on each certification's first published version (2025-04).
    versions: dict[str, FrameworkVersion] = {}
    for v in db.session.scalars(
        sa.select(FrameworkVersion)
        .join(Certification)
        .where(FrameworkVersion.status == VersionStatus.PUBLISHED)
        .order_by(FrameworkVersion.published_at, FrameworkVersion.id)
    ):
        versions.setdefault(v.certification.code, v)
    for spec, trainer, group in zip(plan.cohorts, trainers, plan.learners, strict=True):
        cohort = Cohort(
            name=spec.name,
            organisation=orgs[spec.organisation],
            version=versions[spec.cert_code],
            start_date=spec.start,
            end_date=spec.end,
            access_route=spec.route,
            trainers=[trainer],
        )
        db.session.add(cohort)
        for planned in group:
            learner = user(planned.account, with_orgs=False)
            db.session.add(
                LearnerIdentity(
                    user=learner,
                    birth_name=planned.birth_name,
                    first_names=[planned.first_names],
                    birth_date=planned.birth_date,
                    sex=planned.sex,
                    birth_commune_code=planned.birth_commune_code,
                    birth_country_code=planned.birth_country_code,
                )
            )
            db.session.add(
                Enrolment(
                    cohort=cohort,
                    learner=learner,
                    status=EnrolmentStatus.WITHDRAWN
                    if planned.withdrawn
                    else EnrolmentStatus.ENROLLED,
                )
            )
    db.session.add_all(demo_texts(v.certification for v in versions.values()))
    db.session.flush()
    jury = db.session.scalar(sa.select(User).where(User.email == plan.jury.email))
    assert jury is not None
    by_name = {
        c.name: c
        for c in db.session.scalars(
            sa.select(Cohort).where(Cohort.name.in_([c.name for c in plan.cohorts]))
        )
    }
    cohorts = [by_name[c.name] for c in plan.cohorts]
    rng = random.Random(plan_seed(plan))
    assess(cohorts[0], trainers[0], rng, finished=True)
    assess(cohorts[1], trainers[1], rng, finished=False)
    jury_and_survey(cohorts[0], coordinator, jury, rng)
    # The second organisation's cohort is under way: results on its first blocs.
    assess(cohorts[2], trainers[2], rng, finished=False)
    for cohort, trainer, bloc_index, title in (
        (cohorts[1], trainers[1], 2, "Mise en situation : bloc 3"),
        (cohorts[2], trainers[2], 2, "Étude de cas : bloc 3"),
    ):
        bloc = cohort.version.blocs[bloc_index]
        db.session.add(
            EvaluationSession(
                cohort=cohort,
                bloc=bloc,
                modality=bloc.modalities[0],
                session_date=max(dt.date.today() + dt.timedelta(days=21), cohort.start_date),
                title=title,
                assessors=[trainer],
            )
        )
    audit.record("demo.create", coordinator, "Démo créée (usage local uniquement)", actor=None)


def _published_on(label: str, now: dt.datetime) -> dt.datetime | None:
    """A version labelled "2025-04" was published in April 2025: the demo says so, but never
    later than `now` (a version is not published in the future)."""
    try:
        year, month = (int(part) for part in label.split("-")[:2])
        return min(dt.datetime(year, month, 15, 9, tzinfo=dt.UTC), now)
    except ValueError:
        return None


def plan_seed(plan: DemoPlan) -> int:
    """The results' seed, from Savoir Devenir's pilot alone: the second organisation, added
    later, left the first one's results as they were."""
    first = [c.organisation == TRAINING_ORG[0] for c in plan.cohorts]
    trainers = sum(first)
    learners = sum(len(group) for group, mine in zip(plan.learners, first, strict=True) if mine)
    return 1 + trainers + 1 + learners


@click.command("demo")
@option("--json", "as_json", is_flag=True, help=_l("Afficher les comptes de démo en JSON."))
@with_appcontext
@unit_of_work
def demo_command(as_json: bool) -> None:
    """Build the demo pilot (local use only); run again, it changes nothing."""
    plan = plan_demo(dt.date.today())
    existed = demo_exists()
    if not existed:
        build_demo(plan)
    if as_json:
        click.echo(json.dumps([asdict(a) for a in plan.accounts], ensure_ascii=False, indent=2))
    elif existed:
        click.echo(
            _("démo déjà présente : %(n)d comptes (usage local uniquement)", n=len(plan.accounts))
        )
    else:
        click.echo(_("démo créée : %(n)d comptes (usage local uniquement)", n=len(plan.accounts)))
