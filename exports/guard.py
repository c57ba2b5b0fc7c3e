"""Reading untrusted files within bounds: the one guard every reader of an upload or import uses.

Spreadsheets (XLSX, CSV), archives (ZIP), XML and YAML all come from people or other systems;
before anything is inflated, parsed or built from them, their sizes, rows and cells are held
to `Limits` (set in configuration, see ``UPLOAD_*`` in config.py). Each check either passes
or raises `Refused`, whose message says what was refused and where (file, member, line,
column), e.g. « apprenants.xlsx › xl/sharedStrings.xml : 850 Mo une fois décompressé, au-delà
de la limite de 32 Mo ».

    limits = Limits.from_config(app.config)
    data = bounded_read(upload.stream, limits.max_bytes, file=name)   # never more read
    workbook = open_xlsx(data, limits, file=name)                     # ZIP and XML checked
    for line, cells in bounded_rows(sheet.iter_rows(values_only=True), limits, file=name):
        ...
    with open_zip(data, limits, file=name) as archive: ...            # nothing inflated yet
    root = parse_xml(data, limits, file=name)                         # no DTD, entity, network
    check_yaml_safe(text, limits, file=name)                          # no alias, tag, runaway

Declared sizes are enough for ZIP: Python's zipfile never returns more than the size a member
declares (a lying archive fails its CRC check instead), and openpyxl reads through it.

Pure functions: no Flask, no database. Messages are in French, like the files they describe.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import IO, Any

from lxml import etree

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of an untrusted file is read; each has a ``UPLOAD_<NAME>`` setting."""

    max_bytes: int = 2 * MiB  # the file as sent
    max_unzipped_bytes: int = 32 * MiB  # an archive's members once inflated, together
    max_members: int = 200  # files in an archive
    max_rows: int = 10_000  # lines of a table, blank ones included
    max_columns: int = 200  # cells in a line
    max_cell_chars: int = 32_767  # characters in a cell (Excel's own limit)
    max_depth: int = 40  # nesting of a YAML or XML document
    max_nodes: int = 200_000  # YAML events (scalars, sequences, mappings)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: int) -> Limits:
        """Limits from ``UPLOAD_MAX_BYTES``, ``UPLOAD_MAX_ROWS``… where set, then `overrides`."""
        values = {
            f.name: int(config[key])
            for f in fields(cls)
            if (key := f"UPLOAD_{f.name.upper()}") in config and config[key] is not None
        }
        return replace(cls(**values), **overrides)

    def narrowed(self, **values: int) -> Limits:
        """These limits, with some made smaller (never larger) for one kind of file."""
        return replace(self, **{k: min(v, getattr(self, k)) for k, v in values.items()})


class Refused(ValueError):
    """A file refused by the guard: `reason` says what, the other fields where."""

    def __init__(
        self,
        reason: str,
        *,
        file: str | None = None,
        member: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
    ) -> None:
        self.reason = reason
        self.file = file
        self.member = member
        self.line = line
        self.column = column
        super().__init__(str(self))

    @property
    def where(self) -> str:
        parts = [" › ".join(p for p in (self.file, self.member) if p)]
        if self.line is not None:
            parts.append(f"ligne {self.line}")
        if self.column is not None:
            parts.append(f"colonne {self.column}")
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        return f"{self.where} : {self.reason}" if self.where else self.reason


def size_text(size: int) -> str:
    """A size for people: « 850 Mo », « 1,5 Mo », « 12 ko »."""
    if size >= MiB:
        value = round(size / MiB, 1 if size < 10 * MiB else 0)
        text = f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
        return text.replace(".", ",") + " Mo"
    return f"{max(1, round(size / 1024))} ko"


def _too_large(what: str, size: int | None, limit: int) -> str:
    """« fichier trop volumineux : 5 ko, au-delà de la limite de 1 ko »."""
    amount = f"{size_text(size)}, " if size is not None else ""
    return f"{what} : {amount}au-delà de la limite de {size_text(limit)}"


# --- bytes -------------------------------------------------------------------------------------


def check_size(size: int, limits: Limits, *, file: str | None = None) -> None:
    """Refuse a file larger than ``limits.max_bytes``."""
    if size > limits.max_bytes:
        raise Refused(_too_large("fichier trop volumineux", size, limits.max_bytes), file=file)


