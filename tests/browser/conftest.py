"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

The real application is served by a background thread on 127.0.0.1 (a free port) from its own
database, built once per session with the demo (`app.demo`) plus a few results saved through
the grid service. The browser tests need committed data that a second thread can read, which
the rest of the suite's rolled-back transactions cannot give. So:

- by default the database is a SQLite file in a temporary folder;
- when TEST_DATABASE_URL names a PostgreSQL database (CI), a separate database named after it
  with a ``_browser`` suffix is created on the same server (dropped first if left over, dropped
  at the end), so that the browser tests also run on PostgreSQL without touching the suite's
  database.

Chromium is never downloaded: /usr/bin/chromium must be installed (`.ci/run` installs the
Debian package). Without it the tests are skipped, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from werkzeug.serving import make_server

from app import create_app
from app.assessment.grid import current_heads, load_grid
from app.assessment.services import CellInput, save_grid
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db
from app.demo import DemoPlan, build_demo, plan_demo
from app.frameworks.models import Competency
from app.people.models import User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


# --- the database and the server -------------------------------------------------------------


@contextmanager
def _browser_database(tmp: Path) -> Iterator[str]:
    """A SQLite file, or a fresh `<name>_browser` PostgreSQL database (see the module doc)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{tmp / 'browser.sqlite3'}"
        return
    url = sa.engine.make_url(base)
    name = f"{url.database}_browser"
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


@dataclass
class Demo:
    """What the tests need to know about the demo they run against."""

    plan: DemoPlan
    cohort_id: int  # the finished cohort (Promotion pilote 1, Sophie Renard's)
    version_id: int
    cert_code: str
    version_label: str
    bloc_codes: list[str]
    learner_email: str  # the first active learner by name, whose bloc 1 misses one criterion
    learner_password: str
    learner_enrolment_id: int
    missing_criterion_id: int  # that criterion (NA; setting it to A completes bloc 1)
    weakest: tuple[str, str]  # the code and statement of the weakest competency
    levels: dict[str, int] = field(default_factory=dict)  # scale level code → id
    # The other cohort (Marc Okafor's, on the other framework), left without results.
    other_cohort_id: int = 0
    other_version_id: int = 0
    other_bloc_codes: list[str] = field(default_factory=list)
    other_levels: dict[str, int] = field(default_factory=dict)


def _save(
    cohort: Cohort, bloc_code: str, assessor: User, values: dict[tuple[int, int], int]
) -> None:
    grid = load_grid(cohort, bloc_code)
    assert grid is not None
    heads = current_heads(grid)
    cells = [
        CellInput(e, c, level, heads[(e, c)].result_id if (e, c) in heads else 0)
        for (e, c), level in values.items()
    ]
    with force_locale("fr"):
        assert save_grid(grid, assessor, cells).saved


def build(app: Flask) -> Demo:
    """The demo, and results for the finished cohort's first two blocs.

    Bloc 1: every criterion acquired by every active learner, but one criterion of the first
    learner (not acquired). Bloc 2: its second competency is acquired by two learners only,
    its first one misses a criterion for a third of them: the second is the weakest.
    """
    from app.assessment.grid import cohort_enrolments, load_version

    with app.app_context():
        db.create_all()
        plan = plan_demo(dt.date.today())
        build_demo(plan)
        db.session.commit()
        cohort, other = db.session.scalars(sa.select(Cohort).order_by(Cohort.start_date)).all()
        other_version = load_version(other.version_id)
        version = load_version(cohort.version_id)
        levels = {lvl.code: lvl.id for lvl in version.scale_levels}
        trainer = cohort.trainers[0]
        learners = cohort_enrolments(cohort.id)
        first = learners[0]
        bloc1, bloc2 = version.blocs[0], version.blocs[1]
        missing = bloc1.competencies[0].criteria[0]
        values = {
            (e.id, crit.id): levels["A"]
            for e in learners
            for comp in bloc1.competencies
            for crit in comp.criteria
        }
        values[(first.id, missing.id)] = levels["NA"]
        _save(cohort, bloc1.code, trainer, values)
        weak: Competency = bloc2.competencies[1]
        values = {}
        for n, e in enumerate(learners):
            for i, comp in enumerate(bloc2.competencies):
                for crit in comp.criteria:
                    level = "A"
                    if comp.id == weak.id and n >= 2:
                        level = "NA" if n % 2 else "EC"
                    elif i == 0 and crit.position == comp.criteria[-1].position and n % 3 == 0:
                        level = "EC"
                    values[(e.id, crit.id)] = levels[level]
        _save(cohort, bloc2.code, trainer, values)
        db.session.commit()
        learner_plan = next(
            p for group in plan.learners for p in group if p.account.email == first.learner.email
        )
        demo = Demo(
            plan=plan,
            cohort_id=cohort.id,
            version_id=version.id,
            cert_code=version.certification.code,
            version_label=version.label,
            bloc_codes=[b.code for b in version.blocs],
            learner_email=first.learner.email,
            learner_password=learner_plan.account.password,
            learner_enrolment_id=first.id,
            missing_criterion_id=missing.id,
            weakest=(weak.code, weak.statement),
            levels=levels,
            other_cohort_id=other.id,
            other_version_id=other_version.id,
            other_bloc_codes=[b.code for b in other_version.blocs],
            other_levels={lvl.code: lvl.id for lvl in other_version.scale_levels},
        )
        assert db.session.scalar(
            sa.select(sa.func.count(Enrolment.id)).where(
                Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.ENROLLED
            )
        ) == len(learners)
        db.session.remove()
    return demo


@dataclass
class Server:
    app: Flask
    url: str
    demo: Demo


@pytest.fixture(scope="session")
def browser_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real application, served from a background thread on a free port."""
    tmp = tmp_path_factory.mktemp("browser")
    with _browser_database(tmp) as url:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            INSTANCE_DIR=tmp / "instance",
            EVIDENCE_DIR=str(tmp / "evidence"),
            EXPORTS_DIR=str(tmp / "exports"),
        )
        demo = build(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="browser-tests-server")
        thread.start()
        try:
            yield Server(app, f"http://127.0.0.1:{server.server_port}", demo)
        finally:
            server.shutdown()
            thread.join()
            server.server_close()
            with app.app_context():
                db.engine.dispose()


