"""Fixtures: one migrated database per test run, each test inside a rolled-back transaction.

The database is SQLite (a file in a temporary folder) unless TEST_DATABASE_URL names another,
e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test in CI. Under pytest-xdist (`-n 2`) each
worker has its own: its own temporary folder on SQLite, `<test database>_<worker>` (created
fresh, dropped after) on PostgreSQL.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient

from app import create_app
from app.db import db
from tests.factories import BC02

DATA = Path(__file__).parent / "data"


def pytest_configure(config: pytest.Config) -> None:
    """Compile the interface's catalogues (never committed) before any app is built."""
    import runpy

    catalog = runpy.run_path(
        str(Path(__file__).resolve().parents[1] / "translations" / "catalog.py")
    )
    catalog["compile_all"]()


REFERENTIEL = Path(__file__).resolve().parents[1] / "referentiel"
REAL_FILES = sorted(REFERENTIEL.glob("*.yaml"))


def xdist_worker() -> str:
    """The pytest-xdist worker running this process ("gw0", "gw1", …), or "" without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "")


@contextmanager
def own_database(tmp_dir: Path, suffix: str) -> Iterator[str]:
    """An empty database apart from the suite's: a SQLite file in `tmp_dir`, or, on
    PostgreSQL, `<test database>_<worker>_<suffix>` (no worker part without xdist), created
    fresh and dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_dir / suffix}.sqlite3"
        return
    url = sa.make_url(base)
    name = "_".join(part for part in (url.database, xdist_worker(), suffix) if part)
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        server.dispose()


def reset_database(url: str) -> None:
    """Drop every table of the database, so migrations start from nothing."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
        else:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
    engine.dispose()


@contextmanager
def suite_database(tmp_dir: Path) -> Iterator[str]:
    """The database the suite's transactions run in: TEST_DATABASE_URL itself without xdist,
    else one per worker (a SQLite file in the worker's own temporary folder)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if base and base.startswith("postgresql") and xdist_worker():
        with own_database(tmp_dir, "") as url:
            yield url
    else:
        yield base or f"sqlite:///{tmp_dir / 'test'}.sqlite3"


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    tmp = tmp_path_factory.mktemp("app")
    with suite_database(tmp) as url:
        reset_database(url)
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            WTF_CSRF_ENABLED=False,
            INSTANCE_DIR=tmp / "instance",
        )
        with app.app_context():
            # The schema comes from the models here; tests/test_migrations.py proves the
            # migrations build the very same schema on this engine.
            db.create_all()
        yield app
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """Run the test in a transaction that is rolled back, whatever the code commits."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        # Flask-SQLAlchemy's own session class picks engines itself and would ignore `bind`.
        db.session = sa.orm.scoped_session(
            sa.orm.sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """A test client whose requests do not share `g` or loaded rows with the test.

    The test keeps an app context open (for its rolled-back transaction), and Flask reuses an
    open app context for requests; without this, `current_user` and the identity map would
    leak from one request to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.__dict__.clear()
            db.session.expire_all()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Any):  # type: ignore[no-untyped-def]
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db_session: Any):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


_HASHES: dict[str, str] = {}


def _hash_once(password: str) -> str:
    """Argon2 is slow on purpose: hash each test password once per run."""
    from app.people.passwords import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


@pytest.fixture
def create_user(db_session: Any):  # type: ignore[no-untyped-def]
    """Make a user with roles (and organisations); the password is "motdepasse-solide-42"."""
    from app.people.models import Role, User, UserRole

    counter = {"n": 0}

    def create(
        *roles: Role | str,
        email: str | None = None,
        name: str | None = None,
        organisations: list[Any] | None = None,
        password: str = "motdepasse-solide-42",
    ):  # type: ignore[no-untyped-def]
        counter["n"] += 1
        user = User(
            email=email or f"personne{counter['n']}@exemple.fr",
            full_name=name or f"Personne {counter['n']}",
            password_hash=_hash_once(password),
            role_rows=[UserRole(role=Role(r)) for r in roles],
            organisations=list(organisations or []),
        )
        db_session.add(user)
        db_session.commit()
        return user

    return create


@pytest.fixture
def login(client: Any):  # type: ignore[no-untyped-def]
    """Log `client` in as a user without going through the login form."""

    def log_in(user: Any) -> None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True

    return log_in


@pytest.fixture
def mini_doc() -> dict[str, Any]:
    """A fresh copy of the small valid référentiel, to mutate in a test."""
    return copy.deepcopy(yaml.safe_load((DATA / "mini.yaml").read_text(encoding="utf-8")))


@pytest.fixture
def two_blocs_doc(mini_doc: dict[str, Any]) -> dict[str, Any]:
    """The small référentiel with a second bloc (BC02) and a three-level scale."""
    doc = copy.deepcopy(mini_doc)
    doc["scale"]["levels"] = [
        {"code": "NA", "label": "Non acquis", "acquired": False},
        {"code": "EC", "label": "En cours d’acquisition", "acquired": False},
        {"code": "A", "label": "Acquis", "acquired": True},
    ]
    doc["blocs"].append(copy.deepcopy(BC02))
    return doc


@pytest.fixture
def organisation(db_session: Any) -> Any:
    """A training organisation (fictitious SIRET with a valid checksum)."""
    from app.people.models import Organisation, OrganisationKind

    org = Organisation(
        name="Savoir Devenir", siret="52923713600005", kind=OrganisationKind.TRAINING
    )
    db_session.add(org)
    db_session.commit()
    return org


@pytest.fixture
def coordinator(create_user: Any, organisation: Any) -> Any:
    return create_user("coordinator", name="Claire Vasseur", organisations=[organisation])


@pytest.fixture
def version(create_version: Any) -> Any:
    """The small test référentiel, published."""
    return create_version(publish=True)


@pytest.fixture
def create_version(db_session: Any, mini_doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Import a document (the small one by default) and return its version."""
    from app.frameworks import services

    def create(doc: dict[str, Any] | None = None, *, publish: bool = False):  # type: ignore[no-untyped-def]
        version = services.import_document(copy.deepcopy(doc or mini_doc))
        if publish:
            services.publish(version)
        db_session.commit()
        return version

    return create


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask):  # type: ignore[no-untyped-def]
    """Count the SQL statements run inside a `with count_queries() as counter:` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()
        if has_app_context():
            engine = db.engine
        else:
            # Popping a context we pushed ends the session, so push one only when needed.
            with app.app_context():
                engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", counter)

    return counting
