"""Forms of a draft's metadata (the fiche's fields) and of the certification's RNCP number."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError

from app.frameworks import codes
from app.frameworks import editing_services as editing
from app.frameworks.forms import (
    FORMACODE_RE,
    HABILITATION_OF_KEY,
    HABILITATION_WORDS,
    NOTES_MAX,
    NSF_RE,
    REQUIRED,
    ROME_RE,
    TEXT_MAX,
    CodeListField,
    DraftForm,
    NumberField,
    _no_spaces,
    _strip,
    check_code,
    check_codes,
    code_field,
    long_text_field,
    prose_field,
    text_field,
)
from app.frameworks.models import CompetencyRule, FrameworkVersion
from app.validators import is_valid_siret


class MetadataForm(DraftForm):
    label = code_field(
        _l("Libellé de la version"),
        _l("Lettres, chiffres, point, tiret ou soulignement ; unique pour la certification."),
    )
    title = text_field(_l("Intitulé de la certification"))
    level = NumberField(
        _l("Niveau"),
        validators=[InputRequired(REQUIRED)],
        description=_l("Cadre national des certifications, de 1 à 8."),
    )
    nsf_codes = CodeListField(
        _l("Codes NSF"), description=_l("Trois au plus, séparés par des virgules, ex. 341, 332t.")
    )
    rome_codes = CodeListField(
        _l("Codes ROME"), description=_l("Cinq au plus, séparés par des virgules, ex. K1802.")
    )
    formacodes = CodeListField(
        _l("Formacodes"), description=_l("Cinq au plus, séparés par des virgules, ex. 42806.")
    )
    certifier_name = text_field(_l("Nom du certificateur"))
    certifier_siret = StringField(
        _l("SIRET du certificateur"),
        filters=[_no_spaces],
        description=_l("14 chiffres ; facultatif."),
    )
    notes = long_text_field(_l("Notes de version"), required=False, maximum=NOTES_MAX)
    competency_rule = SelectField(
        _l("Règle d'acquisition d'une compétence"),
        choices=[
            SelectChoice(CompetencyRule.ALL.value, _l("Tous ses critères acquis")),
            SelectChoice(CompetencyRule.MINIMUM.value, _l("Un nombre minimum de critères acquis")),
        ],
    )
    minimum_criteria = NumberField(
        _l("Nombre minimum de critères acquis"),
        description=_l("Seulement avec la règle « nombre minimum »."),
    )
    code_labels_text = TextAreaField(
        _l("Libellés des Formacodes"),
        filters=[_strip],
        description=_l(
            "Un par ligne, « code : libellé », tel que le Formacode le nomme ; les libellés NSF "
            "et ROME viennent des nomenclatures livrées."
        ),
        render_kw={"rows": 3},
    )
    objectives_context = prose_field(_l("Objectifs et contexte de la certification"))
    sectors = prose_field(_l("Secteurs d'activité"), _l("Un secteur par ligne."))
    job_types = prose_field(_l("Types d'emplois accessibles"), _l("Un emploi par ligne."))
    entry_prerequisites = prose_field(_l("Prérequis à l'entrée en formation"))
    validation_prerequisites = prose_field(_l("Prérequis à la validation de la certification"))
    regulation_state = SelectField(
        _l("Réglementation de l'activité"),
        default="",
        choices=[
            SelectChoice("", _l("Non renseigné")),
            SelectChoice("no", _l("Aucune réglementation ne s'applique")),
            SelectChoice("yes", _l("Activité réglementée (décrite ci-dessous)")),
        ],
    )
    regulations = prose_field(_l("Réglementations de l'activité"))
    partners_text = TextAreaField(
        _l("Organismes partenaires habilités"),
        filters=[_strip],
        description=_l(
            "Un par ligne : « nom ; SIRET ; habilitation », l'habilitation étant « former », "
            "« évaluer » ou « former et évaluer »."
        ),
        render_kw={"rows": 4},
    )

    def __init__(self, *args: Any, version: FrameworkVersion, **kwargs: Any):
        # The obj's own attributes would win over these defaults: the fields have other names.
        kwargs.setdefault("code_labels_text", _labels_text(version.code_labels or {}))
        kwargs.setdefault("partners_text", _partners_text(version.partners or []))
        kwargs.setdefault(
            "regulation_state", {None: "", False: "no", True: "yes"}[version.regulated]
        )
        super().__init__(*args, **kwargs)
        self.version = version
        self.parsed_labels: dict[str, str] = {}
        self.parsed_partners: list[dict[str, str]] = []

    def validate_code_labels_text(self, field: Field) -> None:
        own = {*(self.formacodes.data or []), *(self.nsf_codes.data or [])}
        own |= set(self.rome_codes.data or [])
        labels: dict[str, str] = {}
        for n, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            code, sep, label = line.partition(":")
            code, label = code.strip(), label.strip()
            if not sep or not label:
                raise ValidationError(_("Ligne %(n)d : écrivez « code : libellé ».", n=n))
            if code not in own:
                raise ValidationError(
                    _(
                        "Ligne %(n)d : %(code)s n'est pas un code de la certification.",
                        n=n,
                        code=code,
                    )
                )
            kind = "rome" if codes.ROME_RE.fullmatch(code) else "nsf"
            if codes.official_label(kind, code):
                raise ValidationError(
                    _("Ligne %(n)d : %(code)s a déjà son libellé officiel.", n=n, code=code)
                )
            if len(label) > TEXT_MAX:
                raise ValidationError(
                    _("Ligne %(n)d : %(max)d caractères au plus.", n=n, max=TEXT_MAX)
                )
            labels[code] = label
        self.parsed_labels = labels

    def validate_partners_text(self, field: Field) -> None:
        partners: list[dict[str, str]] = []
        seen: set[str] = set()
        for n, line in enumerate((field.data or "").splitlines(), start=1):
            if not line.strip():
                continue
            parts = [part.strip() for part in line.split(";")]
            if len(parts) not in (2, 3) or not parts[0]:
                raise ValidationError(
                    _("Ligne %(n)d : écrivez « nom ; SIRET ; habilitation ».", n=n)
                )
            name, siret = parts[0], re.sub(r"\s+", "", parts[1])
            if len(name) > TEXT_MAX:
                raise ValidationError(
                    _("Ligne %(n)d : %(max)d caractères au plus.", n=n, max=TEXT_MAX)
                )
            if not is_valid_siret(siret):
                raise ValidationError(
                    _("Ligne %(n)d : le SIRET %(siret)s n'existe pas.", n=n, siret=siret)
                )
            if siret in seen:
                raise ValidationError(
                    _("Ligne %(n)d : le SIRET %(siret)s est déjà cité.", n=n, siret=siret)
                )
            seen.add(siret)
            partner = {"name": name, "siret": siret}
            if len(parts) == 3 and parts[2]:
                key = HABILITATION_WORDS.get(parts[2].lower())
                if key is None:
                    raise ValidationError(
                        _(
                            "Ligne %(n)d : habilitation « former », « évaluer » ou "
                            "« former et évaluer ».",
                            n=n,
                        )
                    )
                partner["habilitation"] = key
            partners.append(partner)
        self.parsed_partners = partners

    def validate_regulations(self, field: Field) -> None:
        if self.regulation_state.data == "yes" and not field.data:
            raise ValidationError(_l("Décrivez la réglementation, ou choisissez « aucune »."))
        if self.regulation_state.data != "yes" and field.data:
            raise ValidationError(
                _l(
                    "Ce texte ne vaut que pour une activité réglementée : videz-le ou changez "
                    "le choix."
                )
            )

    def validate_label(self, field: Field) -> None:
        check_code(field.data)
        if editing.label_taken(self.version.certification_id, field.data, exclude=self.version):
            raise ValidationError(_l("Cette certification a déjà une version de ce libellé."))

    def validate_level(self, field: Field) -> None:
        if not 1 <= field.data <= 8:
            raise ValidationError(_l("Le niveau va de 1 à 8."))

    def validate_nsf_codes(self, field: Field) -> None:
        check_codes(
            field.data,
            NSF_RE,
            3,
            _l("Un code NSF compte 3 chiffres, parfois suivis d'une lettre minuscule."),
        )

    def validate_rome_codes(self, field: Field) -> None:
        check_codes(
            field.data, ROME_RE, 5, _l("Un code ROME est une lettre de A à N suivie de 4 chiffres.")
        )

    def validate_formacodes(self, field: Field) -> None:
        check_codes(field.data, FORMACODE_RE, 5, _l("Un Formacode compte 5 chiffres."))

    def validate_certifier_siret(self, field: Field) -> None:
        if not field.data:
            return
        if not re.fullmatch(r"[0-9]{14}", field.data):
            raise ValidationError(_l("Un SIRET compte exactement 14 chiffres."))
        if not is_valid_siret(field.data):
            raise ValidationError(_l("Ce SIRET n'existe pas : sa clé de contrôle est fausse."))

    def validate_minimum_criteria(self, field: Field) -> None:
        if self.competency_rule.data != CompetencyRule.MINIMUM.value:
            return
        if field.data is None:
            raise ValidationError(_l("Indiquez le nombre minimum de critères."))
        if field.data < 1:
            raise ValidationError(_l("Au moins 1."))

    def values(self) -> dict[str, Any]:
        rule = CompetencyRule(self.competency_rule.data)
        return {
            "label": self.label.data,
            "title": self.title.data,
            "level": self.level.data,
            "nsf_codes": self.nsf_codes.data,
            "rome_codes": self.rome_codes.data,
            "formacodes": self.formacodes.data,
            "certifier_name": self.certifier_name.data,
            "certifier_siret": self.certifier_siret.data or None,
            "notes": self.notes.data or "",
            "competency_rule": rule,
            "minimum_criteria": self.minimum_criteria.data
            if rule is CompetencyRule.MINIMUM
            else None,
            "objectives_context": self.objectives_context.data or "",
            "sectors": self.sectors.data or "",
            "job_types": self.job_types.data or "",
            "entry_prerequisites": self.entry_prerequisites.data or "",
            "validation_prerequisites": self.validation_prerequisites.data or "",
            "regulated": {"": None, "no": False, "yes": True}[self.regulation_state.data or ""],
            "regulations": self.regulations.data or "",
            "partners": self.parsed_partners,
            "code_labels": self.parsed_labels,
        }


def _labels_text(labels: dict[str, str]) -> str:
    return "\n".join(f"{code} : {label}" for code, label in labels.items())


def _partners_text(partners: list[dict[str, str]]) -> str:
    lines = []
    for partner in partners:
        parts = [partner["name"], partner.get("siret", "")]
        if partner.get("habilitation"):
            parts.append(HABILITATION_OF_KEY[partner["habilitation"]])
        lines.append(" ; ".join(parts))
    return "\n".join(lines)


class RncpNumberForm(FlaskForm):
    """The number France Compétences gave the certification (empty: not registered yet)."""

    number = StringField(
        _l("Numéro d'enregistrement au RNCP"),
        filters=[_strip],
        description=_l(
            "RNCP suivi de chiffres, par exemple RNCP40123 ; laissez vide tant que la "
            "certification n'est pas enregistrée. Une fois saisi, tous les codes affichés et "
            "exportés en découlent (RNCP40123, blocs RNCP40123BC01…)."
        ),
    )

    def validate_number(self, field: Field) -> None:
        if field.data and not codes.is_rncp_number(codes.normalise_rncp_number(field.data)):
            raise ValidationError(_l("Un numéro RNCP s'écrit RNCP suivi de 1 à 6 chiffres."))

    @property
    def value(self) -> str | None:
        return codes.normalise_rncp_number(self.number.data) if self.number.data else None
