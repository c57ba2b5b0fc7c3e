"""The plain cells of XLSX sheets, read straight from their XML.

openpyxl builds several objects per cell (an inline string costs a rich-text object): reading
a 30 × 60 grid takes it tens of milliseconds, this a few. Only for the plain cells our exports
and spreadsheet programs write: strings (shared or inline, without rich text), numbers without
a style, booleans and formulas' cached strings. Anything else (a styled number, which may be a
date, rich text, an error, a cell or row without its reference…) makes `plain_rows` return
None: the caller then reads the file with openpyxl, which knows every case. Values are those
openpyxl gives with `values_only=True`, rows numbered from 1 as its `iter_rows` yields them.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterable, Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError, iterparse

from exports.guard import Limits, Refused, check_zip_xml, open_zip
from exports.guard_tables import bounded_rows

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
CELL, ROW, VALUE, TEXT, INLINE = MAIN + "c", MAIN + "row", MAIN + "v", MAIN + "t", MAIN + "is"


class Unusual(Exception):
    """Something beyond plain cells: read the file with openpyxl."""


def plain_rows(
    data: bytes, sheets: Iterable[str], limits: Limits, *, file: str | None = None
) -> dict[str, list[tuple[int, list[Any]]]] | None:
    """Each sheet's numbered rows within `limits` (as `bounded_rows` gives them), or None when
    the file holds anything but plain cells. Refused (guard.Refused) like `open_xlsx`."""
    with open_zip(data, limits, file=file) as archive:
        check_zip_xml(archive, file=file)  # no DTD nor entity: the parser below is safe
        try:
            paths = _sheet_paths(archive)
            strings = _shared_strings(archive)
            return {
                name: list(
                    bounded_rows(
                        _rows(archive, paths[name], strings, limits.max_columns + 1),
                        limits,
                        file=file,
                        member=f"feuille « {name} »",
                    )
                )
                for name in sheets
            }
        except Refused:
            raise  # a ValueError too, but the file's fault, not ours
        except (Unusual, KeyError, IndexError, ValueError, ParseError):
            return None


def _elements(archive: zipfile.ZipFile, member: str) -> Iterator[tuple[str, Element]]:
    """A member's elements as each ends. The archive passed check_zip_xml: no DTD, so no
    entity for the parser to expand."""
    return iterparse(archive.open(member))  # noqa: S314  (checked by check_zip_xml)


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    targets = {}
    for _event, rel in _elements(archive, "xl/_rels/workbook.xml.rels"):
        if rel.tag == RELATIONSHIP:
            target = rel.attrib["Target"]
            targets[rel.attrib["Id"]] = (
                target.lstrip("/")
                if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target))
            )
    return {
        sheet.attrib["name"]: targets[sheet.attrib[RELATIONSHIP_ID]]
        for _event, sheet in _elements(archive, "xl/workbook.xml")
        if sheet.tag == MAIN + "sheet"
    }


def _plain_text(element: Element) -> str:
    """The text of a string item made of one <t> (rich text and phonetics are Unusual)."""
    children = list(element)
    if len(children) != 1 or children[0].tag != TEXT:
        raise Unusual
    return children[0].text or ""


def _shared_strings(archive: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in archive.namelist():
        return []
    strings = []
    for _event, item in _elements(archive, "xl/sharedStrings.xml"):
        if item.tag == MAIN + "si":
            strings.append(_plain_text(item))
            item.clear()
    return strings


def _column(reference: str) -> int:
    """1 for A1, 28 for AB7."""
    number = 0
    for char in reference:
        if "A" <= char <= "Z":
            number = number * 26 + ord(char) - 64
        else:
            break
    if not number:
        raise Unusual
    return number


def _number(text: str) -> int | float:
    """As openpyxl casts a number."""
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _value(cell: Element, strings: list[str]) -> Any:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(INLINE)
        return None if inline is None else _plain_text(inline)
    value = cell.find(VALUE)
    text = None if value is None else value.text
    if kind == "s":
        return None if text is None else strings[int(text)]
    if kind == "n":
        if cell.get("s", "0") != "0":
            raise Unusual  # a styled number may be a date
        return None if text is None else _number(text)
    if kind == "str":
        return text
    if kind == "b":
        return None if text is None else bool(int(text))
    raise Unusual  # errors, dates: openpyxl's business


def _rows(
    archive: zipfile.ZipFile, path: str, strings: list[str], max_column: int
) -> Iterator[list[Any]]:
    """The sheet's rows from row 1 (missing rows empty), cells past `max_column` dropped."""
    expected = 1
    cells: dict[int, Any] = {}
    for _event, element in _elements(archive, path):
        if element.tag == CELL:
            reference = element.get("r")
            if reference is None:
                raise Unusual
            column = _column(reference)
            if column <= max_column:
                cells[column] = _value(element, strings)
            element.clear()
        elif element.tag == ROW:
            number = element.get("r")
            if number is None or int(number) < expected:
                raise Unusual
            while expected < int(number):
                yield []
                expected += 1
            row: list[Any] = [None] * max(cells, default=0)
            for column, value in cells.items():
                row[column - 1] = value
            yield row
            expected += 1
            cells = {}
            element.clear()
