"""The dossier PDF read back with pypdf: content of a real référentiel, repeated table
header, page numbers, table of contents, running headers, French spacing."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from typing import Any

import pytest
from pypdf import PdfReader

from app.cohorts.models import AccessRoute
from app.db import db
from app.dossier import services as texts_services
from app.dossier.builder import dossier_data
from app.frameworks import documents
from app.frameworks import services as frameworks
from exports.dossier import render, render_html
from tests.conftest import REAL_FILES
from tests.dossier.conftest import PilotMaker, write_texts

TODAY = dt.date(2026, 3, 2)
HEADER = "Activités Compétences Modalités d’évaluation Critères d’évaluation"


HYPHEN = "\u2010"  # the hyphen WeasyPrint adds where it cuts a word at the end of a line


def squeeze(text: str) -> str:
    """Compare texts whatever the line breaks, spaces, ligatures, hyphenation and apostrophe
    style of the layout (the apostrophes have tests of their own)."""
    text = unicodedata.normalize("NFKC", text).replace(HYPHEN, "").replace("\u2019", "'")
    return re.sub(r"\s+", "", text)


def spaced(text: str) -> str:
    """Whitespace (narrow no-break spaces included) as single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_real_référentiel_is_all_there_and_its_table_header_repeats(
    create_version: Any,
) -> None:
    doc = documents.load(REAL_FILES[0])
    version = create_version(doc, publish=True)
    loaded = frameworks.load_version(version.certification.code, version.label)
    rendered = render(dossier_data(loaded, [], generated_on=TODAY))
    pages = pages_of(rendered.pdf)
    assert len(pages) == rendered.pages
    # Squeezed, a word the layout hyphenated ("coopé-ration") would not match: hyphens: manual.
    whole = squeeze("".join(pages))
    for bloc in doc["blocs"]:
        assert squeeze(bloc["code"]) in whole
        assert squeeze(bloc["title"]) in whole
        for comp in bloc["competencies"]:
            assert squeeze(comp["statement"]) in whole, comp["code"]
            for criterion in comp["criteria"]:
                assert squeeze(criterion["statement"]) in whole, criterion["code"]
    with_header = [n for n, text in enumerate(pages) if HEADER in spaced(text)]
    # One table per bloc, whose header is repeated on every page the table runs over.
    assert len(with_header) >= 2
    assert len(with_header) > len(doc["blocs"])


@pytest.fixture
def mini_pdf(version: Any, pilots: PilotMaker, coordinator: Any) -> tuple[bytes, list[str]]:
    pilots.cohort(version, "Promotion « pilote » 1", learners=3)
    write_texts(
        version,
        {
            "context_and_opportunity": "Pourquoi ce métier ? Parce que: la coopération!",
            "vae_access": "Accès par la VAE ouvert.",
        },
        {AccessRoute.CONTINUING_TRAINING: (True, "Trois")},
        by=coordinator,
    )
    loaded = frameworks.load_version("MINI", "v1")
    cohort_ids = [c.id for c in loaded_cohorts(loaded)]
    pdf = render(dossier_data(loaded, cohort_ids, generated_on=TODAY)).pdf
    return pdf, pages_of(pdf)


def loaded_cohorts(version: Any) -> list[Any]:
    import sqlalchemy as sa

    from app.cohorts.models import Cohort

    return list(db.session.scalars(sa.select(Cohort).where(Cohort.version_id == version.id)))


def test_every_page_but_the_cover_says_page_x_of_y(mini_pdf: tuple[bytes, list[str]]) -> None:
    _, pages = mini_pdf
    total = len(pages)
    assert total > 5
    assert "Page 1 /" not in pages[0]
    for number, text in enumerate(pages[1:], start=2):
        assert f"Page {number} / {total}" in spaced(text), number


def test_the_table_of_contents_gives_the_pages_of_the_sections(
    mini_pdf: tuple[bytes, list[str]],
) -> None:
    _, pages = mini_pdf
    toc = spaced(pages[1])
    assert toc.startswith("Sommaire")
    sections = [
        "Identité de la certification",
        "1° Adéquation des emplois occupés au métier visé",
        "2° Impact sur l’accès ou le retour à l’emploi",
        "3° Référentiels d’activités, de compétences et d’évaluation",
        "4° Contrôle des modalités d’évaluation",
        "5° Contraintes légales et réglementaires",
        "6° Accès par la validation des acquis de l’expérience",
        "7° Blocs de compétences et leurs modalités d’évaluation",
        "8° Correspondances avec d’autres certifications",
        "9° Participation des branches professionnelles",
        "Historique des versions du référentiel",
    ]
    for title in sections:
        match = re.search(re.escape(title) + r"[ .]*?(\d+)\b", toc)
        assert match, title
        page = int(match.group(1))
        # The section's numbered heading is on that page.
        assert re.search(r"\d+\. " + re.escape(title), spaced(pages[page - 1])), title


def test_running_headers_carry_the_title_and_section(mini_pdf: tuple[bytes, list[str]]) -> None:
    _, pages = mini_pdf
    assert "Dossier de certification — MINI" not in pages[0]  # the cover has no header
    for text in pages[1:]:
        assert "Certification d’essai" in spaced(text)
        assert "Dossier de certification — MINI — version v1" in spaced(text)
    # A section's first page: its heading, and its title again in the running header.
    control = next(t for t in pages[2:] if "5. 4° Contrôle des modalités d’évaluation" in spaced(t))
    assert spaced(control).count("4° Contrôle des modalités d’évaluation") == 2


def test_texts_are_french_spaced_in_the_document(
    version: Any, coordinator: Any, mini_pdf: tuple[bytes, list[str]]
) -> None:
    loaded = frameworks.load_version("MINI", "v1")
    html = render_html(dossier_data(loaded, [], generated_on=TODAY))
    assert "Pourquoi ce métier\u202f? Parce que\u202f: la coopération\u202f!" in html
    assert "«\u202fAcquis\u202f»" in html
    # The data itself is untouched.
    texts = texts_services.texts_for(loaded.certification_id)
    assert texts is not None and "métier ? Parce que:" in texts.context_and_opportunity
    _, pages = mini_pdf
    assert "Parce que" in "".join(pages)


def test_user_text_is_escaped_not_interpreted(
    version: Any, coordinator: Any, count_queries: Any
) -> None:
    write_texts(
        version,
        {
            "context_and_opportunity": '<img src="http://evil.test/x.png"> & <b>gras</b>',
            "vae_access": "",
        },
        by=coordinator,
    )
    loaded = frameworks.load_version("MINI", "v1")
    html = render_html(dossier_data(loaded, [], generated_on=TODAY))
    assert "&lt;img src=" in html and "<img" not in html
    assert "&amp; &lt;b&gt;gras&lt;/b&gt;" in html
