"""The accrochage flow to the Caisse des Dépôts (Passeport de compétences), schema 1.1.2.

One XML document per export, in the namespace `urn:cdc:cpf:pc5:schema:1.0.0`, that must validate
against `exports/schemas/cdc-accrochage-1.1.2.xsd` (a verbatim copy of the official schema). It
declares every certified person given (`passageCertification`), each with a stable technical id
so that a file sent again updates instead of duplicating.

Nothing is guessed: a person whose identity is incomplete or would not fit the schema is left
out and reported with the reasons, never filled in. The builder takes plain data; deciding who
is certified is the caller's job (only certified enrolments with a certification date).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from exports.guard import xml_parser
from exports.xmltext import is_xml_text, one_line, schema_errors

NAMESPACE = "urn:cdc:cpf:pc5:schema:1.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "cdc-accrochage-1.1.2.xsd"

# AccessRoute values (app.cohorts.models) → modaliteAcces of the schema.
ACCESS_MODES = {
    "formation_initiale": "FORMATION_INITIALE_HORS_APPRENTISSAGE",
    "apprentissage": "FORMATION_INITIALE_APPRENTISSAGE",
    "formation_continue": "FORMATION_CONTINUE_HORS_CONTRAT_DE_PROFESSIONNALISATION",
    "contrat_professionnalisation": "FORMATION_CONTINUE_CONTRAT_DE_PROFESSIONNALISATION",
    "candidature_individuelle": "CANDIDAT_LIBRE",
    "vae": "VAE",
}

# Stable ids: the same certification code and enrolment give the same idTechnique forever.
_PASSAGE_NAMESPACE = uuid.UUID("5b0e8f3a-3c1d-5e7b-9a45-2f6c1d8e4b70")

_COMMUNE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")  # INSEE commune code (Corsica: 2A/2B)
_COUNTRY = re.compile(r"^99\d{3}$")  # INSEE country code of people born abroad
_OLD_CORSICA = re.compile(r"^20\d{3}$")  # Corsica before 1976 (now 2A / 2B), or a postcode
_RNCP = re.compile(r"RNCP[0-9]{1,6}")
_PLACE_REASONS = {
    "99": "99100 est la France comme pays ; une personne née en France est déclarée par le "
    "code INSEE de sa commune",
    "20": "ancien code corse (d'avant 1976) ou code postal ; les communes de Corse ont un code "
    "2A ou 2B",
}
_NAME_MAX = 60


# One apostrophe in civil names: the straight one, U+0027 ("N'Diaye", never "N’Diaye").
# The official schema (cdc-accrochage-1.1.2.xsd) puts no pattern on nomNaissance, nomUsage or
# prenom1–3 (xsd:string, 1 to 60 characters), so both forms would validate and the same
# person would reach the Caisse des Dépôts under two spellings. The CDC matches the holder
# against the civil identity registers (INSEE's RNIPP, the SNGI), which write names with
# letters, spaces, hyphens and the straight apostrophe only, and it is the form every keyboard
# types. Names are normalised when they are typed or imported (app/validators.py) and again
# here for anything older; typeset documents show ’ (exports/typography.py).
APOSTROPHE = "'"
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\u00b4\u0060\u2032", APOSTROPHE))


def civil_name(value: str) -> str:
    """A civil name as declared: whitespace collapsed, every apostrophe-like sign as '."""
    return one_line(value.translate(_APOSTROPHES))


class AccrochageError(ValueError):
    """The flow cannot be built (settings missing, or nobody to declare)."""

    def __init__(self, message: str, left_out: list[LeftOut] | None = None) -> None:
        super().__init__(message)
        self.left_out = left_out or []


@dataclass(frozen=True)
class Holder:
    """The civil identity of a certified person (titulaire)."""

    birth_name: str | None
    first_names: tuple[str, ...]  # every first name, in the civil register's order
    birth_date: dt.date | None
    sex: str | None  # "M" or "F"
    usage_name: str | None = None
    birth_commune_code: str | None = None  # INSEE code of the commune, born in France
    birth_country_code: str | None = None  # INSEE code 99xxx of the country, born abroad


