"""Read a list of learners from a spreadsheet (CSV or XLSX), as Excel and LibreOffice write them.

`parse()` is a pure function: bytes and a file name in, valid rows and problems out. It never
touches the database; checks that need it (learners already enrolled) belong to the services.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from app.cohorts.import_files import (
    FIELDS,
    REQUIRED,
    FileRefused,
    field_of,
    file_lines,
)
from app.cohorts.models import Sex
from app.validators import (
    commune_code_problem,
    country_code_problem,
    is_valid_email,
    is_valid_person_name,
    normalize_insee_code,
    normalize_person_name,
)
from exports import guard
from exports.guard import Limits

# Learners in one file; the file's own bounds (size, lines, columns, cells) are the guard's.
MAX_ROWS = 2000
NAME_MAX = 100
# One first name: the accrochage schema's prenom1–3 hold 60 characters each.
FIRST_NAME_MAX = 60


@dataclass(frozen=True)
class LearnerData:
    """One learner to enrol, as typed in a form or read from a row: already checked."""

    email: str
    first_names: list[str]  # in the civil register's order
    birth_name: str
    usage_name: str | None = None
    birth_date: dt.date | None = None
    sex: Sex | None = None
    birth_commune_code: str | None = None
    birth_country_code: str | None = None

    @property
    def full_name(self) -> str:
        return " ".join([*self.first_names, self.usage_name or self.birth_name])


@dataclass(frozen=True)
class LearnerRow:
    line: int
    learner: LearnerData


@dataclass(frozen=True)
class Problem:
    """What is wrong, where: `line` and `column` are None for the file as a whole."""

    line: int | None
    column: str | None
    message: str


@dataclass
class ParseResult:
    rows: list[LearnerRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- checking the values -----------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: numbers without ".0", dates as ISO, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y")


def parse_date(value: Any) -> dt.date:
    """A birth date from a cell: JJ/MM/AAAA, ISO, or a real spreadsheet date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date cell that lost its format shows its serial number (days since 1899-12-30).
        if 1 <= value < 100_000:
            return dt.date(1899, 12, 30) + dt.timedelta(days=int(value))
        raise ValueError(value)
    text = str(value).strip()
    # LibreOffice writes "1990-03-05 00:00:00" for a date cell of a converted sheet.
    text = re.sub(r"[ T]00:00(:00)?$", "", text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)


def birth_date_problem(value: dt.date, today: dt.date) -> str | None:
    if value > today:
        return _("La date de naissance est dans le futur.")
    if value.year < 1900:
        return _("La date de naissance est antérieure à 1900.")
    return None


def commune_code(value: Any) -> str:
    """A commune code as stored; a 4-digit number had its leading zero eaten by the sheet."""
    text = normalize_insee_code(_text(value))
    if re.fullmatch(r"[0-9]{4}", text):
        text = "0" + text
    return text


def _name_problem(value: str, maximum: int) -> str | None:
    if len(value) > maximum:
        return _("%(n)s caractères au plus.", n=maximum)
    if not is_valid_person_name(value):
        return _("Seuls les lettres, espaces, apostrophes, traits d'union et points sont acceptés.")
    return None


def _check_row(
    values: dict[str, Any], headers: dict[str, str], line: int, today: dt.date
) -> tuple[LearnerData | None, list[Problem]]:
    """Check one row; `values` and `headers` are keyed by field name."""
    problems: list[Problem] = []

    def bad(name: str, message: str) -> None:
        problems.append(Problem(line, headers[name], message))

    email = _text(values.get("email")).lower()
    if not email:
        bad("email", _("L'adresse e-mail est obligatoire."))
    elif not is_valid_email(email):
        bad("email", _("Adresse e-mail invalide : « %(value)s ».", value=email))

    # Several first names in one cell are separated by commas, as on a civil register act:
    # "Marie, Anne" is two first names, "Marie Anne" one.
    first_names = [
        normalize_person_name(part) for part in _text(values.get("first_names")).split(",")
    ]
    first_names = [name for name in first_names if name]
    if not first_names:
        bad("first_names", _("Valeur obligatoire."))
    for first_name in first_names:
        message = _name_problem(first_name, FIRST_NAME_MAX)
        if message:
            bad("first_names", f"« {first_name} » : {message}")

    names: dict[str, str] = {}
    for name, maximum, required in (
        ("birth_name", NAME_MAX, True),
        ("usage_name", NAME_MAX, False),
    ):
        text = normalize_person_name(_text(values.get(name)))
        names[name] = text
        if not text:
            if required:
                bad(name, _("Valeur obligatoire."))
            continue
        message = _name_problem(text, maximum)
        if message:
            bad(name, message)

    birth_date = None
    raw_date = values.get("birth_date")
    if _text(raw_date):
        try:
            birth_date = parse_date(raw_date)
        except (ValueError, OverflowError):
            bad(
                "birth_date",
                _("Date invalide : « %(value)s » (attendu : JJ/MM/AAAA).", value=_text(raw_date)),
            )
        else:
            message = birth_date_problem(birth_date, today)
            if message:
                bad("birth_date", message)

    sex = None
    raw_sex = _text(values.get("sex")).upper()
    if raw_sex:
        try:
            sex = Sex(raw_sex)
        except ValueError:
            bad("sex", _("Sexe : F ou M attendu, pas « %(value)s ».", value=_text(values["sex"])))

    commune = commune_code(values.get("birth_commune_code")) or None
    problem = commune_code_problem(commune) if commune else None
    if problem:
        bad("birth_commune_code", f"« {commune} » : {problem}")
    country = normalize_insee_code(_text(values.get("birth_country_code"))) or None
    problem = country_code_problem(country) if country else None
    if problem:
        bad("birth_country_code", f"« {country} » : {problem}")
    if commune and country:
        bad(
            "birth_country_code",
            _(
                "Indiquez soit le code commune (naissance en France), soit le code pays "
                "(naissance à l'étranger), pas les deux."
            ),
        )

    if problems:
        return None, problems
    return (
        LearnerData(
            email=email,
            first_names=first_names,
            birth_name=names["birth_name"],
            usage_name=names["usage_name"] or None,
            birth_date=birth_date,
            sex=sex,
            birth_commune_code=commune,
            birth_country_code=country,
        ),
        [],
    )


