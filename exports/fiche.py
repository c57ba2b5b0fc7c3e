"""The fiche in the France Compétences open-data shape (flux RNCP v4.1), written and read.

Element names follow the daily open-data export `export-fiches-rncp-v4-1-*.xml`: a root `FICHES`
holding `VERSION_FLUX` then `FICHE` elements. In that flux the long texts (`ACTIVITES_VISEES`,
`CAPACITES_ATTESTEES`, `LISTE_COMPETENCES`, `MODALITES_EVALUATION`, jury `COMPOSITION`) are
HTML fragments carried as text, each access route `SI_JURY_xx` is a container with `ACTIF`
(Oui/Non) and, when open, `COMPOSITION`, and labels are `LIBELLE` (older flows said `INTITULE`;
the reader accepts both).

Pure functions: plain dataclasses in, bytes out, and back. `parse_fiches` reads real national
files too (streamed, element by element) and refuses hostile XML (any DOCTYPE, entities).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from lxml import etree

from exports.guard import xml_parser
from exports.xmltext import one_line, schema_errors, xml_text

FLUX_VERSION = "4.1"
# Not an official schema (none is published): what we write, pinned (see its header).
SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "fiche-rncp-v4.1.xsd"

# The access routes of a fiche, in the flux's order: formation initiale (élève / étudiant),
# contrat d'apprentissage, formation continue, contrat de professionnalisation, candidature
# individuelle, VAE.
JURY_ROUTES = ("FI", "CA", "FC", "CQ", "CL", "VAE")


class FicheXMLError(ValueError):
    """The document is not a fiche flux we accept."""


@dataclass
class Code:
    """A NSF, ROME or Formacode code with its label (empty when unknown)."""

    code: str
    label: str = ""


@dataclass
class Certifier:
    name: str
    siret: str | None = None


@dataclass
class Partner:
    """An organisation the certifier habilitated (PARTENAIRE)."""

    name: str
    siret: str = ""
    habilitation: str = ""  # HABILITATION_PARTENAIRE, as the flux words it


@dataclass
class Section:
    """A titled list: how ACTIVITES_VISEES and CAPACITES_ATTESTEES are laid out."""

    title: str
    items: list[str] = field(default_factory=list)


@dataclass
class FicheBloc:
    code: str
    title: str
    competencies: list[str] = field(default_factory=list)
    modalities: list[str] = field(default_factory=list)


@dataclass
class JuryRoute:
    """One access route: open or not, and the jury's composition when it is."""

    open: bool
    composition: str = ""


@dataclass
class PromotionStats:
    """STATISTIQUES_PROMOTION: counts, and insertion rates in whole percents."""

    year: int
    certified: int | None = None
    certified_vae: int | None = None
    global_insertion_6m: int | None = None
    job_insertion_6m: int | None = None
    job_insertion_2y: int | None = None


@dataclass
class Correspondence:
    """A bloc of ours in total or partial correspondence with a bloc of another fiche."""

    bloc_code: str
    fiche_number: str
    fiche_title: str
    other_bloc_code: str
    other_bloc_title: str
    total: bool


@dataclass
class FicheData:
    number: str  # NUMERO_FICHE (RNCPnnnnn once registered, a provisional code before)
    title: str
    level: int | None = None  # 1–8, written NIVn
    level_label: str = ""  # "Niveau n" when empty
    nsf: list[Code] = field(default_factory=list)
    rome: list[Code] = field(default_factory=list)
    formacodes: list[Code] = field(default_factory=list)
    certifiers: list[Certifier] = field(default_factory=list)
    activities: list[Section] = field(default_factory=list)
    capacities: list[Section] = field(default_factory=list)
    blocs: list[FicheBloc] = field(default_factory=list)
    jury: dict[str, JuryRoute] = field(default_factory=dict)  # keys from JURY_ROUTES
    statistics: list[PromotionStats] = field(default_factory=list)
    state: str = ""  # ETAT_FICHE
    active: bool | None = None  # ACTIF
    end_date: str = ""  # DATE_FIN_ENREGISTREMENT, as written (dd/mm/yyyy); read only
    # Plain texts, one line per paragraph or item.
    objectives_context: str = ""  # OBJECTIFS_CONTEXTE
    sectors: str = ""  # SECTEURS_ACTIVITE
    job_types: str = ""  # TYPE_EMPLOI_ACCESSIBLES
    regulations: str = ""  # REGLEMENTATIONS_ACTIVITES (the explicit "none" is a sentence)
    entry_prerequisites: str = ""  # PREREQUIS_ENTREE_FORMATION
    validation_prerequisites: str = ""  # PREREQUIS_VALIDATION_CERTIFICATION
    partners: list[Partner] | None = None  # PARTENAIRES; None: not said (no EXISTENCE_...)
    correspondences: list[Correspondence] = field(default_factory=list)


