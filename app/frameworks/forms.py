"""Forms of the framework editor: one per kind of item, each carrying the draft's revision."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from app.frameworks import editing_services as editing
from app.frameworks.models import Bloc, FrameworkVersion
from app.people.forms import CheckboxesField

# Lazy strings (_l) count as safe HTML in templates: messages that quote what was typed use _().

# The patterns of referentiel/schema.json.
CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
NSF_RE = re.compile(r"[0-9]{3}[a-z]?")
ROME_RE = re.compile(r"[A-N][0-9]{4}")
FORMACODE_RE = re.compile(r"[0-9]{5}")

REQUIRED = _l("Ce champ est obligatoire.")
TEXT_MAX = 300
LONGTEXT_MAX = 4000
NOTES_MAX = 10_000
PROSE_MAX = 10_000

# A partner's habilitation as typed in the editor (the third part of a line), and its key.
HABILITATION_WORDS = {
    "former": "train",
    "évaluer": "assess",
    "former et évaluer": "train_and_assess",
}
HABILITATION_OF_KEY = {key: word for word, key in HABILITATION_WORDS.items()}


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _lines(value: Any) -> Any:
    """A textarea's text: Unix line breaks, one paragraph or item per line, no blank lines."""
    if not isinstance(value, str):
        return value
    return "\n".join(line.strip() for line in value.splitlines() if line.strip())


def _no_spaces(value: Any) -> Any:
    return re.sub(r"\s+", "", value) if isinstance(value, str) else value