def _blank(cells: Iterable[Any]) -> bool:
    return all(_text(c) == "" for c in cells)


def parse(
    data: bytes, filename: str, *, today: dt.date | None = None, limits: Limits | None = None
) -> ParseResult:
    """Read learners from a CSV or XLSX file: the valid rows, and every problem found.

    The file is read within `limits` (the guard's defaults unless given): a file over them is
    refused as a whole, with what and where.
    """
    today = today or dt.date.today()
    limits = limits or Limits()
    result = ParseResult()
    if not data:
        result.problems.append(Problem(None, None, _("Le fichier est vide.")))
        return result
    if len(data) > limits.max_bytes:
        result.problems.append(
            Problem(
                None,
                None,
                _("Le fichier dépasse %(size)s.", size=guard.size_text(limits.max_bytes)),
            )
        )
        return result
    try:
        _read(file_lines(data, filename, limits), result, today)
    except FileRefused as refused:
        result.rows.clear()
        result.problems[:] = [Problem(None, None, str(refused))]
    except guard.Refused as refused:
        result.rows.clear()
        result.problems[:] = [Problem(None, None, _("Fichier refusé : %(detail)s", detail=refused))]
    return result


def _read(lines: Iterator[tuple[int, list[Any]]], result: ParseResult, today: dt.date) -> None:
    headers: dict[str, str] = {}  # field name → header as written
    positions: dict[str, int] = {}  # field name → column index
    header_count = 0
    seen: dict[str, int] = {}  # email → first line
    count = 0
    for line, cells in lines:
        if _blank(cells):
            continue
        if not headers and not header_count:
            header_count = len(cells)
            _read_headers(line, cells, headers, positions, result)
            if result.problems:
                return
            continue
        count += 1
        if count > MAX_ROWS:
            raise FileRefused(
                _(
                    "Le fichier contient plus de %(max)s apprenant·es : découpez-le en "
                    "plusieurs fichiers.",
                    max=MAX_ROWS,
                )
            )
        if len(cells) > header_count and not _blank(cells[header_count:]):
            result.problems.append(
                Problem(
                    line,
                    None,
                    _(
                        "Plus de valeurs que de colonnes : une valeur contient-elle le "
                        "séparateur sans guillemets ?"
                    ),
                )
            )
            continue
        values = {
            name: cells[index] if index < len(cells) else None for name, index in positions.items()
        }
        learner, problems = _check_row(values, headers, line, today)
        result.problems.extend(problems)
        if learner is None:
            continue
        if learner.email in seen:
            result.problems.append(
                Problem(
                    line,
                    headers["email"],
                    _(
                        "L'adresse %(email)s figure déjà ligne %(line)s.",
                        email=learner.email,
                        line=seen[learner.email],
                    ),
                )
            )
            continue
        seen[learner.email] = line
        result.rows.append(LearnerRow(line, learner))
    if not header_count:
        raise FileRefused(_("Le fichier est vide."))
    if count == 0:
        result.problems.append(Problem(None, None, _("Le fichier ne contient aucun apprenant.")))


def _read_headers(
    line: int,
    cells: list[Any],
    headers: dict[str, str],
    positions: dict[str, int],
    result: ParseResult,
) -> None:
    for index, cell in enumerate(cells):
        header = _text(cell)
        name = field_of(header) if header else None
        if name is None:
            if header:
                result.ignored_columns.append(header)
            continue
        if name in positions:
            result.problems.append(
                Problem(
                    line,
                    header,
                    _(
                        "La colonne « %(label)s » apparaît deux fois.",
                        label=FIELDS[name][0],
                    ),
                )
            )
            continue
        headers[name] = header
        positions[name] = index
    for name in REQUIRED:
        if name not in positions:
            result.problems.append(
                Problem(
                    None,
                    FIELDS[name][0],
                    _("Colonne obligatoire absente : « %(label)s ».", label=FIELDS[name][0]),
                )
            )
