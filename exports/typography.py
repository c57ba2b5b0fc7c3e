"""French typography for documents: the spaces French puts around some punctuation.

French sets a narrow no-break space (U+202F, espace fine insécable) before ; : ! ? and
inside « ». The data keeps what people typed; documents apply `french_spacing` when they show
a text (the `fr` filter of PDF templates), so a colon never starts a line.
"""

from __future__ import annotations

import html
import re

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
