"""Checks that a PDF is tagged for screen readers (PDF/UA-1), read back with pypdf."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader


def assert_tagged(pdf: bytes, *, lang: str = "fr", title: str | None = None) -> None:
    """Fail unless `pdf` is a tagged PDF/UA-1 document in `lang` whose title (when given) is
    in both its document information and its XMP metadata, shown instead of the file name."""
    catalog: Any = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert bool(catalog["/MarkInfo"]["/Marked"]), "not marked (/MarkInfo /Marked)"
    tree = catalog["/StructTreeRoot"].get_object()
    assert tree.get("/K") is not None, "empty structure tree"
    assert str(catalog["/Lang"]) == lang
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    xmp = catalog["/Metadata"].get_object().get_data().decode()
    assert 'pdfuaid:part="1"' in xmp, "no PDF/UA-1 identification in the XMP metadata"
    info: Any = PdfReader(io.BytesIO(pdf)).metadata
    assert info is not None and info.title, "no title in the document information"
    assert "<dc:title>" in xmp, "no title in the XMP metadata"
    if title is not None:
        assert info.title == title, info.title
        assert _xml_text(title) in xmp, f"{title!r} not in the XMP metadata"


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
