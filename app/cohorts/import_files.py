"""Reading an uploaded learners file into lines of cells: its columns recognised by their headers,
CSV (encoding and delimiter sniffed) or XLSX, anything else refused by its first bytes."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Iterator
from typing import Any

from flask_babel import gettext as _

from exports import guard, guard_tables
from exports.guard import Limits

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"7z\xbc\xaf")
# Each field, its name in messages, and the headers that mean it once normalised
# (no accents, lower case, "(s)" and other parentheses dropped, punctuation as spaces).
FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "email": (
        "email",
        frozenset(
            {
                "email",
                "e mail",
                "mail",
                "courriel",
                "adresse email",
                "adresse e mail",
                "adresse mail",
                "adresse courriel",
                "adresse electronique",
            }
        ),
    ),
    "first_names": ("prénoms", frozenset({"prenom", "prenoms"})),
    "birth_name": (
        "nom de naissance",
        frozenset({"nom de naissance", "nom", "nom de famille", "nom naissance"}),
    ),
    "usage_name": ("nom d'usage", frozenset({"nom d usage", "nom usage", "nom usuel"})),
    "birth_date": (
        "date de naissance",
        frozenset({"date de naissance", "date naissance", "ne le", "nee le"}),
    ),
    "sex": ("sexe", frozenset({"sexe"})),
    "birth_commune_code": (
        "code commune de naissance",
        frozenset(
            {
                "code commune de naissance",
                "code commune naissance",
                "code insee commune de naissance",
                "code insee de la commune de naissance",
            }
        ),
    ),
    "birth_country_code": (
        "code pays de naissance",
        frozenset(
            {
                "code pays de naissance",
                "code pays naissance",
                "code insee pays de naissance",
                "code insee du pays de naissance",
            }
        ),
    ),
}
REQUIRED = ("email", "first_names", "birth_name")


def normalize_header(value: str) -> str:
    """Fold a header for matching: "Prénom(s) " → "prenom", "Nom d’usage" → "nom d usage"."""
    text = unicodedata.normalize("NFKD", value)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\([^)]*\)", " ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return text.strip()


def field_of(header: str) -> str | None:
    folded = normalize_header(header)
    for name, (_label, aliases) in FIELDS.items():
        if folded in aliases:
            return name
    return None


# --- reading the file --------------------------------------------------------------------------


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why."""


# Control characters never found in a spreadsheet's text, but everywhere in binary files.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _decode(data: bytes) -> str:
    """Text of a CSV: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(UTF8_BOM):
        encoding = "utf-8-sig"
    elif data.startswith(UTF16_BOMS):
        encoding = "utf-16"
    else:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"
        else:
            encoding = ""
    if encoding:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise FileRefused(
                _("Encodage du fichier non reconnu : enregistrez-le en « CSV UTF-8 » ou en .xlsx.")
            ) from None
    if _CONTROL.search(text):
        raise FileRefused(_("Ce fichier n'est ni un CSV ni un classeur XLSX."))
    return text


def _sniff_delimiter(header_line: str) -> str:
    """The separator that makes the most known headers out of the first line."""

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(field_of(c) is not None for c in cells), len(cells)

    return max((";", ",", "\t"), key=score)


def _csv_lines(data: bytes, limits: Limits, filename: str) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    lines = text.splitlines()
    first_line = 1
    # Excel may start the file with a "sep=;" line naming the separator.
    if lines and re.fullmatch(r"sep=[;,\t]", lines[0].strip(), flags=re.IGNORECASE):
        delimiter = lines[0].strip()[4]
        source = io.StringIO(text, newline="")
        source.readline()
        text = source.read()
        first_line = 2
    else:
        delimiter = _sniff_delimiter(next((line for line in lines if line.strip()), ""))
    return guard_tables.csv_rows(
        text, limits, delimiter=delimiter, file=filename, first_line=first_line
    )


def _xlsx_lines(data: bytes, limits: Limits, filename: str) -> Iterator[tuple[int, list[Any]]]:
    workbook = guard.open_xlsx(data, limits, file=filename)
    try:
        sheet = workbook.worksheets[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # One column more than allowed is read, so a wider sheet is refused, not cut.
            rows = sheet.iter_rows(values_only=True, max_col=limits.max_columns + 1)
            member = f"feuille « {sheet.title} »"
            yield from guard_tables.bounded_rows(rows, limits, file=filename, member=member)
    except guard.Refused:
        raise
    except Exception:
        raise guard.Refused("classeur XLSX illisible", file=filename) from None
    finally:
        workbook.close()


def file_lines(data: bytes, filename: str, limits: Limits) -> Iterator[tuple[int, list[Any]]]:
    """The (line number, cells) of the file, once its kind is known from its content."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in {"csv", "xlsx"}:
        raise FileRefused(_("Seuls les fichiers CSV et XLSX sont acceptés."))
    if data.startswith(XLS_MAGIC):
        raise FileRefused(
            _(
                "Les classeurs Excel 97-2003 (.xls) ne sont pas acceptés : enregistrez le "
                "fichier au format .xlsx ou CSV."
            )
        )
    is_zip = data.startswith(XLSX_MAGIC)
    if extension == "xlsx":
        if not is_zip:
            raise FileRefused(_("Ce fichier n'est pas un classeur XLSX."))
        return _xlsx_lines(data, limits, filename)
    if is_zip or data.startswith(BINARY_MAGICS):
        raise FileRefused(_("Ce fichier n'est pas un fichier CSV."))
    return _csv_lines(data, limits, filename)
