"""Reading and changing the certifier's settings; which identifiers an accrochage flow uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db import db
from app.frameworks.models import FrameworkVersion
from app.people import audit
from app.people.models import Organisation, OrganisationKind, User
from app.settings.models import CertifierSettings

CLIENT_ID_MISSING = _l(
    "l'identifiant client (idClient) que la Caisse des Dépôts a donné au certificateur"
)
CONTRACT_ID_MISSING = _l(
    "le numéro de contrat (idContrat) que la Caisse des Dépôts a donné au certificateur"
)


@dataclass(frozen=True)
class AccrochageIds:
    """The identifiers an accrochage flow of one certification is sent with."""

    certifier: Organisation | None  # whose settings they are; None: no certifier found
    client_id: str
    contract_id: str
    from_configuration: bool  # at least one value came from ACCROCHAGE_ID_* (a fallback)

    @property
    def missing(self) -> list[str]:
        """What is still lacking, in plain words (empty when the flow can be produced)."""
        found = []
        if not self.client_id:
            found.append(str(CLIENT_ID_MISSING))
        if not self.contract_id:
            found.append(str(CONTRACT_ID_MISSING))
        return found


def certifier_of(version: FrameworkVersion) -> Organisation | None:
    """The certifier organisation of a version: the certification's owner where it has one,
    else the certifier organisation the version names (by SIRET, then by name), else the only
    certifier organisation there is."""
    owner_id = getattr(version.certification, "organisation_id", None)
    if owner_id is not None:
        return db.session.get(Organisation, owner_id)
    certifiers = list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.kind == OrganisationKind.CERTIFIER)
            .order_by(Organisation.id)
        )
    )
    for org in certifiers:
        if version.certifier_siret and org.siret == version.certifier_siret:
            return org
    for org in certifiers:
        if org.name.casefold() == version.certifier_name.casefold():
            return org
    return certifiers[0] if len(certifiers) == 1 else None


def certifier_siret(version: FrameworkVersion) -> str | None:
    """The certifier's SIRET for the fiche and the dossier: the one the version names, else its
    certifier organisation's (Administration › Paramètres du certificateur)."""
    if version.certifier_siret:
        return version.certifier_siret
    organisation = certifier_of(version)
    return organisation.siret if organisation is not None and organisation.siret else None


def settings_of(organisation: Organisation) -> CertifierSettings | None:
    return db.session.get(CertifierSettings, organisation.id)


def accrochage_ids(version: FrameworkVersion) -> AccrochageIds:
    """The certifier's stored identifiers; ACCROCHAGE_ID_CLIENT / _CONTRAT where none is."""
    certifier = certifier_of(version)
    stored = settings_of(certifier) if certifier is not None else None
    config = current_app.config
    client_id = (stored.accrochage_client_id or "") if stored else ""
    contract_id = (stored.accrochage_contract_id or "") if stored else ""
    fallback = False
    if not client_id:
        client_id = (config.get("ACCROCHAGE_ID_CLIENT") or "").strip()
        fallback = fallback or bool(client_id)
    if not contract_id:
        contract_id = (config.get("ACCROCHAGE_ID_CONTRAT") or "").strip()
        fallback = fallback or bool(contract_id)
    return AccrochageIds(certifier, client_id, contract_id, fallback)


def accrochage_blockers(versions: Iterable[FrameworkVersion]) -> dict[int, AccrochageIds]:
    """The versions whose accrochage flow cannot be produced yet, by id, with what lacks."""
    blocked = {}
    for version in versions:
        ids = accrochage_ids(version)
        if ids.missing:
            blocked[version.id] = ids
    return blocked


def update_settings(
    organisation: Organisation,
    *,
    siret: str,
    client_id: str | None,
    contract_id: str | None,
    actor: User,
) -> list[str]:
    """Store the certifier's SIRET and accrochage identifiers (None: use the configuration's);
    audited. Returns the names of the fields that changed."""
    stored = settings_of(organisation)
    changes = {
        "siret": (organisation.siret, siret),
        "accrochage_client_id": (stored.accrochage_client_id if stored else None, client_id),
        "accrochage_contract_id": (stored.accrochage_contract_id if stored else None, contract_id),
    }
    changed = [name for name, (before, after) in changes.items() if before != after]
    if not changed:
        return []
    if stored is None:
        stored = CertifierSettings(organisation_id=organisation.id)
        db.session.add(stored)
    organisation.siret = siret
    stored.accrochage_client_id = client_id
    stored.accrochage_contract_id = contract_id
    stored.updated_by = actor
    audit.record(
        "certifier_settings.update",
        organisation,
        f"Paramètres du certificateur modifiés : {organisation.name}",
        actor=actor,
        **{name: {"before": changes[name][0], "after": changes[name][1]} for name in changed},
    )
    db.session.flush()
    return changed


def configured_fallback() -> dict[str, str]:
    """The identifiers the server's configuration gives (used where none is stored)."""
    config = current_app.config
    return {
        "client_id": (config.get("ACCROCHAGE_ID_CLIENT") or "").strip(),
        "contract_id": (config.get("ACCROCHAGE_ID_CONTRAT") or "").strip(),
    }
