"""Editing draft versions in the browser: every change of the editor goes through here.

Each change locks the version row, checks it is still a draft at the revision the editor
loaded, applies itself, bumps the revision by one and records an audit event. Saving one
item checks and bumps that item's own revision instead, so that people editing different
items of a draft never block each other. New drafts are
made by `services.import_document()`, as the command-line import does. The caller commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.db import db
from app.frameworks import documents, services
from app.frameworks.models import (
    Activity,
    ActivityDomain,
    Bloc,
    Certification,
    Competency,
    Criterion,
    EvaluationModality,
    FrameworkError,
    FrameworkVersion,
    ImmutableVersionError,
    ScaleLevel,
    VersionStatus,
)
from app.i18n import N_
from app.people import audit
from app.people.models import Organisation


class StaleDraftError(FrameworkError):
    """The draft changed since the editor loaded it; nothing was applied."""


class InvalidDraftError(FrameworkError):
    """A draft that cannot be published yet; carries the problems found."""

    def __init__(self, problems: list[str]):
        super().__init__(_("Ce brouillon ne peut pas être publié : il reste des problèmes."))
        self.problems = problems


@dataclass(frozen=True)
class Kind:
    """A kind of item of a version: its model, its French name and where it is listed."""

    slug: str  # in URLs
    model: type[Any]
    noun: str  # French, e.g. « activité »; as is in the audit log, translated on pages
    collection: str  # the ordered list holding it, on its parent
    parent: str | None = None  # slug of the parent kind; None when the parent is the version
    parent_attr: str | None = None  # attribute of the item naming its parent
    feminine: bool = False  # the noun's gender, for « enregistrée » or « enregistré »

    @property
    def label(self) -> Any:
        return _l(self.noun)


KINDS: dict[str, Kind] = {
    kind.slug: kind
    for kind in (
        Kind("niveau", ScaleLevel, N_("niveau d'échelle"), "scale_levels"),
        Kind("domaine", ActivityDomain, N_("domaine d'activité"), "domains"),
        Kind(
            "activite", Activity, N_("activité"), "activities", "domaine", "domain", feminine=True
        ),
        Kind("bloc", Bloc, N_("bloc de compétences"), "blocs"),
        Kind(
            "modalite",
            EvaluationModality,
            N_("modalité d'évaluation"),
            "modalities",
            "bloc",
            "bloc",
            feminine=True,
        ),
        Kind(
            "competence",
            Competency,
            N_("compétence"),
            "competencies",
            "bloc",
            "bloc",
            feminine=True,
        ),
        Kind(
            "critere", Criterion, N_("critère d'évaluation"), "criteria", "competence", "competency"
        ),
    )
}
KIND_OF_MODEL = {kind.model: kind for kind in KINDS.values()}

# The fields each kind of item may change, beyond its code.
_FIELDS: dict[str, frozenset[str]] = {
    "niveau": frozenset({"code", "label", "counts_as_acquired"}),
    "domaine": frozenset({"code", "title"}),
    "activite": frozenset({"code", "title", "description", "domain_id"}),
    "bloc": frozenset(
        {
            "code",
            "title",
            "description",
            "optional",
            "validation_rule",
            "validity_years",
            "validity_unlimited",
        }
    ),
    "modalite": frozenset({"code", "title", "description"}),
    "competence": frozenset({"code", "statement", "activity_ids"}),
    "critere": frozenset({"code", "statement", "modality_ids"}),
}
_LINKS = frozenset({"activity_ids", "domain_id", "modality_ids"})
_METADATA_FIELDS = frozenset(
    {
        "label",
        "title",
        "level",
        "nsf_codes",
        "rome_codes",
        "formacodes",
        "certifier_name",
        "certifier_siret",
        "notes",
        "competency_rule",
        "minimum_criteria",
        "objectives_context",
        "sectors",
        "job_types",
        "entry_prerequisites",
        "validation_prerequisites",
        "regulated",
        "regulations",
        "partners",
        "code_labels",
    }
)


# --- reading ---------------------------------------------------------------------------------


def load_version_by_id(version_id: int) -> FrameworkVersion | None:
    """Load one version with all its content, or None."""
    return db.session.scalar(services.version_query().where(FrameworkVersion.id == version_id))


def parent_of(kind: Kind, item: Any) -> Any:
    """The object whose ordered list holds `item`: the version or a parent item."""
    return item.version if kind.parent_attr is None else getattr(item, kind.parent_attr)


def item_name(item: Any) -> str:
    """Name an item as the validation messages do, e.g. « activité A1.2 »."""
    return f"{KIND_OF_MODEL[type(item)].label} {item.code}"


def _logged_name(item: Any) -> str:
    return f"{KIND_OF_MODEL[type(item)].noun} {item.code}"


def _coded_items(version: FrameworkVersion) -> Iterator[Any]:
    """Every item sharing the one code namespace of a version (all but scale levels)."""
    for domain in version.domains:
        yield domain
        yield from domain.activities
    for bloc in version.blocs:
        yield bloc
        yield from bloc.modalities
        for competency in bloc.competencies:
            yield competency
            yield from competency.criteria


def code_owner(version: FrameworkVersion, model: type[Any], code: str, exclude: Any = None) -> Any:
    """The item of loaded `version` already using `code`, other than `exclude`, or None.

    As in `referentiel validate`, codes are unique across domains, activities, blocs,
    modalities, competencies and criteria; scale levels have their own codes.
    """
    items = version.scale_levels if model is ScaleLevel else _coded_items(version)
    for item in items:
        if item.code == code and item is not exclude:
            return item
    return None


def label_taken(certification_id: int, label: str, exclude: FrameworkVersion | None = None) -> bool:
    """Whether the certification already has a version called `label`."""
    query = sa.select(FrameworkVersion.id).where(
        FrameworkVersion.certification_id == certification_id, FrameworkVersion.label == label
    )
    if exclude is not None:
        query = query.where(FrameworkVersion.id != exclude.id)
    return db.session.scalar(query.limit(1)) is not None


# Schema messages about missing content, said the way an editor reads them.
_FRIENDLY = [
    (re.compile(r"^activity_domains ne doit pas être vide$"), _l("aucun domaine d'activité")),
    (re.compile(r"^blocs ne doit pas être vide$"), _l("aucun bloc de compétences")),
    (
        re.compile(r"^scale\.levels : .* is too short$"),
        _l("échelle : il faut au moins deux niveaux"),
    ),
    (re.compile(r"^scale\.levels : .* is too long$"), _l("échelle : neuf niveaux au plus")),
    (
        re.compile(r"^(.+ : )activity_domains\.\d+\.activities ne doit pas être vide$"),
        _l("aucune activité"),
    ),
    (
        re.compile(r"^(.+ : )blocs\.\d+\.modalities ne doit pas être vide$"),
        _l("aucune modalité d'évaluation"),
    ),
]


def _friendly(message: str) -> str:
    for pattern, replacement in _FRIENDLY:
        match = pattern.match(message)
        if match:
            prefix = match.group(1) if pattern.groups else ""
            return f"{prefix}{replacement}"
    return message


def validation_problems(version: FrameworkVersion) -> list[str]:
    """The problems `referentiel validate` would find in the exported loaded `version`."""
    parsed = documents.Parsed(data=services.export_document(version))
    return [_friendly(problem.message) for problem in documents.validate_document(parsed)]


def publication_problems(version: FrameworkVersion) -> list[str]:
    """What stops a new version from being published: the file's problems, then what the
    format leaves optional (for the 2025-04 versions) but a new version must state."""
    problems = validation_problems(version)
    return problems + completion_problems(version, problems)


def completion_problems(version: FrameworkVersion, said: list[str] | None = None) -> list[str]:
    """What a new version must state beyond a valid file: the modalities evaluating each
    criterion, each bloc's validation rule and validity (less what `said` already says)."""
    problems: list[str] = []
    for bloc in version.blocs:
        if not bloc.validation_rule.strip():
            problems.append(_("bloc %(code)s : règle de validation non renseignée", code=bloc.code))
        if bloc.validity_years is None and not bloc.validity_unlimited:
            problems.append(_("bloc %(code)s : durée de validité non renseignée", code=bloc.code))
        for competency in bloc.competencies:
            for criterion in competency.criteria:
                if not criterion.modalities:
                    problems.append(
                        _(
                            "critère %(code)s : aucune modalité d'évaluation ne l'évalue",
                            code=criterion.code,
                        )
                    )
    return [p for p in problems if not any(q.startswith(p) for q in said or [])]