def bounded_read(
    source: bytes | IO[bytes] | Path,
    max_bytes: int,
    *,
    file: str | None = None,
    member: str | None = None,
) -> bytes:
    """Read a file, a stream or bytes, never holding more than `max_bytes` (+1 to tell)."""
    if isinstance(source, Path):
        try:
            with source.open("rb") as stream:
                return bounded_read(stream, max_bytes, file=file or source.name)
        except OSError as exc:
            raise Refused(f"fichier illisible ({exc.strerror})", file=file or source.name) from None
    data = source if isinstance(source, bytes) else source.read(max_bytes + 1)
    if len(data) > max_bytes:
        # A stream is read up to max_bytes + 1 only: its real size is unknown.
        size = len(data) if isinstance(source, bytes) else None
        raise Refused(
            _too_large("fichier trop volumineux", size, max_bytes), file=file, member=member
        )
    return data


class BoundedStream:
    """A binary stream read through the guard, for readers that stream (lxml's iterparse).

    Refuses, as it is read, more than `max_bytes` and — with ``xml=True`` — any DTD or entity
    declaration. Only ``read`` is offered: that is all a streaming parser needs.
    """

    def __init__(
        self,
        raw: IO[bytes],
        max_bytes: int,
        *,
        file: str | None = None,
        member: str | None = None,
        xml: bool = False,
    ) -> None:
        self.raw = raw
        self.max_bytes = max_bytes
        self.file = file
        self.member = member
        self.xml = xml
        self.read_bytes = 0
        self._tail = b""

    def read(self, size: int = -1) -> bytes:
        left = self.max_bytes + 1 - self.read_bytes
        chunk = self.raw.read(left if size is None or size < 0 else min(size, left))
        self.read_bytes += len(chunk)
        if self.read_bytes > self.max_bytes:
            raise Refused(
                _too_large("fichier trop volumineux", None, self.max_bytes),
                file=self.file,
                member=self.member,
            )
        if self.xml and chunk:
            _refuse_declarations(self._tail + chunk, file=self.file, member=self.member)
            self._tail = chunk[-16:]
        return chunk


# --- ZIP ---------------------------------------------------------------------------------------


def open_zip(
    source: bytes | IO[bytes] | Path, limits: Limits, *, file: str | None = None
) -> zipfile.ZipFile:
    """Open an archive after checking its size, member count and inflated sizes.

    Nothing is inflated here: the checks read the central directory. Encrypted members and
    absolute or parent (``..``) paths are refused.
    """
    data = bounded_read(source, limits.max_bytes, file=file)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise Refused("archive ZIP illisible", file=file) from None
    try:
        check_zip(archive, limits, file=file)
    except Refused:
        archive.close()
        raise
    return archive


def check_zip(archive: zipfile.ZipFile, limits: Limits, *, file: str | None = None) -> None:
    """Refuse an archive with too many members, a member or a whole too large once inflated."""
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise Refused(
            f"{len(members)} fichiers dans l'archive, au-delà de la limite de {limits.max_members}",
            file=file,
        )
    total = 0
    for info in members:
        if info.flag_bits & 0x1:
            raise Refused("fichier chiffré dans l'archive", file=file, member=info.filename)
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/"):
            raise Refused("chemin hors de l'archive", file=file, member=info.filename)
        if info.file_size > limits.max_unzipped_bytes:
            raise Refused(
                f"{size_text(info.file_size)} une fois décompressé, au-delà de la limite de "
                f"{size_text(limits.max_unzipped_bytes)}",
                file=file,
                member=info.filename,
            )
        total += info.file_size
    if total > limits.max_unzipped_bytes:
        biggest = max(members, key=lambda i: i.file_size)
        raise Refused(
            _too_large(
                "archive trop volumineuse une fois décompressée", total, limits.max_unzipped_bytes
            )
            + f" (le plus gros fichier : {biggest.filename})",
            file=file,
        )


_XML_MEMBER_SUFFIXES = (".xml", ".rels", ".vml")
_CHUNK = 64 * 1024


def check_zip_xml(archive: zipfile.ZipFile, *, file: str | None = None) -> None:
    """Refuse an archive whose XML members declare a DTD or entities (read in chunks)."""
    for info in archive.infolist():
        if not info.filename.lower().endswith(_XML_MEMBER_SUFFIXES):
            continue
        tail = b""
        try:
            with archive.open(info) as member:
                while chunk := member.read(_CHUNK):
                    _refuse_declarations(tail + chunk, file=file, member=info.filename)
                    tail = chunk[-16:]
        except Refused:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError):
            raise Refused("archive ZIP endommagée", file=file, member=info.filename) from None


# --- XLSX --------------------------------------------------------------------------------------


def open_xlsx(data: bytes, limits: Limits, *, file: str | None = None) -> Any:
    """A read-only openpyxl workbook, once the archive and its XML passed the guard.

    The caller closes it (``workbook.close()``) and walks its rows through `bounded_rows`.
    """
    from openpyxl import load_workbook

    with open_zip(data, limits, file=file) as archive:
        check_zip_xml(archive, file=file)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # zip, XML or workbook structure: all mean "unreadable"
        raise Refused("classeur XLSX illisible", file=file) from None


