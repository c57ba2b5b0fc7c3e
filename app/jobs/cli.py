"""`flask jobs work [--once] [--burst]`: the worker that runs the queued jobs."""

from __future__ import annotations

import click
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.db import CommandGroup
from app.i18n import option
from app.jobs import queue

jobs_cli = CommandGroup("jobs", help=_l("Tâches de fond : file d'attente et exécution."))


@jobs_cli.command("work")
@option("--once", is_flag=True, help=_l("Exécuter au plus une tâche, puis s'arrêter."))
@option("--burst", is_flag=True, help=_l("Vider la file d'attente, puis s'arrêter."))
def work_command(once: bool, burst: bool) -> None:
    """Run queued jobs; without options, wait for new ones until interrupted."""
    try:
        ran = queue.work(once=once, burst=burst, echo=click.echo)
    except KeyboardInterrupt:
        click.echo(_("arrêt demandé"))
        return
    click.echo(ngettext("%(num)d tâche exécutée", "%(num)d tâches exécutées", ran))
