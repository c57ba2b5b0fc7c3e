"""A référentiel version as a 1EdTech CASE 1.1 package (CFPackage).

One CFDocument per version; one CFItem per domain, activity, bloc, evaluation modality,
competency and criterion, its code as `humanCodingScheme` and its French text as
`fullStatement`; `isChildOf` associations for the tree (sequenceNumber: the position among its
siblings), `isRelatedTo` from each competency to the activities it serves and from each
criterion to the modalities evaluating it; the scale as one CFRubric whose criteria are the
evaluation criteria, each with the scale's levels.

Identifiers are UUIDs (version 5) derived from the certification code and version label (the
document) and from the document and the item's kind and code (everything else), so the same
item keeps its identifier across exports and across databases. `lastChangeDateTime` is the
version's publication (its retirement for the document, whose status it changes) or, for a
draft, its last update. What CASE has no field for (the level, the codes NSF/ROME/Formacode,
the certifier's SIRET, the fiche's fields, whether a bloc is optional, its validation rule and
validity, the scale's codes) travels in `extensions` under `EXTENSION`, so an export imports
back as the same référentiel (exports/case_import.py).

Pure functions: plain data in (the document of `services.export_document`), JSON out.
`schema_problems()` checks a package against the official schema, formats included; the tests
run it on every shipped référentiel.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_V1P1 = SCHEMA_DIR / "case-v1p1-cfpackage-schema.json"
API_PATH = "/ims/case/v1p1"
LANGUAGE = "fr"
EXTENSION = "cooperationCertification"
# The fields of the fiche in the référentiel's `certification` block, carried as they are.
FICHE_KEYS = (
    "rncp_number",
    "code_labels",
    "objectives_context",
    "sectors",
    "job_types",
    "entry_prerequisites",
    "validation_prerequisites",
    "regulations",
    "partners",
)
# The namespace of every identifier this application derives (a fixed, random UUID: changing
# it would change every identifier ever published).
NAMESPACE = uuid.UUID("5b0f3c2e-8d1a-4f6e-9a57-2c4d8e1f7b30")

# Kinds of items: the CFItemType each is exported with (French, as the documents are).
ITEM_TYPES = {
    "domain": "Domaine d'activité",
    "activity": "Activité",
    "bloc": "Bloc de compétences",
    "modality": "Modalité d'évaluation",
    "competency": "Compétence",
    "criterion": "Critère d'évaluation",
}
ADOPTION_STATUS = {"draft": "Draft", "published": "Adopted", "retired": "Deprecated"}


@dataclass(frozen=True)
class CaseSource:
    """What a package is built from: a version's document and the facts around it."""

    document: dict[str, Any]  # as services.export_document returns it
    status: str  # draft, published, retired
    updated_at: datetime
    published_at: datetime | None
    retired_at: datetime | None
    base_url: str  # where the read API is served, e.g. https://example.org
    page_url: str  # the version's page


