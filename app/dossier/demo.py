"""Texts of the dossier for the demo: what a coordinator would write for the two roles.

Drafts to show the dossier complete, written from the chantiers' 2025 report; not texts to
file as they are.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.cohorts.models import AccessRoute
from app.dossier.models import DossierJuryText, DossierText
from app.frameworks.models import Certification

_COMMON_CONTEXT = (
    "Les coopérations territoriales (pôles territoriaux de coopération économique, tiers-lieux, "
    "SCIC, consortiums d'acteurs publics et privés) se sont multipliées au service de la "
    "transition écologique et sociale des territoires. Elles reposent sur des professionnel·les "
    "dont le rôle est essentiel mais encore peu reconnu : aucune certification ne décrit "
    "aujourd'hui leurs missions ni leurs compétences propres.\n\n"
    "Le chantier 1 des chantiers coopératifs pour une transition écologique juste (2023-2025), "
    "animé par Savoir Devenir avec Le Labo de l'ESS et une quarantaine de structures, a "
    "élaboré les référentiels d'activités, de compétences et d'évaluation de deux fonctions : "
    "l'animation et le développement de la coopération territoriale. Finalisés en avril 2025, "
    "ils sont expérimentés auprès de plusieurs promotions d'un parcours de formation pilote "
    "avant leur dépôt au RNCP."
)

CONTEXT = {
    "CTA": _COMMON_CONTEXT
    + "\n\n"
    + (
        "L'animateur·rice de coopération territoriale fait vivre une coopération existante : "
        "gouvernance partagée, facilitation du collectif, coordination des partenaires, "
        "suivi des projets, évaluation et capitalisation. Les emplois visés se trouvent dans "
        "les associations et SCIC porteuses de coopérations, les PTCE, les tiers-lieux, les "
        "réseaux de l'économie sociale et solidaire et les collectivités territoriales ; ils "
        "sont aujourd'hui occupés par des personnes aux parcours variés, sans certification "
        "de référence."
    ),
    "CTD": _COMMON_CONTEXT
    + "\n\n"
    + (
        "Le ou la développeur·euse de coopération territoriale fait émerger et grandir des "
        "coopérations : diagnostic territorial, mobilisation des acteurs, modèle économique "
        "et financements hybrides, structuration juridique, essaimage. Les financements par "
        "appels à projets se prêtent mal au temps long de la coopération : les structures "
        "recherchent des professionnel·les capables de construire des modèles durables, ce "
        "que la certification atteste au niveau 6."
    ),
}

VAE_ACCESS = (
    "La certification est accessible par la validation des acquis de l'expérience à toute "
    "personne justifiant d'une expérience en rapport direct avec les activités du référentiel, "
    "salariée, bénévole ou élue. La recevabilité de la demande est examinée par le "
    "certificateur au vu du livret 1.\n\n"
    "Le ou la candidat·e rédige un dossier de description de son expérience (livret 2) "
    "organisé par bloc de compétences, avec un accompagnement facultatif de 20 heures. Le "
    "jury VAE s'entretient avec le ou la candidat·e pendant une heure ; il peut valider la "
    "totalité de la certification ou certains blocs seulement."
)

_JURY = (
    "Jury de trois membres au moins, présidé par un·e professionnel·le de la coopération "
    "territoriale : deux tiers de professionnel·les du métier, employeurs ou salarié·es, "
    "extérieur·es à l'organisme de formation, et un·e représentant·e du certificateur. Les "
    "formateur·rices de la personne évaluée ne siègent pas."
)

JURY = {
    AccessRoute.CONTINUING_TRAINING: _JURY,
    AccessRoute.APPRENTICESHIP: _JURY,
    AccessRoute.PROFESSIONALISATION: _JURY,
    AccessRoute.INDIVIDUAL_APPLICATION: _JURY,
    AccessRoute.VAE: (
        "Jury de trois membres : deux professionnel·les de la coopération territoriale "
        "extérieur·es à l'organisme qui a accompagné la démarche, dont la présidence, et un·e "
        "représentant·e du certificateur."
    ),
}


def demo_texts(certifications: Iterable[Certification]) -> list[DossierText]:
    """Dossier texts for the demo's certifications (CTA and CTD)."""
    return [
        DossierText(
            certification=certification,
            context_and_opportunity=CONTEXT.get(certification.code, _COMMON_CONTEXT),
            vae_access=VAE_ACCESS,
            jury_texts=[
                DossierJuryText(access_route=route, open=True, composition=text)
                for route, text in JURY.items()
            ],
        )
        for certification in certifications
    ]
