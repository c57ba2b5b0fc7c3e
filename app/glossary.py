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


def template_globals() -> dict[str, object]:
    return {
        "status_labels": VERSION_STATUS,
        "change_labels": CHANGE,
        "get_locale": get_locale,
    }
