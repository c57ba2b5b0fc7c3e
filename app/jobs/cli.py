"""`flask jobs work [--once] [--burst]`: the worker that runs the queued jobs."""

from __future__ import annotations

import click

from app.db import CommandGroup
from app.jobs import queue

jobs_cli = CommandGroup("jobs", help="Tâches de fond : file d'attente et exécution.")


@jobs_cli.command("work")
@click.option("--once", is_flag=True, help="Exécuter au plus une tâche, puis s'arrêter.")
@click.option("--burst", is_flag=True, help="Vider la file d'attente, puis s'arrêter.")
def work_command(once: bool, burst: bool) -> None:
    """Run queued jobs; without options, wait for new ones until interrupted."""
    try:
        ran = queue.work(once=once, burst=burst, echo=click.echo)
    except KeyboardInterrupt:
        click.echo("arrêt demandé")
        return
    click.echo(f"{ran} tâche(s) exécutée(s)")