@dataclass(frozen=True)
class Passage:
    """One certified person in one cohort."""

    enrolment_id: int
    display_name: str  # for the left-out report only
    cohort_name: str
    access_route: str  # an AccessRoute value
    certified_on: dt.date | None
    holder: Holder | None
    # The learner's real entry into the training (dateInscription): the enrolment's own date,
    # or its cohort's start date.
    entered_on: dt.date | None = None


@dataclass(frozen=True)
class AccrochageData:
    flux_id: str  # idFlux, 1–50 characters
    generated_at: dt.datetime  # aware; written with its UTC offset
    client_id: str  # idClient given by the Caisse des Dépôts, 8 characters
    contract_id: str  # idContrat, 1–20 characters
    certification_code: str  # the app's code of the certification ("CTA")
    rncp_number: str | None  # RNCPnnnnn once France Compétences registered it
    passages: list[Passage] = field(default_factory=list)
    certification_type: str = "RNCP"
    # A file to try the flow (the CDC's test platform, a schema check): allowed before the
    # RNCP number exists, then declared under the app's code; its idFlux starts with TEST.
    test_file: bool = False

    @property
    def declared_code(self) -> str:
        """cpf:code: the RNCP number (RNCPnnnnn), or the app's code in a test file."""
        return self.rncp_number or self.certification_code


@dataclass(frozen=True)
class LeftOut:
    enrolment_id: int
    display_name: str
    cohort_name: str
    reasons: tuple[str, ...]


def passage_id(certification_code: str, enrolment_id: int) -> str:
    """The idTechnique of a passage: derived from the certification and the enrolment only."""
    return str(uuid.uuid5(_PASSAGE_NAMESPACE, f"{certification_code}:{enrolment_id}"))


def first_names_of(holder: Holder) -> list[str]:
    """The holder's first names as declared: each normalised, blanks left out."""
    return [civil_name(name) for name in holder.first_names if civil_name(name)]


def entry_problem(passage: Passage) -> str | None:
    """Why the passage's entry date cannot be declared (None when it can, or is unknown)."""
    entered, certified = passage.entered_on, passage.certified_on
    if entered is None:
        return None
    if not 1900 <= entered.year <= 2099:
        return "date d'entrée en formation hors de la plage 1900–2099"
    if certified is not None and entered > certified:
        return (
            f"date d'entrée en formation ({entered:%d/%m/%Y}) postérieure à la date de "
            f"certification ({certified:%d/%m/%Y}) : corrigez-la sur la fiche de l'apprenant·e"
        )
    return None


def _name_problems(label: str, value: str) -> list[str]:
    problems = []
    if len(value) > _NAME_MAX:
        problems.append(f"{label} trop long (plus de {_NAME_MAX} caractères)")
    if not is_xml_text(value):
        problems.append(f"{label} contient un caractère non imprimable")
    return problems


