"""A cohort's learner import: the file sent, checked and shown, then confirmed."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from app.access import cohort_or_404
from app.cohorts import importer, importing, services
from app.cohorts.forms import (
    ConfirmImportForm,
    ImportForm,
)
from app.cohorts.routes import bp
from app.db import after_commit, savepoint
from app.people import mail
from app.people.models import Role
from app.route_rules import current_person, roles
from exports.guard import Limits, size_text

# --- import ------------------------------------------------------------------------------------


def _upload_folder() -> Path:
    return Path(current_app.config["INSTANCE_DIR"]) / "imports"


def _limits() -> Limits:
    return Limits.from_config(current_app.config)


def _too_large_message() -> str:
    return _(
        "Le fichier dépasse %(size)s : découpez-le en plusieurs fichiers.",
        size=size_text(_limits().max_bytes),
    )


@bp.route("/promotions/<int:cohort_id>/import", methods=["GET", "POST"])
@roles(Role.COORDINATOR)
def import_learners(cohort_id: int) -> str | Response | tuple[str, int]:
    cohort = cohort_or_404(cohort_id, manage=True)
    page: dict[str, Any] = {"cohort": cohort, "parsed": None, "plan": None}
    # Refuse a huge body before reading it; the parser says the same for a smaller excess.
    request.max_content_length = _limits().max_bytes + 64 * 1024
    try:
        form = ImportForm()
        submitted = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = ImportForm(formdata=None)
        form.spreadsheet.errors = [_too_large_message()]
        return render_template("cohorts/import.html", form=form, **page), 413
    if submitted:
        upload = form.spreadsheet.data
        filename = upload.filename or ""
        data = upload.read(_limits().max_bytes + 1)
        parsed = importer.parse(data, filename, limits=_limits())
        page.update(parsed=parsed, filename=filename)
        if parsed.rows:
            page["plan"] = plan = importing.plan_import(cohort, parsed, actor=current_person())
            if parsed.ok and (plan.to_enrol or plan.offered):
                key = importing.store_upload(
                    _upload_folder(), cohort, current_person(), data, filename
                )
                page["confirm_form"] = ConfirmImportForm(
                    formdata=None, upload=key, filename=filename
                )
    return render_template("cohorts/import.html", form=form, **page)


@bp.post("/promotions/<int:cohort_id>/import/confirmer")
@roles(Role.COORDINATOR)
def confirm_import(cohort_id: int) -> str | Response:
    cohort = cohort_or_404(cohort_id, manage=True)
    form = ConfirmImportForm()
    key = form.upload.data or ""
    data = importing.read_upload(_upload_folder(), key, cohort, current_person())
    if not form.validate_on_submit() or data is None:
        flash(_("Ce fichier n'est plus disponible : déposez-le de nouveau."), "error")
        return redirect(url_for(".import_learners", cohort_id=cohort.id))
    filename = form.filename.data or key
    # The stored file is read and checked again: nothing is taken on trust from the preview.
    parsed = importer.parse(data, key, limits=_limits())
    try:
        with savepoint():
            result = importing.import_learners(cohort, parsed, filename, actor=current_person())
    except services.CohortError as error:
        flash(str(error), "error")
        page = {
            "cohort": cohort,
            "form": ImportForm(formdata=None),
            "parsed": parsed,
            "plan": importing.plan_import(cohort, parsed, actor=current_person())
            if parsed.rows
            else None,
            "filename": filename,
        }
        return render_template("cohorts/import.html", **page)
    except IntegrityError:
        flash(
            _(
                "Une autre inscription a eu lieu pendant l'import : rien n'a été importé. "
                "Vérifiez de nouveau le fichier."
            ),
            "error",
        )
        return redirect(url_for(".import_learners", cohort_id=cohort.id))
    after_commit(functools.partial(importing.discard_upload, _upload_folder(), key))
    for invitation in [*result.invitations, *result.offers]:
        after_commit(functools.partial(mail.send_quietly, invitation))
    flash(
        _(
            "%(count)s apprenant·es inscrit·es, dont %(new)s invité·es à créer leur compte.",
            count=result.plan.to_enrol,
            new=len(result.invitations),
        ),
        "success",
    )
    if result.plan.offered:
        flash(
            ngettext(
                "%(num)d personne a un compte lié à un autre organisme : une inscription "
                "lui est proposée, effective quand elle l'aura acceptée.",
                "%(num)d personnes ont un compte lié à un autre organisme : une inscription "
                "leur est proposée, effective quand elles l'auront acceptée.",
                len(result.plan.offered),
            ),
            "success",
        )
    return redirect(url_for(".show", cohort_id=cohort.id))
