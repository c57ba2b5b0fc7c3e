"""Reading a 1EdTech CASE package (CFPackage): parsed within bounds, brought to the 1.1 shape,
checked against the official schema.

`read()` parses the file within the upload limits (exports/guard.py), brings the CASE 1.0 shape
that real packages still use to the 1.1 one (links to the package or document on each object,
timestamps without a time zone, sequence numbers as text, nulls for absent values, a subject
or education level given as one string) and checks the result against the official CASE 1.1
schema: a package that breaks it is refused with every problem located by its JSON path
(« $.CFItems[3].humanCodingScheme : … »). Properties the schema does not know are ignored.
exports/case_tree.py then maps it onto a référentiel.

Pure functions: no Flask, no database.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from exports import guard
from exports.case import schema_validator
from exports.plurals import ngettext

MAX_PROBLEMS = 20
_LOOSE_DATETIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
    r" ?(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_PREFIX = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}")
_TYPE_NAMES = {
    "string": "du texte",
    "integer": "un nombre entier",
    "number": "un nombre",
    "object": "un objet",
    "array": "une liste",
    "boolean": "un booléen",
    "null": "null",
}
_FORMAT_NAMES = {
    "uuid": "un identifiant UUID (8-4-4-4-12 chiffres hexadécimaux)",
    "date-time": "un horodatage RFC 3339 (AAAA-MM-JJTHH:MM:SS+HH:MM)",
    "date": "une date AAAA-MM-JJ",
}


class PackageError(ValueError):
    """A package that cannot be imported; `problems` says what and where (JSON paths)."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Package:
    """A package read by `read()`: its content in the CASE 1.1 shape, and the shape it had."""

    data: dict[str, Any]
    shape: str  # "CASE 1.1" or "CASE 1.0"
    unknown: list[str] = field(default_factory=list)  # properties ignored, e.g. $.CFItems[*].x
    ignored: list[str] = field(default_factory=list)  # bad values left out (see TOLERATED)


# --- reading and checking ------------------------------------------------------------------------


def read(data: bytes, limits: guard.Limits, *, file: str | None = None) -> Package:
    """Parse, normalise and check a package; return it in the CASE 1.1 shape.

    Raises `guard.Refused` for a file beyond the limits or not JSON, `PackageError` for JSON
    that is not a CASE package."""
    parsed = guard.parse_json(data, limits, file=file)
    if not isinstance(parsed, dict) or not isinstance(parsed.get("CFDocument"), dict):
        raise PackageError(["$ : un paquet CASE (CFPackage) est un objet JSON avec un CFDocument"])
    package, shape = normalise(parsed)
    found: list[tuple[tuple[Any, ...], str]] = []
    unknown: dict[str, None] = {}
    dropped: dict[tuple[Any, ...], str] = {}
    for error in schema_validator().iter_errors(package):
        if error.validator == "additionalProperties":
            known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            for name in error.instance:
                if name not in known:
                    unknown.setdefault(_unknown_path(error.json_path, name), None)
        elif (where := _tolerated(error.absolute_path)) is not None:
            dropped.setdefault(where, _problem(error))
        else:
            found.append((_sort_key(error.absolute_path), _problem(error)))
    found += _duplicates(package)
    if found:
        problems = [message for _, message in sorted(found)]
        if len(problems) > MAX_PROBLEMS:
            rest = len(problems) - MAX_PROBLEMS
            more = ngettext("… et %(num)d autre problème", "… et %(num)d autres problèmes", rest)
            problems = [*problems[:MAX_PROBLEMS], more]
        raise PackageError(problems)
    for where in sorted(dropped, key=_sort_key, reverse=True):  # lists from their end
        parent = package
        for part in where[:-1]:
            parent = parent[part]
        del parent[where[-1]]
    ignored = [
        f"{_json_path(where)} laissé de côté, sa valeur n'étant pas valide ({message})"
        for where, message in sorted(dropped.items(), key=_by_path)
    ]
    return Package(package, shape, sorted(unknown), ignored)


# Properties the import does not read: a bad value there is left out, not refused. Everything
# else (identifiers, statements, codes, types, the associations' ends) must be right.
TOLERATED = frozenset(
    {
        "CFItemTypeURI",
        "CFAssociationGroupingURI",
        "conceptKeywordsURI",
        "licenseURI",
        "subjectURI",
        "subject",
        "educationLevel",
        "conceptKeywords",
        "statusStartDate",
        "statusEndDate",
        "officialSourceURL",
        "alternativeLabel",
        "listEnumeration",
        "targetType",
    }
)


def _tolerated(path: Any) -> tuple[Any, ...] | None:
    """The property to leave out for an error at `path`, when the import can do without it:
    the whole of CFDefinitions, a rubric, or one of TOLERATED on any object."""
    parts = tuple(path)
    if parts[:1] == ("CFDefinitions",):
        return parts[:1]
    if parts[:1] == ("CFRubrics",) and len(parts) >= 2:
        return parts[:2]
    for i, part in enumerate(parts):
        if part in TOLERATED:
            return parts[: i + 1]
    return None


