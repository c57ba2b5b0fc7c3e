"""Where each gap of the readiness check (app/dossier/readiness.py) is filled: the form, and its
field when there is one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _

from app.cohorts.models import AccessRoute
from app.db import db
from app.dossier.forms import open_field
from app.dossier.texts import WrittenText
from app.frameworks.models import FrameworkVersion, VersionStatus
from app.registry.models import RegistryFiche


class Links:
    """Where each thing is filled in: the form, and its field when there is one.

    A draft is edited in place. A published version is frozen: what it lacks goes into the
    certification's draft when there is one (the same bloc or criterion, found by its code),
    else into a new draft copied from it.
    """

    def __init__(self, version: FrameworkVersion) -> None:
        self.version = version
        self.draft: FrameworkVersion | None = version
        if version.status is not VersionStatus.DRAFT:
            self.draft = db.session.scalar(
                sa.select(FrameworkVersion)
                .where(
                    FrameworkVersion.certification_id == version.certification_id,
                    FrameworkVersion.status == VersionStatus.DRAFT,
                )
                .order_by(FrameworkVersion.id.desc())
                .limit(1)
            )
        self._ids: dict[Any, dict[str, int]] = {}

    def _id(self, model: Any, item: Any) -> int | None:
        """The id of `item` (or of the item with its code) in the draft."""
        if self.draft is self.version:
            return int(item.id)
        if self.draft is None:
            return None
        if model not in self._ids:
            rows = db.session.execute(
                sa.select(model.code, model.id).where(model.version_id == self.draft.id)
            )
            self._ids[model] = {code: id_ for code, id_ in rows}
        return self._ids[model].get(item.code)

    def _frozen(self) -> str:
        if self.draft is None:
            return url_for("editor.copy", version_id=self.version.id)
        return url_for("editor.edit", version_id=self.draft.id)

    def text(self, text: WrittenText) -> str:
        return url_for("dossier.texts", cert_code=self.version.certification.code, _anchor=text.key)

    def jury_route(self, route: AccessRoute) -> str:
        return url_for(
            "dossier.texts", cert_code=self.version.certification.code, _anchor=open_field(route)
        )

    def identity(self, field: str) -> str:
        """The certification's identity form, at `field` (the form's field name)."""
        if self.draft is None:
            return self._frozen()
        return url_for("editor.metadata", version_id=self.draft.id, _anchor=field)

    def add(self, kind: str, parent: Any = None, model: type | None = None) -> str:
        """The form adding a `kind` (editor slug) to `parent` (of `model`), or to the version."""
        if self.draft is None:
            return self._frozen()
        if parent is None:
            return url_for("editor.add_item", version_id=self.draft.id, kind=kind)
        parent_id = self._id(model or type(parent), parent)
        if parent_id is None:
            return self._frozen()
        return url_for("editor.add_item", version_id=self.draft.id, kind=kind, dans=parent_id)

    def item(self, kind: str, item: Any, field: str) -> str:
        """The form of a bloc or a criterion, at `field`."""
        item_id = self._id(type(item), item)
        if self.draft is None or item_id is None:
            return self._frozen()
        return url_for(
            "editor.edit_item", version_id=self.draft.id, kind=kind, item_id=item_id, _anchor=field
        )

    def cohorts(self) -> str:
        return url_for("cohorts.index")

    def juries(self) -> str:
        return url_for("jury.index")

    def insertion(self, cohort_id: int | None = None) -> str:
        if cohort_id is None:
            return url_for("insertion.index")
        return url_for("insertion.cohort", cohort_id=cohort_id)

    def correspondences(self) -> str:
        return url_for(
            "registry.correspondence_list",
            cert_code=self.version.certification.code,
            label=self.version.label,
        )

    def register_import(self) -> str:
        return url_for("registry.import_export")


def register_loaded() -> bool:
    return db.session.scalar(sa.select(RegistryFiche.id).limit(1)) is not None


def how_to_load_the_register() -> str:
    return _(
        "Le répertoire national se charge depuis son export en données ouvertes (France "
        "Compétences, licence ouverte, fichier XML ou ZIP) : téléchargez-le, puis importez-le "
        "depuis Registre national › Importer un export du registre, ou par la commande "
        "« flask --app app rncp import FICHIER »."
    )
