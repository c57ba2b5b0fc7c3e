"""Plurals of the French source texts: gettext's `ngettext` with the French rule.

The messages are written in French (the msgids are the French text). Without a catalog,
gettext falls back to the English rule (singular only for 1), so "0 abandons"; French uses
the singular for 0 and 1 ("0 abandon", "1 abandon", "2 abandons"), the rule of French
catalogs: ``Plural-Forms: nplurals=2; plural=(n > 1);``.
"""

from __future__ import annotations

import gettext


def french_plural(n: int) -> int:
    """The index of the form French uses for `n`: 0 (singular) for 0 and 1, else 1."""
    return 1 if abs(n) > 1 else 0


class FrenchSource(gettext.NullTranslations):
    """The translations of French source texts into French: the texts as written, with the
    French plural rule. Used as the last fallback of every catalog."""

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return msgid2 if french_plural(n) else msgid1

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return msgid2 if french_plural(n) else msgid1

    # babel.support and Jinja call the u-prefixed names.
    ungettext = ngettext
    unpgettext = npgettext


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """The form of a French text for `n`, formatted with ``num`` = n and `variables`
    (outside Flask: the exporters and the command line's plain messages)."""
    text = FrenchSource().ngettext(singular, plural, n)
    return text % {"num": n, **variables}
