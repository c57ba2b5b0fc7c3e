"""Test data builders and helpers shared by several test packages: an organisation, a cohort
with the usual dates, the second bloc of the small référentiel, a référentiel complete for the
fiche, SIRETs, the mails of the outbox, row counts and a page's text.

The packages' own worlds (tests/jury/factories.py's `Pilot`, the access matrix's `World`)
build on these.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Sequence
from email import message_from_bytes, policy
from email.message import EmailMessage
from html import unescape
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.cohorts.models import AccessRoute, Cohort
from app.people.models import Organisation, OrganisationKind

# The certifier the small référentiel (tests/data/mini.yaml) names.
MINI_CERTIFIER = {"name": "Organisme d'essai", "siret": "44789845200001"}

COHORT_START = dt.date(2026, 1, 5)
COHORT_END = dt.date(2026, 12, 18)


def new_cohort(
    session: Any,
    organisation: Any,
    version: Any,
    name: str = "Promo",
    trainers: Sequence[Any] = (),
    **fields: Any,
) -> Cohort:
    """A cohort in continuing training over 2026, added to `session` (neither flushed nor
    committed)."""
    cohort = Cohort(
        name=name,
        organisation=organisation,
        version=version,
        start_date=fields.pop("start_date", COHORT_START),
        end_date=fields.pop("end_date", COHORT_END),
        access_route=fields.pop("access_route", AccessRoute.CONTINUING_TRAINING),
        trainers=list(trainers),
        **fields,
    )
    session.add(cohort)
    return cohort


def new_organisation(
    session: Any,
    name: str,
    kind: OrganisationKind = OrganisationKind.TRAINING,
    siret: str | None = None,
) -> Organisation:
    """An organisation, added to `session` and committed."""
    organisation = Organisation(name=name, kind=kind, siret=siret)
    session.add(organisation)
    session.commit()
    return organisation


BC02 = {
    "code": "BC02",
    "title": "Développer une coopération",
    "optional": False,
    "modalities": [{"code": "M2.1", "title": "Étude de cas"}],
    "competencies": [
        {
            "code": "C2.1",
            "statement": "Mobiliser des partenaires afin de structurer la coopération",
            "activities": ["A1.1"],
            "criteria": [
                {"code": "C2.1.a", "statement": "Les partenaires sont identifiés"},
                {"code": "C2.1.b", "statement": "Un financement est recherché"},
            ],
        }
    ],
}


def doc_variant(
    mini_doc: dict[str, Any], *, label: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """A copy of the small référentiel as another version (`label`) or another certification
    (`code`)."""
    doc = copy.deepcopy(mini_doc)
    if label is not None:
        doc["version"]["label"] = label
    if code is not None:
        doc["certification"]["code"] = code
    return doc


def fiche_doc(mini_doc: dict[str, Any], certifier_siret: str) -> dict[str, Any]:
    """A copy of the small référentiel with every field the fiche and the dossier need (no RNCP
    number: a test that wants one sets it)."""
    doc = copy.deepcopy(mini_doc)
    cert = doc["certification"]
    cert["certifier"]["siret"] = certifier_siret
    cert["code_labels"] = {"42806": "Animation réseau"}
    cert["objectives_context"] = "Les coopérations se multiplient.\nElles manquent de métiers."
    cert["sectors"] = "Associations et SCIC\nCollectivités territoriales"
    cert["job_types"] = "Animateur·rice de coopération"
    cert["entry_prerequisites"] = "Deux ans d'expérience dans l'animation de projets"
    cert["validation_prerequisites"] = "Valider le bloc BC01"
    cert["regulations"] = {"regulated": False}
    cert["partners"] = [
        {"name": "Savoir Devenir", "siret": "52923713600005", "habilitation": "train"}
    ]
    bloc = doc["blocs"][0]
    bloc["validation_rule"] = "Tous les critères du bloc acquis, décision du jury"
    bloc["validity"] = {"unlimited": True}
    for competency in bloc["competencies"]:
        for criterion in competency["criteria"]:
            criterion["modalities"] = ["M1.1"]
    return doc


def siret(prefix: str) -> str:
    """A valid SIRET: `prefix` (13 digits) and its Luhn check digit."""
    for last in "0123456789":
        candidate = prefix + last
        total = 0
        for i, char in enumerate(reversed(candidate)):
            n = int(char) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def count_rows(session: Any, model: Any) -> int:
    """How many rows `model`'s table holds."""
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def page_text(response: Any) -> str:
    """A response's body as text, its HTML entities decoded."""
    return unescape(response.get_data(as_text=True))


def read_mails(folder: Path) -> list[EmailMessage]:
    """The mails written to the development outbox `folder`, oldest first."""
    if not folder.exists():
        return []
    return [
        message_from_bytes(path.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


def link_in(message: EmailMessage) -> str:
    """The path of the one link in a mail's text."""
    body = message.get_content()
    links = re.findall(r"https?://[^/\s]+(/\S+)", body)
    assert len(links) == 1, body
    return links[0]