# --- new drafts ----------------------------------------------------------------------------------


def start_draft(
    code: str,
    label: str,
    title: str,
    level: int,
    certifier_name: str,
    *,
    owner: Organisation | None = None,
) -> FrameworkVersion:
    """Create an empty draft (a new certification when `code` is new, owned by `owner`), as
    an import would."""
    document = {
        "format": 1,
        "certification": {
            "code": code,
            "title": title,
            "level": level,
            "certifier": {"name": certifier_name},
        },
        "version": {"label": label},
        "scale": {"competency_rule": "all", "levels": []},
        "activity_domains": [],
        "blocs": [],
    }
    version = services.import_document(document)
    claim_certification(version, owner)
    audit.record(
        "framework.create",
        version,
        f"Brouillon vide {code} {label} créé",
        code=code,
        label=label,
    )
    return version


def claim_certification(version: FrameworkVersion, owner: Organisation | None) -> None:
    """Make `owner` the owner of the certification `version` just created, when it is new."""
    certification = version.certification
    new = certification.organisation_id is None and len(certification.versions) == 1
    if owner is not None and new:
        certification.organisation = owner


def copy_version(source: FrameworkVersion, label: str) -> FrameworkVersion:
    """Copy a published (or retired) version into a new draft `label`, content and all."""
    if source.status is VersionStatus.DRAFT:
        raise FrameworkError(_("Seule une version publiée peut être copiée."))
    code = source.certification.code
    document = services.export_document(services.load_version(code, source.label))
    document["version"]["label"] = label
    version = services.import_document(document)
    audit.record(
        "framework.copy",
        version,
        f"{code} {label} copiée de {source.label}",
        source_id=source.id,
        source_label=source.label,
        label=label,
    )
    return version


