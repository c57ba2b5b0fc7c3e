"""Text that may go into an XML 1.0 document, and the safe parser settings for reading one."""

from __future__ import annotations

import re

from lxml import etree

# Characters XML 1.0 forbids (C0 controls but tab, newline and return; surrogates; U+FFFE/F).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def is_xml_text(value: str) -> bool:
    """Whether `value` can be written in an XML 1.0 document as it is."""
    return _FORBIDDEN.search(value) is None


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot hold (for descriptive text only)."""
    return _FORBIDDEN.sub("", value)


def one_line(value: str) -> str:
    """Collapse every run of whitespace to one space and trim."""
    return " ".join(value.split())


def safe_parser_options() -> dict[str, bool]:
    """lxml options for untrusted XML: no entity expansion, no DTD, no network, no huge trees."""
    return {
        "resolve_entities": False,
        "load_dtd": False,
        "dtd_validation": False,
        "no_network": True,
        "huge_tree": False,
    }


def has_doctype(element: etree._Element) -> bool:
    """Whether the document holding `element` declares a DOCTYPE (refused: entity tricks)."""
    docinfo = element.getroottree().docinfo
    return bool(docinfo.doctype) or docinfo.internalDTD is not None