# --- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} absent : installez le paquet Debian « chromium »"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (obligatoire en CI)")
        pytest.skip(message + " (tests navigateur ignorés hors CI)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser: Any, browser_server: Server) -> Iterator[Any]:
    """Open pages in fresh browser contexts (no cookies), closed after the test."""
    contexts = []

    def open_page(viewport: dict[str, int] = DESKTOP) -> Any:
        context = browser.new_context(
            base_url=browser_server.url, viewport=viewport, locale="fr-FR"
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def log_in(page: Any, email: str, password: str) -> None:
    """Log in through the real login form."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    assert "/connexion" not in page.url, page.url


@pytest.fixture(scope="session")
def accounts(browser_server: Server) -> dict[str, tuple[str, str]]:
    """E-mail and password of the demo's people, by role name."""
    demo = browser_server.demo
    plan = demo.plan
    return {
        "coordinator": (plan.coordinator.email, plan.coordinator.password),
        "trainer": (plan.trainers[0].email, plan.trainers[0].password),
        "other_trainer": (plan.trainers[1].email, plan.trainers[1].password),
        "learner": (demo.learner_email, demo.learner_password),
    }


@pytest.fixture(scope="session")
def logged_in(browser: Any, browser_server: Server, accounts: Any) -> Iterator[Any]:
    """A page logged in as `role`, one context per role for the whole session."""
    contexts: dict[str, Any] = {}

    def page_for(role: str | None) -> Any:
        key = role or "anonymous"
        if key not in contexts:
            context = browser.new_context(
                base_url=browser_server.url, viewport=DESKTOP, locale="fr-FR"
            )
            context.set_default_timeout(15_000)
            page = context.new_page()
            if role is not None:
                log_in(page, *accounts[role])
            contexts[key] = context
        return contexts[key].pages[0]

    yield page_for
    for context in contexts.values():
        context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
