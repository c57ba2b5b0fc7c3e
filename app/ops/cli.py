"""`flask backup -o FILE` and `flask restore FILE`: the whole application in one archive."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.db import fail, unit_of_work
from app.i18n import option
from app.ops.backup import BackupError, write_backup
from app.ops.restore import open_archive, restore_archive, verify_archive


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return format_decimal(round(size / 1024, 1), "0.0") + " " + _("ko")
    return format_decimal(round(size / (1024 * 1024), 1), "0.0") + " " + _("Mo")


@click.command("backup")
@option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_l("Archive à écrire (ZIP)."),
)
@with_appcontext
@unit_of_work
def backup_command(output: Path) -> None:
    """Write a consistent snapshot of the database and the stored files to one archive."""
    if not output.parent.is_dir():
        fail(_("dossier inexistant : %(path)s", path=output.parent))
    started = time.perf_counter()
    try:
        report = write_backup(output)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(_("écriture impossible : %(error)s", error=str(exc)))
    elapsed = time.perf_counter() - started
    for warning in report.warnings:
        click.echo(_("avertissement : %(warning)s", warning=warning), err=True)
    click.echo(
        _(
            "%(path)s : %(tables)d tables, %(rows)d lignes, %(files)d fichiers (%(files_size)s), "
            "révision %(revision)s, %(size)s en %(seconds).1f s",
            path=output,
            tables=report.tables,
            rows=report.rows,
            files=report.files,
            files_size=_size(report.files_bytes),
            revision=report.revision,
            size=_size(report.size),
            seconds=elapsed,
        )
    )
    click.echo(f"SHA-256 : {report.sha256}")
    if report.warnings:
        # Written, but someone should look: cron mails a failing command's output.
        fail(
            ngettext(
                "sauvegarde écrite avec %(num)d avertissement",
                "sauvegarde écrite avec %(num)d avertissements",
                len(report.warnings),
            )
        )


@click.command("restore")
@click.argument("archive", type=click.Path(dir_okay=False, path_type=Path))
@option(
    "--check",
    is_flag=True,
    help=_l("Vérifier seulement l'archive (empreintes), sans rien écrire."),
)
@with_appcontext
@unit_of_work
def restore_command(archive: Path, check: bool) -> None:
    """Restore an archive into an empty, migrated database (all or nothing)."""
    started = time.perf_counter()
    try:
        if check:
            opened, manifest = open_archive(archive)
            with opened:
                verify_archive(opened, manifest)
            rows = sum(entry["rows"] for entry in manifest["tables"])
            click.echo(
                _(
                    "%(path)s : archive intacte (%(tables)d tables, %(rows)d lignes, "
                    "%(files)d fichiers, révision %(revision)s, écrite le %(created)s)",
                    path=archive,
                    tables=len(manifest["tables"]),
                    rows=rows,
                    files=len(manifest["files"]),
                    revision=manifest["alembic_revision"],
                    created=manifest.get("created_at"),
                )
            )
            return
        report = restore_archive(archive)
    except BackupError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(_("lecture ou écriture impossible : %(error)s", error=str(exc)))
    elapsed = time.perf_counter() - started
    click.echo(
        _(
            "restauré : %(tables)d tables, %(rows)d lignes, %(files)d fichiers (%(files_size)s) "
            "en %(seconds).1f s — archive du %(created)s (%(engine)s, version %(version)s, "
            "révision %(revision)s)",
            tables=report.tables,
            rows=report.rows,
            files=report.files,
            files_size=_size(report.files_bytes),
            seconds=elapsed,
            created=report.created_at,
            engine=report.source_engine,
            version=report.app_version,
            revision=report.revision,
        )
    )
    if report.skipped_files:
        click.echo(
            ngettext(
                "%(num)d fichier déjà présent, identique",
                "%(num)d fichiers déjà présents, identiques",
                report.skipped_files,
            )
        )
