"""Text that may go into an XML 1.0 document (reading XML safely: exports/guard.py)."""

from __future__ import annotations

import re

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
