"""End-to-end tests in a real browser: Debian's Chromium driven by Playwright.

The real application is served by a background thread on 127.0.0.1 (a free port) from its own
database, built once per session (once per xdist worker) with the demo (`app.demo`: results, a
closed jury, a weak spot) plus a few results saved through the grid service. The browser tests
need committed data that a second thread can read, which the rest of the suite's rolled-back
transactions cannot give. So:

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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale
from werkzeug.serving import make_server

from app import create_app
from app.assessment.grid import cohort_enrolments, current_heads, load_grid, load_version
from app.assessment.inputs import CellInput
from app.assessment.saving import save_grid
from app.cohorts.models import Cohort
from app.db import db
from app.demo import DemoPlan, build_demo, plan_demo
from app.demo_activity import WEAK_COMPETENCY_POSITION
from app.people.models import User
from tests.conftest import own_database

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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is slow. Under xdist they spread over the workers like the others:
    each worker that runs one serves its own demo (a few seconds to build) to its own
    Chromium, so that neither worker waits on the other's share of the browser tests."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)


# --- the database and the server -------------------------------------------------------------


@dataclass
class Demo:
    """What the tests need to know about the demo they run against."""

    plan: DemoPlan
    # The finished cohort (Sophie Renard's), with the demo's results, jury and weak spot.
    cohort_id: int
    version_id: int
    cert_code: str
    version_label: str
    bloc_codes: list[str]
    weakest: tuple[str, str]  # code and statement of the demo's weak spot
    # The ongoing cohort (Marc Okafor's, on the other framework).
    other_cohort_id: int
    other_version_id: int
    other_cert_code: str
    other_bloc_codes: list[str]
    other_levels: dict[str, int]  # scale level code → id
    # A learner of the ongoing cohort whose first bloc misses one criterion (not acquired):
    # setting it to acquired completes the bloc.
    learner_email: str
    learner_password: str
    learner_enrolment_id: int
    learner_bloc_code: str
    missing_criterion_id: int


def save_cells(
    cohort: Cohort, bloc_code: str, assessor: User, values: dict[tuple[int, int], int]
) -> None:
    """Save cells through the grid service, each compared with its current value."""
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
    """The demo, plus the results of one learner of the ongoing cohort on its first bloc:
    every criterion acquired but one."""
    with app.app_context():
        db.create_all()
        plan = plan_demo(dt.date.today())
        build_demo(plan)
        db.session.commit()
        # Savoir Devenir's two cohorts (the second organisation's cohort comes after them).
        names = [c.name for c in plan.cohorts[:2]]
        finished, ongoing = db.session.scalars(
            sa.select(Cohort).where(Cohort.name.in_(names)).order_by(Cohort.start_date)
        )
        version = load_version(finished.version_id)
        other_version = load_version(ongoing.version_id)
        levels = {lvl.code: lvl.id for lvl in other_version.scale_levels}
        learner = cohort_enrolments(ongoing.id)[0]
        bloc = other_version.blocs[0]
        missing = bloc.competencies[0].criteria[0]
        values = {
            (learner.id, crit.id): levels["A"]
            for comp in bloc.competencies
            for crit in comp.criteria
        }
        values[(learner.id, missing.id)] = levels["NA"]
        save_cells(ongoing, bloc.code, ongoing.trainers[0], values)
        db.session.commit()
        b, c = WEAK_COMPETENCY_POSITION
        weak = version.blocs[b].competencies[c]
        password = next(
            p.account.password
            for group in plan.learners
            for p in group
            if p.account.email == learner.learner.email
        )
        demo = Demo(
            plan=plan,
            cohort_id=finished.id,
            version_id=version.id,
            cert_code=version.certification.code,
            version_label=version.label,
            bloc_codes=[bloc.code for bloc in version.blocs],
            weakest=(weak.code, weak.statement),
            other_cohort_id=ongoing.id,
            other_version_id=other_version.id,
            other_cert_code=other_version.certification.code,
            other_bloc_codes=[bloc.code for bloc in other_version.blocs],
            other_levels=levels,
            learner_email=learner.learner.email,
            learner_password=password,
            learner_enrolment_id=learner.id,
            learner_bloc_code=bloc.code,
            missing_criterion_id=missing.id,
        )
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
    with own_database(tmp, "browser") as url:
        app = create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=url,
            INSTANCE_DIR=tmp / "instance",
            EVIDENCE_DIR=str(tmp / "evidence"),
            EXPORTS_DIR=str(tmp / "exports"),
            # Chromium keeps the style sheet and icon instead of asking again on every page:
            # fewer requests, and fewer of the development server's races when a navigation
            # drops a connection while a static file is being answered.
            SEND_FILE_MAX_AGE_DEFAULT=600,
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
        # The second training organisation's coordinator, and only its.
        "training_coordinator": (plan.second_coordinator.email, plan.second_coordinator.password),
        "trainer": (plan.trainers[0].email, plan.trainers[0].password),
        "other_trainer": (plan.trainers[1].email, plan.trainers[1].password),
        "learner": (demo.learner_email, demo.learner_password),
        "jury": (plan.jury.email, plan.jury.password),
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


def screenshot(page: Any, name: str) -> Path | None:
    """Save a full-page screenshot for people to look at, when asked (`make screenshots`,
    or SCREENSHOTS=1): a full page costs Chromium as much as the checks of the page."""
    if not os.environ.get("SCREENSHOTS"):
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
