"""The jury minutes PDF from plain data, and the PDF helper's restricted URL fetcher."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdf
import pytest

from exports import pdf
from exports.minutes import BlocLine, LearnerLine, Minutes, render_minutes
from tests.dossier.test_typeset import straight_apostrophes
from tests.pdfua import assert_tagged

ROOT = Path(__file__).resolve().parents[2]


def _minutes(**changes: object) -> Minutes:
    values: dict[str, object] = {
        "certification_code": "RNCP00000",
        "certification_title": "Animateur·rice de coopération territoriale",
        "level": 6,
        "version_label": "2025-04",
        "certifier": "Le Labo de l'ESS",
        "session_date": dt.date(2026, 3, 12),
        "location": "Lyon",
        "members": ["Juliette Jurée"],
        "external_members": ["Marc Pro (employeur)"],
        "learners": [
            LearnerLine(
                name="Élodie Brûlé-L'Hôte",
                cohort="Promotion 2025",
                access_route="formation continue",
                blocs=[
                    BlocLine("BC01", "Animer", False, "proposé à la validation", "validé"),
                    BlocLine("BC02", "Développer", False, "proposé à la validation", "validé"),
                ],
                certified=True,
                validated_codes=["BC01", "BC02"],
            ),
            LearnerLine(
                name="Zoé N'Diaye",
                cohort="Promotion 2025",
                access_route="VAE",
                blocs=[
                    BlocLine("BC01", "Animer", False, "en cours", "validé", "Expérience"),
                    BlocLine("BC02", "Développer", False, "en cours", "ajourné"),
                    BlocLine("BC03", "Évaluer", True, "en cours", None),
                ],
                certified=False,
                validated_codes=["BC01"],
            ),
        ],
        "closed_on": dt.date(2026, 3, 12),
        "generated_on": dt.date(2026, 3, 13),
    }
    values.update(changes)
    return Minutes(**values)  # type: ignore[arg-type]


def _text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_minutes_render_as_pdf() -> None:
    data = render_minutes(_minutes())
    assert data.startswith(b"%PDF-")
    text = _text(data)
    for expected in (
        "Procès-verbal du jury de certification",
        "Animateur·rice de coopération territoriale (RNCP00000)",
        "Date de la session : 12 mars 2026",
        "Lieu : Lyon",
        "Juliette Jurée",
        "Marc Pro (employeur) (membre extérieur)",
        "Élodie Brûlé-L’Hôte",
        "Zoé N’Diaye",
        "voie d’accès : VAE",
        "BC01 Animer en cours validé Expérience",
        "BC02 Développer en cours ajourné",
        "BC03 Évaluer (facultatif) en cours pas de décision",
        "Certification obtenue.",
        "Certification non obtenue ; blocs validés (validation partielle) : BC01.",
        "Candidat·es présenté·es : 2 ; certification obtenue : 1.",
        "Fait à Lyon, le 12 mars 2026.",
        "Membre du jury Signature",
    ):
        assert expected in text, expected
    assert "Projet" not in text


def test_minutes_are_a_tagged_pdf_in_french_with_their_title() -> None:
    assert_tagged(
        render_minutes(_minutes()),
        lang="fr",
        title="Procès-verbal du jury de certification — RNCP00000 — 12 mars 2026",
    )


def test_draft_minutes_say_so() -> None:
    text = _text(render_minutes(_minutes(closed_on=None, learners=[])))
    assert "Projet : la session n’est pas close" in text
    assert "Aucun·e candidat·e n’a été présenté·e." in text


def test_one_apostrophe_style_in_the_minutes_template_and_data() -> None:
    html = pdf.render_html("dossier/minutes.html", m=_minutes(location="L'Isle-d'Abeau"))
    assert "Zoé N’Diaye" in html and "voie d’accès" in html and "L’Isle-d’Abeau" in html
    assert straight_apostrophes(html) == []


def test_user_text_is_escaped() -> None:
    html = pdf.render_html(
        "dossier/minutes.html", m=_minutes(location='<img src="http://evil.test/x.png">')
    )
    assert "<img" not in html and "&lt;img" in html


# --- the URL fetcher -----------------------------------------------------------------------------


def test_fetcher_serves_static_files() -> None:
    fetcher = pdf.StaticOnlyFetcher()
    url = (ROOT / "app" / "static" / "style.css").as_uri()
    assert fetcher.read(url) == (ROOT / "app" / "static" / "style.css").read_bytes()
    assert fetcher.media_type(url) == "text/css"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "ftp://example.com/x",
        "data:text/css,body{}",
        (ROOT / "config.py").as_uri(),
        (ROOT / "app" / "static").as_uri() + "/../../config.py",
        (ROOT / "app" / "static").as_uri() + "/%2e%2e/%2e%2e/config.py",
        "file://otherhost" + str(ROOT / "app" / "static" / "style.css"),
        "file:///etc/passwd",
        (ROOT / "app" / "static" / "missing.css").as_uri(),
    ],
)
def test_fetcher_refuses_everything_else(url: str) -> None:
    with pytest.raises(ValueError):
        pdf.StaticOnlyFetcher().read(url)


def test_rendering_never_reaches_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remote and local references in a document are refused, and the PDF still renders."""
    asked: list[str] = []
    original = pdf.StaticOnlyFetcher.read

    def spy(self: pdf.StaticOnlyFetcher, url: str) -> bytes:
        asked.append(url)
        return original(self, url)

    monkeypatch.setattr(pdf.StaticOnlyFetcher, "read", spy)
    html = (
        '<html><head><link rel="stylesheet" href="style.css"></head><body>'
        '<img src="http://example.com/tracker.png"><img src="file:///etc/passwd">'
        "<p>Bonjour</p></body></html>"
    )
    data = pdf.html_to_pdf(html)
    assert "Bonjour" in _text(data)
    assert any(u.endswith("/app/static/style.css") for u in asked)  # relative: static folder
    assert "file:///etc/passwd" in asked  # asked, and refused (see above)
    assert "http://example.com/tracker.png" in asked


def test_date_long() -> None:
    assert pdf.date_long(dt.date(2026, 7, 14)) == "14 juillet 2026"
    assert pdf.date_long(None) == ""
