"""CSV and XLSX writers: plain rows in, bytes out, nothing a spreadsheet would run."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from exports.spreadsheets import (
    ListValidation,
    Sheet,
    csv_bytes,
    csv_text,
    is_formula_like,
    xlsx_bytes,
)

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("http://exemple.test","clic")',
    "+33 6 12 34 56 78",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "=cmd|' /C calc'!A0",
]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_like_text_is_quoted_in_csv(text: str) -> None:
    assert is_formula_like(text)
    assert csv_text(text) == "'" + text
    rows = list(csv.reader(io.StringIO(csv_bytes([[text]]).decode("utf-8-sig")), delimiter=";"))
    assert rows == [["'" + text]]


@pytest.mark.parametrize("text", ["Acquis", "Zoé N'Diaye", " =1", "a=b", "", "1+1"])
def test_ordinary_text_is_kept(text: str) -> None:
    assert not is_formula_like(text)
    assert csv_text(text) == text


def test_csv_shape() -> None:
    data = csv_bytes(
        [
            ["Nom", "Valeur", "Date"],
            ["Élodie Brûlé-L'Hôte", 3, dt.date(2025, 6, 1)],
            [None, True, 1.5],
        ]
    )
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig") == (
        "Nom;Valeur;Date\r\nÉlodie Brûlé-L'Hôte;3;2025-06-01\r\n;oui;1.5\r\n"
    )
    # Separators and quotes inside values survive.
    rows = list(
        csv.reader(io.StringIO(csv_bytes([['a;b "c"', "x\ny"]]).decode("utf-8-sig")), delimiter=";")
    )
    assert rows == [['a;b "c"', "x\ny"]]


def test_no_xlsx_cell_is_a_formula() -> None:
    data = xlsx_bytes(
        [
            Sheet(
                "Données",
                [["Texte", "Nombre"], *[[text, i] for i, text in enumerate(DANGEROUS)]],
                header_rows=1,
            ),
            Sheet("Cachée", [["=1+1"]], state="hidden"),
        ]
    )
    workbook = load_workbook(io.BytesIO(data))
    cells = [cell for ws in workbook.worksheets for row in ws.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells if cell.value is not None)
    sheet = workbook["Données"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 2 + len(DANGEROUS))] == DANGEROUS
    assert sheet["B2"].value == 0 and sheet["B2"].data_type == "n"
    assert sheet["A1"].font.b
    assert workbook["Cachée"].sheet_state == "hidden"
    # The XML itself has no formula element.
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_drop_down_lists_live_on_a_hidden_sheet() -> None:
    labels = ["Non acquis", "En cours, presque", "=Acquis"]
    data = xlsx_bytes(
        [
            Sheet(
                "Grille",
                [["Nom", "C1"], ["Zoé", None]],
                freeze="B2",
                column_widths={1: 30},
                hidden_columns=[2],
                merges=["A1:B1"],
                validations=[ListValidation("B2:B10", labels, "Erreur", "Choisissez")],
            )
        ]
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Grille"]
    validation = sheet.data_validations.dataValidation[0]
    assert validation.type == "list" and str(validation.sqref) == "B2:B10"
    assert validation.formula1 == "'listes'!$A$1:$A$3"
    lists = workbook["listes"]
    assert lists.sheet_state == "hidden"
    assert [lists.cell(row=r, column=1).value for r in (1, 2, 3)] == labels
    assert lists["A3"].data_type == "s"
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["B"].hidden
    assert "A1:B1" in {str(r) for r in sheet.merged_cells.ranges}


def test_aware_datetimes_and_control_characters() -> None:
    moment = dt.datetime(2025, 6, 1, 8, 30, tzinfo=dt.UTC)
    data = xlsx_bytes([Sheet("S", [[moment, "bip\x07bip"]])])
    sheet = load_workbook(io.BytesIO(data))["S"]
    assert sheet["A1"].value == "2025-06-01T08:30:00+00:00"
    assert sheet["B1"].value == "bipbip"
