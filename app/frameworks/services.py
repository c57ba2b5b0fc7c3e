"""Writing and reading frameworks: import, export, publish, retire (comparing two versions:
comparison.py).

Services change the session; the request or command commits (app/db.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.access import owned_certifications
from app.db import db, utcnow
from app.frameworks.models import (
    Activity,
    ActivityDomain,
    Bloc,
    Certification,
    Competency,
    CompetencyRule,
    Criterion,
    EvaluationModality,
    FrameworkError,
    FrameworkVersion,
    ScaleLevel,
    VersionStatus,
)
from app.people.models import User

# --- import / export -----------------------------------------------------------------------------


def import_document(doc: dict[str, Any]) -> FrameworkVersion:
    """Store a validated document as a new draft version of its certification."""
    cert_doc = doc["certification"]
    label = doc["version"]["label"]
    certification = db.session.scalar(
        sa.select(Certification).where(Certification.code == cert_doc["code"])
    )
    rncp_number = cert_doc.get("rncp_number")
    if certification is None:
        certification = Certification(code=cert_doc["code"], rncp_number=rncp_number)
        db.session.add(certification)
    else:
        if rncp_number and certification.rncp_number not in (None, rncp_number):
            raise FrameworkError(
                f"la certification {certification.code} est enregistrée sous le numéro "
                f"{certification.rncp_number}, pas {rncp_number}"
            )
        if rncp_number:
            certification.rncp_number = rncp_number
        exists = db.session.scalar(
            sa.select(FrameworkVersion.id).where(
                FrameworkVersion.certification_id == certification.id,
                FrameworkVersion.label == label,
            )
        )
        if exists:
            raise FrameworkError(
                f"la certification {certification.code} a déjà une version « {label} »"
            )
    scale = doc["scale"]
    version = FrameworkVersion(
        certification=certification,
        label=label,
        notes=doc["version"].get("notes", ""),
        title=cert_doc["title"],
        level=cert_doc["level"],
        nsf_codes=list(cert_doc.get("nsf", [])),
        rome_codes=list(cert_doc.get("rome", [])),
        formacodes=list(cert_doc.get("formacode", [])),
        certifier_name=cert_doc["certifier"]["name"],
        certifier_siret=cert_doc["certifier"].get("siret"),
        competency_rule=CompetencyRule(scale.get("competency_rule", "all")),
        minimum_criteria=scale.get("minimum_criteria"),
        **identity_values(cert_doc),
    )
    db.session.add(version)
    fill_content(version, doc)
    db.session.flush()
    return version


def ensure_published(
    doc: dict[str, Any], published_at: datetime | None = None
) -> FrameworkVersion | None:
    """Import and publish `doc` unless its certification already has that version.

    Return the new version, or None when there was nothing to do.
    """
    exists = db.session.scalar(
        sa.select(FrameworkVersion.id)
        .join(FrameworkVersion.certification)
        .where(
            Certification.code == doc["certification"]["code"],
            FrameworkVersion.label == doc["version"]["label"],
        )
    )
    if exists:
        return None
    version = import_document(doc)
    publish(version, published_at)
    return version


_PROSE = (
    "objectives_context",
    "sectors",
    "job_types",
    "entry_prerequisites",
    "validation_prerequisites",
)


def identity_values(cert_doc: dict[str, Any]) -> dict[str, Any]:
    """The version's columns for what the document's `certification` says for the fiche."""
    regulations = cert_doc.get("regulations")
    return {
        **{name: cert_doc.get(name, "") for name in _PROSE},
        "regulated": None if regulations is None else regulations["regulated"],
        "regulations": "" if regulations is None else regulations.get("text", ""),
        "partners": [dict(partner) for partner in cert_doc.get("partners", [])],
        "code_labels": dict(cert_doc.get("code_labels", {})),
    }


def fill_content(version: FrameworkVersion, doc: dict[str, Any]) -> None:
    """Create the scale, activities and blocs of `doc` under a new draft `version`."""
    version.scale_levels = [
        ScaleLevel(
            position=i,
            code=level["code"],
            label=level["label"],
            counts_as_acquired=level["acquired"],
        )
        for i, level in enumerate(doc["scale"]["levels"])
    ]
    activities: dict[str, Activity] = {}
    domains = []
    for d, domain_doc in enumerate(doc["activity_domains"]):
        domain = ActivityDomain(position=d, code=domain_doc["code"], title=domain_doc["title"])
        for a, act_doc in enumerate(domain_doc["activities"]):
            activity = Activity(
                version=version,
                position=a,
                code=act_doc["code"],
                title=act_doc["title"],
                description=act_doc.get("description", ""),
                borrowed_from=act_doc.get("borrowed_from"),
            )
            domain.activities.append(activity)
            activities[activity.code] = activity
        domains.append(domain)
    version.domains = domains
    blocs = []
    for b, bloc_doc in enumerate(doc["blocs"]):
        validity = bloc_doc.get("validity", {})
        bloc = Bloc(
            position=b,
            code=bloc_doc["code"],
            title=bloc_doc["title"],
            description=bloc_doc.get("description", ""),
            optional=bloc_doc.get("optional", False),
            borrowed_from=bloc_doc.get("borrowed_from"),
            validation_rule=bloc_doc.get("validation_rule", ""),
            validity_years=validity.get("years"),
            validity_unlimited=validity.get("unlimited", False),
        )
        bloc.modalities = [
            EvaluationModality(
                version=version,
                position=m,
                code=mod["code"],
                title=mod["title"],
                description=mod.get("description", ""),
            )
            for m, mod in enumerate(bloc_doc["modalities"])
        ]
        modalities = {modality.code: modality for modality in bloc.modalities}
        bloc.competencies = [
            Competency(
                version=version,
                position=c,
                code=comp["code"],
                statement=comp["statement"],
                borrowed_from=comp.get("borrowed_from"),
                activities=[activities[code] for code in comp["activities"]],
                criteria=[
                    Criterion(
                        version=version,
                        position=k,
                        code=crit["code"],
                        statement=crit["statement"],
                        modalities=[modalities[code] for code in crit.get("modalities", [])],
                    )
                    for k, crit in enumerate(comp["criteria"])
                ],
            )
            for c, comp in enumerate(bloc_doc["competencies"])
        ]
        blocs.append(bloc)
    version.blocs = blocs


def _without_empty(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if mapping.get(key) in ("", [], {}, None):
            mapping.pop(key, None)
    return mapping


def _validity(bloc: Bloc) -> dict[str, Any]:
    if bloc.validity_unlimited:
        return {"validity": {"unlimited": True}}
    if bloc.validity_years is not None:
        return {"validity": {"years": bloc.validity_years}}
    return {}


def export_document(version: FrameworkVersion) -> dict[str, Any]:
    """Return the document of a loaded version (see `load_version`), ready to dump as YAML."""
    cert: dict[str, Any] = {
        "code": version.certification.code,
        "rncp_number": version.certification.rncp_number,
        "title": version.title,
        "level": version.level,
        "nsf": list(version.nsf_codes),
        "rome": list(version.rome_codes),
        "formacode": list(version.formacodes),
        "certifier": _without_empty(
            {"name": version.certifier_name, "siret": version.certifier_siret}, "siret"
        ),
        "code_labels": dict(version.code_labels or {}),
        **{name: getattr(version, name) for name in _PROSE},
        "regulations": None
        if version.regulated is None
        else _without_empty({"regulated": version.regulated, "text": version.regulations}, "text"),
        "partners": [dict(partner) for partner in version.partners or []],
    }
    # Activities are listed in the order of the référentiel d'activités.
    order = {
        activity: (domain.position, activity.position)
        for domain in version.domains
        for activity in domain.activities
    }
    scale: dict[str, Any] = {"competency_rule": version.competency_rule.value}
    if version.minimum_criteria is not None:
        scale["minimum_criteria"] = version.minimum_criteria
    scale["levels"] = [
        {"code": lvl.code, "label": lvl.label, "acquired": lvl.counts_as_acquired}
        for lvl in version.scale_levels
    ]
    return {
        "format": 1,
        "certification": _without_empty(
            cert,
            "rncp_number",
            "nsf",
            "rome",
            "formacode",
            "code_labels",
            *_PROSE,
            "regulations",
            "partners",
        ),
        "version": _without_empty({"label": version.label, "notes": version.notes}, "notes"),
        "scale": scale,
        "activity_domains": [
            {
                "code": domain.code,
                "title": domain.title,
                "activities": [
                    _without_empty(
                        {
                            "code": a.code,
                            "title": a.title,
                            "description": a.description,
                            "borrowed_from": a.borrowed_from,
                        },
                        "description",
                        "borrowed_from",
                    )
                    for a in domain.activities
                ],
            }
            for domain in version.domains
        ],
        "blocs": [
            {
                "code": bloc.code,
                "title": bloc.title,
                **({"description": bloc.description} if bloc.description else {}),
                "optional": bloc.optional,
                **({"borrowed_from": bloc.borrowed_from} if bloc.borrowed_from else {}),
                **({"validation_rule": bloc.validation_rule} if bloc.validation_rule else {}),
                **_validity(bloc),
                "modalities": [
                    _without_empty(
                        {"code": m.code, "title": m.title, "description": m.description},
                        "description",
                    )
                    for m in bloc.modalities
                ],
                "competencies": [
                    {
                        "code": comp.code,
                        "statement": comp.statement,
                        **({"borrowed_from": comp.borrowed_from} if comp.borrowed_from else {}),
                        "activities": [
                            a.code for a in sorted(comp.activities, key=lambda a: order[a])
                        ],
                        "criteria": [
                            _without_empty(
                                {
                                    "code": crit.code,
                                    "statement": crit.statement,
                                    "modalities": [m.code for m in crit.modalities],
                                },
                                "modalities",
                            )
                            for crit in comp.criteria
                        ],
                    }
                    for comp in bloc.competencies
                ],
            }
            for bloc in version.blocs
        ],
    }


# --- reading -------------------------------------------------------------------------------------


def version_query() -> sa.Select[Any]:
    """Select versions with their whole content loaded in a fixed number of queries."""
    return sa.select(FrameworkVersion).options(
        selectinload(FrameworkVersion.certification),
        selectinload(FrameworkVersion.scale_levels),
        selectinload(FrameworkVersion.domains).selectinload(ActivityDomain.activities),
        selectinload(FrameworkVersion.blocs).options(
            selectinload(Bloc.modalities),
            selectinload(Bloc.competencies).options(
                selectinload(Competency.activities),
                selectinload(Competency.criteria).selectinload(Criterion.modalities),
            ),
        ),
    )


def get_certification(code: str) -> Certification:
    certification = db.session.scalar(sa.select(Certification).where(Certification.code == code))
    if certification is None:
        raise FrameworkError(f"certification inconnue : {code}")
    return certification


def load_version(cert_code: str, label: str | None = None) -> FrameworkVersion:
    """Load one version with all its content; the latest one when `label` is None."""
    query = (
        version_query().join(FrameworkVersion.certification).where(Certification.code == cert_code)
    )
    if label is None:
        query = query.order_by(FrameworkVersion.id.desc()).limit(1)
    else:
        query = query.where(FrameworkVersion.label == label)
    version = db.session.scalar(query)
    if version is None:
        if label is None:
            raise FrameworkError(f"certification inconnue : {cert_code}")
        raise FrameworkError(f"{cert_code} n'a pas de version « {label} »")
    return version


def list_versions() -> list[FrameworkVersion]:
    return list(
        db.session.scalars(
            sa.select(FrameworkVersion)
            .join(FrameworkVersion.certification)
            .options(selectinload(FrameworkVersion.certification))
            .order_by(Certification.code, FrameworkVersion.id)
        )
    )


def owned_certifications_with_versions(user: User) -> list[Certification]:
    """The certifications whose référentiels and dossier `user` changes, by code, with their
    versions loaded."""
    return list(
        db.session.scalars(
            sa.select(Certification)
            .where(owned_certifications(user))
            .options(selectinload(Certification.versions))
            .order_by(Certification.code)
        )
    )


# --- lifecycle -----------------------------------------------------------------------------------


def publish(version: FrameworkVersion, at: datetime | None = None) -> None:
    """Publish a draft (now, or `at` when recording a past publication); it can never change
    again."""
    if version.status is not VersionStatus.DRAFT:
        raise FrameworkError(f"la version {version.label} n'est pas un brouillon")
    version.status = VersionStatus.PUBLISHED
    version.published_at = at or utcnow()
    version.revision += 1


def retire(version: FrameworkVersion) -> None:
    """Retire a published version: no new cohort may start on it."""
    if version.status is not VersionStatus.PUBLISHED:
        raise FrameworkError(f"la version {version.label} n'est pas publiée")
    version.status = VersionStatus.RETIRED
    version.retired_at = utcnow()
    version.revision += 1