def holder_problems(passage: Passage) -> list[str]:
    """Why this person cannot be declared as is (empty when they can)."""
    if passage.certified_on is None:
        return ["date de certification manquante"]
    holder = passage.holder
    if holder is None:
        return ["identité civile non renseignée"]
    problems = []
    birth_name = civil_name(holder.birth_name or "")
    if not birth_name:
        problems.append("nom de naissance manquant")
    else:
        problems += _name_problems("nom de naissance", birth_name)
    usage_name = civil_name(holder.usage_name or "")
    if usage_name:
        problems += _name_problems("nom d'usage", usage_name)
    first_names = first_names_of(holder)
    if not first_names:
        problems.append("prénom manquant")
    for name in first_names[:2]:
        problems += _name_problems("prénom", name)
    if len(first_names) > 2:
        problems += _name_problems("prénoms suivants", " ".join(first_names[2:]))
    if holder.birth_date is None:
        problems.append("date de naissance manquante")
    elif not 1900 <= holder.birth_date.year <= 2099:
        problems.append("année de naissance hors de la plage 1900–2099")
    if holder.sex not in {"M", "F"}:
        problems.append("sexe manquant")
    commune = (holder.birth_commune_code or "").strip().upper()
    country = (holder.birth_country_code or "").strip()
    if commune and country:
        problems.append("deux lieux de naissance (commune et pays) : un seul attendu")
    elif commune:
        if commune == "99100" or _OLD_CORSICA.match(commune):
            problems.append(
                f"code de commune de naissance {commune} : {_PLACE_REASONS[commune[:2]]}"
            )
        elif not _COMMUNE.match(commune) or commune.startswith("99"):
            problems.append("code INSEE de la commune de naissance invalide")
    elif country:
        if country == "99100":
            problems.append(f"code de pays de naissance 99100 : {_PLACE_REASONS['99']}")
        elif not _COUNTRY.match(country):
            problems.append("code INSEE du pays de naissance invalide (99xxx attendu)")
    else:
        problems.append("lieu de naissance manquant (code de commune ou de pays)")
    if passage.access_route not in ACCESS_MODES:
        problems.append(f"voie d'accès inconnue : {passage.access_route}")
    entry = entry_problem(passage)
    if entry:
        problems.append(entry)
    return problems


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
    if text is not None:
        element.text = text
    return element


def _nil(parent: etree._Element, name: str) -> etree._Element:
    element = _el(parent, name)
    element.set(f"{{{XSI}}}nil", "true")
    return element


