"""The fast reader of plain XLSX cells gives what openpyxl gives, or None to let openpyxl read."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest

from exports.guard import Limits, Refused, open_xlsx
from exports.guard_tables import bounded_rows
from exports.plain_xlsx import plain_rows
from exports.spreadsheets import Sheet, xlsx_bytes
from tests.bombs import xlsx_bomb

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def openpyxl_rows(data: bytes, names: list[str], limits: Limits) -> dict[str, Any]:
    workbook = open_xlsx(data, limits)
    try:
        return {
            name: list(
                bounded_rows(
                    workbook[name].iter_rows(max_col=limits.max_columns + 1, values_only=True),
                    limits,
                    member=f"feuille « {name} »",
                )
            )
            for name in names
        }
    finally:
        workbook.close()


def handmade(sheet: str, shared: list[str] | None = None, styles: bool = False) -> bytes:
    """A workbook as spreadsheet programs write it (shared strings, relative targets)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if shared is not None
                else ""
            )
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets>'
            '<sheet name="Feuille" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            + (
                '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                if shared is not None
                else ""
            )
            + "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{MAIN}"><sheetData>{sheet}</sheetData></worksheet>',
        )
        if shared is not None:
            z.writestr(
                "xl/sharedStrings.xml",
                f'<sst xmlns="{MAIN}">' + "".join(f"<si>{s}</si>" for s in shared) + "</sst>",
            )
    return out.getvalue()


def test_our_workbooks_read_as_openpyxl_reads_them() -> None:
    rows: list[list[Any]] = [
        ["Compétence", None, "C01", "C01"],
        ["Apprenant·e", "N°", "C01.1 — Critère", "C01.2 — Critère"],
        ["Zoé N’Diaye", 17, "Acquis", None],
        [],
        ["  espaces  ", 2.5, True, "Non acquis"],
    ]
    data = xlsx_bytes(
        [Sheet("Grille", rows, header_rows=2, freeze="C3"), Sheet("meta", [["a", 1, 2]])]
    )
    limits = Limits()
    plain = plain_rows(data, ["Grille", "meta"], limits)
    assert plain is not None
    assert plain == openpyxl_rows(data, ["Grille", "meta"], limits)
    assert plain["Grille"][2] == (3, ["Zoé N’Diaye", 17, "Acquis"])


def test_shared_strings_gaps_and_formulas_read_as_openpyxl_reads_them() -> None:
    data = handmade(
        '<row r="2"><c r="B2" t="s"><v>0</v></c><c r="D2" t="s"><v>1</v></c></row>'
        '<row r="4"><c r="A4"><v>12</v></c><c r="B4"><f>A4*2</f><v>24</v></c>'
        '<c r="C4" t="str"><f>"x"</f><v>x</v></c><c r="D4" t="b"><v>0</v></c>'
        '<c r="E4" t="s"><v>2</v></c></row>',
        shared=["<t>Acquis</t>", '<t xml:space="preserve"> En cours </t>', "<t/>"],
    )
    limits = Limits()
    plain = plain_rows(data, ["Feuille"], limits)
    assert plain is not None
    assert plain == openpyxl_rows(data, ["Feuille"], limits)
    assert plain["Feuille"][3] == (4, [12, 24, "x", False])


@pytest.mark.parametrize(
    ("sheet", "shared"),
    [
        ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', ["<r><t>riche</t></r>"]),  # rich
        ('<row r="1"><c r="A1" s="3"><v>45000</v></c></row>', None),  # maybe a date
        ('<row r="1"><c r="A1" t="e"><v>#N/A</v></c></row>', None),  # an error
        ('<row r="1"><c t="s"><v>0</v></c></row>', ["<t>a</t>"]),  # no reference
        ("<row><c r='A1' t='s'><v>0</v></c></row>", ["<t>a</t>"]),  # no row number
    ],
)
def test_anything_beyond_plain_cells_is_left_to_openpyxl(sheet: str, shared: Any) -> None:
    assert plain_rows(handmade(sheet, shared), ["Feuille"], Limits()) is None


def test_columns_past_the_limit_are_dropped_and_too_wide_rows_refused() -> None:
    limits = Limits(max_columns=3)
    data = handmade('<row r="1"><c r="A1"><v>1</v></c><c r="D1"><v>4</v></c></row>')
    with pytest.raises(Refused):
        plain_rows(data, ["Feuille"], limits)
    data = handmade('<row r="1"><c r="A1"><v>1</v></c><c r="E1"><v>5</v></c></row>')
    assert plain_rows(data, ["Feuille"], limits) == openpyxl_rows(data, ["Feuille"], limits)


def test_the_guard_comes_first(tmp_path: Any) -> None:
    with pytest.raises(Refused):
        plain_rows(
            xlsx_bomb(tmp_path / "bombe.xlsx", unpacked_mib=40).read_bytes(), ["Feuille"], Limits()
        )
