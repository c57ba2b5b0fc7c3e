"""Editing draft framework versions in the browser (coordinators)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("editor", __name__, url_prefix="/edition")