# --- XML ---------------------------------------------------------------------------------------

# lxml settings for untrusted XML: no DTD, no entity expansion, no network, no huge trees.
SAFE_XML_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "load_dtd": False,
    "dtd_validation": False,
    "no_network": True,
    "huge_tree": False,
}


def xml_parser(**options: Any) -> etree.XMLParser:
    """An lxml parser with `SAFE_XML_OPTIONS` (extra options may add, never loosen them)."""
    loosened = {k for k, v in options.items() if k in SAFE_XML_OPTIONS and v != SAFE_XML_OPTIONS[k]}
    if loosened:
        raise ValueError(f"unsafe XML parser options: {sorted(loosened)}")
    return etree.XMLParser(**(SAFE_XML_OPTIONS | options))


_DECLARATIONS = ((b"<!DOCTYPE", "déclaration DOCTYPE"), (b"<!ENTITY", "déclaration d'entité"))


def _refuse_declarations(
    data: bytes, *, file: str | None, member: str | None = None, locate: bool = False
) -> None:
    for marker, what in _DECLARATIONS:
        at = data.find(marker)
        if at >= 0:
            line = data[:at].count(b"\n") + 1 if locate else None
            raise Refused(f"{what} refusée", file=file, member=member, line=line)


def check_xml_safe(
    data: bytes, limits: Limits, *, file: str | None = None, member: str | None = None
) -> None:
    """Refuse XML that is too large or declares a DTD or entities (billion laughs, XXE)."""
    bounded_read(data, limits.max_bytes, file=file, member=member)
    text = data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            raise Refused("encodage UTF-16 invalide", file=file, member=member) from None
    _refuse_declarations(text, file=file, member=member, locate=True)


def parse_xml(
    data: bytes, limits: Limits, *, file: str | None = None, member: str | None = None
) -> etree._Element:
    """Parse untrusted XML into a tree once `check_xml_safe` passed; syntax errors located."""
    check_xml_safe(data, limits, file=file, member=member)
    try:
        root = etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise Refused(
            f"XML mal formé ({exc.msg})", file=file, member=member, line=exc.lineno
        ) from None
    depth = _depth(root)
    if depth > limits.max_depth:
        raise Refused(
            f"imbrication de {depth} niveaux, au-delà de la limite de {limits.max_depth}",
            file=file,
            member=member,
        )
    return root


def _depth(root: etree._Element) -> int:
    deepest = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in element)
    return deepest


# --- YAML --------------------------------------------------------------------------------------

_YAML_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map")
)


def check_yaml_safe(text: str, limits: Limits, *, file: str | None = None) -> None:
    """Refuse YAML with anchors or aliases (alias bombs), non-plain tags, or runaway size.

    Walks the parser's events only, so nothing is built from a hostile document; YAML
    syntax errors are left to the caller's loader, which locates them.
    """
    import yaml

    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader), start=1):
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise Refused(
                "les ancres et alias YAML (& et *) ne sont pas acceptés", file=file, line=line
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _YAML_PLAIN_TAGS:
            raise Refused(f"étiquette YAML non acceptée : {tag}", file=file, line=line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > limits.max_depth:
                raise Refused("structure trop profonde", file=file, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if count > limits.max_nodes:
            raise Refused("fichier trop grand (trop d'éléments)", file=file, line=line)


# --- JSON --------------------------------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} n'est pas une valeur JSON")


def parse_json(data: bytes, limits: Limits, *, file: str | None = None) -> Any:
    """Parse untrusted JSON within `limits`: size, UTF-8, syntax (located), nesting, values.

    NaN and Infinity (which JSON does not have) are refused; so is nesting beyond
    ``limits.max_depth`` or more than ``limits.max_nodes`` values."""
    import json

    check_size(len(data), limits, file=file)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Refused(f"texte non UTF-8 (octet {exc.start + 1})", file=file) from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise Refused(
            f"JSON mal formé ({exc.msg}, colonne {exc.colno})", file=file, line=exc.lineno
        ) from None
    except ValueError as exc:
        raise Refused(f"JSON mal formé ({exc})", file=file) from None
    except RecursionError:
        raise Refused("structure trop profonde", file=file) from None
    nodes = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        nodes += 1
        if depth > limits.max_depth:
            raise Refused(
                f"imbrication au-delà de la limite de {limits.max_depth} niveaux", file=file
            )
        if nodes > limits.max_nodes:
            raise Refused("fichier trop grand (trop d'éléments)", file=file)
        if isinstance(current, dict):
            stack.extend((v, depth + 1) for v in current.values())
        elif isinstance(current, list):
            stack.extend((v, depth + 1) for v in current)
    return value
