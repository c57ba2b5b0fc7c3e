"""French words for the exports' kinds and states (gettext)."""

from flask_babel import lazy_gettext as _l

EXPORT_KIND = {
    "dossier": _l("dossier de certification"),
    "fiche": _l("fiche (données ouvertes France Compétences)"),
    "accrochage": _l("flux d'accrochage (Caisse des Dépôts)"),
}

EXPORT_STATUS = {
    "pending": _l("en attente"),
    "running": _l("en cours"),
    "done": _l("terminé"),
    "failed": _l("en échec"),
}

INTEGRITY = {
    "conforming": _l("conforme"),
    "altered": _l("altéré"),
    "missing": _l("fichier manquant"),
    "not_available": _l("pas de fichier"),
}
