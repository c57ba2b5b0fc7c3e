"""`flask people erase EMAIL` and `flask retention apply [--execute]`."""

from __future__ import annotations

import sys
from typing import NoReturn

import click

from app.db import CommandGroup
from app.privacy import retention
from app.privacy.erasure import ErasureError, ErasurePlan, erase_person, find_person, plan_erasure

people_cli = CommandGroup("people", help="Données personnelles : effacement sur demande.")
retention_cli = CommandGroup("retention", help="Durées de conservation des données personnelles.")


def _fail(message: str) -> NoReturn:
    click.echo(f"erreur : {message}", err=True)
    sys.exit(1)


def _describe(plan: ErasurePlan) -> None:
    click.echo(
        f"  inscriptions conservées : {plan.enrolments} (dont certifiées : {plan.certified})"
    )
    click.echo(f"  identité civile effacée : {'oui' if plan.has_identity else 'aucune'}")
    click.echo(f"  pièces justificatives supprimées : {plan.evidence_files}")
    click.echo(
        f"  attestations et entrées du journal pseudonymisées : {plan.attestations}, "
        f"{plan.audit_entries}"
    )
    click.echo(f"  flux d'accrochage pseudonymisés : {plan.accrochage_exports}")
    click.echo(f"  réponses à l'enquête conservées : {plan.survey_answers}")
    if plan.staff_roles:
        click.echo(f"  rôles du compte (conservés) : {', '.join(plan.staff_roles)}")


@people_cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Ne pas demander de confirmation.")
def erase_command(email: str, yes: bool) -> None:
    """Erase a person's identity and contact data, keeping their certification evidence."""
    person = find_person(email)
    if person is None:
        _fail(f"aucun compte pour {email}")
    if person.erased_at is not None:
        _fail("les données de cette personne ont déjà été effacées")
    click.echo(f"Effacement des données personnelles du compte n° {person.id} :")
    _describe(plan_erasure(person))
    if not yes and not click.confirm("Effacer définitivement ?", default=False):
        _fail("abandon, rien n'a été effacé")
    try:
        plan = erase_person(person, actor=None)
    except ErasureError as exc:
        _fail(str(exc))
    click.echo(f"effacé : le compte n° {plan.person_id} est désormais « {person.full_name} »")


@retention_cli.command("apply")
@click.option(
    "--execute", is_flag=True, help="Supprimer vraiment (sans cette option : rapport seulement)."
)
def apply_command(execute: bool) -> None:
    """Report what is past its retention period; with --execute, remove it (audited)."""
    reports = retention.apply() if execute else retention.plan()
    verb = "supprimé(s)" if execute else "à supprimer"
    click.echo("Durées de conservation" + ("" if execute else " (simulation : rien n'est changé)"))
    for report in reports:
        setting = retention.KINDS[report.kind][0]
        if report.cutoff is None:
            click.echo(f"- {report.label} : conservées sans limite ({setting}=0)")
            continue
        action = (
            "effacé(s) (pseudonyme)" if report.kind == "inactive_accounts" and execute else verb
        )
        click.echo(
            f"- {report.label} : {report.days} jours ({setting}), antérieures au "
            f"{report.cutoff:%Y-%m-%d} : {report.count} {action}"
        )
        for example in report.examples[: retention.EXAMPLES]:
            click.echo(f"    {example}")
        if report.count > retention.EXAMPLES:
            click.echo(f"    … et {report.count - retention.EXAMPLES} autre(s)")
    if not execute:
        click.echo("Relancez avec --execute pour appliquer.")
