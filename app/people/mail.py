"""E-mail: over SMTP when MAIL_SERVER is set, otherwise as .eml files in an outbox folder.

Messages are built by the services and sent once the transaction is committed
(`app.db.after_commit`, or a job queued in it), so a link never points at a token that was
rolled back. Links are built from PUBLIC_URL (app/people/links.py).
"""

from __future__ import annotations

import secrets
import smtplib
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from app.db import utcnow
from app.people.links import public_url
from app.people.models import User


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2])
    message.set_content(body)
    return message


def outbox() -> Path:
    configured = current_app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(current_app.config["INSTANCE_DIR"]) / "outbox"


def send(message: EmailMessage) -> None:
    """Send `message`; raises OSError / smtplib.SMTPException when it cannot."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = outbox()
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
        (folder / name).write_bytes(bytes(message))
        current_app.logger.info("mail written to %s", folder / name)
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def send_quietly(message: EmailMessage) -> bool:
    """Send `message`, logging a failure instead of raising; True when it went out."""
    try:
        send(message)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("could not send mail to %s", message["To"])
        return False
    return True


# --- the messages ----------------------------------------------------------------------------


def _site_name() -> str:
    return _("Métiers de la coopération territoriale")


def invitation(user: User, raw_token: str, expires_at: datetime, *, inviter: User) -> EmailMessage:
    link = public_url("people.accept_invitation", token=raw_token)
    body = _(
        "Bonjour %(name)s,\n\n"
        "%(inviter)s vous a créé un compte sur « %(site)s ».\n\n"
        "Pour choisir votre mot de passe et activer votre compte, ouvrez ce lien :\n"
        "%(link)s\n\n"
        "Ce lien ne sert qu'une fois et expire le %(expires)s.\n\n"
        "Si vous n'attendiez pas ce message, ignorez-le.\n",
        name=user.full_name,
        inviter=inviter.full_name,
        site=_site_name(),
        link=link,
        expires=format_datetime(expires_at, "d MMMM y 'à' HH:mm"),
    )
    return build(user.email, _("Votre compte sur « %(site)s »", site=_site_name()), body)


def enrolment_offer(user: User, cohort: Any, *, inviter: User) -> EmailMessage:
    """An existing account is offered an enrolment: they accept it from their home page."""
    link = public_url("home.offers")
    body = _(
        "Bonjour %(name)s,\n\n"
        "%(inviter)s (%(organisation)s) vous propose une inscription dans la promotion "
        "« %(cohort)s » sur « %(site)s ».\n\n"
        "Connectez-vous avec votre compte habituel pour l'accepter ou la refuser :\n"
        "%(link)s\n\n"
        "Rien ne change pour votre compte tant que vous n'avez pas accepté.\n",
        name=user.full_name,
        inviter=inviter.full_name,
        organisation=cohort.organisation.name,
        cohort=cohort.name,
        site=_site_name(),
        link=link,
    )
    subject = _("Une inscription vous est proposée sur « %(site)s »", site=_site_name())
    return build(user.email, subject, body)


def password_reset(user: User, raw_token: str, expires_at: datetime) -> EmailMessage:
    link = public_url("people.reset_password", token=raw_token)
    body = _(
        "Bonjour %(name)s,\n\n"
        "Une réinitialisation du mot de passe de votre compte sur « %(site)s » a été demandée.\n\n"
        "Pour choisir un nouveau mot de passe, ouvrez ce lien :\n"
        "%(link)s\n\n"
        "Ce lien ne sert qu'une fois et expire le %(expires)s.\n\n"
        "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe ne change pas.\n",
        name=user.full_name,
        site=_site_name(),
        link=link,
        expires=format_datetime(expires_at, "d MMMM y 'à' HH:mm"),
    )
    return build(user.email, _("Réinitialisation de votre mot de passe"), body)