def document_identifier(cert_code: str, label: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{cert_code}/{label}"))


def item_identifier(document_id: str, kind: str, code: str) -> str:
    return str(uuid.uuid5(uuid.UUID(document_id), f"{kind}/{code}"))


def timestamp(moment: datetime) -> str:
    """An RFC 3339 date-time in UTC, to the second."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def last_changes(source: CaseSource) -> tuple[datetime, datetime]:
    """When the content and the document last changed: the publication (the retirement too,
    for the document), or the last update of a draft."""
    if source.published_at is None:
        return source.updated_at, source.updated_at
    return source.published_at, source.retired_at or source.published_at


class _Builder:
    def __init__(self, source: CaseSource) -> None:
        doc = source.document
        self.source = source
        self.doc = doc
        self.api = source.base_url.rstrip("/") + API_PATH
        self.document_id = document_identifier(
            doc["certification"]["code"], doc["version"]["label"]
        )
        content_changed, document_changed = last_changes(source)
        self.changed = timestamp(content_changed)
        self.document_changed = timestamp(document_changed)
        self.items: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.links: dict[tuple[str, str], dict[str, str]] = {}
        self.document_link = {
            "title": doc["certification"]["title"],
            "identifier": self.document_id,
            "uri": f"{self.api}/CFDocuments/{self.document_id}",
        }

    def uri(self, collection: str, identifier: str) -> str:
        return f"{self.api}/{collection}/{identifier}"

    def item(
        self,
        kind: str,
        code: str,
        statement: str,
        *,
        notes: str = "",
        list_enumeration: int,
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, str]:
        identifier = item_identifier(self.document_id, kind, code)
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": self.uri("CFItems", identifier),
            "fullStatement": statement,
            "humanCodingScheme": code,
            "listEnumeration": str(list_enumeration),
            "CFItemType": ITEM_TYPES[kind],
            "language": LANGUAGE,
            "lastChangeDateTime": self.changed,
        }
        if notes:
            item["notes"] = notes
        if extensions:
            item["extensions"] = {EXTENSION: extensions}
        self.items.append(item)
        link = {"title": code, "identifier": identifier, "uri": item["uri"]}
        self.links[(kind, code)] = link
        return link

    def associate(
        self, kind: str, origin: dict[str, str], destination: dict[str, str], sequence: int | None
    ) -> None:
        identifier = str(
            uuid.uuid5(
                uuid.UUID(self.document_id),
                f"{kind}/{origin['identifier']}/{destination['identifier']}",
            )
        )
        association: dict[str, Any] = {
            "identifier": identifier,
            "associationType": kind,
            "uri": self.uri("CFAssociations", identifier),
            "originNodeURI": origin,
            "destinationNodeURI": destination,
            "lastChangeDateTime": self.changed,
        }
        if sequence is not None:
            association["sequenceNumber"] = sequence
        self.associations.append(association)

    def child(
        self,
        parent: dict[str, str],
        position: int,
        kind: str,
        code: str,
        statement: str,
        *,
        notes: str = "",
        extensions: dict[str, Any] | None = None,
    ) -> dict[str, str]:
        """Add an item as the `position`-th child of `parent`; return its link."""
        link = self.item(
            kind, code, statement, notes=notes, list_enumeration=position, extensions=extensions
        )
        self.associate("isChildOf", link, parent, position)
        return link

    def relate(self, origin: dict[str, str], kind: str, codes: list[str]) -> None:
        """Relate `origin` to the items of `kind` with `codes`, in that order."""
        for s, code in enumerate(codes, start=1):
            self.associate("isRelatedTo", origin, self.links[(kind, code)], s)

    def tree(self) -> None:
        root = self.document_link
        position = 0
        for domain in self.doc["activity_domains"]:
            position += 1
            link = self.child(root, position, "domain", domain["code"], domain["title"])
            for a, activity in enumerate(domain["activities"], start=1):
                self.child(
                    link,
                    a,
                    "activity",
                    activity["code"],
                    activity["title"],
                    notes=activity.get("description", ""),
                    extensions=_borrowed(activity),
                )
        for bloc in self.doc["blocs"]:
            position += 1
            link = self.child(
                root,
                position,
                "bloc",
                bloc["code"],
                bloc["title"],
                notes=bloc.get("description", ""),
                extensions={
                    "optional": bloc.get("optional", False),
                    **_borrowed(bloc),
                    **(
                        {"validationRule": bloc["validation_rule"]}
                        if "validation_rule" in bloc
                        else {}
                    ),
                    **({"validity": dict(bloc["validity"])} if "validity" in bloc else {}),
                },
            )
            for m, modality in enumerate(bloc["modalities"], start=1):
                self.child(
                    link,
                    m,
                    "modality",
                    modality["code"],
                    modality["title"],
                    notes=modality.get("description", ""),
                )
            for c, competency in enumerate(bloc["competencies"], start=1):
                child = self.child(
                    link,
                    c,
                    "competency",
                    competency["code"],
                    competency["statement"],
                    extensions=_borrowed(competency),
                )
                for k, criterion in enumerate(competency["criteria"], start=1):
                    leaf = self.child(
                        child, k, "criterion", criterion["code"], criterion["statement"]
                    )
                    self.relate(leaf, "modality", criterion.get("modalities", []))
                self.relate(child, "activity", competency["activities"])

    def rubric(self) -> dict[str, Any]:
        scale = self.doc["scale"]
        rubric_id = item_identifier(self.document_id, "scale", "rubric")
        criteria = []
        position = 0
        for bloc in self.doc["blocs"]:
            for competency in bloc["competencies"]:
                for criterion in competency["criteria"]:
                    position += 1
                    link = self.links[("criterion", criterion["code"])]
                    criterion_id = item_identifier(
                        self.document_id, "rubric-criterion", criterion["code"]
                    )
                    criteria.append(
                        {
                            "identifier": criterion_id,
                            "uri": self.uri("CFRubricCriteria", criterion_id),
                            "category": competency["code"],
                            "description": criterion["statement"],
                            "CFItemURI": link,
                            "position": position,
                            "rubricId": rubric_id,
                            "lastChangeDateTime": self.changed,
                            "CFRubricCriterionLevels": list(
                                self.levels(criterion["code"], criterion_id, scale["levels"])
                            ),
                        }
                    )
        rule = scale.get("competency_rule", "all")
        if rule == "minimum":
            description = (
                "Une compétence est acquise quand au moins "
                f"{scale['minimum_criteria']} de ses critères sont acquis."
            )
        else:
            description = "Une compétence est acquise quand tous ses critères sont acquis."
        extension: dict[str, Any] = {
            "competencyRule": rule,
            "levels": [
                {"code": lvl["code"], "label": lvl["label"], "acquired": lvl["acquired"]}
                for lvl in scale["levels"]
            ],
        }
        if "minimum_criteria" in scale:
            extension["minimumCriteria"] = scale["minimum_criteria"]
        return {
            "identifier": rubric_id,
            "uri": self.uri("CFRubrics", rubric_id),
            "title": "Échelle d'évaluation",
            "description": description,
            "lastChangeDateTime": self.changed,
            "CFRubricCriteria": criteria,
            "extensions": {EXTENSION: extension},
        }

    def levels(
        self, criterion_code: str, criterion_id: str, levels: list[dict[str, Any]]
    ) -> Iterator[dict[str, Any]]:
        for p, level in enumerate(levels):
            identifier = item_identifier(
                self.document_id, "rubric-level", f"{criterion_code}/{level['code']}"
            )
            yield {
                "identifier": identifier,
                "uri": self.uri("CFRubricCriterionLevels", identifier),
                "quality": level["label"],
                "score": p,
                "position": p + 1,
                "rubricCriterionId": criterion_id,
                "lastChangeDateTime": self.changed,
                "extensions": [{EXTENSION: {"code": level["code"], "acquired": level["acquired"]}}],
            }

    def document(self) -> dict[str, Any]:
        cert = self.doc["certification"]
        version = self.doc["version"]
        source = self.source
        document: dict[str, Any] = {
            "identifier": self.document_id,
            "uri": self.document_link["uri"],
            "frameworkType": "Référentiel de certification professionnelle",
            "caseVersion": "1.1",
            "creator": cert["certifier"]["name"],
            "title": cert["title"],
            "lastChangeDateTime": self.document_changed,
            "officialSourceURL": source.page_url,
            "publisher": cert["certifier"]["name"],
            "description": (
                f"Référentiels d'activités, de compétences et d'évaluation de la certification "
                f"{cert['code']} (niveau {cert['level']}), version {version['label']}."
            ),
            "language": LANGUAGE,
            "version": version["label"],
            "adoptionStatus": ADOPTION_STATUS[source.status],
        }
        if source.published_at is not None:
            document["statusStartDate"] = source.published_at.astimezone(UTC).date().isoformat()
        if source.retired_at is not None:
            document["statusEndDate"] = source.retired_at.astimezone(UTC).date().isoformat()
        if version.get("notes"):
            document["notes"] = version["notes"]
        extension: dict[str, Any] = {
            "certificationCode": cert["code"],
            "versionLabel": version["label"],
            "level": cert["level"],
        }
        for key, name in (("nsf", "nsf"), ("rome", "rome"), ("formacode", "formacode")):
            if cert.get(key):
                extension[name] = list(cert[key])
        if cert["certifier"].get("siret"):
            extension["certifierSiret"] = cert["certifier"]["siret"]
        fiche = {key: cert[key] for key in FICHE_KEYS if key in cert}
        if fiche:
            extension["fiche"] = fiche
        document["extensions"] = {EXTENSION: extension}
        return document


def _borrowed(entry: dict[str, Any]) -> dict[str, Any]:
    return {"borrowedFrom": entry["borrowed_from"]} if entry.get("borrowed_from") else {}


def build_package(source: CaseSource) -> dict[str, Any]:
    """The CFPackage of one version."""
    builder = _Builder(source)
    builder.tree()
    return {
        "CFDocument": builder.document(),
        "CFItems": builder.items,
        "CFAssociations": builder.associations,
        "CFRubrics": [builder.rubric()],
    }


def package_bytes(package: dict[str, Any]) -> bytes:
    """The package as compact UTF-8 JSON (without indentation, the encoder runs in C)."""
    return json.dumps(package, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document_link(package: dict[str, Any]) -> dict[str, str]:
    document = package["CFDocument"]
    return {
        "title": document["title"],
        "identifier": document["identifier"],
        "uri": document["uri"],
    }


def standalone_document(package: dict[str, Any]) -> dict[str, Any]:
    """The CFDocument as getCFDocument returns it: with the link to its package."""
    document = dict(package["CFDocument"])
    identifier = document["identifier"]
    api = document["uri"].removesuffix(f"/CFDocuments/{identifier}")
    document["CFPackageURI"] = {
        "title": document["title"],
        "identifier": identifier,
        "uri": f"{api}/CFPackages/{identifier}",
    }
    return document


def standalone_item(package: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """A CFItem as getCFItem returns it: with the link to its document."""
    return {**item, "CFDocumentURI": document_link(package)}


# --- the official schema -------------------------------------------------------------------------


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_V1P1.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_validator() -> jsonschema.protocols.Validator:
    """The official CASE 1.1 CFPackage schema, checking formats (uuid, date-time, date)."""
    return _validator()


def schema_problems(package: Any) -> list[str]:
    """Where `package` breaks the official CASE 1.1 schema, as « $.path : message »."""
    return [
        f"{error.json_path} : {error.message}"
        for error in sorted(schema_validator().iter_errors(package), key=lambda e: e.json_path)
    ]
