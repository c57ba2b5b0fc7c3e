"""The dossier's texts: read them, save them (audited, refused when stale), and the state of
each access route for the dossier and the fiche."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.cohorts.models import AccessRoute, Cohort
from app.db import db
from app.dossier.models import DossierJuryText, DossierText
from app.dossier.texts import TEXT_KEYS
from app.frameworks.models import Certification, FrameworkVersion
from app.people import audit
from app.people.models import User


class DossierTextError(Exception):
    """A write refused for a reason the coordinator can act on."""


class StaleTexts(DossierTextError):
    def __init__(self) -> None:
        super().__init__(
            _(
                "Quelqu'un d'autre a modifié les textes du dossier pendant que vous les éditiez : "
                "rien n'a été enregistré. Vos saisies sont conservées ci-dessous ; rechargez la "
                "page pour voir la version à jour."
            )
        )


@dataclass(frozen=True)
class JuryRouteState:
    open: bool
    composition: str = ""


@dataclass(frozen=True)
class TextsInput:
    values: dict[str, str]  # by DossierText column (app/dossier/texts.py)
    jury: dict[AccessRoute, JuryRouteState]


def clean_text(text: str | None) -> str:
    """Text from a textarea: Unix line breaks, no trailing spaces, no blank lines around."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


# --- reading -------------------------------------------------------------------------------------


def texts_for(certification_id: int) -> DossierText | None:
    """The certification's texts with their jury texts (two queries), None if never written."""
    return db.session.scalar(
        sa.select(DossierText)
        .where(DossierText.certification_id == certification_id)
        .options(selectinload(DossierText.jury_texts), selectinload(DossierText.updated_by))
    )


def used_routes(certification_id: int) -> set[AccessRoute]:
    """Access routes a cohort of the certification (any version) has followed (one query)."""
    return set(
        db.session.scalars(
            sa.select(Cohort.access_route)
            .distinct()
            .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
            .where(FrameworkVersion.certification_id == certification_id)
        )
    )


def jury_routes(
    texts: DossierText | None, used: set[AccessRoute]
) -> dict[AccessRoute, JuryRouteState]:
    """Each access route, open when the coordinator says so or when a cohort followed it,
    with the jury composition the coordinator wrote."""
    states = {}
    for route in AccessRoute:
        written = texts.jury_text(route) if texts is not None else None
        states[route] = JuryRouteState(
            open=route in used or (written is not None and written.open),
            composition=written.composition if written is not None else "",
        )
    return states


# --- writing -------------------------------------------------------------------------------------


def _claim_revision(texts: DossierText, revision: int) -> None:
    """Bump the revision if it still is `revision`, atomically; otherwise refuse. The
    conditional UPDATE holds the row until commit: of two edits from one revision, one wins."""
    result = db.session.execute(
        sa.update(DossierText)
        .where(DossierText.id == texts.id, DossierText.revision == revision)
        .values(revision=DossierText.revision + 1)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleTexts()


def save_texts(
    certification: Certification, *, revision: int, data: TextsInput, by: User | None
) -> DossierText:
    """Create or change the certification's dossier texts, if nobody changed them since the
    form was loaded (`revision`: the revision it showed, 0 when there were no texts yet)."""
    texts = texts_for(certification.id)
    if texts is None:
        if revision != 0:
            raise StaleTexts()
        texts = DossierText(certification=certification, revision=1)
        try:
            with db.session.begin_nested():
                db.session.add(texts)
                db.session.flush()
        except IntegrityError as exc:  # written by someone else meanwhile
            raise StaleTexts() from exc
    else:
        _claim_revision(texts, revision)

    changed = []
    for key in TEXT_KEYS:
        value = clean_text(data.values.get(key, getattr(texts, key) or ""))
        if getattr(texts, key) != value:
            changed.append(key)
            setattr(texts, key, value)
    for route in AccessRoute:
        state = data.jury.get(route, JuryRouteState(open=False))
        composition = clean_text(state.composition)
        row = texts.jury_text(route)
        if row is None:
            if not state.open and not composition:
                continue
            row = DossierJuryText(access_route=route)
            texts.jury_texts.append(row)
        if (row.open, row.composition) != (state.open, composition):
            changed.append(f"jury.{route.value}")
            row.open, row.composition = state.open, composition
    texts.updated_by = by
    audit.record(
        "dossier.texts_edit",
        texts,
        f"Textes du dossier de certification {certification.code} modifiés",
        actor=by,
        certification=certification.code,
        changed=changed,
    )
    return texts