# --- writing -------------------------------------------------------------------------------------


def _text(value: str) -> str:
    return xml_text(value).strip()


def _item(value: str) -> str:
    return html.escape(one_line(xml_text(value)), quote=False)


def _html_list(items: Iterable[str]) -> str:
    lines = [f"<li>{_item(i)}</li>" for i in items if one_line(i)]
    return f"<ul>{''.join(lines)}</ul>" if lines else ""


def _html_sections(sections: Iterable[Section]) -> str:
    parts = []
    for section in sections:
        if one_line(section.title):
            parts.append(f"<p>{_item(section.title)}</p>")
        parts.append(_html_list(section.items))
    return "".join(parts)


def _html_paragraphs(text: str) -> str:
    return "".join(f"<p>{_item(line)}</p>" for line in text.splitlines() if one_line(line))


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, tag)
    if text is not None:
        element.text = text
    return element


def _codes(parent: etree._Element, container: str, item: str, codes: list[Code]) -> None:
    if not codes:
        return
    holder = _sub(parent, container)
    for code in codes:
        entry = _sub(holder, item)
        _sub(entry, "CODE", _text(code.code))
        if code.label.strip():
            _sub(entry, "LIBELLE", _text(code.label))


def _prose(parent: etree._Element, tag: str, text: str) -> None:
    if text.strip():
        _sub(parent, tag, _html_paragraphs(text))


