"""Editing draft framework versions in the browser (coordinators)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from app.access import can_edit_certification, certifier_of, owned_certifications
from app.db import db, savepoint
from app.frameworks import draft_items, forms, metadata_forms
from app.frameworks import editing_services as editing
from app.frameworks.models import (
    Certification,
    FrameworkError,
    FrameworkVersion,
    ImmutableVersionError,
)
from app.frameworks.services import owned_certifications_with_versions
from app.people.models import Role
from app.registry import copycheck
from app.route_rules import current_person, roles

bp = Blueprint("editor", __name__, url_prefix="/edition")

Page = str | Response | tuple[str, int]
T = TypeVar("T")


@bp.errorhandler(ImmutableVersionError)
def refused(error: ImmutableVersionError) -> tuple[str, int]:
    return render_template("editor/refused.html", message=str(error)), 409


def _version_or_404(version_id: int) -> FrameworkVersion:
    """A version of a certification the coordinator's certifier owns; others' are 404:
    training organisations read published versions in the référentiels, not here."""
    version = editing.load_version_by_id(version_id)
    if version is None or not can_edit_certification(current_person(), version.certification):
        abort(404)
    return version


def _draft(version_id: int) -> FrameworkVersion:
    """The draft to edit; a published or retired version is refused (409)."""
    version = _version_or_404(version_id)
    if not version.is_editable:
        raise ImmutableVersionError(
            _(
                "La version %(label)s n'est plus un brouillon : elle ne peut plus être modifiée. "
                "Copiez-la en un nouveau brouillon pour la faire évoluer.",
                label=version.label,
            )
        )
    return version


def _item(version: FrameworkVersion, kind: editing.Kind, item_id: int) -> Any:
    item = db.session.get(kind.model, item_id)
    if item is None or item.version_id != version.id:
        abort(404)
    return item


def _kind(slug: str) -> editing.Kind:
    if slug not in editing.KINDS:
        abort(404)
    return editing.KINDS[slug]


def _attempt(change: Callable[[], T]) -> tuple[T | None, str | None]:
    """Apply a service change; return its result, or why it was refused (nothing changed)."""
    try:
        with savepoint():
            result = change()
    except ImmutableVersionError:
        raise
    except FrameworkError as exc:
        return None, str(exc)
    except IntegrityError:
        return None, _("Ce code ou ce libellé vient d'être pris : rechargez la page.")
    return result, None


def _warn_if_copied(item: Any) -> None:
    """Say at once when a statement just saved reproduces one of the national register."""
    flag = copycheck.check_item(db.session(), item)
    if flag is not None:
        flash(
            _(
                "%(code)s reprend à %(percent)s %% l'énoncé « %(theirs)s » de la fiche "
                "%(number)s (%(title)s) : reformulez-le, une reprise littérale fait refuser "
                "le dossier sans examen.",
                code=flag.ours.code,
                percent=round(flag.score * 100),
                theirs=flag.theirs,
                number=flag.fiche_number,
                title=flag.fiche_title,
            ),
            "error",
        )


def _to_edit(version: FrameworkVersion, anchor: str | None = None) -> Response:
    return redirect(url_for("editor.edit", version_id=version.id, _anchor=anchor))


# --- versions ------------------------------------------------------------------------------------


@bp.get("/")
@roles(Role.COORDINATOR)
def index() -> str:
    certifications = owned_certifications_with_versions(current_person())
    return render_template(
        "editor/index.html",
        certifications=certifications,
        retire_form=forms.RetireForm(),
        may_create=certifier_of(current_person()) is not None,
    )


@bp.route("/nouveau", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def new_draft() -> Page:
    owner = certifier_of(current_person())
    if owner is None:
        abort(403)  # training organisations use the référentiels, the certifier writes them
    form = forms.NewDraftForm()
    refusal = None
    if form.validate_on_submit():
        existing = db.session.scalar(
            sa.select(Certification).where(Certification.code == form.code.data)
        )
        if existing is not None and not can_edit_certification(current_person(), existing):
            refusal = _("Cette certification appartient à un autre certificateur.")
        else:
            created, refusal = _attempt(lambda: editing.start_draft(**form.values(), owner=owner))
            if created is not None:
                flash(_("Brouillon créé."), "success")
                return _to_edit(created)
    codes = db.session.scalars(
        sa.select(Certification.code)
        .where(owned_certifications(current_person()))
        .order_by(Certification.code)
    ).all()
    return render_template("editor/new.html", form=form, codes=codes, refusal=refusal)


@bp.route("/<int:version_id>/copier", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def copy(version_id: int) -> Page:
    source = _version_or_404(version_id)
    form = forms.CopyForm(source=source)
    refusal = None
    if form.validate_on_submit():
        created, refusal = _attempt(lambda: editing.copy_version(source, form.label.data))
        if created is not None:
            flash(_("Brouillon %(label)s créé par copie.", label=form.label.data), "success")
            return _to_edit(created)
    return render_template("editor/copy.html", form=form, source=source, refusal=refusal)


@bp.get("/<int:version_id>")
@roles(Role.COORDINATOR)
def edit(version_id: int) -> Page:
    version = _draft(version_id)
    return _edit_page(version)


def _edit_page(version: FrameworkVersion, refusal: str | None = None, status: int = 200) -> Page:
    return (
        render_template(
            "editor/edit.html",
            version=version,
            problems=(problems := editing.validation_problems(version)),
            to_complete=editing.completion_problems(version, problems),
            refusal=refusal,
            item_name=editing.item_name,
        ),
        status,
    )


@bp.route("/certification/<int:certification_id>/numero-rncp", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def rncp_number(certification_id: int) -> Page:
    """The number France Compétences gave the certification: it belongs to the certification,
    not to a version, so it can be recorded once its versions are published."""
    certification = db.session.get(Certification, certification_id)
    if certification is None or not can_edit_certification(current_person(), certification):
        abort(404)  # the certifier owning the certification records its number
    form = metadata_forms.RncpNumberForm(number=certification.rncp_number or "")
    refusal = None
    if form.validate_on_submit():
        refusal = _attempt(lambda: editing.set_rncp_number(certification, form.value))[1]
        if refusal is None:
            flash(_("Numéro RNCP de %(code)s enregistré.", code=certification.code), "success")
            return redirect(url_for("editor.index"))
    page = render_template(
        "editor/rncp_number.html", certification=certification, form=form, refusal=refusal
    )
    return (page, 409) if refusal else page


@bp.route("/<int:version_id>/identite", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def metadata(version_id: int) -> Page:
    version = _draft(version_id)
    form = metadata_forms.MetadataForm(obj=version, version=version)
    refusal = None
    if form.validate_on_submit():
        refusal = _attempt(
            lambda: editing.update_metadata(version, form.loaded_revision, form.values())
        )[1]
        if refusal is None:
            flash(_("Identité de la certification enregistrée."), "success")
            return _to_edit(version, "identite")
    return _form_page(version, form, refusal, title=_("Identité de la certification"))


def _form_page(
    version: FrameworkVersion,
    form: forms.DraftForm,
    refusal: str | None,
    title: str,
    action: str | None = None,
    delete_url: str | None = None,
) -> Page:
    page = render_template(
        "editor/form.html",
        version=version,
        form=form,
        refusal=refusal,
        title=title,
        action=action,
        delete_url=delete_url,
    )
    return (page, 409) if refusal else page


# --- items ---------------------------------------------------------------------------------------


def _item_message(item: Any, done: str) -> str:
    """« Critère d'évaluation C1.1.a enregistré. », « Compétence C1.1 ajoutée. »: the item's
    code as written, the past participle agreeing with the kind's gender."""
    name = editing.item_name(item)
    name = name[:1].upper() + name[1:]
    if editing.KIND_OF_MODEL[type(item)].feminine:
        messages = {
            "added": _("%(item)s ajoutée.", item=name),
            "saved": _("%(item)s enregistrée.", item=name),
            "deleted": _("%(item)s supprimée.", item=name),
        }
    else:
        messages = {
            "added": _("%(item)s ajouté.", item=name),
            "saved": _("%(item)s enregistré.", item=name),
            "deleted": _("%(item)s supprimé.", item=name),
        }
    return messages[done]