def _json_path(parts: tuple[Any, ...]) -> str:
    return "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _by_path(entry: tuple[tuple[Any, ...], str]) -> tuple[Any, ...]:
    return _sort_key(entry[0])


def _sort_key(path: Any) -> tuple[Any, ...]:
    """Paths in document order: indexes as numbers ($.CFItems[2] before $.CFItems[10])."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in path)


def _unknown_path(parent: str, name: str) -> str:
    """Where an unknown property is, with the indexes of its list replaced by [*]."""
    return re.sub(r"\[\d+\]", "[*]", f"{parent}.{name}")


def normalise(package: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A copy of `package` in the CASE 1.1 shape, and the shape it had."""
    out: dict[str, Any] = _without_nulls(copy.deepcopy(package))
    legacy = False
    document = out["CFDocument"]
    if document.pop("CFPackageURI", None) is not None:
        legacy = True
    if document.get("caseVersion") != "1.1":
        legacy = legacy or "caseVersion" not in document or document["caseVersion"] == "1.0"
        if document.get("caseVersion") == "1.0":
            del document["caseVersion"]
    for name in ("CFItems", "CFAssociations"):
        for entry in _objects(out.get(name)):
            if entry.pop("CFDocumentURI", None) is not None:
                legacy = True
    for association in _objects(out.get("CFAssociations")):
        number = association.get("sequenceNumber")
        if isinstance(number, str):  # CASE 1.0 packages write it as text, sometimes not a number
            if number.strip().lstrip("-").isdigit():
                association["sequenceNumber"] = int(number.strip())
            else:
                del association["sequenceNumber"]  # the file's order then
            legacy = True
    for entry in _objects([document, *_list(out.get("CFItems"))]):
        for key in ("subject", "educationLevel", "conceptKeywords"):
            if isinstance(entry.get(key), str):
                entry[key] = [entry[key]]
                legacy = True
    for entry in _every_object(out):
        stamp = entry.get("lastChangeDateTime")
        if isinstance(stamp, str):
            fixed = _with_time_zone(stamp)
            if fixed != stamp:
                entry["lastChangeDateTime"] = fixed
                legacy = True
        for key in ("statusStartDate", "statusEndDate"):
            value = entry.get(key)
            if isinstance(value, str) and not _DATE.match(value):
                prefix = _DATETIME_PREFIX.match(value)
                if prefix:
                    entry[key] = prefix.group(1)
                    legacy = True
    return out, "CASE 1.0" if legacy else "CASE 1.1"


def _with_time_zone(stamp: str) -> str:
    """A date-time as RFC 3339 wants it: « T » between date and time, seconds, a time zone
    (UTC when none is given, as CASE 1.0 packages often write it)."""
    text = stamp.strip()
    found = _LOOSE_DATETIME.match(text)
    if found:
        date, time, zone = found.group("date"), found.group("time"), found.group("zone")
        if time.count(":") == 1:
            time += ":00"
        if not zone:
            zone = "+00:00"
        elif zone not in ("Z", "z") and ":" not in zone:
            zone = f"{zone[:3]}:{zone[3:]}"
        return f"{date}T{time}{zone}"
    if _DATE.match(text):
        return f"{text}T00:00:00+00:00"
    return stamp


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    return (entry for entry in _list(value) if isinstance(entry, dict))


def _every_object(value: Any) -> Iterator[dict[str, Any]]:
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            yield current
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return f"« {text[:60]}{'…' if len(text) > 60 else ''} »"


def _problem(error: jsonschema.ValidationError) -> str:
    path = error.json_path
    kind = error.validator
    if kind == "required":
        missing = [
            name
            for name in error.validator_value
            if isinstance(error.instance, dict) and name not in error.instance
        ]
        return f"{path}.{missing[0] if missing else '?'} : champ obligatoire absent"
    if kind == "type":
        expected = error.validator_value
        wanted = " ou ".join(
            _TYPE_NAMES.get(str(t), str(t))
            for t in (expected if isinstance(expected, list) else [expected])
        )
        return f"{path} : {wanted} attendu, pas {_shown(error.instance)}"
    if kind == "format":
        name = _FORMAT_NAMES.get(str(error.validator_value), str(error.validator_value))
        return f"{path} : {_shown(error.instance)} n'est pas {name}"
    if kind in ("enum", "oneOf", "anyOf", "const", "pattern"):
        return f"{path} : valeur non reconnue {_shown(error.instance)}"
    return f"{path} : {error.message}"


def _duplicates(package: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(package.get("CFItems", [])):
        identifier = str(item.get("identifier", "")).lower()
        if identifier in seen:
            first = seen[identifier]
            problems.append(
                (
                    _sort_key(["CFItems", i, "identifier"]),
                    f"$.CFItems[{i}].identifier : identifiant déjà pris par $.CFItems[{first}]",
                )
            )
        else:
            seen[identifier] = i
    return problems
