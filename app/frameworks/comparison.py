"""Two versions of a référentiel compared: every item, and every part of an item present in
both (its text, its links, its rule…), added, removed or reworded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from app.frameworks.codes import HABILITATIONS
from app.frameworks.models import (
    FrameworkVersion,
)


@dataclass
class Change:
    """One item, or one part of an item present in both versions, that differs."""

    kind: str  # French label: fiche, échelle, domaine, activité, bloc, modalité, compétence…
    code: str
    before: str | None
    after: str | None
    # French label of the part that changed (description, modalités…); "" for the wording.
    aspect: str = ""

    @property
    def change(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "reworded"


@dataclass
class VersionDiff:
    a: FrameworkVersion
    b: FrameworkVersion
    changes: list[Change] = field(default_factory=list)

    def of(self, change: str) -> list[Change]:
        return [c for c in self.changes if c.change == change]


_KINDS = ("fiche", "échelle", "domaine", "activité", "bloc", "modalité", "compétence", "critère")
# The parts of an item compared once the item is in both versions, in the order shown.
_ASPECTS = (
    "",
    "intitulé",
    "niveau",
    "codes NSF",
    "codes ROME",
    "Formacodes",
    "libellés saisis",
    "certificateur",
    "objectifs et contexte",
    "secteurs d'activité",
    "types d'emplois accessibles",
    "prérequis d'entrée en formation",
    "prérequis de validation",
    "réglementation",
    "partenaires habilités",
    "règle",
    "domaine",
    "description",
    "facultatif",
    "règle de validation",
    "durée de validité",
    "activités",
    "modalités",
)

_Item = tuple[str, str, str, str]  # kind, code, aspect, text ("" text: the part is not stated)


def _lines(values: Iterable[str]) -> str:
    return ", ".join(values)


def _identity_items(version: FrameworkVersion) -> Iterable[_Item]:
    code = version.certification.code
    yield "fiche", code, "", ""  # the certification's fields, compared one by one below
    regulations = (
        ""
        if version.regulated is None
        else ("réglementée : " + version.regulations if version.regulated else "non réglementée")
    )
    for aspect, text in (
        ("intitulé", version.title),
        ("niveau", str(version.level)),
        ("codes NSF", _lines(version.nsf_codes)),
        ("codes ROME", _lines(version.rome_codes)),
        ("Formacodes", _lines(version.formacodes)),
        (
            "libellés saisis",
            _lines(f"{k} : {v}" for k, v in sorted((version.code_labels or {}).items())),
        ),
        ("certificateur", _lines(filter(None, (version.certifier_name, version.certifier_siret)))),
        ("objectifs et contexte", version.objectives_context),
        ("secteurs d'activité", version.sectors),
        ("types d'emplois accessibles", version.job_types),
        ("prérequis d'entrée en formation", version.entry_prerequisites),
        ("prérequis de validation", version.validation_prerequisites),
        ("réglementation", regulations),
        (
            "partenaires habilités",
            "; ".join(
                f"{p['name']} ({p['siret']}, {HABILITATIONS.get(p['habilitation'], '')})"
                for p in version.partners or []
            ),
        ),
    ):
        yield "fiche", code, aspect, text or ""
    rule = version.competency_rule.value
    if version.minimum_criteria is not None:
        rule = f"{rule} {version.minimum_criteria}"
    yield "échelle", "", "", ""
    yield "échelle", "", "règle", rule
    for level in version.scale_levels:
        acquired = "acquis" if level.counts_as_acquired else "non acquis"
        yield "échelle", level.code, "", f"{level.label} ({acquired})"


def _items(version: FrameworkVersion) -> Iterable[_Item]:
    yield from _identity_items(version)
    for domain in version.domains:
        yield "domaine", domain.code, "", domain.title
        for activity in domain.activities:
            yield "activité", activity.code, "", activity.title
            yield "activité", activity.code, "domaine", domain.code
            yield "activité", activity.code, "description", activity.description
    for bloc in version.blocs:
        yield "bloc", bloc.code, "", bloc.title
        yield "bloc", bloc.code, "description", bloc.description
        yield "bloc", bloc.code, "facultatif", "oui" if bloc.optional else "non"
        yield "bloc", bloc.code, "règle de validation", bloc.validation_rule
        validity = (
            "illimitée"
            if bloc.validity_unlimited
            else ""
            if bloc.validity_years is None
            else f"{bloc.validity_years} ans"
        )
        yield "bloc", bloc.code, "durée de validité", validity
        for modality in bloc.modalities:
            yield "modalité", modality.code, "", modality.title
            yield "modalité", modality.code, "description", modality.description
        for comp in bloc.competencies:
            yield "compétence", comp.code, "", comp.statement
            yield "compétence", comp.code, "activités", _lines(a.code for a in comp.activities)
            for crit in comp.criteria:
                yield "critère", crit.code, "", crit.statement
                yield "critère", crit.code, "modalités", _lines(m.code for m in crit.modalities)


def diff(a: FrameworkVersion, b: FrameworkVersion) -> VersionDiff:
    """List what was added, removed and changed from loaded version `a` to `b`, by code.

    An item is added or removed as a whole; for an item in both versions, its wording and
    each of its parts (description, links to activities and modalities, a bloc's rule and
    validity, the fiche's fields…) are compared, a part stated on one side only counting as
    added or removed.
    """
    before = {(kind, code, aspect): text for kind, code, aspect, text in _items(a)}
    after = {(kind, code, aspect): text for kind, code, aspect, text in _items(b)}
    result = VersionDiff(a, b)
    for key in before.keys() | after.keys():
        kind, code, aspect = key
        if aspect and not ((kind, code, "") in before and (kind, code, "") in after):
            continue  # the parts of an item added or removed as a whole
        old, new = before.get(key) or None, after.get(key) or None
        if old != new:
            result.changes.append(Change(kind, code, old, new, aspect))
    result.changes.sort(key=lambda c: (_KINDS.index(c.kind), c.code, _ASPECTS.index(c.aspect)))
    return result
