"""Text that may go into an XML 1.0 document, and the check of a written document against its
schema (reading XML safely: exports/guard.py)."""

from __future__ import annotations

import re

from lxml import etree

from exports.guard import xml_parser

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


def schema_errors(schema: etree.XMLSchema, content: bytes) -> list[str]:
    """What `schema` finds wrong in a written document, one « ligne N : … » each (empty: valid)."""
    document = etree.fromstring(content, xml_parser())
    if schema.validate(document):
        return []
    return [f"ligne {e.line} : {e.message}" for e in schema.error_log]
