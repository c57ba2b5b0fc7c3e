"""Forms: evaluation sessions, the grid, spreadsheet uploads, cell confirmations."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import InputRequired, Length, NumberRange, ValidationError

from app.assessment.grid import Grid
from app.assessment.inputs import CellInput, CommentInput
from app.errors import MAX_ID
from app.frameworks.models import FrameworkVersion
from app.people.forms import CheckboxesField
from app.people.models import User
from exports.guard import Limits, size_text


class SessionForm(FlaskForm):
    session_date = DateField(
        _l("Date"), validators=[InputRequired(message=_l("Indiquez la date."))]
    )
    title = StringField(
        _l("Intitulé"),
        validators=[
            InputRequired(message=_l("Donnez un intitulé.")),
            Length(max=200, message=_l("200 caractères au plus.")),
        ],
    )
    bloc_id = SelectField(_l("Bloc de compétences"), coerce=int)
    modality_id = SelectField(_l("Modalité d'évaluation (du bloc choisi)"), coerce=int)
    assessors = CheckboxesField(_l("Évaluateur·rices"), coerce=int)
    submit = SubmitField(_l("Créer la session"))

    def __init__(self, version: FrameworkVersion, trainers: Iterable[User], **kwargs: object):
        super().__init__(**kwargs)
        self._version = version
        self.bloc_id.choices = [(b.id, f"{b.code} — {b.title}") for b in version.blocs]
        self.modality_id.choices = {
            bloc.code: [(m.id, f"{m.code} — {m.title}") for m in bloc.modalities]
            for bloc in version.blocs
        }
        self.assessors.choices = [(t.id, t.full_name) for t in trainers]

    def validate_modality_id(self, field: SelectField) -> None:
        bloc = next((b for b in self._version.blocs if b.id == self.bloc_id.data), None)
        if bloc is not None and field.data not in {m.id for m in bloc.modalities}:
            raise ValidationError(_("Choisissez une modalité du bloc %(code)s.", code=bloc.code))

    def validate_assessors(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(_("Choisissez au moins un·e évaluateur·rice."))


class GridForm(FlaskForm):
    """The grid's CSRF token and where its values come from; the cells are read by
    `read_grid()`: thousands of generated inputs would cost a field object each."""

    origin = HiddenField(default="web")

    def validate_origin(self, field: HiddenField) -> None:
        if field.data not in ("web", "xlsx"):
            raise ValidationError(_("Origine inconnue."))


class ImportForm(FlaskForm):
    file = FileField(
        _l("Grille remplie (fichier XLSX exporté d'ici)"),
        validators=[FileRequired(message=_l("Choisissez un fichier."))],
    )
    submit = SubmitField(_l("Importer"))

    def validate_file(self, field: FileField) -> None:
        limit = Limits.from_config(current_app.config).max_bytes
        data = field.data.read(limit + 1)
        field.data.seek(0)
        if len(data) > limit:
            raise ValidationError(_("Le fichier dépasse %(size)s.", size=size_text(limit)))
        if not data.startswith(b"PK\x03\x04"):
            raise ValidationError(_("Ce fichier n'est pas un classeur XLSX."))


class ConfirmCellForm(FlaskForm):
    head = IntegerField(validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


_CELL = re.compile(r"^(c|h|r|m|mh|rm)-(\d{1,12})-(\d{1,12})$")


def read_grid(
    formdata: MultiDict[str, str], grid: Grid
) -> tuple[list[CellInput], list[CommentInput], list[str]]:
    """The cells and comments of a submitted grid, and what could not be read.

    Inputs: ``c-E-C`` a cell's level id ("" when empty), ``h-E-C`` the head result id it was
    loaded with (0 if none), ``r-E-C`` the choice on a conflict ("theirs" keeps the other
    person's value); ``m-E-K``, ``mh-E-K`` and ``rm-E-K`` the same for comments.
    """
    values: dict[str, dict[tuple[int, int], str]] = {
        k: {} for k in ("c", "h", "r", "m", "mh", "rm")
    }
    problems: list[str] = []
    for name, value in formdata.items():
        match = _CELL.match(name)
        if match is None:
            continue
        first, second = int(match[2]), int(match[3])
        if first > MAX_ID or second > MAX_ID:
            problems.append(_("Une cellule envoyée est illisible."))
            continue
        values[match[1]][(first, second)] = value
    cells = []
    for key, raw in values["c"].items():
        head = _int(values["h"].get(key))
        level = None if raw == "" else _int(raw)
        if head is None or (raw != "" and level is None):
            problems.append(_("Une cellule envoyée est illisible."))
            continue
        if values["r"].get(key) == "theirs":
            continue  # keep the other person's value: nothing to record
        cells.append(CellInput(key[0], key[1], level, head))
    comments = []
    for key, text in values["m"].items():
        loaded = _int(values["mh"].get(key))
        if loaded is None:
            problems.append(_("Un commentaire envoyé est illisible."))
            continue
        if values["rm"].get(key) == "theirs":
            continue
        comments.append(CommentInput(key[0], key[1], text, loaded))
    return cells, comments, problems


def _int(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or int(raw) > MAX_ID:
        return None
    return int(raw)