# --- editing -------------------------------------------------------------------------------------


def _claim(version: FrameworkVersion, revision: int) -> None:
    """Lock the version row; refuse unless it is a draft still at `revision`."""
    db.session.refresh(version, ["status", "revision"], with_for_update=True)
    if version.status is not VersionStatus.DRAFT:
        raise ImmutableVersionError(
            _(
                "La version %(label)s n'est plus un brouillon : elle ne peut plus être modifiée.",
                label=version.label,
            )
        )
    if version.revision != revision:
        raise StaleDraftError(
            _(
                "Ce brouillon a été modifié par quelqu'un d'autre depuis l'ouverture de la page : "
                "rechargez-la pour voir ses changements, puis refaites les vôtres."
            )
        )


def _claim_item(version: FrameworkVersion, item: Any, revision: int) -> None:
    """Lock the version row (still a draft?) and the item's row; refuse unless the item is
    still at `revision`. Saves of other items of the draft do not matter."""
    db.session.refresh(version, ["status"], with_for_update=True)
    if version.status is not VersionStatus.DRAFT:
        raise ImmutableVersionError(
            _(
                "La version %(label)s n'est plus un brouillon : elle ne peut plus être modifiée.",
                label=version.label,
            )
        )
    db.session.refresh(item, ["revision"], with_for_update=True)
    if item.revision != revision:
        raise StaleDraftError(
            _(
                "Quelqu'un d'autre a enregistré %(item)s depuis l'ouverture de la page : "
                "rechargez-la pour voir ses changements, puis refaites les vôtres.",
                item=item_name(item),
            )
        )


