"""Mail sent from the job queue: the password-reset link (kind "mail.password_reset")."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.jobs.queue import Handler, Progress, register_handler
from app.people import mail, services


def _send_password_reset(payload: dict[str, Any], progress: Progress) -> None:
    message = services.password_reset_mail(str(payload["email"]))
    if message is None:  # no active account has this address: nothing to send
        return
    progress(50)  # commits the link before it is mailed
    mail.send_quietly(message)


def register_jobs(app: Flask) -> None:
    register_handler(app, services.RESET_MAIL_JOB, Handler(run=_send_password_reset))