class NumberField(IntegerField):
    """A whole number, with a French message when the input is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = str(valuelist[0]).strip()
        if not raw:
            self.data = None
            return
        try:
            self.data = int(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Saisissez un nombre entier.")) from None

    def pre_validate(self, form: Any) -> None:
        if self.process_errors:
            raise StopValidation()


class CodeListField(StringField):
    """Codes typed on one line, separated by commas; its data is the list of codes."""

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return ", ".join(self.data or [])

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = [code for code in re.split(r"[\s,;]+", str(valuelist[0])) if code]


def code_field(label: Any = None, description: Any = None) -> StringField:
    return StringField(
        label or _l("Code"),
        validators=[DataRequired(REQUIRED)],
        filters=[_strip],
        description=description
        or _l("Lettres, chiffres, point, tiret ou soulignement ; unique dans la version."),
    )


def text_field(label: Any, maximum: int = TEXT_MAX) -> StringField:
    return StringField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(max=maximum, message=_l("%(max)d caractères au plus.", max=maximum)),
        ],
        filters=[_strip],
    )


def prose_field(label: Any, description: Any = None) -> TextAreaField:
    """An optional text of the fiche, one paragraph or item per line."""
    return TextAreaField(
        label,
        validators=[
            Length(max=PROSE_MAX, message=_l("%(max)d caractères au plus.", max=PROSE_MAX))
        ],
        filters=[_lines],
        description=description or _l("Un paragraphe ou un élément par ligne."),
        render_kw={"rows": 6, "class": "long-text"},
    )


def long_text_field(
    label: Any, required: bool = True, description: Any = None, maximum: int = LONGTEXT_MAX
) -> TextAreaField:
    validators: list[Any] = [
        Length(max=maximum, message=_l("%(max)d caractères au plus.", max=maximum))
    ]
    if required:
        validators.insert(0, DataRequired(REQUIRED))
    # Statements run to 200–400 characters: the box shows them whole (styled .long-text).
    return TextAreaField(
        label,
        validators=validators,
        filters=[_strip],
        description=description,
        render_kw={"rows": 6, "class": "long-text"},
    )


def check_code(code: str) -> None:
    if not CODE_RE.fullmatch(code):
        raise ValidationError(
            _l(
                "Code invalide : 40 caractères au plus, lettres sans accent, chiffres, « . », "
                "« - » ou « _ », commençant par une lettre ou un chiffre."
            )
        )


def check_codes(codes: list[str], pattern: re.Pattern[str], maximum: int, what: Any) -> None:
    bad = [code for code in codes if not pattern.fullmatch(code)]
    if bad:
        raise ValidationError(
            _("Code invalide : %(codes)s. %(what)s", codes=", ".join(bad), what=what)
        )
    if len(set(codes)) != len(codes):
        raise ValidationError(_l("Un même code est répété."))
    if len(codes) > maximum:
        raise ValidationError(_l("%(max)d codes au plus.", max=maximum))


# --- new drafts ----------------------------------------------------------------------------------


class DraftTargetForm(FlaskForm):
    """Which certification a new draft belongs to, and its label (new or free)."""

    code = code_field(
        _l("Code de la certification"),
        _l("Un code existant ajoute une version à cette certification ; un nouveau la crée."),
    )
    label = code_field(_l("Libellé de la version"), _l("Par exemple v1, 2026-01."))

    def validate_code(self, field: Field) -> None:
        check_code(field.data)

    def validate_label(self, field: Field) -> None:
        check_code(field.data)
        from app.frameworks import services

        try:
            certification = services.get_certification(self.code.data or "")
        except services.FrameworkError:
            return
        if editing.label_taken(certification.id, field.data):
            raise ValidationError(_l("Cette certification a déjà une version de ce libellé."))


class NewDraftForm(DraftTargetForm):
    title = text_field(_l("Intitulé de la certification"))
    level = NumberField(_l("Niveau (1 à 8)"), validators=[InputRequired(REQUIRED)])
    certifier_name = text_field(_l("Nom du certificateur"))

    def validate_level(self, field: Field) -> None:
        if not 1 <= field.data <= 8:
            raise ValidationError(_l("Le niveau va de 1 à 8."))

    def values(self) -> dict[str, Any]:
        return {
            name: self[name].data for name in ("code", "label", "title", "level", "certifier_name")
        }


class CopyForm(FlaskForm):
    label = code_field(_l("Libellé de la nouvelle version"), _l("Par exemple v2."))

    def __init__(self, *args: Any, source: FrameworkVersion, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.source = source

    def validate_label(self, field: Field) -> None:
        check_code(field.data)
        if editing.label_taken(self.source.certification_id, field.data):
            raise ValidationError(_l("Cette certification a déjà une version de ce libellé."))


# --- editing a draft -----------------------------------------------------------------------------


class DraftForm(FlaskForm):
    """A change to a draft, made from the page loaded at `revision`."""

    revision = NumberField(_l("Révision"), widget=HiddenInput(), validators=[InputRequired()])

    @property
    def loaded_revision(self) -> int:
        return self.revision.data or 0


class ButtonForm(DraftForm):
    """Delete or publish: nothing but the revision."""


class MoveForm(DraftForm):
    direction = SelectField(
        choices=[SelectChoice("up", _l("Monter")), SelectChoice("down", _l("Descendre"))]
    )

    @property
    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class RetireForm(FlaskForm):
    pass


class ItemForm(DraftForm):
    """An item of a draft; `attributes` are the model attributes it sets."""

    kind: str
    attributes: tuple[str, ...]
    code = code_field()

    def __init__(self, *args: Any, version: FrameworkVersion, item: Any = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.version = version
        self.item = item

    def validate_code(self, field: Field) -> None:
        check_code(field.data)
        owner = editing.code_owner(
            self.version, editing.KINDS[self.kind].model, field.data, exclude=self.item
        )
        if owner is not None:
            raise ValidationError(
                _("Ce code est déjà utilisé par : %(item)s.", item=editing.item_name(owner))
            )

    def values(self) -> dict[str, Any]:
        return {name: self[name].data for name in ("code", *self.attributes)}


class ScaleLevelForm(ItemForm):
    kind = "niveau"
    attributes = ("label", "counts_as_acquired")
    label = text_field(_l("Libellé"))
    counts_as_acquired = BooleanField(_l("Ce niveau compte comme acquis"))


class DomainForm(ItemForm):
    kind = "domaine"
    attributes = ("title",)
    title = text_field(_l("Intitulé"))


class ActivityForm(ItemForm):
    kind = "activite"
    attributes = ("title", "description", "domain_id")
    title = text_field(_l("Intitulé"))
    description = long_text_field(_l("Description"), required=False)
    domain_id = SelectField(_l("Domaine d'activité"), coerce=int)

    def __init__(self, *args: Any, version: FrameworkVersion, **kwargs: Any):
        super().__init__(*args, version=version, **kwargs)
        self.domain_id.choices = [
            SelectChoice(d.id, f"{d.code} — {d.title}") for d in version.domains
        ]


class BlocForm(ItemForm):
    kind = "bloc"
    attributes = ("title", "description", "optional", "validation_rule")
    title = text_field(_l("Intitulé"))
    description = long_text_field(_l("Description"), required=False)
    optional = BooleanField(_l("Bloc facultatif"))
    validation_rule = long_text_field(
        _l("Règle de validation du bloc"),
        required=False,
        description=_l("Par exemple : tous les critères acquis, décision du jury."),
    )
    validity = SelectField(
        _l("Durée de validité d'un bloc validé"),
        default="",
        choices=[
            SelectChoice("", _l("Non renseignée")),
            SelectChoice("unlimited", _l("Sans limite de durée")),
            SelectChoice("years", _l("Un nombre d'années (ci-dessous)")),
        ],
    )
    validity_years = NumberField(_l("Nombre d'années de validité"))

    def __init__(self, *args: Any, item: Bloc | None = None, **kwargs: Any):
        if item is not None:
            kwargs.setdefault(
                "validity",
                "unlimited"
                if item.validity_unlimited
                else ("years" if item.validity_years is not None else ""),
            )
        super().__init__(*args, item=item, **kwargs)

    def validate_validity_years(self, field: Field) -> None:
        if self.validity.data != "years":
            return
        if field.data is None:
            raise ValidationError(_l("Indiquez le nombre d'années."))
        if not 1 <= field.data <= 99:
            raise ValidationError(_l("De 1 à 99 ans."))

    def values(self) -> dict[str, Any]:
        values = super().values()
        values["validity_unlimited"] = self.validity.data == "unlimited"
        values["validity_years"] = (
            self.validity_years.data if self.validity.data == "years" else None
        )
        return values


class ModalityForm(ItemForm):
    kind = "modalite"
    attributes = ("title", "description")
    title = text_field(_l("Intitulé"))
    description = long_text_field(_l("Description"), required=False)


class CompetencyForm(ItemForm):
    kind = "competence"
    attributes = ("statement", "activity_ids")
    statement = long_text_field(
        _l("Énoncé"),
        description=_l("Verbe d'action à l'infinitif + objet + finalité (« pour », « afin de »)."),
    )
    activity_ids = CheckboxesField(_l("Activités liées"), coerce=int)

    def __init__(self, *args: Any, version: FrameworkVersion, **kwargs: Any):
        super().__init__(*args, version=version, **kwargs)
        self.activity_ids.choices = [
            SelectChoice(a.id, f"{a.code} — {a.title}")
            for d in version.domains
            for a in d.activities
        ]


class CriterionForm(ItemForm):
    kind = "critere"
    attributes = ("statement", "modality_ids")
    statement = long_text_field(_l("Énoncé"))
    modality_ids = CheckboxesField(
        _l("Modalités d'évaluation qui l'évaluent"),
        coerce=int,
        description=_l("Celles de son bloc ; au moins une pour publier la version."),
        validate_choice=False,  # validate_modality_ids names what is refused
    )

    def __init__(self, *args: Any, version: FrameworkVersion, bloc: Bloc, **kwargs: Any):
        super().__init__(*args, version=version, **kwargs)
        self.bloc = bloc
        self.modality_ids.choices = [
            SelectChoice(m.id, f"{m.code} — {m.title}") for m in bloc.modalities
        ]

    def validate_modality_ids(self, field: Field) -> None:
        """Only the modalities of the criterion's own bloc; another bloc's is named."""
        own = {m.id for m in self.bloc.modalities}
        others = {m.id: (m.code, b.code) for b in self.version.blocs for m in b.modalities}
        for wanted in field.data or []:
            if wanted in own:
                continue
            if wanted in others:
                code, bloc_code = others[wanted]
                raise ValidationError(
                    _(
                        "%(modality)s est une modalité du bloc %(other)s : un critère du bloc "
                        "%(bloc)s n'est évalué que par les modalités de son bloc.",
                        modality=code,
                        other=bloc_code,
                        bloc=self.bloc.code,
                    )
                )
            raise ValidationError(_("Modalité d'évaluation inconnue dans ce bloc."))


ITEM_FORMS: dict[str, type[ItemForm]] = {
    form.kind: form
    for form in (
        ScaleLevelForm,
        DomainForm,
        ActivityForm,
        BlocForm,
        ModalityForm,
        CompetencyForm,
        CriterionForm,
    )
}
