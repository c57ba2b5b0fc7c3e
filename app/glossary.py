"""French words of the UI and documents for the code's states, in one place (gettext)."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

VERSION_STATUS = {
    "draft": _l("brouillon"),
    "published": _l("publiée"),
    "retired": _l("retirée"),
}

CHANGE = {
    "added": _l("ajouté"),
    "removed": _l("supprimé"),
    "reworded": _l("reformulé"),
}


# Voies d'accès (AccessRoute values).
ACCESS_ROUTE = {
    "formation_initiale": _l("formation initiale"),
    "apprentissage": _l("apprentissage"),
    "formation_continue": _l("formation continue"),
    "contrat_professionnalisation": _l("contrat de professionnalisation"),
    "candidature_individuelle": _l("candidature individuelle"),
    "vae": _l("VAE (validation des acquis de l'expérience)"),
}

# Enrolment (inscription) statuses.
ENROLMENT_STATUS = {
    "enrolled": _l("inscrit·e"),
    "withdrawn": _l("abandon"),
    "certified": _l("certifié·e"),
}

SEX = {
    "F": _l("féminin"),
    "M": _l("masculin"),
}

ORGANISATION_KIND = {
    "certifier": _l("certificateur"),
    "training": _l("organisme de formation"),
}


# --- jury, insertion survey, evidence (app/jury, app/insertion, app/assessment/evidence.py) ---

# Jury decisions on a bloc (Decision values).
DECISION = {
    "validated": _l("validé"),
    "not_validated": _l("non validé"),
    "deferred": _l("ajourné"),
    "not_presented": _l("non présenté"),
}

# A bloc's status as shown to the jury (BlocStatus values): the results' proposal.
JURY_BLOC_STATUS = {
    "in_progress": _l("en cours"),
    "proposed": _l("proposé à la validation"),
    "validated": _l("déjà validé"),
}

# Insertion survey: when (Horizon values), what (Situation values), which contract.
HORIZON = {
    "6m": _l("à 6 mois"),
    "2y": _l("à 2 ans"),
}

SITUATION = {
    "target_job": _l("en emploi dans le métier visé"),
    "other_job": _l("en emploi dans un autre métier"),
    "job_seeking": _l("en recherche d'emploi"),
    "studying": _l("en poursuite d'études"),
    "alternance": _l("en alternance"),
    "unable_to_work": _l("dans l'incapacité de travailler"),
    "abroad": _l("à l'étranger"),
    "no_answer": _l("pas de réponse"),
}

CONTRACT_TYPE = {
    "cdi": _l("CDI"),
    "cdd": _l("CDD"),
    "interim": _l("intérim"),
    "self_employed": _l("indépendant·e, création d'activité"),
    "civil_servant": _l("fonctionnaire"),
    "other": _l("autre contrat"),
}

# --- end jury, insertion survey, evidence ---


def template_globals() -> dict[str, object]:
    return {
        "status_labels": VERSION_STATUS,
        "change_labels": CHANGE,
        "get_locale": get_locale,
        "access_route_labels": ACCESS_ROUTE,
        "enrolment_status_labels": ENROLMENT_STATUS,
        "sex_labels": SEX,
        "organisation_kind_labels": ORGANISATION_KIND,
    }
