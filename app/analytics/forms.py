"""The analytics filters: plain GET forms (nothing is written, so no CSRF token)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from app.analytics.counts import Filters
from app.cohorts.models import AccessRoute
from app.frameworks.structure import Structure
from app.glossary import ACCESS_ROUTE

STATUS_CHOICES = [
    SelectChoice("active", _l("actives (inscrit·es et certifié·es)")),
    SelectChoice("enrolled", _l("inscrit·es")),
    SelectChoice("certified", _l("certifié·es")),
    SelectChoice("withdrawn", _l("abandons")),
    SelectChoice("all", _l("toutes")),
]


class CohortFilterForm(FlaskForm):
    class Meta:
        csrf = False

    bloc = SelectField(_l("Bloc de compétences"), default="")
    status = SelectField(_l("Inscriptions"), choices=STATUS_CHOICES, default="active")

    def __init__(self, version: Structure, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bloc.choices = [
            SelectChoice("", _l("tous les blocs")),
            *(SelectChoice(b.code, f"{b.code} — {b.title}") for b in version.blocs),
        ]

    def filters(self) -> Filters:
        return Filters(bloc_code=self.bloc.data or None, status=self.status.data or "active")


class VersionFilterForm(CohortFilterForm):
    route = SelectField(_l("Voie d'accès"), default="")

    def __init__(self, version: Structure, **kwargs: Any) -> None:
        super().__init__(version, **kwargs)
        self.route.choices = [
            SelectChoice("", _l("toutes")),
            *(SelectChoice(r.value, ACCESS_ROUTE[r]) for r in AccessRoute),
        ]

    def filters(self) -> Filters:
        route = AccessRoute(self.route.data) if self.route.data else None
        return Filters(
            bloc_code=self.bloc.data or None,
            status=self.status.data or "active",
            access_route=route,
        )
