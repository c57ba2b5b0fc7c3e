"""French punctuation spacing: a narrow no-break space before ; : ! ? and inside « »."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from exports.typography import french_spacing, french_spacing_filter

N = "\u202f"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Niveau : 5", f"Niveau{N}: 5"),
        ("Niveau: 5", f"Niveau{N}: 5"),
        ("oui ; non", f"oui{N}; non"),
        ("Pourquoi ?", f"Pourquoi{N}?"),
        ("Attention!", f"Attention{N}!"),
        ("Vraiment ?!", f"Vraiment{N}?!"),
        ("Vraiment?!", f"Vraiment{N}?!"),
        ("« Acquis »", f"«{N}Acquis{N}»"),
        ("«Acquis»", f"«{N}Acquis{N}»"),
        ("« Acquis » : oui", f"«{N}Acquis{N}»{N}: oui"),
        ("mot\u00a0: suite", f"mot{N}: suite"),
        ("mot  :  suite", f"mot{N}:  suite"),
    ],
)
def test_spaces_are_narrow_and_unbreakable(text: str, expected: str) -> None:
    assert french_spacing(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "à 10:30",
        "https://www.francecompetences.fr/recherche?q=RNCP",
        "C1.1.a",
        "ratio 1:2",
        "",
        "Sans ponctuation",
    ],
)
def test_times_urls_and_codes_are_left_alone(text: str) -> None:
    assert french_spacing(text) == text


def test_already_spaced_text_is_unchanged() -> None:
    once = french_spacing("Le jury : « trois membres » ; président·e ?")
    assert french_spacing(once) == once


def test_the_filter_escapes_nothing_itself_on_plain_text() -> None:
    # Plain text stays plain text: autoescape escapes it afterwards.
    assert french_spacing_filter("<b>Note :</b>") == f"<b>Note{N}:</b>"


def test_the_filter_spaces_markup_text_but_not_tags_nor_entities() -> None:
    value = Markup('<a href="#sec:1">Niveau :</a> l&#39;ESS &amp; co ; fin')
    result = french_spacing_filter(value)
    assert isinstance(result, Markup)
    assert str(result) == f'<a href="#sec:1">Niveau{N}:</a> l&#39;ESS &amp; co{N}; fin'