def _fiche_element(data: FicheData) -> etree._Element:
    """One FICHE, its elements in the order of exports/schemas/fiche-rncp-v4.1.xsd."""
    fiche = etree.Element("FICHE")
    _sub(fiche, "NUMERO_FICHE", _text(data.number))
    _sub(fiche, "INTITULE", _text(data.title))
    if data.state.strip():
        _sub(fiche, "ETAT_FICHE", _text(data.state))
    if data.level is not None:
        level = _sub(fiche, "NOMENCLATURE_EUROPE")
        _sub(level, "NIVEAU", f"NIV{data.level}")
        _sub(level, "LIBELLE", _text(data.level_label) or f"Niveau {data.level}")
    if data.activities:
        _sub(fiche, "ACTIVITES_VISEES", _html_sections(data.activities))
    if data.capacities:
        _sub(fiche, "CAPACITES_ATTESTEES", _html_sections(data.capacities))
    _prose(fiche, "SECTEURS_ACTIVITE", data.sectors)
    _prose(fiche, "TYPE_EMPLOI_ACCESSIBLES", data.job_types)
    _codes(fiche, "CODES_ROME", "ROME", data.rome)
    _prose(fiche, "REGLEMENTATIONS_ACTIVITES", data.regulations)
    _codes(fiche, "CODES_NSF", "NSF", data.nsf)
    _codes(fiche, "FORMACODES", "FORMACODE", data.formacodes)
    if data.certifiers:
        holder = _sub(fiche, "CERTIFICATEURS")
        for certifier in data.certifiers:
            entry = _sub(holder, "CERTIFICATEUR")
            if certifier.siret:
                _sub(entry, "SIRET_CERTIFICATEUR", _text(certifier.siret))
            _sub(entry, "NOM_CERTIFICATEUR", _text(certifier.name))
    if data.partners is not None:
        _sub(fiche, "EXISTENCE_PARTENAIRES", "Oui" if data.partners else "Non")
        if data.partners:
            holder = _sub(fiche, "PARTENAIRES")
            for partner in data.partners:
                entry = _sub(holder, "PARTENAIRE")
                _sub(entry, "NOM_PARTENAIRE", _text(partner.name))
                if partner.siret:
                    _sub(entry, "SIRET_PARTENAIRE", _text(partner.siret))
                if partner.habilitation.strip():
                    _sub(entry, "HABILITATION_PARTENAIRE", _text(partner.habilitation))
    for key in JURY_ROUTES:
        route = data.jury.get(key, JuryRoute(open=False))
        element = _sub(fiche, f"SI_JURY_{key}")
        _sub(element, "ACTIF", "Oui" if route.open else "Non")
        if route.open and route.composition.strip():
            _sub(element, "COMPOSITION", _html_paragraphs(route.composition))
    _prose(fiche, "OBJECTIFS_CONTEXTE", data.objectives_context)
    if data.active is not None:
        _sub(fiche, "ACTIF", "Oui" if data.active else "Non")
    _prose(fiche, "PREREQUIS_ENTREE_FORMATION", data.entry_prerequisites)
    _prose(fiche, "PREREQUIS_VALIDATION_CERTIFICATION", data.validation_prerequisites)
    if data.blocs:
        holder = _sub(fiche, "BLOCS_COMPETENCES")
        for bloc in data.blocs:
            entry = _sub(holder, "BLOC_COMPETENCES")
            _sub(entry, "CODE", _text(bloc.code))
            _sub(entry, "LIBELLE", _text(bloc.title))
            _sub(entry, "LISTE_COMPETENCES", _html_list(bloc.competencies))
            _sub(entry, "MODALITES_EVALUATION", _html_list(bloc.modalities))
    if data.correspondences:
        # The open-data flux publishes no element for these; ours follow its naming.
        holder = _sub(fiche, "CORRESPONDANCES")
        for item in data.correspondences:
            entry = _sub(holder, "CORRESPONDANCE")
            _sub(entry, "TYPE", "TOTALE" if item.total else "PARTIELLE")
            _sub(entry, "CODE_BLOC", _text(item.bloc_code))
            _sub(entry, "NUMERO_FICHE", _text(item.fiche_number))
            _sub(entry, "INTITULE", _text(item.fiche_title))
            _sub(entry, "CODE_BLOC_CORRESPONDANT", _text(item.other_bloc_code))
            _sub(entry, "LIBELLE_BLOC_CORRESPONDANT", _text(item.other_bloc_title))
    if data.statistics:
        holder = _sub(fiche, "STATISTIQUES_PROMOTIONS")
        for stats in sorted(data.statistics, key=lambda s: s.year):
            entry = _sub(holder, "STATISTIQUES_PROMOTION")
            _sub(entry, "ANNEE", str(stats.year))
            for tag, value in (
                ("NOMBRE_CERTIFIES", stats.certified),
                ("NOMBRE_CERTIFIES_VAE", stats.certified_vae),
                ("TAUX_INSERTION_GLOBAL_6MOIS", stats.global_insertion_6m),
                ("TAUX_INSERTION_METIER_6MOIS", stats.job_insertion_6m),
                ("TAUX_INSERTION_METIER_2ANS", stats.job_insertion_2y),
            ):
                if value is not None:
                    _sub(entry, tag, str(value))
    return fiche


def build_fiche(data: FicheData) -> bytes:
    """One fiche as a complete `FICHES` document, UTF-8 with an XML declaration."""
    root = etree.Element("FICHES")
    _sub(root, "VERSION_FLUX", FLUX_VERSION)
    root.append(_fiche_element(data))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), xml_parser()))


def validation_errors(content: bytes) -> list[str]:
    """What the fiche schema finds wrong in a written fiche (empty when it validates)."""
    return schema_errors(schema(), content)
