"""The dossier's written texts, each tied to the registration criterion it answers.

One list drives the texts' form, their saving, the dossier's sections and the readiness check:
a text added here is edited, saved, printed and checked without another change.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class WrittenText:
    key: str  # the DossierText column
    criterion: str  # "identity" (the context), "1"…"9", "2025" for the additions
    label: LazyString
    help: LazyString
    rows: int = 8


TEXTS: tuple[WrittenText, ...] = (
    WrittenText(
        "context_and_opportunity",
        "identity",
        _l("Contexte et opportunité de la certification"),
        _l(
            "Le besoin des employeurs et du territoire, les emplois visés, les certifications "
            "proches et ce qui distingue celle-ci. Une ligne vide sépare deux paragraphes."
        ),
        rows=12,
    ),
    WrittenText(
        "insertion_comparison",
        "2",
        _l("Comparaison avec des certifications proches"),
        _l(
            "Les taux d'insertion de certifications visant des métiers proches ou voisins "
            "(intitulé, numéro RNCP, taux à 6 mois et à 2 ans, source), pour situer ceux des "
            "promotions."
        ),
        rows=6,
    ),
    WrittenText(
        "disability_adaptations",
        "3",
        _l("Prise en compte du handicap"),
        _l(
            "Les aménagements des épreuves pour les candidat·es en situation de handicap : "
            "temps majoré, supports adaptés, accessibilité des lieux, référent·e handicap."
        ),
    ),
    WrittenText(
        "assessment_procedures",
        "4",
        _l("Procédures de contrôle des modalités d'évaluation"),
        _l(
            "Comment le certificateur s'assure que chaque évaluation est organisée comme prévu "
            "chez chaque organisme : habilitation, cahier des charges, visites, contrôle des "
            "procès-verbaux. Les chiffres (double correction, désaccords, jurys) sont calculés "
            "par l'application."
        ),
    ),
    WrittenText(
        "vae_access",
        "6",
        _l("Accès par la validation des acquis de l'expérience (VAE)"),
        _l(
            "Conditions de recevabilité, accompagnement proposé, étapes et délais, déroulement "
            "de l'évaluation et composition du jury VAE."
        ),
    ),
    WrittenText(
        "correspondences",
        "8",
        _l("Correspondances avec d'autres certifications"),
        _l(
            "Ce que le tableau des correspondances ne dit pas : équivalences totales ou "
            "partielles demandées, ou pourquoi aucune certification de même niveau n'en a."
        ),
        rows=6,
    ),
    WrittenText(
        "branch_involvement",
        "9",
        _l("Participation des branches professionnelles (CPNE)"),
        _l(
            "Comment les commissions paritaires nationales de l'emploi ont participé à "
            "l'écriture ou à la validation des référentiels, ou pourquoi aucune n'est concernée."
        ),
        rows=6,
    ),
    WrittenText(
        "professionals_consulted",
        "9",
        _l("Professionnel·les consulté·es"),
        _l("Les structures et les personnes du métier consultées, et à quelle étape."),
        rows=6,
    ),
    WrittenText(
        "transitions",
        "2025",
        _l("Transitions écologique et numérique"),
        _l("Où les référentiels traitent des transitions écologique et numérique du métier."),
        rows=6,
    ),
    WrittenText(
        "health_and_safety",
        "2025",
        _l("Santé et sécurité au travail"),
        _l("Où les référentiels traitent de la santé et de la sécurité au travail."),
        rows=6,
    ),
    WrittenText(
        "means",
        "2025",
        _l("Moyens pédagogiques, techniques et d'encadrement"),
        _l(
            "Les moyens que le certificateur exige des organismes de formation : formateurs "
            "et leur qualification, ressources pédagogiques, outils, encadrement des stages."
        ),
    ),
)

TEXT_KEYS: tuple[str, ...] = tuple(text.key for text in TEXTS)


def written(criterion: str) -> tuple[WrittenText, ...]:
    return tuple(text for text in TEXTS if text.criterion == criterion)
