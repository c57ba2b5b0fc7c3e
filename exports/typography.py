"""French typography for documents: the spaces French puts around some punctuation, and one
apostrophe style.

French sets a narrow no-break space (U+202F, espace fine insécable) before ; : ! ? and
inside « ». The data keeps what people typed; documents apply `french_spacing` when they show
a text (the `fr` filter of PDF templates), so a colon never starts a line.
"""

from __future__ import annotations

import html
import re
from typing import Any

import lxml.html
from markupsafe import Markup, escape

NARROW_NBSP = "\u202f"

# Any spaces (or none) a person may have typed around the punctuation.
_SPACES = "[ \u00a0\u2009\u202f]"
# Before ; ! ? : existing spaces become one narrow no-break space. With no space typed,
# one is added only when the sign ends a word group ("Attention!" → "Attention !"), so that
# "10:30", "https://…", "a?b" stay as they are.
_BEFORE_TYPED = re.compile(f"(?<=\\S){_SPACES}+(?=[;:!?])")
_BEFORE_MISSING = re.compile(r"(?<=[^\s;:!?«(\[/])(?=[;:!?]+(?:\s|$|[»)\].,]))")
_AFTER_OPENING = re.compile(f"«{_SPACES}*")
_BEFORE_CLOSING = re.compile(f"{_SPACES}*»")
_TAG = re.compile(r"(<[^>]*>)")


def french_spacing(text: str) -> str:
    """`text` with a narrow no-break space before ; : ! ? and inside « »."""
    text = _BEFORE_TYPED.sub(NARROW_NBSP, text)
    text = _BEFORE_MISSING.sub(NARROW_NBSP, text)
    text = _AFTER_OPENING.sub("«" + NARROW_NBSP, text)
    return _BEFORE_CLOSING.sub(NARROW_NBSP + "»", text)


def french_spacing_filter(value: object) -> Markup | str:
    """The Jinja filter: plain text is spaced (and escaped later by autoescape); markup is
    spaced in its text only, never inside its tags or character references."""
    if isinstance(value, Markup):
        parts = _TAG.split(str(value))
        for index in range(0, len(parts), 2):  # even parts are text, odd parts are tags
            parts[index] = str(escape(french_spacing(html.unescape(parts[index]))))
        # Safe: the tags come unchanged from markup, the text between them is escaped again.
        return Markup("".join(parts))  # noqa: S704
    return french_spacing(str(value))


# --- apostrophes ------------------------------------------------------------------------------

APOSTROPHE = "\u2019"  # ’ the typographic apostrophe French prose is set with
# A straight apostrophe after a letter and before a letter or digit: "l'évaluation",
# "aujourd'hui", "N'Diaye". Quotes used as quotation marks ('ceci') stay as typed.
_STRAIGHT = re.compile(r"(?<=[^\W\d_])'(?=\w)")
# Words that are not prose: URLs and e-mail addresses keep their characters exactly.
_VERBATIM = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+|\S+@\S+", re.IGNORECASE)


def typographic_apostrophes(text: str) -> str:
    """`text` with ’ for the straight apostrophe inside words, URLs and e-mails left as typed."""
    parts: list[str] = []
    start = 0
    for verbatim in _VERBATIM.finditer(text):
        parts.append(_STRAIGHT.sub(APOSTROPHE, text[start : verbatim.start()]))
        parts.append(verbatim.group())
        start = verbatim.end()
    parts.append(_STRAIGHT.sub(APOSTROPHE, text[start:]))
    return "".join(parts)


# Elements whose text is not prose: styles, scripts, codes (class "code"), and anything
# marked translate="no" (identifiers, e-mails shown as such).
_NOT_PROSE_TAGS = frozenset({"style", "script", "code", "kbd", "samp", "pre"})


def _is_prose(element: Any) -> bool:
    if not isinstance(element.tag, str) or element.tag in _NOT_PROSE_TAGS:
        return False
    if "code" in (element.get("class") or "").split() or element.get("translate") == "no":
        return False
    return not (element.tag == "a" and (element.get("href") or "").startswith("mailto:"))


def typeset_apostrophes(document: str) -> str:
    """A rendered HTML document with one apostrophe style in its prose: every text node
    passes through `typographic_apostrophes`, except inside codes, styles and mail links
    (whose text and descendants keep what was typed). Tags and attributes are untouched."""
    root = lxml.html.document_fromstring(document)

    def walk(element: Any, prose: bool) -> None:
        prose = prose and _is_prose(element)
        if prose and element.text:
            element.text = typographic_apostrophes(element.text)
        for child in element:
            walk(child, prose)
            # A child's tail is its parent's text.
            if prose and child.tail:
                child.tail = typographic_apostrophes(child.tail)

    walk(root, True)
    return "<!doctype html>\n" + lxml.html.tostring(root, encoding="unicode")
