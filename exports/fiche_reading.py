"""Reading France Compétences' open-data fiches (XML v4.1): a fiche's data, its HTML texts as
items and sections, the whole register streamed."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Collection, Iterator
from typing import IO

from lxml import etree

from exports.fiche import (
    JURY_ROUTES,
    Certifier,
    Code,
    Correspondence,
    FicheBloc,
    FicheData,
    FicheXMLError,
    JuryRoute,
    Partner,
    PromotionStats,
    Section,
)
from exports.guard import SAFE_XML_OPTIONS, BoundedStream, Limits, MiB, Refused
from exports.xmltext import one_line

# --- reading -------------------------------------------------------------------------------------


class _Blocks:
    """Split an HTML-ish text into paragraphs ("p"), list items ("li") and bare lines.

    A target for lxml's HTML parser: the tokenising is libxml2's (fast on a national file of
    hundreds of thousands of fragments), the splitting is here.
    """

    PARAGRAPHS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "tr"})

    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []
        self._buffer: list[str] = []
        self._kind = "line"

    def _flush(self) -> None:
        text = "".join(self._buffer)
        self._buffer = []
        if self._kind == "line":
            self.blocks.extend(("line", line) for line in text.splitlines() if one_line(line))
        elif one_line(text):
            self.blocks.append((self._kind, text))

    def start(self, tag: str, attrs: object) -> None:
        if tag == "li":
            self._flush()
            self._kind = "li"
        elif tag in self.PARAGRAPHS:
            self._flush()
            self._kind = "p"
        elif tag == "br":
            self._flush()

    def end(self, tag: str) -> None:
        if tag == "li" or tag in self.PARAGRAPHS or tag in {"ul", "ol"}:
            self._flush()
            self._kind = "line"

    def data(self, data: str) -> None:
        self._buffer.append(data)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> list[tuple[str, str]]:
        self._flush()
        blocks, self.blocks, self._kind = self.blocks, [], "line"
        return blocks


_parsers = threading.local()


def _html_parser() -> etree.HTMLParser:
    """This thread's parser (making one inspects its target: too slow to do per fragment)."""
    parser = getattr(_parsers, "html", None)
    if parser is None:
        parser = etree.HTMLParser(target=_Blocks(), no_network=True, remove_comments=True)
        _parsers.html = parser
    return parser


_BULLET = re.compile(r"^\s*(?:[-*•–—·▪]|\d{1,2}[.)])\s+")


def _blocks(text: str) -> list[tuple[str, str]]:
    if "<" not in text and "&" not in text:  # plain text: lines, no parser needed
        return [("line", one_line(line)) for line in text.splitlines() if one_line(line)]
    blocks = etree.fromstring(f"<div>{text}</div>", _html_parser())
    return [(kind, one_line(value)) for kind, value in blocks]


def html_items(text: str | None) -> list[str]:
    """The items of a list in an HTML-ish text: its <li>, else bulleted lines, else lines."""
    if not text or not text.strip():
        return []
    blocks = _blocks(text)
    items = [value for kind, value in blocks if kind == "li"]
    if items:
        return items
    lines = [value for _, value in blocks]
    bulleted = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    return bulleted or lines


def html_sections(text: str | None) -> list[Section]:
    """Titled lists from an HTML-ish text: a paragraph opens a section, items fill it."""
    sections: list[Section] = []
    for kind, value in _blocks(text or ""):
        is_item = kind == "li" or (kind == "line" and _BULLET.match(value) is not None)
        if is_item:
            if not sections:
                sections.append(Section(title=""))
            sections[-1].items.append(_BULLET.sub("", value) if kind == "line" else value)
        else:
            sections.append(Section(title=value))
    return sections


def html_text(text: str | None) -> str:
    """Plain text of an HTML-ish fragment, one line per paragraph or item."""
    return "\n".join(value for _, value in _blocks(text or ""))


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag if tag[0] != "{" else tag.rpartition("}")[2]


def _child(element: etree._Element, *names: str) -> etree._Element | None:
    for child in element:
        if _local(child) in names:
            return child
    return None


def _children(element: etree._Element, container: str, *names: str) -> list[etree._Element]:
    holder = _child(element, container)
    if holder is None:
        return []
    return [child for child in holder if _local(child) in names]


def _node(element: etree._Element | None, *path: str) -> etree._Element | None:
    """The element at `path` below `element` (alternatives separated by '|'), None if absent."""
    node = element
    for step in path:
        if node is None:
            return None
        node = _child(node, *step.split("|"))
    return node