def _timestamp(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise AccrochageError("horodatage sans fuseau horaire")
    return moment.replace(microsecond=0).isoformat()


def _titulaire(parent: etree._Element, holder: Holder) -> None:
    titulaire = _el(parent, "titulaire")
    _el(titulaire, "nomNaissance", civil_name(holder.birth_name or ""))
    usage_name = civil_name(holder.usage_name or "")
    if usage_name:
        _el(titulaire, "nomUsage", usage_name)
    else:
        _nil(titulaire, "nomUsage")
    # The schema has three first-name elements: a fourth and later ones follow the third.
    first_names = first_names_of(holder)
    _el(titulaire, "prenom1", first_names[0])
    if len(first_names) > 1:
        _el(titulaire, "prenom2", first_names[1])
    if len(first_names) > 2:
        _el(titulaire, "prenom3", " ".join(first_names[2:]))
    assert holder.birth_date is not None
    _el(titulaire, "anneeNaissance", str(holder.birth_date.year))
    _el(titulaire, "moisNaissance", str(holder.birth_date.month))
    _el(titulaire, "jourNaissance", str(holder.birth_date.day))
    _el(titulaire, "sexe", holder.sex)
    commune = (holder.birth_commune_code or "").strip().upper()
    country = (holder.birth_country_code or "").strip()
    # Born abroad: the "commune" is the country's INSEE code 99xxx, and the country is xxx.
    place = _el(titulaire, "codeCommuneNaissance")
    insee = _el(_el(place, "codeInseeNaissance"), "codeInsee")
    insee.text = commune or country
    if country:
        _el(titulaire, "codePaysNaissance", country[2:])


def _passage(parent: etree._Element, code: str, passage: Passage) -> None:
    element = _el(parent, "passageCertification")
    _el(element, "idTechnique", passage_id(code, passage.enrolment_id))
    _el(element, "obtentionCertification", "PAR_ADMISSION")
    _el(element, "donneeCertifiee", "true")
    assert passage.certified_on is not None
    _el(element, "dateDebutValidite", passage.certified_on.isoformat())
    _nil(element, "dateFinValidite")  # a professional certification does not expire
    _el(element, "presenceNiveauLangueEuro", "false")
    _el(element, "presenceNiveauNumeriqueEuro", "false")
    _nil(element, "scoring")
    _nil(element, "mentionValidee")
    registration = _el(element, "modalitesInscription")
    _el(registration, "modaliteAcces", ACCESS_MODES[passage.access_route])
    if passage.entered_on is not None:  # checked by entry_problem
        _el(registration, "dateInscription", passage.entered_on.isoformat())
    assert passage.holder is not None
    _titulaire(_el(element, "identificationTitulaire"), passage.holder)


def _check_settings(data: AccrochageData) -> None:
    if data.rncp_number and not _RNCP.fullmatch(data.rncp_number):
        raise AccrochageError(f"numéro RNCP mal formé : {data.rncp_number} (RNCPnnnnn attendu)")
    if not data.test_file and not data.rncp_number:
        raise AccrochageError(
            f"La certification {data.certification_code} n'a pas encore de numéro RNCP : la "
            "Caisse des Dépôts n'accepte un flux que pour une certification enregistrée au "
            "RNCP. Saisissez le numéro (RNCPnnnnn) dans la certification une fois qu'il est "
            "attribué, ou demandez un fichier de test."
        )
    if len(data.client_id) != 8:
        raise AccrochageError("idClient : 8 caractères attendus (ACCROCHAGE_ID_CLIENT)")
    if not 1 <= len(data.contract_id) <= 20:
        raise AccrochageError("idContrat : 1 à 20 caractères attendus (ACCROCHAGE_ID_CONTRAT)")
    if not 1 <= len(data.flux_id) <= 50:
        raise AccrochageError("idFlux : 1 à 50 caractères attendus")
    if not 1 <= len(data.declared_code) <= 100:
        raise AccrochageError("code de certification : 1 à 100 caractères attendus")
    for value in (data.client_id, data.contract_id, data.flux_id, data.declared_code):
        if not is_xml_text(value):
            raise AccrochageError("caractère non imprimable dans les paramètres du flux")


def build_accrochage(data: AccrochageData) -> tuple[bytes, list[LeftOut]]:
    """The flow for the passages that can be declared, and those left out with the reasons.

    Raises AccrochageError when the settings do not fit the schema or nobody can be declared
    (the schema needs at least one passage).
    """
    _check_settings(data)
    included: list[Passage] = []
    left_out: list[LeftOut] = []
    seen: set[int] = set()
    for passage in sorted(data.passages, key=lambda p: p.enrolment_id):
        if passage.enrolment_id in seen:
            continue
        seen.add(passage.enrolment_id)
        problems = holder_problems(passage)
        if problems:
            left_out.append(
                LeftOut(
                    passage.enrolment_id,
                    passage.display_name,
                    passage.cohort_name,
                    tuple(problems),
                )
            )
        else:
            included.append(passage)
    if not included:
        raise AccrochageError("aucune personne certifiée à déclarer", left_out)

    root = etree.Element(f"{{{NAMESPACE}}}flux", nsmap={"cpf": NAMESPACE, "xsi": XSI})
    _el(root, "idFlux", data.flux_id)
    _el(root, "horodatage", _timestamp(data.generated_at))
    emitter = _el(root, "emetteur")
    _el(emitter, "idClient", data.client_id)
    certifier = _el(_el(emitter, "certificateurs"), "certificateur")
    _el(certifier, "idClient", data.client_id)
    _el(certifier, "idContrat", data.contract_id)
    certification = _el(_el(certifier, "certifications"), "certification")
    _el(certification, "type", data.certification_type)
    _el(certification, "code", data.declared_code)
    _el(certification, "natureDeposant", "CERTIFICATEUR")
    passages = _el(certification, "passageCertifications")
    for passage in included:
        # idTechnique stays derived from the app's code: a passage keeps its id when the
        # certification gets its RNCP number.
        _passage(passages, data.certification_code, passage)
    content = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return content, left_out


def schema() -> etree.XMLSchema:
    """The official schema, loaded from the copy shipped with the application."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), xml_parser()))


def validation_errors(content: bytes) -> list[str]:
    """The schema's complaints about a generated file (empty when it validates)."""
    return schema_errors(schema(), content)
