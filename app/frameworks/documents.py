"""Référentiel files: safe YAML reading, validation with file:line messages, and the format.

Pure functions: no database, no Flask. A document is the plain dict described by
`referentiel/schema.json`; `validate_document()` adds the rules a schema cannot say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from exports import guard
from exports import plurals as french

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "referentiel" / "schema.json"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 40
MAX_NODES = 200_000
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, located by line when known."""

    message: str
    line: int | None = None

    def format(self, source: str) -> str:
        return f"{source}:{self.line or 1}: {self.message}"


@dataclass
class Parsed:
    """A document and where each of its parts starts in the file."""

    data: Any
    lines: dict[tuple[Any, ...], int] = field(default_factory=dict)

    def line_of(self, path: tuple[Any, ...]) -> int | None:
        """Return the line of `path`, or of its nearest located ancestor."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class DocumentError(Exception):
    """A document that cannot be used; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    with SCHEMA_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def _limits(max_bytes: int) -> guard.Limits:
    return guard.Limits(max_bytes=max_bytes, max_depth=MAX_DEPTH, max_nodes=MAX_NODES)


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Read a YAML file, refusing what is too large, binary or hostile."""
    try:
        raw = guard.bounded_read(path, max_bytes, file="")
    except guard.Refused as refused:
        raise DocumentError([Problem(refused.reason)]) from None
    return parse_bytes(raw, max_bytes)


def parse_bytes(raw: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse YAML bytes into a document with line numbers."""
    try:
        guard.bounded_read(raw, max_bytes)
    except guard.Refused as refused:
        raise DocumentError([Problem(refused.reason)]) from None
    if b"\x00" in raw:
        raise DocumentError([Problem("fichier binaire : ce n'est pas un fichier YAML")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DocumentError(
            [Problem("encodage invalide : le fichier doit être en UTF-8", line)]
        ) from None
    try:
        node = _compose(text, _limits(max_bytes))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = mark.line + 1 if mark else None
        raise DocumentError(
            [Problem(f"YAML invalide : {exc.problem or exc.context}", where)]
        ) from None
    except yaml.YAMLError as exc:
        raise DocumentError([Problem(f"YAML invalide : {exc}")]) from None
    if node is None:
        raise DocumentError([Problem("fichier vide")])
    parsed = Parsed(data=None)
    parsed.data = _construct(node, (), parsed.lines)
    return parsed


def _compose(text: str, limits: guard.Limits) -> yaml.Node | None:
    """Compose the YAML node tree once the guard refused anchors, aliases, tags and runaway
    structures (it walks the events only: cheap, and stops alias bombs before anything is
    built)."""
    try:
        guard.check_yaml_safe(text, limits)
    except guard.Refused as refused:
        raise DocumentError([Problem(f"YAML invalide : {refused.reason}", refused.line)]) from None
    loader = yaml.SafeLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


def _construct(node: yaml.Node, path: tuple[Any, ...], lines: dict[tuple[Any, ...], int]) -> Any:
    """Turn a node into plain data, recording the line where each path starts."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            if not isinstance(key, str):
                raise DocumentError([Problem("clé non textuelle", key_node.start_mark.line + 1)])
            if key in result:
                raise DocumentError(
                    [Problem(f"clé « {key} » répétée", key_node.start_mark.line + 1)]
                )
            result[key] = _construct(value_node, (*path, key), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*path, i), lines) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise DocumentError([Problem("clé non textuelle", node.start_mark.line + 1)])
    constructor = yaml.SafeLoader.yaml_constructors.get(node.tag)
    if constructor is None:
        return node.value
    return constructor(_CONSTRUCTOR, node)


def validate_document(parsed: Parsed) -> list[Problem]:
    """Return every problem of a parsed document: schema first, then cross-references."""
    validator = jsonschema.Draft202012Validator(schema())
    problems = []
    for error in sorted(validator.iter_errors(parsed.data), key=lambda e: list(e.absolute_path)):
        path = tuple(error.absolute_path)
        problems.append(Problem(_schema_message(error, parsed.data), parsed.line_of(path)))
    if problems:
        return problems
    return list(_cross_checks(parsed))


def _item_name(data: Any, path: tuple[Any, ...]) -> str:
    """Name the innermost coded item on `path`, e.g. « compétence C1.2 »."""
    kinds = {
        "activity_domains": "domaine",
        "activities": "activité",
        "blocs": "bloc",
        "modalities": "modalité",
        "competencies": "compétence",
        "criteria": "critère",
        "levels": "niveau d'échelle",
    }
    node, name = data, ""
    for i, part in enumerate(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and i > 0 and path[i - 1] in kinds:
            code = node.get("code") if isinstance(node, dict) else None
            label = kinds[path[i - 1]]
            name = f"{label} {code}" if isinstance(code, str) else f"{label} n°{part + 1}"
    return name


def _schema_message(error: jsonschema.ValidationError, data: Any) -> str:
    path = tuple(error.absolute_path)
    where = ".".join(str(p) for p in path) or "document"
    item = _item_name(data, path)
    prefix = f"{item} : " if item else ""
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{prefix}champ obligatoire manquant « {missing} » ({where})"
    if validator == "additionalProperties":
        return f"{prefix}champ inconnu ({where}) : {error.message}"
    if validator == "pattern":
        return f"{prefix}format invalide pour {where} : {error.instance!r}"
    if validator in ("minLength", "pattern") or (
        validator == "minItems" and error.validator_value == 1
    ):
        return f"{prefix}{where} ne doit pas être vide"
    if validator == "type":
        return f"{prefix}{where} doit être de type {error.validator_value}"
    return f"{prefix}{where} : {error.message}"


def _cross_checks(parsed: Parsed) -> Iterator[Problem]:
    doc = parsed.data
    seen: dict[str, tuple[Any, ...]] = {}

    def unique(code: str, path: tuple[Any, ...], label: str) -> Iterator[Problem]:
        if code in seen:
            first = parsed.line_of(seen[code])
            yield Problem(
                f"{label} {code} : code déjà utilisé (ligne {first})", parsed.line_of(path)
            )
        else:
            seen[code] = path

    levels = doc["scale"]["levels"]
    level_codes: set[str] = set()
    for i, level in enumerate(levels):
        level_path = ("scale", "levels", i)
        if level["code"] in level_codes:
            yield Problem(
                f"niveau d'échelle {level['code']} : code répété", parsed.line_of(level_path)
            )
        level_codes.add(level["code"])
    if not any(level["acquired"] for level in levels):
        yield Problem(
            "échelle : aucun niveau ne compte comme acquis", parsed.line_of(("scale", "levels"))
        )
    if all(level["acquired"] for level in levels):
        yield Problem(
            "échelle : tous les niveaux comptent comme acquis", parsed.line_of(("scale", "levels"))
        )
    rule = doc["scale"].get("competency_rule", "all")
    minimum = doc["scale"].get("minimum_criteria")
    if rule == "minimum" and minimum is None:
        yield Problem(
            "échelle : la règle « minimum » demande minimum_criteria", parsed.line_of(("scale",))
        )
    if rule == "all" and minimum is not None:
        yield Problem(
            "échelle : minimum_criteria n'a de sens qu'avec la règle « minimum »",
            parsed.line_of(("scale", "minimum_criteria")),
        )

    activities: dict[str, tuple[Any, ...]] = {}
    for d, domain in enumerate(doc["activity_domains"]):
        yield from unique(domain["code"], ("activity_domains", d), "domaine")
        for a, activity in enumerate(domain["activities"]):
            path: tuple[Any, ...] = ("activity_domains", d, "activities", a)
            yield from unique(activity["code"], path, "activité")
            activities.setdefault(activity["code"], path)

    yield from _identity_checks(parsed)
    # Once one criterion names the modalities evaluating it, every criterion must.
    linked = any(
        "modalities" in criterion
        for bloc in doc["blocs"]
        for comp in bloc["competencies"]
        for criterion in comp["criteria"]
    )
    used: set[str] = set()
    for b, bloc in enumerate(doc["blocs"]):
        bpath = ("blocs", b)
        yield from unique(bloc["code"], bpath, "bloc")
        for m, modality in enumerate(bloc["modalities"]):
            yield from unique(modality["code"], (*bpath, "modalities", m), "modalité")
        bloc_modalities = {modality["code"] for modality in bloc["modalities"]}
        if not bloc["competencies"]:
            yield Problem(f"bloc {bloc['code']} : aucune compétence", parsed.line_of(bpath))
        for c, comp in enumerate(bloc["competencies"]):
            cpath = (*bpath, "competencies", c)
            yield from unique(comp["code"], cpath, "compétence")
            if not comp["activities"]:
                yield Problem(
                    f"compétence {comp['code']} : liée à aucune activité", parsed.line_of(cpath)
                )
            for k, ref in enumerate(comp["activities"]):
                if ref not in activities:
                    yield Problem(
                        f"compétence {comp['code']} : activité inconnue « {ref} »",
                        parsed.line_of((*cpath, "activities", k)),
                    )
                used.add(ref)
            if not comp["criteria"]:
                yield Problem(
                    f"compétence {comp['code']} : aucun critère d'évaluation",
                    parsed.line_of(cpath),
                )
            for k, criterion in enumerate(comp["criteria"]):
                kpath = (*cpath, "criteria", k)
                yield from unique(criterion["code"], kpath, "critère")
                yield from _criterion_modalities(
                    parsed, criterion, kpath, bloc["code"], bloc_modalities, linked
                )
            if minimum is not None and rule == "minimum" and minimum > len(comp["criteria"]):
                yield Problem(
                    french.ngettext(
                        "compétence %(code)s : %(num)d critère, moins que le minimum de "
                        "l'échelle (%(minimum)d)",
                        "compétence %(code)s : %(num)d critères, moins que le minimum de "
                        "l'échelle (%(minimum)d)",
                        len(comp["criteria"]),
                        code=comp["code"],
                        minimum=minimum,
                    ),
                    parsed.line_of(cpath),
                )
    for code, path in activities.items():
        if code not in used:
            yield Problem(f"activité {code} : reliée à aucune compétence", parsed.line_of(path))


def _where(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path)


def _criterion_modalities(
    parsed: Parsed,
    criterion: dict[str, Any],
    path: tuple[Any, ...],
    bloc_code: str,
    bloc_modalities: set[str],
    linked: bool,
) -> Iterator[Problem]:
    """A criterion names modalities of its own bloc, and at least one once links are given."""
    names = criterion.get("modalities")
    field_path = (*path, "modalities")
    if names is None or not names:
        if linked:
            yield Problem(
                f"critère {criterion['code']} : aucune modalité d'évaluation ne l'évalue "
                f"({_where(field_path)})",
                parsed.line_of(path),
            )
        return
    for i, name in enumerate(names):
        if name not in bloc_modalities:
            yield Problem(
                f"critère {criterion['code']} : « {name} » n'est pas une modalité d'évaluation "
                f"du bloc {bloc_code} ({_where((*field_path, i))})",
                parsed.line_of((*field_path, i)),
            )


def _identity_checks(parsed: Parsed) -> Iterator[Problem]:
    """Typed labels name the certification's own codes, which no nomenclature labels; partner
    SIRETs are real ones."""
    from app.frameworks import codes
    from app.validators import is_valid_siret

    cert = parsed.data["certification"]
    own = {
        **{code: "nsf" for code in cert.get("nsf", [])},
        **{code: "rome" for code in cert.get("rome", [])},
        **{code: "formacode" for code in cert.get("formacode", [])},
    }
    for code in cert.get("code_labels", {}):
        path: tuple[Any, ...] = ("certification", "code_labels", code)
        if code not in own:
            yield Problem(
                f"libellé saisi pour le code {code}, que la certification ne cite pas "
                f"({_where(path)})",
                parsed.line_of(path),
            )
        elif official := codes.official_label(own[code], code):
            yield Problem(
                f"le code {code} a un libellé officiel (« {official} ») : ne le saisissez pas "
                f"({_where(path)})",
                parsed.line_of(path),
            )
    siret = cert.get("certifier", {}).get("siret")
    if siret and not is_valid_siret(siret):
        path = ("certification", "certifier", "siret")
        yield Problem(
            f"SIRET du certificateur invalide (clé de contrôle fausse) ({_where(path)})",
            parsed.line_of(path),
        )
    seen: set[str] = set()
    for i, partner in enumerate(cert.get("partners", [])):
        path = ("certification", "partners", i, "siret")
        if not is_valid_siret(partner["siret"]):
            yield Problem(
                f"partenaire {partner['name']} : SIRET invalide (clé de contrôle fausse) "
                f"({_where(path)})",
                parsed.line_of(path),
            )
        if partner["siret"] in seen:
            yield Problem(
                f"partenaire {partner['name']} : SIRET {partner['siret']} déjà cité "
                f"({_where(path)})",
                parsed.line_of(path),
            )
        seen.add(partner["siret"])


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read and validate a file; raise DocumentError with every problem found."""
    parsed = read_file(path, max_bytes)
    problems = validate_document(parsed)
    if problems:
        raise DocumentError(problems)
    return parsed.data


def load_shipped(directory: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[dict[str, Any]]:
    """Read and validate every référentiel file of `directory` (one file per version), in the
    order to publish them: by certification, then by version label ("2025-04" before
    "2026-12"), whatever the files are called. DocumentError names the file at fault."""
    documents = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            documents.append(load(path, max_bytes))
        except DocumentError as exc:
            raise DocumentError([Problem(p.format(str(path))) for p in exc.problems]) from None
    return sorted(documents, key=lambda d: (d["certification"]["code"], d["version"]["label"]))


def dump(document: dict[str, Any]) -> str:
    """Write a document as YAML that `load()` reads back to the same data."""
    return yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False
    )
