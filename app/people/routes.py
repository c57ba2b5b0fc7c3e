"""Log in and out, passwords, invitations, accounts and the audit log."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("people", __name__)
