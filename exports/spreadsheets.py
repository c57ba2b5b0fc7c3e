"""Spreadsheets out: CSV and XLSX bytes from plain rows, safe to open in any spreadsheet.

Pure functions: plain data in, bytes out (no Flask, no database). Any text that a spreadsheet
could read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return)
is written as inert text: prefixed with a single quote in CSV, stored as a string cell in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

Cell = str | int | float | bool | dt.date | dt.datetime | None

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
LISTS_SHEET = "listes"


def is_formula_like(text: str) -> bool:
    """Whether a spreadsheet could run `text` as a formula."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(value: Cell) -> str:
    """One CSV field: formula-like text gets a leading single quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if is_formula_like(value) else value
    return str(value)


def csv_bytes(rows: Iterable[Sequence[Cell]], *, delimiter: str = ";") -> bytes:
    """CSV as French spreadsheets read it: UTF-8 with a byte-order mark, `;`-separated."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([csv_text(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass
class ListValidation:
    """A drop-down list on a range of cells (e.g. ``"C3:H32"``), refusing other values."""

    cell_range: str
    values: list[str]
    error_title: str = ""
    error: str = ""


@dataclass
class Sheet:
    """One worksheet: rows of plain values, the first `header_rows` in bold."""

    title: str
    rows: Sequence[Sequence[Cell]]
    header_rows: int = 0
    # The first cell that scrolls (panes above and left of it stay), e.g. "C3".
    freeze: str | None = None
    column_widths: dict[int, float] = field(default_factory=dict)  # 1-based column → width
    hidden_columns: list[int] = field(default_factory=list)
    merges: list[str] = field(default_factory=list)
    validations: list[ListValidation] = field(default_factory=list)
    state: str = "visible"  # "visible", "hidden" or "veryHidden"


def _plain(value: Cell) -> Cell:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()  # spreadsheets have no time zones: keep it readable
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    return value


def _write(ws: Worksheet, row: int, column: int, value: Cell) -> Any:
    cell = ws.cell(row=row, column=column, value=_plain(value))
    if cell.data_type == "f":
        cell.data_type = "s"  # text that looks like a formula stays text
    return cell


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook of `sheets`; no cell is ever a formula."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    pending: list[tuple[Worksheet, ListValidation]] = []
    for spec in sheets:
        ws = workbook.create_sheet(spec.title)
        ws.sheet_state = spec.state
        for r, row in enumerate(spec.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = _write(ws, r, c, value)
                if r <= spec.header_rows:
                    cell.font = bold
                    cell.alignment = wrap
        for column, width in spec.column_widths.items():
            ws.column_dimensions[get_column_letter(column)].width = width
        for column in spec.hidden_columns:
            ws.column_dimensions[get_column_letter(column)].hidden = True
        for cell_range in spec.merges:
            ws.merge_cells(cell_range)
        if spec.freeze:
            ws.freeze_panes = spec.freeze
        pending.extend((ws, validation) for validation in spec.validations)
    if pending:
        # Drop-down values live on a hidden sheet: a range has no length or comma limits.
        lists = workbook.create_sheet(LISTS_SHEET)
        lists.sheet_state = "hidden"
        for column, (ws, validation) in enumerate(pending, start=1):
            for r, text in enumerate(validation.values, start=1):
                _write(lists, r, column, text)
            letter = get_column_letter(column)
            dv = DataValidation(
                type="list",
                formula1=f"{quote_sheetname(LISTS_SHEET)}!${letter}$1:${letter}${len(validation.values)}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=validation.error_title or None,
                error=validation.error or None,
            )
            dv.add(validation.cell_range)
            ws.add_data_validation(dv)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