@bp.route("/<int:version_id>/<kind>/ajouter", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def add_item(version_id: int, kind: str) -> Page:
    version = _draft(version_id)
    spec = _kind(kind)
    parent: Any = version
    if spec.parent is not None:
        parent_id = request.args.get("dans", type=int)
        if parent_id is None:
            abort(404)
        parent = _item(version, editing.KINDS[spec.parent], parent_id)
    extra: dict[str, Any] = {"domain_id": parent.id} if kind == "activite" else {}
    if kind == "critere":
        extra["bloc"] = parent.bloc
    form = forms.ITEM_FORMS[kind](version=version, revision=version.revision, **extra)
    refusal = None
    if form.validate_on_submit():
        added, refusal = _attempt(
            lambda: draft_items.add_item(version, form.loaded_revision, spec, parent, form.values())
        )
        if added is not None:
            flash(_item_message(added, "added"), "success")
            _warn_if_copied(added)
            return _to_edit(version, f"{kind}-{added.id}")
    if parent is version:
        title = _("Ajouter : %(kind)s", kind=spec.label)
    else:
        title = _(
            "Ajouter : %(kind)s à %(parent)s", kind=spec.label, parent=editing.item_name(parent)
        )
    return _form_page(version, form, refusal, title=title)


@bp.route("/<int:version_id>/<kind>/<int:item_id>", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def edit_item(version_id: int, kind: str, item_id: int) -> Page:
    version = _draft(version_id)
    spec = _kind(kind)
    item = _item(version, spec, item_id)
    extra: dict[str, Any] = (
        {"activity_ids": [a.id for a in item.activities]} if kind == "competence" else {}
    )
    if kind == "critere":
        extra.update(bloc=item.competency.bloc, modality_ids=[m.id for m in item.modalities])
    form = forms.ITEM_FORMS[kind](
        obj=item, version=version, item=item, revision=item.revision, **extra
    )
    refusal = None
    if form.validate_on_submit():
        refusal = _attempt(
            lambda: draft_items.update_item(
                version, form.loaded_revision, spec, item, form.values()
            )
        )[1]
        if refusal is None:
            flash(_item_message(item, "saved"), "success")
            _warn_if_copied(item)
            return _to_edit(version, f"{kind}-{item.id}")
    return _form_page(
        version,
        form,
        refusal,
        title=_("Modifier : %(item)s", item=editing.item_name(item)),
        delete_url=url_for("editor.delete_item", version_id=version.id, kind=kind, item_id=item.id),
    )


@bp.post("/<int:version_id>/<kind>/<int:item_id>/supprimer")
@roles(Role.COORDINATOR)
def delete_item(version_id: int, kind: str, item_id: int) -> Response:
    version = _draft(version_id)
    spec = _kind(kind)
    item = _item(version, spec, item_id)
    message = _item_message(item, "deleted")
    form = forms.ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    refusal = _attempt(lambda: draft_items.delete_item(version, form.loaded_revision, spec, item))[
        1
    ]
    if refusal is None:
        flash(message, "success")
    else:
        flash(refusal, "error")
    return _to_edit(version)


@bp.post("/<int:version_id>/<kind>/<int:item_id>/deplacer")
@roles(Role.COORDINATOR)
def move_item(version_id: int, kind: str, item_id: int) -> Response:
    version = _draft(version_id)
    spec = _kind(kind)
    item = _item(version, spec, item_id)
    form = forms.MoveForm()
    if not form.validate_on_submit():
        abort(400)
    refusal = _attempt(
        lambda: draft_items.move_item(version, form.loaded_revision, spec, item, form.step)
    )[1]
    if refusal is not None:
        flash(refusal, "error")
    return _to_edit(version, f"{kind}-{item_id}")


# --- lifecycle -----------------------------------------------------------------------------------


@bp.post("/<int:version_id>/publier")
@roles(Role.COORDINATOR)
def publish(version_id: int) -> Page:
    version = _draft(version_id)
    form = forms.ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        with savepoint():
            draft_items.publish_draft(version, form.loaded_revision)
    except editing.InvalidDraftError as exc:
        return _edit_page(_version_or_404(version_id), refusal=str(exc), status=409)
    except editing.StaleDraftError as exc:
        flash(str(exc), "error")
        return _to_edit(version)
    flash(_("Version %(label)s publiée.", label=version.label), "success")
    return redirect(url_for("editor.index"))


@bp.route("/<int:version_id>/retirer", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def retire(version_id: int) -> Response | str:
    """Ask first (what retiring makes final), then retire on the confirmed POST."""
    version = _version_or_404(version_id)
    if request.method == "GET":
        name = f"{version.certification.code} {version.label}"
        return render_template(
            "confirm.html",
            title=_("Retirer la version %(name)s ?", name=name),
            consequences=[
                _("Aucune nouvelle promotion ne pourra plus être ouverte sur cette version."),
                _(
                    "Les promotions qui la suivent déjà continuent : leurs résultats et leurs "
                    "jurys ne changent pas."
                ),
                _(
                    "Le retrait est définitif : la version ne pourra pas être publiée de "
                    "nouveau (copiez-la en nouveau brouillon pour la faire évoluer)."
                ),
            ],
            action=url_for("editor.retire", version_id=version.id),
            confirm_label=_("Retirer définitivement la version %(name)s", name=name),
            cancel_url=url_for("editor.index"),
            crumbs=[(_("Édition des référentiels"), url_for("editor.index")), (name, None)],
        )
    if not forms.RetireForm().validate_on_submit():
        abort(400)
    refusal = _attempt(lambda: draft_items.retire_version(version))[1]
    if refusal is None:
        flash(_("Version %(label)s retirée.", label=version.label), "success")
    else:
        flash(refusal, "error")
    return redirect(url_for("editor.index"))
