"""Migrations bring an empty database to the models, both ways, on the engine under test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import downgrade, upgrade

from app import create_app
from app.db import db
from tests.conftest import reset_database


@pytest.fixture
def fresh_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a database of its own, emptied first."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"{admin.url.database}_migrations"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        url = admin.url.set(database=name).render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    reset_database(url)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app
        db.engine.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(fresh_app: Flask) -> None:
    upgrade()
    tables = table_names()
    assert {"certifications", "framework_versions", "criteria"} <= tables
    assert tables == set(db.metadata.tables)
    assert fresh_app.test_cli_runner().invoke(args=["db", "check"]).exit_code == 0
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert table_names() == tables


def test_check_fails_when_models_and_migrations_disagree(fresh_app: Flask) -> None:
    upgrade()
    extra = sa.Table("not_migrated", db.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        result = fresh_app.test_cli_runner().invoke(args=["db", "check"])
        assert result.exit_code == 1
    finally:
        db.metadata.remove(extra)


def test_constraint_names_follow_the_convention(fresh_app: Flask) -> None:
    upgrade()
    inspector = sa.inspect(db.engine)
    checks = {c["name"] for c in inspector.get_check_constraints("framework_versions")}
    assert "ck_framework_versions_level_range" in checks
    uniques = {c["name"] for c in inspector.get_unique_constraints("criteria")}
    assert uniques == {"uq_criteria_version_id_code"}
