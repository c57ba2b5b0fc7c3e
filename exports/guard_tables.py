"""Bounds for tables: rows of a CSV text or of a sheet, each row's cells checked as it is read."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from exports.guard import (
    Limits,
    Refused,
)

# --- tables (CSV and sheets) -------------------------------------------------------------------


def check_row(
    line: int,
    row: Sequence[Any],
    limits: Limits,
    *,
    file: str | None = None,
    member: str | None = None,
) -> list[Any]:
    """The row's cells without trailing empty ones, refused if too wide or a cell too long."""
    cells = list(row)
    while cells and cells[-1] in (None, ""):
        cells.pop()  # a sheet's formatted but blank columns are not columns
    if len(cells) > limits.max_columns:
        raise Refused(
            f"{len(cells)} colonnes, au-delà de la limite de {limits.max_columns}",
            file=file,
            member=member,
            line=line,
        )
    for index, cell in enumerate(cells, start=1):
        if isinstance(cell, str) and len(cell) > limits.max_cell_chars:
            raise Refused(
                f"cellule de {len(cell)} caractères, au-delà de la limite de "
                f"{limits.max_cell_chars}",
                file=file,
                member=member,
                line=line,
                column=column_name(index),
            )
    return cells


def _too_many_rows(limits: Limits, file: str | None, member: str | None, line: int) -> Refused:
    return Refused(f"plus de {limits.max_rows} lignes", file=file, member=member, line=line)


def bounded_rows(
    rows: Iterable[Sequence[Any]],
    limits: Limits,
    *,
    file: str | None = None,
    member: str | None = None,
    first_line: int = 1,
) -> Iterator[tuple[int, list[Any]]]:
    """Number the rows of a table, refusing too many lines, columns or characters in a cell."""
    for count, row in enumerate(rows):
        line = first_line + count
        if count >= limits.max_rows:
            raise _too_many_rows(limits, file, member, line)
        yield line, check_row(line, row, limits, file=file, member=member)


def column_name(index: int) -> str:
    """Spreadsheet column letters for a 1-based index: 1 → A, 28 → AB."""
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def csv_rows(
    text: str, limits: Limits, *, delimiter: str, file: str | None = None, first_line: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """The rows of CSV text, each with the line it starts on, within `limits`."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    end = first_line - 1
    count = 0
    try:
        for cells in reader:
            # A quoted cell may span lines: a row is known by the line it starts on.
            start, end = end + 1, reader.line_num + first_line - 1
            if count >= limits.max_rows:
                raise _too_many_rows(limits, file, None, start)
            count += 1
            yield start, check_row(start, cells, limits, file=file)
    except csv.Error as exc:
        reason = f"CSV mal formé ({exc})"
        if "field larger than field limit" in str(exc):
            reason = (
                f"cellule de plus de {csv.field_size_limit()} caractères, au-delà de la "
                f"limite de {limits.max_cell_chars}"
            )
        raise Refused(reason, file=file, line=end + 1) from None
