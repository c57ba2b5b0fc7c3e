"""Words as the register search and the copy check see them: French, stemmed, unaccented.

One normalisation serves both engines: the text is stemmed here (Snowball's French stemmer,
the algorithm PostgreSQL's `french` configuration also uses) and stored as space-separated
stems, which SQLite's FTS5 and PostgreSQL's `simple` configuration then index as they are.
So a search finds the same fiches on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Elided articles and pronouns ("l'", "d'", "qu'"…), with straight or curly apostrophes.
_ELISION = re.compile(r"\b(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)

STOPWORDS = frozenset(
    {
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "cet",
        "cette",
        "dans",
        "de",
        "des",
        "du",
        "elle",
        "en",
        "et",
        "eux",
        "il",
        "ils",
        "je",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "lui",
        "ma",
        "mais",
        "me",
        "meme",
        "mes",
        "moi",
        "mon",
        "ne",
        "nos",
        "notre",
        "nous",
        "on",
        "ou",
        "par",
        "pas",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "ta",
        "te",
        "tes",
        "toi",
        "ton",
        "tu",
        "un",
        "une",
        "vos",
        "votre",
        "vous",
        "y",
        "d",
        "l",
        "s",
        "n",
        "c",
        "j",
        "m",
        "t",
        "afin",
        "ainsi",
        "entre",
        "selon",
        "sans",
        "sous",
        "vers",
        "chez",
        "lors",
        "dont",
        "est",
        "sont",
        "etre",
        "avoir",
        "ete",
        "fait",
    }
)

_stemmer = Stemmer.Stemmer("french")


def fold(text: str) -> str:
    """Lower case without accents or ligatures ("Œuvre" → "oeuvre")."""
    text = text.casefold().replace("œ", "oe").replace("æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The folded stem of one lower-case word."""
    return fold(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Every word of `text`, lower case, elided articles dropped (accents kept)."""
    return _WORD.findall(_ELISION.sub(" ", text.casefold()))


def stems(text: str) -> list[str]:
    """The stems of every word, stop words included (for n-grams)."""
    return [stem(w) for w in words(text)]


@lru_cache(maxsize=200_000)
def _content_stem(word: str) -> str | None:
    """The stem of a word that carries meaning; None for stop words and digits. Cached: a
    register import asks for millions of words, most of them the same few thousand."""
    if fold(word) in STOPWORDS or word.isdigit():
        return None
    return stem(word)


def content_stems(text: str) -> list[str]:
    """The stems of the words that carry meaning (stop words and digits left out)."""
    return [s for w in words(text) if (s := _content_stem(w)) is not None]


def index_text(text: str) -> str:
    """What the full-text index stores for `text`."""
    return " ".join(content_stems(text))
