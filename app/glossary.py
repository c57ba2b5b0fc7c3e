"""French words of the UI and documents for the code's states, in one place (gettext), each
table keyed by the members of its enum and checked to label every one of them."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.assessment.rules import BlocStatus
from app.cohorts.models import AccessRoute, EnrolmentStatus, Sex
from app.exports_history.models import ExportKind, ExportStatus, Integrity
from app.frameworks.models import VersionStatus
from app.insertion.models import ContractType, Horizon, Situation, WorkingTime
from app.jury.models import Decision
from app.people.models import OrganisationKind
from app.registry.models import CorrespondenceKind

E = TypeVar("E", bound=enum.Enum)


class Labels(Mapping[E, Any], Generic[E]):
    """The label of each member of `enum`, refused at import when one is missing.

    Looked up by member (``DECISION[Decision.DEFERRED]``); templates and rows read as text
    may give the member's value instead (``DECISION["deferred"]``). An unknown key is a
    KeyError, so ``.get(value, default)`` works as on a dict.
    """

    def __init__(self, enum_type: type[E], labels: Mapping[E, Any]) -> None:
        missing = [m.name for m in enum_type if m not in labels]
        if missing or len(labels) != len(enum_type):
            raise ValueError(f"{enum_type.__name__}: labels missing for {missing}")
        self.enum_type = enum_type
        self._labels = dict(labels)

    def __getitem__(self, key: E | str) -> Any:
        if not isinstance(key, self.enum_type):
            try:
                key = self.enum_type(key)
            except ValueError:
                raise KeyError(key) from None
        return self._labels[key]

    def get(self, key: E | str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self) -> Iterator[E]:
        return iter(self._labels)

    def __len__(self) -> int:
        return len(self._labels)


VERSION_STATUS = Labels(
    VersionStatus,
    {
        VersionStatus.DRAFT: _l("brouillon"),
        VersionStatus.PUBLISHED: _l("publiée"),
        VersionStatus.RETIRED: _l("retirée"),
    },
)

# A change between two versions of a référentiel (app.frameworks.comparison.diff: strings).
CHANGE = {
    "added": _l("ajouté"),
    "removed": _l("supprimé"),
    "reworded": _l("reformulé"),
}

# Voies d'accès.
ACCESS_ROUTE = Labels(
    AccessRoute,
    {
        AccessRoute.INITIAL_TRAINING: _l("formation initiale"),
        AccessRoute.APPRENTICESHIP: _l("apprentissage"),
        AccessRoute.CONTINUING_TRAINING: _l("formation continue"),
        AccessRoute.PROFESSIONALISATION: _l("contrat de professionnalisation"),
        AccessRoute.INDIVIDUAL_APPLICATION: _l("candidature individuelle"),
        AccessRoute.VAE: _l("VAE (validation des acquis de l'expérience)"),
    },
)

# Enrolment (inscription) statuses.
ENROLMENT_STATUS = Labels(
    EnrolmentStatus,
    {
        EnrolmentStatus.ENROLLED: _l("inscrit·e"),
        EnrolmentStatus.WITHDRAWN: _l("abandon"),
        EnrolmentStatus.CERTIFIED: _l("certifié·e"),
    },
)

SEX = Labels(Sex, {Sex.FEMALE: _l("féminin"), Sex.MALE: _l("masculin")})

ORGANISATION_KIND = Labels(
    OrganisationKind,
    {
        OrganisationKind.CERTIFIER: _l("certificateur"),
        OrganisationKind.TRAINING: _l("organisme de formation"),
    },
)

# A bloc's status from the results (validated: by a jury), on the grid, the cohort's and the
# learner's pages and in the results spreadsheet.
BLOC_STATUS = Labels(
    BlocStatus,
    {
        BlocStatus.IN_PROGRESS: _l("en cours"),
        BlocStatus.PROPOSED: _l("proposé à la validation"),
        BlocStatus.VALIDATED: _l("validé"),
    },
)


# Where a result was recorded (Result.source).
RESULT_SOURCE = {
    "web": _l("grille en ligne"),
    "xlsx": _l("tableur importé"),
    "bench": _l("banc d'essai"),
}

# A bloc's correspondence with another certification's (the dossier's criterion 2°).
CORRESPONDENCE_KIND = Labels(
    CorrespondenceKind,
    {
        CorrespondenceKind.TOTAL: _l("totale"),
        CorrespondenceKind.PARTIAL: _l("partielle"),
        CorrespondenceKind.NONE: _l("aucune"),
    },
)


# --- jury, insertion survey (app/jury, app/insertion) ---

# Jury decisions on a bloc.
DECISION = Labels(
    Decision,
    {
        Decision.VALIDATED: _l("validé"),
        Decision.NOT_VALIDATED: _l("non validé"),
        Decision.DEFERRED: _l("ajourné"),
        Decision.NOT_PRESENTED: _l("non présenté"),
    },
)

# A bloc's status as shown to the jury: the results' proposal, or validated by an earlier jury.
JURY_BLOC_STATUS = Labels(
    BlocStatus,
    {
        BlocStatus.IN_PROGRESS: _l("en cours"),
        BlocStatus.PROPOSED: _l("proposé à la validation"),
        BlocStatus.VALIDATED: _l("déjà validé"),
    },
)

# Insertion survey: when, what, which contract.
HORIZON = Labels(
    Horizon,
    {
        Horizon.BEFORE: _l("avant la formation"),
        Horizon.SIX_MONTHS: _l("à 6 mois"),
        Horizon.TWO_YEARS: _l("à 2 ans"),
    },
)

SITUATION = Labels(
    Situation,
    {
        Situation.TARGET_JOB: _l("en emploi dans le métier visé"),
        Situation.OTHER_JOB: _l("en emploi dans un autre métier"),
        Situation.JOB_SEEKING: _l("en recherche d'emploi"),
        Situation.STUDYING: _l("en poursuite d'études"),
        Situation.ALTERNANCE: _l("en alternance"),
        Situation.UNABLE_TO_WORK: _l("dans l'incapacité de travailler"),
        Situation.ABROAD: _l("à l'étranger"),
        Situation.NO_ANSWER: _l("pas de réponse"),
    },
)

WORKING_TIME = Labels(
    WorkingTime,
    {WorkingTime.FULL_TIME: _l("temps plein"), WorkingTime.PART_TIME: _l("temps partiel")},
)

CONTRACT_TYPE = Labels(
    ContractType,
    {
        ContractType.CDI: _l("CDI"),
        ContractType.CDD: _l("CDD"),
        ContractType.INTERIM: _l("intérim"),
        ContractType.SELF_EMPLOYED: _l("indépendant·e, création d'activité"),
        ContractType.CIVIL_SERVANT: _l("fonctionnaire"),
        ContractType.OTHER: _l("autre contrat"),
    },
)

# --- end jury, insertion survey ---

# Exports: what, how far, and whether the kept file still matches its SHA-256.
EXPORT_KIND = Labels(
    ExportKind,
    {
        ExportKind.DOSSIER: _l("dossier de certification"),
        ExportKind.FICHE: _l("fiche (données ouvertes France Compétences)"),
        ExportKind.ACCROCHAGE: _l("flux d'accrochage (Caisse des Dépôts)"),
    },
)

EXPORT_STATUS = Labels(
    ExportStatus,
    {
        ExportStatus.PENDING: _l("en attente"),
        ExportStatus.RUNNING: _l("en cours"),
        ExportStatus.DONE: _l("terminé"),
        ExportStatus.FAILED: _l("en échec"),
    },
)

INTEGRITY = Labels(
    Integrity,
    {
        Integrity.CONFORMING: _l("conforme"),
        Integrity.ALTERED: _l("altéré"),
        Integrity.MISSING: _l("fichier manquant"),
        Integrity.NOT_AVAILABLE: _l("pas de fichier"),
    },
)


def template_globals() -> dict[str, object]:
    return {
        "status_labels": VERSION_STATUS,
        "change_labels": CHANGE,
        "get_locale": get_locale,
        "access_route_labels": ACCESS_ROUTE,
        "enrolment_status_labels": ENROLMENT_STATUS,
        "sex_labels": SEX,
        "organisation_kind_labels": ORGANISATION_KIND,
        "bloc_status_labels": BLOC_STATUS,
    }
