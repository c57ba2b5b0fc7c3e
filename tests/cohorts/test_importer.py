"""The spreadsheet reader: encodings, separators, XLSX, and every kind of bad row."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from app.cohorts import importer
from app.cohorts.models import Sex
from exports.guard import Limits

TODAY = dt.date(2025, 6, 1)
HEADER = [
    "Email",
    "Prénom(s)",
    "Nom de naissance",
    "Nom d'usage",
    "Date de naissance",
    "Sexe",
    "Code commune de naissance",
    "Code pays de naissance",
]
ROWS = [
    ["helene.ndiaye@exemple.fr", "Hélène", "N'Diaye", "", "14/07/1990", "F", "69123", ""],
    [
        "jean-eric.lefevre@exemple.fr",
        "Jean-Éric, Marie",
        "Lefèvre",
        "Dupré",
        "03/02/1985",
        "M",
        "",
        "99350",
    ],
    ["zoe@exemple.fr", "Zoë", "Ørsted-Müller", "", "", "", "2A004", ""],
]


def csv_bytes(
    rows: list[list[str]],
    *,
    header: list[str] = HEADER,
    sep: str = ";",
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    def cell(value: str) -> str:
        if sep in value or '"' in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    text = newline.join(sep.join(cell(v) for v in row) for row in [header, *rows]) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def parse(data: bytes, filename: str = "apprenants.csv") -> importer.ParseResult:
    return importer.parse(data, filename, today=TODAY)


def assert_three_learners(result: importer.ParseResult) -> None:
    assert result.problems == []
    assert [row.line for row in result.rows] == [2, 3, 4]
    first, second, third = (row.learner for row in result.rows)
    assert first == importer.LearnerData(
        email="helene.ndiaye@exemple.fr",
        first_names=["Hélène"],
        birth_name="N'Diaye",
        birth_date=dt.date(1990, 7, 14),
        sex=Sex.FEMALE,
        birth_commune_code="69123",
    )
    # First names in one cell are separated by commas, as on a civil register act.
    assert second.first_names == ["Jean-Éric", "Marie"]
    assert second.usage_name == "Dupré"
    assert second.birth_country_code == "99350" and second.birth_commune_code is None
    assert second.sex is Sex.MALE
    assert third.birth_name == "Ørsted-Müller" and third.birth_commune_code == "2A004"
    assert third.birth_date is None and third.sex is None


# --- formats -----------------------------------------------------------------------------------


def test_utf8_semicolon_with_bom() -> None:
    assert_three_learners(parse(csv_bytes(ROWS, bom=True)))


def test_utf8_semicolon_without_bom() -> None:
    assert_three_learners(parse(csv_bytes(ROWS)))


def test_windows_1252_as_excel_writes_it() -> None:
    data = csv_bytes(ROWS, encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert_three_learners(parse(data))


def test_comma_separated_as_libreoffice_writes_it() -> None:
    rows = [list(r) for r in ROWS]
    rows[1][3] = "Dupré"
    assert_three_learners(parse(csv_bytes(rows, sep=",", newline="\n")))


def test_comma_separated_with_quoted_commas() -> None:
    header = ["email", "prénom", "nom", "commentaire"]
    data = csv_bytes(
        [["a@exemple.fr", "Anne", "Durand", "arrivée en retard, excusée"]], header=header, sep=","
    )
    result = parse(data)
    assert result.ok and result.rows[0].learner.birth_name == "Durand"
    assert result.ignored_columns == ["commentaire"]


def test_excel_sep_line_is_honoured() -> None:
    data = b"sep=,\r\n" + csv_bytes(ROWS, sep=",")
    result = parse(data)
    assert result.problems == []
    assert [row.line for row in result.rows] == [3, 4, 5]


def test_utf16_tab_separated_unicode_text() -> None:
    data = "\r\n".join("\t".join(row) for row in [HEADER, *ROWS]).encode("utf-16")
    assert_three_learners(parse(data))


def test_header_variations_in_case_accents_and_apostrophes() -> None:
    header = [
        "  E-MAIL ",
        "PRENOMS",
        "nom de naissance",
        "Nom d’usage",
        "Né(e) le",
        "SEXE (F/M)",
        "Code commune de naissance (INSEE)",
        "code pays de naissance",
    ]
    assert_three_learners(parse(csv_bytes(ROWS, header=header)))


def test_iso_dates_and_lower_case_sex() -> None:
    rows = [["a@exemple.fr", "Anne", "Durand", "", "1990-07-14", "f", "", ""]]
    learner = parse(csv_bytes(rows)).rows[0].learner
    assert learner.birth_date == dt.date(1990, 7, 14) and learner.sex is Sex.FEMALE


def test_email_is_lower_cased_and_names_trimmed() -> None:
    rows = [[" Anne.Durand@Exemple.FR ", "  Anne   Marie ,, Zoé", " N’Diaye ", "", "", "", "", ""]]
    learner = parse(csv_bytes(rows)).rows[0].learner
    assert learner.email == "anne.durand@exemple.fr"
    # No comma: one first name ("Anne Marie"); the apostrophe stored is the straight one.
    assert learner.first_names == ["Anne Marie", "Zoé"] and learner.birth_name == "N'Diaye"


def test_blank_lines_are_skipped_and_lines_counted() -> None:
    text = "\r\n".join([";".join(HEADER), "", ";".join(ROWS[0]), ";;;;;;;", ";".join(ROWS[1])])
    result = parse(text.encode())
    assert result.ok and [row.line for row in result.rows] == [3, 5]


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_with_real_dates_and_numbers() -> None:
    data = xlsx_bytes(
        [
            [
                "helene.ndiaye@exemple.fr",
                "Hélène",
                "N'Diaye",
                None,
                dt.datetime(1990, 7, 14),
                "F",
                69123,
                None,
            ],
            [
                "jean-eric.lefevre@exemple.fr",
                "Jean-Éric, Marie",
                "Lefèvre",
                "Dupré",
                dt.date(1985, 2, 3),
                "M",
                None,
                99350,
            ],
            ["zoe@exemple.fr", "Zoë", "Ørsted-Müller", None, None, None, "2A004", None],
        ]
    )
    assert_three_learners(parse(data, "promo.xlsx"))


def test_xlsx_text_dates_and_lost_leading_zero() -> None:
    data = xlsx_bytes([["a@exemple.fr", "Anne", "Durand", None, "14/07/1990", "F", 1053, None]])
    learner = parse(data, "promo.XLSX").rows[0].learner
    assert learner.birth_date == dt.date(1990, 7, 14)
    assert learner.birth_commune_code == "01053"


# --- bad rows ----------------------------------------------------------------------------------


def one_row(values: dict[str, str]) -> list[str]:
    row = dict(zip(HEADER, ["a@exemple.fr", "Anne", "Durand", "", "", "", "", ""], strict=True))
    row.update(values)
    return list(row.values())


@pytest.mark.parametrize(
    ("values", "column", "words"),
    [
        ({"Email": ""}, "Email", "obligatoire"),
        ({"Email": "anne.exemple.fr"}, "Email", "invalide"),
        ({"Prénom(s)": ""}, "Prénom(s)", "obligatoire"),
        ({"Nom de naissance": ""}, "Nom de naissance", "obligatoire"),
        ({"Nom de naissance": "Durand<script>"}, "Nom de naissance", "lettres"),
        ({"Nom d'usage": "R2D2"}, "Nom d'usage", "lettres"),
        ({"Prénom(s)": "A" * 61}, "Prénom(s)", "60 caractères"),
        ({"Prénom(s)": "Anne, M4rie"}, "Prénom(s)", "« M4rie »"),
        ({"Date de naissance": "31/02/1990"}, "Date de naissance", "JJ/MM/AAAA"),
        ({"Date de naissance": "14/07/90"}, "Date de naissance", "JJ/MM/AAAA"),
        ({"Date de naissance": "hier"}, "Date de naissance", "JJ/MM/AAAA"),
        ({"Date de naissance": "02/06/2025"}, "Date de naissance", "futur"),
        ({"Date de naissance": "01/01/1850"}, "Date de naissance", "1900"),
        ({"Sexe": "X"}, "Sexe", "F ou M"),
        ({"Code commune de naissance": "750"}, "Code commune de naissance", "INSEE"),
        ({"Code commune de naissance": "750560"}, "Code commune de naissance", "INSEE"),
        ({"Code commune de naissance": "2C004"}, "Code commune de naissance", "INSEE"),
        ({"Code commune de naissance": "99350"}, "Code commune de naissance", "code de pays"),
        ({"Code commune de naissance": "99100"}, "Code commune de naissance", "France"),
        (
            {"Code pays de naissance": "99100", "Code commune de naissance": ""},
            "Code pays de naissance",
            "France",
        ),
        ({"Code commune de naissance": "20004"}, "Code commune de naissance", "2A (Corse-du-Sud)"),
        ({"Code pays de naissance": "350"}, "Code pays de naissance", "99"),
        (
            {"Code commune de naissance": "69123", "Code pays de naissance": "99350"},
            "Code pays de naissance",
            "pas les deux",
        ),
    ],
)
def test_each_bad_value_is_reported_with_line_and_column(
    values: dict[str, str], column: str, words: str
) -> None:
    good = one_row({"Email": "b@exemple.fr"})
    result = parse(csv_bytes([good, one_row(values)]))
    assert not result.ok
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert (problem.line, problem.column) == (3, column)
    assert words in problem.message
    # The good row is still read, for the preview; the file as a whole is refused.
    assert [row.line for row in result.rows] == [2]


def test_all_problems_of_a_row_are_reported() -> None:
    row = one_row({"Email": "x", "Sexe": "Z", "Date de naissance": "bientôt"})
    columns = {p.column for p in parse(csv_bytes([row])).problems}
    assert columns == {"Email", "Sexe", "Date de naissance"}


def test_extra_values_beyond_the_columns() -> None:
    data = b"email,prenom,nom\r\na@exemple.fr,Anne,Durand\r\nb@exemple.fr,Marie, Anne,Dupont\r\n"
    result = parse(data)
    assert [(p.line, p.column) for p in result.problems] == [(3, None)]
    assert "séparateur" in result.problems[0].message


def test_duplicate_emails_within_the_file() -> None:
    rows = [
        one_row({"Email": "anne@exemple.fr"}),
        one_row({"Email": "marc@exemple.fr"}),
        one_row({"Email": "ANNE@exemple.fr"}),
    ]
    result = parse(csv_bytes(rows))
    assert [(p.line, p.column) for p in result.problems] == [(4, "Email")]
    assert "ligne 2" in result.problems[0].message
    assert [row.line for row in result.rows] == [2, 3]


def test_missing_required_columns() -> None:
    data = csv_bytes([["a@exemple.fr", "Durand"]], header=["email", "nom"])
    result = parse(data)
    assert not result.ok and result.rows == []
    assert [p.column for p in result.problems] == ["prénoms"]
    assert "obligatoire" in result.problems[0].message


def test_column_twice() -> None:
    data = csv_bytes(
        [["a@exemple.fr", "Anne", "Durand", "x@exemple.fr"]],
        header=["email", "prénom", "nom", "courriel"],
    )
    result = parse(data)
    assert [(p.line, p.column) for p in result.problems] == [(1, "courriel")]


# --- whole-file refusals -----------------------------------------------------------------------


def only_problem(result: importer.ParseResult) -> str:
    assert result.rows == []
    assert len(result.problems) == 1 and result.problems[0].line is None
    return result.problems[0].message


def test_empty_file_and_header_only() -> None:
    assert "vide" in only_problem(parse(b""))
    assert "vide" in only_problem(parse(b"\r\n\r\n"))
    assert "aucun apprenant" in only_problem(parse(csv_bytes([])))


def test_files_that_are_not_csv_or_xlsx_by_content() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(50)
    assert "CSV" in only_problem(parse(pdf, "apprenants.csv"))
    assert "CSV" in only_problem(parse(png, "apprenants.csv"))
    assert "XLSX" in only_problem(parse(png, "apprenants.xlsx"))
    assert "CSV" in only_problem(parse(bytes(range(256)) * 4, "apprenants.csv"))
    # A zip that is not a workbook, and a workbook under a CSV name.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    assert "illisible" in only_problem(parse(buffer.getvalue(), "apprenants.xlsx"))
    assert "CSV" in only_problem(parse(xlsx_bytes([]), "apprenants.csv"))
    assert "XLSX" in only_problem(parse(csv_bytes(ROWS), "apprenants.xlsx"))


def test_old_xls_and_other_extensions_refused() -> None:
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
    assert ".xls" in only_problem(parse(xls, "apprenants.xls".replace(".xls", ".xlsx")))
    assert "CSV et XLSX" in only_problem(parse(csv_bytes(ROWS), "apprenants.txt"))
    assert "CSV et XLSX" in only_problem(parse(csv_bytes(ROWS), "apprenants"))


def test_size_limit() -> None:
    row = ";".join(one_row({}))
    data = csv_bytes([]) + ((row + "\r\n") * (Limits().max_bytes // len(row) + 1)).encode()
    assert "2 Mo" in only_problem(parse(data))


def test_row_limit() -> None:
    rows = [one_row({"Email": f"p{i}@exemple.fr"}) for i in range(importer.MAX_ROWS + 1)]
    assert "2000" in only_problem(parse(csv_bytes(rows)))
    assert parse(csv_bytes(rows[:-1])).ok


def test_row_limit_in_xlsx() -> None:
    rows: list[list[object]] = [
        [f"p{i}@exemple.fr", "Anne", "Durand"] for i in range(importer.MAX_ROWS + 1)
    ]
    data = xlsx_bytes(rows, header=["email", "prénom", "nom"])
    assert "2000" in only_problem(parse(data, "promo.xlsx"))