def _done(version: FrameworkVersion, verb: str, summary: str, **details: Any) -> None:
    version.revision += 1
    audit.record(f"framework.{verb}", version, summary, **details)


def _renumber(items: list[Any]) -> None:
    """Give `items` the positions 0, 1, … in their list order."""
    changed = [(i, item) for i, item in enumerate(items) if item.position != i]
    if not changed:
        return
    # Through temporary positions first: some lists forbid two rows at the same position.
    for i, item in changed:
        item.position = -1 - i
    db.session.flush()
    for i, item in changed:
        item.position = i


def _check_code(version: FrameworkVersion, kind: Kind, code: str, item: Any = None) -> None:
    owner = code_owner(version, kind.model, code, exclude=item)
    if owner is not None:
        raise FrameworkError(
            _("Le code %(code)s est déjà utilisé par : %(item)s.", code=code, item=item_name(owner))
        )


def _set_fields(kind: Kind, item: Any, values: dict[str, Any]) -> None:
    unknown = set(values) - _FIELDS[kind.slug]
    if unknown:
        raise ValueError(f"unknown fields for {kind.slug}: {sorted(unknown)}")
    for name, value in values.items():
        if name not in _LINKS:
            setattr(item, name, value)


def _set_links(version: FrameworkVersion, item: Any, values: dict[str, Any]) -> None:
    """Link a competency to its activities; move an activity to another domain."""
    if "activity_ids" in values:
        wanted = set(values["activity_ids"])
        chosen = [a for d in version.domains for a in d.activities if a.id in wanted]
        if len(chosen) != len(wanted):
            raise FrameworkError(_("Activité inconnue dans cette version."))
        item.activities = chosen
    if "modality_ids" in values:
        wanted = set(values["modality_ids"])
        bloc = item.competency.bloc
        chosen = [m for m in bloc.modalities if m.id in wanted]
        if len(chosen) != len(wanted):
            raise FrameworkError(_("Modalité d'évaluation inconnue dans ce bloc."))
        item.modalities = chosen
    if "domain_id" in values and item.domain.id != values["domain_id"]:
        domain = next((d for d in version.domains if d.id == values["domain_id"]), None)
        if domain is None:
            raise FrameworkError(_("Domaine d'activité inconnu dans cette version."))
        old = item.domain
        item.domain = domain  # leaves the old domain's list, joins the end of the new one
        _renumber(list(old.activities))
        _renumber(list(domain.activities))


def update_metadata(version: FrameworkVersion, revision: int, values: dict[str, Any]) -> None:
    """Change what the draft says of the certification (title, level, codes, certifier…)."""
    unknown = set(values) - _METADATA_FIELDS
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")
    _claim(version, revision)
    label = values.get("label", version.label)
    if label_taken(version.certification_id, label, exclude=version):
        raise FrameworkError(
            _("Cette certification a déjà une version « %(label)s ».", label=label)
        )
    changed = sorted(name for name, value in values.items() if getattr(version, name) != value)
    for name, value in values.items():
        setattr(version, name, value)
    _done(
        version,
        "edit",
        f"Identité de la certification modifiée ({version.label})",
        fields=changed,
    )


def set_rncp_number(certification: Certification, number: str | None) -> None:
    """Record (or clear) the number France Compétences gave the certification."""
    db.session.refresh(certification, ["rncp_number"], with_for_update=True)
    if number is not None:
        taken = db.session.scalar(
            sa.select(Certification.code).where(
                Certification.rncp_number == number, Certification.id != certification.id
            )
        )
        if taken is not None:
            raise FrameworkError(
                _(
                    "Le numéro %(number)s est déjà celui de la certification %(code)s.",
                    number=number,
                    code=taken,
                )
            )
    before = certification.rncp_number
    certification.rncp_number = number
    audit.record(
        "certification.rncp_number",
        certification,
        f"{certification.code} : numéro RNCP {number or 'retiré'}",
        previous=before,
        number=number,
    )