def _value(element: etree._Element | None, *path: str) -> str:
    """Text of the element at `path` (alternatives separated by '|'), '' when absent."""
    node = _node(element, *path)
    if node is None:
        return ""
    return "".join(node.itertext()).strip()


def _markup(element: etree._Element | None, *path: str) -> str:
    """The content of an HTML-ish field, whether carried as escaped text or as elements."""
    node = _node(element, *path)
    if node is None:
        return ""
    parts = [node.text or ""]
    for child in node:
        if isinstance(child.tag, str):
            parts.append(etree.tostring(child, encoding="unicode", method="html", with_tail=False))
        parts.append(child.tail or "")
    return "".join(parts).strip()


def _number(text: str) -> int | None:
    cleaned = text.strip().replace("%", "").replace(",", ".").strip()
    if not cleaned:
        return None
    try:
        return round(float(cleaned))
    except ValueError:
        return None


def _level(fiche: etree._Element) -> tuple[int | None, str]:
    label = _value(fiche, "NOMENCLATURE_EUROPE", "LIBELLE|INTITULE")
    for text in (_value(fiche, "NOMENCLATURE_EUROPE", "NIVEAU"), label):
        match = re.search(r"([1-8])", text)
        if match:
            return int(match.group(1)), label
    return None, label


def _codes_of(fiche: etree._Element, container: str, item: str) -> list[Code]:
    return [
        Code(code=_value(node, "CODE"), label=_value(node, "LIBELLE|INTITULE"))
        for node in _children(fiche, container, item)
        if _value(node, "CODE")
    ]


def _jury(fiche: etree._Element) -> dict[str, JuryRoute]:
    routes = {}
    for key in JURY_ROUTES:
        element = _child(fiche, f"SI_JURY_{key}")
        if element is None:
            continue
        if len(element):  # flux v4: <ACTIF> and <COMPOSITION>
            active = _value(element, "ACTIF")
            composition = _markup(element, "COMPOSITION")
        else:  # older flows: SI_JURY_xx is Oui/Non, JURY_xx the composition
            active = "".join(element.itertext())
            composition = _markup(fiche, f"JURY_{key}")
        routes[key] = JuryRoute(
            open=active.strip().lower() in {"oui", "true", "1"},
            composition=html_text(composition),
        )
    return routes


def _statistics(fiche: etree._Element) -> list[PromotionStats]:
    stats = []
    for node in _children(
        fiche, "STATISTIQUES_PROMOTIONS", "STATISTIQUES_PROMOTION", "STATISTIQUE_PROMOTION"
    ):
        year = _number(_value(node, "ANNEE"))
        if year is None:
            continue
        stats.append(
            PromotionStats(
                year=year,
                certified=_number(_value(node, "NOMBRE_CERTIFIES")),
                certified_vae=_number(
                    _value(node, "NOMBRE_CERTIFIES_VAE|NOMBRE_CERTIFIES_A_LA_SUITE_VAE")
                ),
                global_insertion_6m=_number(_value(node, "TAUX_INSERTION_GLOBAL_6MOIS")),
                job_insertion_6m=_number(
                    _value(node, "TAUX_INSERTION_METIER_6MOIS|TAUX_INSERTION_TRAVAIL_6MOIS")
                ),
                job_insertion_2y=_number(_value(node, "TAUX_INSERTION_METIER_2ANS")),
            )
        )
    return stats


