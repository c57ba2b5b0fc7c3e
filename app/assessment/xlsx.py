"""Spreadsheets of grids and results: the offline grid (XLSX out and back in), CSV copies,
and the cohort's results.

The offline grid has a visible sheet « Grille » (one row per learner, one column per criterion,
a drop-down of the scale's labels in each cell) and a hidden sheet « meta » with what the
import needs to detect conflicts: the cohort, the bloc, and for each cell the id of its current
result at export time. Every id read back is checked against the cohort and the bloc.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from app.assessment.grid import (
    Grid,
    Head,
    Key,
    cohort_enrolments,
    competency_status_text,
)
from app.assessment.inputs import CellInput, GridError
from app.assessment.progress import progress
from app.cohorts.models import Cohort, EnrolmentStatus
from app.db import utcnow
from app.frameworks.models import FrameworkVersion
from app.glossary import BLOC_STATUS, ENROLMENT_STATUS
from exports.guard import Limits, Refused, open_xlsx
from exports.guard_tables import bounded_rows
from exports.plain_xlsx import plain_rows
from exports.spreadsheets import Cell, ListValidation, Sheet, csv_bytes, xlsx_bytes

GRID_SHEET = "Grille"
META_SHEET = "meta"
FORMAT = "grille-1"
FIRST_ROW = 3  # the first learner's row
FIRST_COLUMN = 3  # the first criterion's column (C)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _headers(grid: Grid) -> tuple[list[Cell], list[Cell]]:
    competency_row: list[Cell] = [_("Compétence"), None]
    criterion_row: list[Cell] = [_("Apprenant·e"), _("N° technique")]
    for comp in grid.competencies:
        for crit in comp.criteria:
            competency_row.append(comp.code)
            criterion_row.append(f"{crit.code} — {_short(crit.statement)}")
    return competency_row, criterion_row


def grid_rows(grid: Grid, heads: dict[Key, Head]) -> list[list[Cell]]:
    """The grid as rows: two header rows, then a learner per row with their current values."""
    rows: list[list[Cell]] = list(_headers(grid))
    for enrolment in grid.enrolments:
        row: list[Cell] = [enrolment.learner.full_name, enrolment.id]
        for crit in grid.criteria:
            head = heads.get((enrolment.id, crit.id))
            row.append(grid.level_label(head.level_id) if head else None)
        rows.append(row)
    return rows


def grid_csv(grid: Grid, heads: dict[Key, Head]) -> bytes:
    return csv_bytes(grid_rows(grid, heads))


def grid_workbook(grid: Grid, heads: dict[Key, Head]) -> bytes:
    """The offline grid, ready to fill in Excel or LibreOffice and import back."""
    rows = grid_rows(grid, heads)
    last_column = get_column_letter(FIRST_COLUMN + len(grid.criteria) - 1)
    last_row = FIRST_ROW + len(grid.enrolments) - 1
    merges = []
    column = FIRST_COLUMN
    for comp in grid.competencies:
        if len(comp.criteria) > 1:
            start, end = column, column + len(comp.criteria) - 1
            merges.append(f"{get_column_letter(start)}1:{get_column_letter(end)}1")
        column += len(comp.criteria)
    validations = []
    if grid.enrolments and grid.criteria:
        validations.append(
            ListValidation(
                f"{get_column_letter(FIRST_COLUMN)}{FIRST_ROW}:{last_column}{last_row}",
                [lvl.label for lvl in grid.levels],
                error_title=_("Valeur hors de l'échelle"),
                error=_("Choisissez un niveau de l'échelle dans la liste."),
            )
        )
    meta: list[list[Cell]] = [
        ["format", FORMAT],
        ["cohort_id", grid.cohort.id],
        ["bloc_code", grid.bloc.code],
        ["version_id", grid.version.id],
        ["exported_at", utcnow().isoformat(timespec="seconds")],
        ["criteria", None, *grid.criterion_ids],
    ]
    for enrolment in grid.enrolments:
        meta.append(
            [
                "enrolment",
                enrolment.id,
                *(
                    heads[(enrolment.id, c)].result_id if (enrolment.id, c) in heads else 0
                    for c in grid.criterion_ids
                ),
            ]
        )
    widths = {1: 32.0, 2: 10.0} | {FIRST_COLUMN + i: 16.0 for i in range(len(grid.criteria))}
    return xlsx_bytes(
        [
            Sheet(
                GRID_SHEET,
                rows,
                header_rows=2,
                freeze=f"{get_column_letter(FIRST_COLUMN)}{FIRST_ROW}",
                column_widths=widths,
                hidden_columns=[2],
                merges=merges,
                validations=validations,
            ),
            Sheet(META_SHEET, meta, state="hidden"),
        ]
    )


# --- reading it back -----------------------------------------------------------------------------


@dataclass
class GridFile:
    """What an offline grid says, before it is checked against the database."""

    cohort_id: int
    bloc_code: str
    version_id: int
    criterion_ids: list[int]
    heads: dict[int, list[int]]  # enrolment id → head result id per criterion (0: empty)
    headers: list[Any]  # the second header row of the grid sheet
    rows: list[tuple[int, tuple[Any, ...]]]  # (row number, values from column A)


def _not_a_grid() -> GridError:
    return GridError([_("Ce fichier n'est pas une grille exportée par l'application.")])


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _sheet_rows(workbook: Any, name: str, limits: Limits, filename: str) -> list[tuple[Any, ...]]:
    rows = workbook[name].iter_rows(max_col=limits.max_columns + 1, values_only=True)
    member = f"feuille « {name} »"
    return [tuple(cells) for _, cells in bounded_rows(rows, limits, file=filename, member=member)]


def read_workbook(data: bytes, limits: Limits | None = None, filename: str = "") -> GridFile:
    """Read an offline grid within `limits`; raise GridError if it is not one or too large."""
    limits = limits or Limits()
    try:
        plain = plain_rows(data, (META_SHEET, GRID_SHEET), limits, file=filename or None)
        if plain is not None:  # the usual case, read in a few milliseconds
            meta = [tuple(cells) for _, cells in plain[META_SHEET]]
            sheet_rows = [tuple(cells) for _, cells in plain[GRID_SHEET]]
        else:
            workbook = open_xlsx(data, limits, file=filename or None)
            try:
                if GRID_SHEET not in workbook.sheetnames or META_SHEET not in workbook.sheetnames:
                    raise _not_a_grid()
                meta = _sheet_rows(workbook, META_SHEET, limits, filename)
                sheet_rows = _sheet_rows(workbook, GRID_SHEET, limits, filename)
            finally:
                workbook.close()
    except Refused as refused:
        raise GridError([_("Fichier refusé : %(detail)s", detail=refused)]) from None
    keys: dict[str, tuple[Any, ...]] = {}
    heads: dict[int, list[int]] = {}
    for row in meta:
        if not row or row[0] is None:
            continue
        if row[0] == "enrolment":
            enrolment_id = _as_int(row[1] if len(row) > 1 else None)
            ids = [_as_int(v) for v in row[2:]]
            if enrolment_id is None or any(i is None for i in ids):
                raise _not_a_grid()
            heads[enrolment_id] = [i for i in ids if i is not None]
        else:
            keys[str(row[0])] = row
    try:
        if keys["format"][1] != FORMAT:
            raise _not_a_grid()
        cohort_id = _as_int(keys["cohort_id"][1])
        version_id = _as_int(keys["version_id"][1])
        bloc_code = keys["bloc_code"][1]
        criterion_ids = [_as_int(v) for v in keys["criteria"][2:]]
    except (KeyError, IndexError) as exc:
        raise _not_a_grid() from exc
    while criterion_ids and criterion_ids[-1] is None:
        criterion_ids.pop()  # trailing empty cells of a re-saved sheet
    if cohort_id is None or version_id is None or not isinstance(bloc_code, str):
        raise _not_a_grid()
    if any(c is None for c in criterion_ids):
        raise _not_a_grid()
    return GridFile(
        cohort_id=cohort_id,
        bloc_code=bloc_code,
        version_id=version_id,
        criterion_ids=[c for c in criterion_ids if c is not None],
        heads=heads,
        headers=list(sheet_rows[1]) if len(sheet_rows) > 1 else [],
        rows=[
            (number, row)
            for number, row in enumerate(sheet_rows[FIRST_ROW - 1 :], start=FIRST_ROW)
            if any(v not in (None, "") for v in row)
        ],
    )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.split()).casefold()


def level_lookup(grid: Grid) -> dict[str, int]:
    """Level ids by their label or code, as people type them (case, spaces, apostrophes)."""
    lookup = {_fold(lvl.code): lvl.id for lvl in grid.levels}
    lookup.update({_fold(lvl.label): lvl.id for lvl in grid.levels})
    return lookup


def cell_inputs(grid_file: GridFile, grid: Grid) -> list[CellInput]:
    """Check an offline grid against `grid` and turn its cells into inputs for a save.

    Raises GridError listing every problem, with cell references such as D7.
    """
    if (
        grid_file.cohort_id != grid.cohort.id
        or grid_file.bloc_code != grid.bloc.code
        or grid_file.version_id != grid.version.id
    ):
        raise GridError([_("Ce fichier est la grille d'une autre promotion ou d'un autre bloc.")])
    if grid_file.criterion_ids != grid.criterion_ids:
        raise GridError([_("Les critères de ce fichier ne sont plus ceux du bloc.")])
    problems = []
    for i, crit in enumerate(grid.criteria):
        column = FIRST_COLUMN - 1 + i
        header = grid_file.headers[column] if column < len(grid_file.headers) else None
        if not isinstance(header, str) or not header.startswith(crit.code):
            ref = f"{get_column_letter(column + 1)}2"
            problems.append(
                _(
                    "%(ref)s : la colonne du critère %(code)s a été déplacée ou supprimée.",
                    ref=ref,
                    code=crit.code,
                )
            )
    if problems:
        raise GridError(problems)
    lookup = level_lookup(grid)
    # A sheet holds thousands of cells and a handful of distinct texts: each is folded once,
    # to its level id, None (empty) or, when it is no level, itself.
    typed: dict[str, int | str | None] = {"": None}
    labels = ", ".join(lvl.label for lvl in grid.levels)
    letters = [get_column_letter(FIRST_COLUMN + i) for i in range(len(grid.criteria))]
    cells = []
    seen: set[int] = set()
    for number, row in grid_file.rows:
        enrolment_id = _as_int(row[1] if len(row) > 1 else None)
        if (
            enrolment_id is None
            or enrolment_id not in grid_file.heads
            or enrolment_id not in grid.enrolment_by_id
        ):
            problems.append(
                _(
                    "B%(row)s : cette ligne ne correspond à aucun·e apprenant·e de la grille.",
                    row=number,
                )
            )
            continue
        if enrolment_id in seen:
            problems.append(_("B%(row)s : apprenant·e en double.", row=number))
            continue
        seen.add(enrolment_id)
        heads = grid_file.heads[enrolment_id]
        if len(heads) != len(grid.criteria):
            raise _not_a_grid()
        for i, crit in enumerate(grid.criteria):
            column = FIRST_COLUMN - 1 + i
            raw = row[column] if column < len(row) else None
            ref = f"{letters[i]}{number}"
            text = "" if raw is None else str(raw)
            if text not in typed:
                folded = _fold(text)
                typed[text] = lookup.get(folded, text) if folded else None
            level_id = typed[text]
            if isinstance(level_id, str):  # not a level: what was typed, for the message
                problems.append(
                    _(
                        "%(ref)s : « %(value)s » n'est pas un niveau de l'échelle (%(labels)s).",
                        ref=ref,
                        value=level_id,
                        labels=labels,
                    )
                )
                continue
            cells.append(CellInput(enrolment_id, crit.id, level_id, heads[i], ref))
    if problems:
        raise GridError(problems)
    return cells


# --- the cohort's results ------------------------------------------------------------------------


@dataclass
class ResultTables:
    statuses: list[list[Cell]]  # learner × bloc and competency statuses
    values: list[list[Cell]]  # learner × criterion current values


def results_tables(cohort: Cohort, version: FrameworkVersion) -> ResultTables:
    """Every learner of the cohort (withdrawn ones included) on every bloc (4 queries)."""
    enrolments = cohort_enrolments(cohort.id, EnrolmentStatus)
    statuses = progress(version, [e.id for e in enrolments])
    levels = {lvl.id: lvl.label for lvl in version.scale_levels}
    codes: list[Cell] = [_("Apprenant·e"), _("Inscription")]
    titles: list[Cell] = [None, None]
    crit_codes: list[Cell] = [_("Apprenant·e"), _("Inscription")]
    crit_titles: list[Cell] = [None, None]
    for bloc in version.blocs:
        codes.append(bloc.code)
        titles.append(_("Bloc : %(title)s", title=bloc.title))
        for comp in bloc.competencies:
            codes.append(comp.code)
            titles.append(_short(comp.statement))
            for crit in comp.criteria:
                crit_codes.append(crit.code)
                crit_titles.append(_short(crit.statement))
    status_rows: list[list[Cell]] = [codes, titles]
    value_rows: list[list[Cell]] = [crit_codes, crit_titles]
    for enrolment in enrolments:
        learner = statuses[enrolment.id]
        head: list[Cell] = [
            enrolment.learner.full_name,
            str(ENROLMENT_STATUS[enrolment.status]),
        ]
        status_row = list(head)
        value_row = list(head)
        for bloc in version.blocs:
            status_row.append(str(BLOC_STATUS[learner.blocs[bloc.id]]))
            for comp in bloc.competencies:
                status_row.append(competency_status_text(learner.competencies[comp.id]))
                for crit in comp.criteria:
                    level_id = learner.current.get(crit.id)
                    value_row.append(levels[level_id] if level_id is not None else None)
        status_rows.append(status_row)
        value_rows.append(value_row)
    return ResultTables(status_rows, value_rows)


def results_workbook(tables: ResultTables) -> bytes:
    """Both tables, each on a sheet with its two header rows and the learners' names frozen."""
    return xlsx_bytes(
        [
            Sheet(name, rows, header_rows=2, freeze="C3", column_widths={1: 32.0, 2: 14.0})
            for name, rows in ((_("Statuts"), tables.statuses), (_("Critères"), tables.values))
        ]
    )
