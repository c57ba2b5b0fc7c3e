"""The dossier reads as typeset: French plurals, one apostrophe style, French hyphenation in
justified text, one modalities cell per group of rows, a tagged PDF (PDF/UA-1). Each point is
checked in the rendered HTML and in the PDF WeasyPrint writes, read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pyphen
import pytest
from lxml import html as lxml_html
from pypdf import PdfReader

from app.cohorts.models import EnrolmentStatus
from app.db import db
from app.dossier.builder import dossier_data
from app.frameworks import services as frameworks
from exports.dossier import (
    BlocSection,
    CompetencyRow,
    ModalityLine,
    render,
    render_html,
)
from exports.plurals import french_plural, ngettext
from exports.typography import typeset_apostrophes, typographic_apostrophes
from tests.dossier.conftest import PilotMaker, write_texts
from tests.pdfua import assert_tagged

TODAY = dt.date(2026, 3, 2)
HYPHEN = "\u2010"  # what WeasyPrint adds where it cuts a word at a line's end

LONG_WORDS = (
    "L'institutionnalisation des coopératives intercommunales accompagne la "
    "responsabilisation environnementale, l'interprofessionnalité et la "
    "contractualisation pluriannuelle des établissements gestionnaires. "
) * 6


def _texts(coordinator: Any, version: Any, context: str) -> None:
    write_texts(version, {"context_and_opportunity": context}, by=coordinator)


def _cohort_ids(version: Any) -> list[int]:
    import sqlalchemy as sa

    from app.cohorts.models import Cohort

    return list(db.session.scalars(sa.select(Cohort.id).where(Cohort.version_id == version.id)))


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


# --- plurals -------------------------------------------------------------------------------------


def test_french_plural_rule_is_singular_for_zero_and_one() -> None:
    assert [french_plural(n) for n in (0, 1, 2, 10)] == [0, 0, 1, 1]
    assert ngettext("%(num)d abandon", "%(num)d abandons", 0) == "0 abandon"
    assert ngettext("%(num)d abandon", "%(num)d abandons", 1) == "1 abandon"
    assert ngettext("%(num)d abandon", "%(num)d abandons", 3) == "3 abandons"


def test_the_dossier_writes_real_plurals(version: Any, pilots: PilotMaker) -> None:
    pilots.cohort(
        version,
        "Promotion A",
        statuses={
            "Ada": EnrolmentStatus.WITHDRAWN,
            "Bea": EnrolmentStatus.ENROLLED,
            "Cy": EnrolmentStatus.ENROLLED,
        },
    )
    pilots.cohort(version, "Promotion B", statuses={"Dan": EnrolmentStatus.ENROLLED})
    db.session.commit()
    loaded = frameworks.load_version("MINI", "v1")
    html = render_html(dossier_data(loaded, _cohort_ids(loaded), generated_on=TODAY))
    text = " ".join(lxml_html.document_fromstring(html).text_content().split())
    assert "(s)" not in text
    # The small référentiel: one bloc, two competencies, four criteria.
    assert "1 bloc de compétences, 2 compétences, 4 critères d’évaluation" in text
    assert "3 inscrit·es, 1 abandon, 0 certifié·e" in text
    assert "1 inscrit·e, 0 abandon, 0 certifié·e" in text
    assert "taux calculés sur 2 apprenant·es" in text
    assert "taux calculés sur 1 apprenant·e." in text


# --- apostrophes ---------------------------------------------------------------------------------


def test_apostrophes_in_prose_become_typographic_not_in_urls_or_emails() -> None:
    assert typographic_apostrophes("L'équipe d'aujourd'hui") == "L’équipe d’aujourd’hui"
    assert typographic_apostrophes("écrire à o'neil@exemple.fr") == "écrire à o'neil@exemple.fr"
    assert (
        typographic_apostrophes("voir https://exemple.fr/l'accès puis l'annexe")
        == "voir https://exemple.fr/l'accès puis l’annexe"
    )
    # Quotation marks typed as straight quotes stay: they are not apostrophes.
    assert typographic_apostrophes("le mot 'coopérer'") == "le mot 'coopérer'"


def test_codes_and_styles_keep_their_characters() -> None:
    document = (
        "<!doctype html><html lang='fr'><head><style>p::before { content: 'x'; }</style>"
        "</head><body><p>l'accès <span class='code'>C'1</span> d'abord"
        " <a href='mailto:o'neil@exemple.fr'>o'neil</a></p></body></html>"
    )
    typeset = typeset_apostrophes(document)
    assert 'l’accès <span class="code">C\'1</span> d’abord' in typeset
    assert "content: 'x'" in typeset
    assert ">o'neil</a>" in typeset


def test_the_pdf_uses_one_apostrophe_style_in_its_prose(version: Any, coordinator: Any) -> None:
    _texts(
        coordinator,
        version,
        "L'équipe d'animation répond à o'neil@exemple.fr ; voir https://exemple.fr/l'accès.",
    )
    loaded = frameworks.load_version("MINI", "v1")
    pdf = render(dossier_data(loaded, [], generated_on=TODAY)).pdf
    text = " ".join(_pdf_text(pdf).split())
    assert "L’équipe d’animation" in text
    assert "Référentiel d’activités" in text  # a heading of the template itself
    assert "L’ordre du jour est envoyé" in text  # a criterion typed with a straight one
    # Left as typed: the e-mail address and the URL; nothing else keeps a straight one.
    assert "o'neil@exemple.fr" in text and "https://exemple.fr/l'accès" in text
    rest = text.replace("o'neil@exemple.fr", "").replace("https://exemple.fr/l'accès", "")
    assert "'" not in rest


def straight_apostrophes(document: str) -> list[str]:
    """The text nodes of a rendered document that still hold a straight apostrophe, leaving
    out what is not prose: styles, codes, URLs and e-mail addresses (kept as typed)."""
    root = lxml_html.document_fromstring(document)
    found = []
    for node in root.xpath('//text()[contains(., "\'")]'):
        parent = node.getparent()
        if parent.tag in ("style", "script") or parent.get("class") in ("code", "url"):
            continue
        rest = re.sub(r"\S+@\S+|\b\w+://\S+", "", str(node))
        if "'" in rest:
            found.append(str(node))
    return found


def test_the_dossier_html_has_no_straight_apostrophe_in_its_text(
    version: Any, coordinator: Any, pilots: PilotMaker
) -> None:
    # Data typed with straight apostrophes (texts, a learner's name) and the template's own.
    _texts(coordinator, version, "L'équipe d'animation s'appuie sur l'expérience des pilotes.")
    pilots.cohort(version, "Promotion d'essai", statuses={"N'Diaye": EnrolmentStatus.ENROLLED})
    db.session.commit()
    loaded = frameworks.load_version("MINI", "v1")
    html = render_html(dossier_data(loaded, _cohort_ids(loaded), generated_on=TODAY))
    assert "L’équipe d’animation s’appuie sur l’expérience" in html
    assert "Référentiel d’activités" in html
    assert straight_apostrophes(html) == []


# --- hyphenation ---------------------------------------------------------------------------------


def test_justified_prose_is_hyphenated_the_french_way(version: Any, coordinator: Any) -> None:
    _texts(coordinator, version, LONG_WORDS)
    loaded = frameworks.load_version("MINI", "v1")
    html = render_html(dossier_data(loaded, [], generated_on=TODAY))
    assert '<html lang="fr">' in html
    pdf = render(dossier_data(loaded, [], generated_on=TODAY)).pdf
    text = _pdf_text(pdf)
    cuts = re.findall(rf"(\w+){HYPHEN}\n(\w+)", text)
    words = {w.strip(".,").replace("’", "'").split("'")[-1] for w in LONG_WORDS.split()}
    ours = [(head, tail) for head, tail in cuts if head + tail in words]
    assert ours, "no word of the justified paragraph was hyphenated"
    french = pyphen.Pyphen(lang="fr")
    for head, tail in ours:
        # Every cut is one of the French dictionary's hyphenation points.
        assert len(head) in french.positions(head + tail), (head, tail)


def test_codes_are_never_hyphenated(version: Any, coordinator: Any) -> None:
    _texts(coordinator, version, LONG_WORDS)
    loaded = frameworks.load_version("MINI", "v1")
    text = _pdf_text(render(dossier_data(loaded, [], generated_on=TODAY)).pdf)
    for code in ("C1.1.a", "C1.2.b", "BC01", "M1.1"):
        assert code in text
    assert not re.search(rf"(BC|C\d|M\d)[\w.]*{HYPHEN}\n", text)


# --- the modalities cell -------------------------------------------------------------------------


def _row(code: str, modalities: list[ModalityLine] | None = None) -> CompetencyRow:
    return CompetencyRow(code, f"Énoncé {code}", [], [], modalities or [])


def test_modality_spans_group_the_rows_assessed_the_same_way() -> None:
    m1, m2 = ModalityLine("M1", "Mise en situation"), ModalityLine("M2", "Étude de cas")
    bloc = BlocSection(
        "BC01", "Bloc", "", False, [m1, m2], [_row("C1"), _row("C2"), _row("C3", [m1])]
    )
    spans = bloc.modality_spans
    assert [s.rows if s else None for s in spans] == [2, None, 1]
    assert spans[0] is not None and spans[0].modalities == [m1, m2]
    assert spans[2] is not None and spans[2].modalities == [m1]
    # Rows that alternate are not merged.
    alternating = BlocSection(
        "BC02", "Bloc", "", False, [m1], [_row("C1", [m1]), _row("C2", [m2]), _row("C3", [m1])]
    )
    assert [s.rows if s else None for s in alternating.modality_spans] == [1, 1, 1]
    assert BlocSection("BC03", "Vide", "", False, [m1], []).modality_spans == []


def test_the_modalities_cell_spans_the_rows_instead_of_repeating(version: Any) -> None:
    loaded = frameworks.load_version("MINI", "v1")
    data = dossier_data(loaded, [], generated_on=TODAY)
    html = render_html(data)
    table = lxml_html.document_fromstring(html).xpath("//table[@class='four']")[0]
    rows = table.xpath("tbody/tr")
    assert len(rows) == 2  # C1.1 and C1.2
    cells = table.xpath(".//td[@class='modality-span']")
    assert len(cells) == 1 and cells[0].get("rowspan") == "2"
    assert [len(row.findall("td")) for row in rows] == [4, 3]
    # In the PDF, the modality is written once in the table (plus once in the list above it).
    text = " ".join(_pdf_text(render(data).pdf).split())
    assert text.count("Mise en situation professionnelle") == 2


# --- tagged PDF ----------------------------------------------------------------------------------


def test_the_pdf_is_tagged_for_screen_readers(version: Any) -> None:
    loaded = frameworks.load_version("MINI", "v1")
    pdf = render(dossier_data(loaded, [], generated_on=TODAY)).pdf
    assert_tagged(pdf, lang="fr")
    reader = PdfReader(io.BytesIO(pdf))
    catalog = reader.trailer["/Root"]
    assert "Dossier de certification" in str(reader.metadata.title if reader.metadata else "")
    # The structure tree holds the document's tables and headings.
    tree = catalog["/StructTreeRoot"].get_object()
    kinds = set()

    def walk(node: Any, depth: int = 0) -> None:
        node = node.get_object()
        if isinstance(node, dict) or hasattr(node, "keys"):
            if "/S" in node:
                kinds.add(str(node["/S"]))
            kids = node.get("/K")
            if kids is not None and depth < 40:
                for kid in kids if isinstance(kids, list) else [kids]:
                    if hasattr(kid, "get_object"):
                        walk(kid, depth + 1)
        elif isinstance(node, list):
            for kid in node:
                walk(kid, depth + 1)

    walk(tree)
    assert {"/Table", "/TH", "/TD", "/H1", "/H2", "/P"} <= kinds


@pytest.mark.parametrize("n", [0, 1, 2])
def test_jinja_pdf_environment_uses_the_french_rule(n: int) -> None:
    from exports.pdf import environment

    template = environment().from_string('{{ ngettext("%(num)d bloc", "%(num)d blocs", n) }}')
    assert template.render(n=n) == (f"{n} blocs" if n > 1 else f"{n} bloc")