def _fiche_data(fiche: etree._Element) -> FicheData:
    level, level_label = _level(fiche)
    return FicheData(
        number=_value(fiche, "NUMERO_FICHE"),
        title=one_line(_value(fiche, "INTITULE")),
        level=level,
        level_label=level_label,
        nsf=_codes_of(fiche, "CODES_NSF", "NSF"),
        rome=_codes_of(fiche, "CODES_ROME", "ROME"),
        formacodes=_codes_of(fiche, "FORMACODES", "FORMACODE"),
        certifiers=[
            Certifier(
                name=_value(node, "NOM_CERTIFICATEUR"),
                siret=_value(node, "SIRET_CERTIFICATEUR") or None,
            )
            for node in _children(fiche, "CERTIFICATEURS", "CERTIFICATEUR")
        ],
        activities=html_sections(_markup(fiche, "ACTIVITES_VISEES")),
        capacities=html_sections(_markup(fiche, "CAPACITES_ATTESTEES")),
        blocs=[
            FicheBloc(
                code=_value(node, "CODE"),
                title=one_line(_value(node, "LIBELLE|INTITULE")),
                competencies=html_items(_markup(node, "LISTE_COMPETENCES")),
                modalities=html_items(_markup(node, "MODALITES_EVALUATION")),
            )
            for node in _children(fiche, "BLOCS_COMPETENCES", "BLOC_COMPETENCES")
        ],
        jury=_jury(fiche),
        statistics=_statistics(fiche),
        state=_value(fiche, "ETAT_FICHE"),
        active=_yes_no(_value(fiche, "ACTIF")),
        end_date=_value(fiche, "DATE_FIN_ENREGISTREMENT"),
        objectives_context=html_text(_markup(fiche, "OBJECTIFS_CONTEXTE")),
        sectors=html_text(_markup(fiche, "SECTEURS_ACTIVITE")),
        job_types=html_text(_markup(fiche, "TYPE_EMPLOI_ACCESSIBLES")),
        regulations=html_text(_markup(fiche, "REGLEMENTATIONS_ACTIVITES")),
        entry_prerequisites=html_text(_markup(fiche, "PREREQUIS_ENTREE_FORMATION")),
        validation_prerequisites=html_text(
            _markup(fiche, "PREREQUIS_VALIDATION_CERTIFICATION|PREREQUIS_VALIDATION")
        ),
        partners=_partners(fiche),
        correspondences=[
            Correspondence(
                bloc_code=_value(node, "CODE_BLOC"),
                fiche_number=_value(node, "NUMERO_FICHE"),
                fiche_title=one_line(_value(node, "INTITULE")),
                other_bloc_code=_value(node, "CODE_BLOC_CORRESPONDANT"),
                other_bloc_title=one_line(_value(node, "LIBELLE_BLOC_CORRESPONDANT")),
                total=_value(node, "TYPE").upper() == "TOTALE",
            )
            for node in _children(fiche, "CORRESPONDANCES", "CORRESPONDANCE")
        ],
    )


def _partners(fiche: etree._Element) -> list[Partner] | None:
    partners = [
        Partner(
            name=one_line(_value(node, "NOM_PARTENAIRE")),
            siret=_value(node, "SIRET_PARTENAIRE"),
            habilitation=one_line(_value(node, "HABILITATION_PARTENAIRE")),
        )
        for node in _children(fiche, "PARTENAIRES", "PARTENAIRE")
    ]
    if partners:
        return partners
    return [] if _yes_no(_value(fiche, "EXISTENCE_PARTENAIRES")) is False else None


def _yes_no(text: str) -> bool | None:
    value = text.strip().lower()
    if value in {"oui", "true", "1"}:
        return True
    if value in {"non", "false", "0"}:
        return False
    return None


# The national register is one file of several hundred megabytes.
REGISTER_LIMITS = Limits(max_bytes=1024 * MiB)


def iter_fiches(
    stream: IO[bytes],
    *,
    numbers: Collection[str] | None = None,
    limits: Limits = REGISTER_LIMITS,
    file: str | None = None,
) -> Iterator[FicheData]:
    """Yield the fiches of a flux read from `stream` (only those whose NUMERO_FICHE is in
    `numbers`, if given), one at a time.

    Streams the document, so a national file of several hundred megabytes is read one fiche at
    a time in constant memory. The stream goes through the guard (at most `limits.max_bytes`,
    no DTD or entity declaration) and lxml runs with its safe settings (no huge trees, no
    network).
    """
    wanted = set(numbers) if numbers is not None else None
    guarded = BoundedStream(stream, limits.max_bytes, file=file, xml=True)
    events = etree.iterparse(guarded, events=("start", "end"), **SAFE_XML_OPTIONS)
    depth = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                if depth == 1 and _local(element) not in {"FICHES", "FICHE"}:
                    raise FicheXMLError(
                        f"élément racine inattendu : {_local(element)} (FICHES attendu)"
                    )
                continue
            depth -= 1
            if _local(element) != "FICHE":
                continue
            if any(isinstance(node, etree._Entity) for node in element.iter()):
                raise FicheXMLError("références d'entités refusées")
            if wanted is None or _value(element, "NUMERO_FICHE") in wanted:
                yield _fiche_data(element)
            # Free what has been read: the element and the siblings before it.
            element.clear(keep_tail=False)
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except Refused as refused:
        raise FicheXMLError(str(refused)) from None
    except etree.XMLSyntaxError as exc:
        raise FicheXMLError(f"XML mal formé : {exc}") from exc


def parse_fiches(xml: bytes, *, numbers: Collection[str] | None = None) -> list[FicheData]:
    """Read the fiches of a flux held in memory (see `iter_fiches`)."""
    return list(iter_fiches(io.BytesIO(xml), numbers=numbers))
