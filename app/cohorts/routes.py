"""Organisations, cohorts, enrolments, trainers and learner import."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cohorts", __name__)
