"""`flask people erase EMAIL` and `flask retention apply [--execute]`."""

from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import CommandGroup, fail
from app.i18n import option
from app.privacy import retention
from app.privacy.erasure import ErasureError, ErasurePlan, erase_person, find_person, plan_erasure

people_cli = CommandGroup("people", help=_l("Données personnelles : effacement sur demande."))
retention_cli = CommandGroup(
    "retention", help=_l("Durées de conservation des données personnelles.")
)


def _describe(plan: ErasurePlan) -> None:
    lines = [
        _(
            "inscriptions conservées : %(enrolments)d (dont certifiées : %(certified)d)",
            enrolments=plan.enrolments,
            certified=plan.certified,
        ),
        _(
            "identité civile effacée : %(answer)s",
            answer=_("oui") if plan.has_identity else _("aucune"),
        ),
        _("pièces justificatives supprimées : %(n)d", n=plan.evidence_files),
        _(
            "attestations et entrées du journal pseudonymisées : %(attestations)d, %(entries)d",
            attestations=plan.attestations,
            entries=plan.audit_entries,
        ),
        _("flux d'accrochage pseudonymisés : %(n)d", n=plan.accrochage_exports),
        _("réponses à l'enquête conservées : %(n)d", n=plan.survey_answers),
    ]
    if plan.staff_roles:
        lines.append(
            _("rôles du compte (conservés) : %(roles)s", roles=", ".join(plan.staff_roles))
        )
    for line in lines:
        click.echo(f"  {line}")


@people_cli.command("erase")
@click.argument("email")
@option("--yes", is_flag=True, help=_l("Ne pas demander de confirmation."))
def erase_command(email: str, yes: bool) -> None:
    """Erase a person's identity and contact data, keeping their certification evidence."""
    person = find_person(email)
    if person is None:
        fail(_("aucun compte pour %(email)s", email=email))
    if person.erased_at is not None:
        fail(_("les données de cette personne ont déjà été effacées"))
    click.echo(_("Effacement des données personnelles du compte n° %(id)d :", id=person.id))
    _describe(plan_erasure(person))
    if not yes and not click.confirm(_("Effacer définitivement ?"), default=False):
        fail(_("abandon, rien n'a été effacé"))
    try:
        plan = erase_person(person, actor=None)
    except ErasureError as exc:
        fail(str(exc))
    click.echo(
        _(
            "effacé : le compte n° %(id)d est désormais « %(name)s »",
            id=plan.person_id,
            name=person.full_name,
        )
    )


@retention_cli.command("apply")
@option(
    "--execute",
    is_flag=True,
    help=_l("Supprimer vraiment (sans cette option : rapport seulement)."),
)
def apply_command(execute: bool) -> None:
    """Report what is past its retention period; with --execute, remove it (audited)."""
    reports = retention.apply() if execute else retention.plan()
    if execute:
        click.echo(_("Durées de conservation"))
    else:
        click.echo(_("Durées de conservation (simulation : rien n'est changé)"))
    for report in reports:
        setting = retention.KINDS[report.kind][0]
        if report.cutoff is None:
            click.echo(
                _(
                    "- %(label)s : conservées sans limite (%(setting)s=0)",
                    label=report.label,
                    setting=setting,
                )
            )
            continue
        n = report.count
        if report.kind == "inactive_accounts" and execute:
            action = ngettext("%(num)d effacé (pseudonyme)", "%(num)d effacés (pseudonyme)", n)
        elif execute:
            action = ngettext("%(num)d supprimé", "%(num)d supprimés", n)
        else:
            action = _("%(num)d à supprimer", num=n)
        click.echo(
            _(
                "- %(label)s : %(days)d jours (%(setting)s), antérieures au %(cutoff)s : "
                "%(action)s",
                label=report.label,
                days=report.days,
                setting=setting,
                cutoff=report.cutoff.strftime("%Y-%m-%d"),
                action=action,
            )
        )
        for example in report.examples[: retention.EXAMPLES]:
            click.echo(f"    {example}")
        if report.count > retention.EXAMPLES:
            others = report.count - retention.EXAMPLES
            click.echo("    " + ngettext("… et %(num)d autre", "… et %(num)d autres", others))
    if not execute:
        click.echo(_("Relancez avec --execute pour appliquer."))
