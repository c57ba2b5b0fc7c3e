"""A cohort with trainers and learners built directly with the models, and a browser-like
reader of the grid form."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from flask_babel import force_locale

from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.frameworks.models import Bloc, Criterion, FrameworkVersion
from app.people.models import Organisation, OrganisationKind, Role, User
from tests.factories import new_cohort

LEARNER_NAMES = [
    "Élodie Brûlé-L'Hôte",
    "Zoé N'Diaye",
    "Jean-Marc Œuvray",
    "Anaïs Da Silva",
    "Karim Benali",
]


@dataclass(frozen=True)
class Level:
    """A scale level as plain values (rows can be detached between requests)."""

    id: int
    code: str
    label: str


@dataclass
class World:
    version: FrameworkVersion
    org: Organisation
    cohort: Cohort
    coordinator: User
    trainer_a: User
    trainer_b: User
    enrolments: list[Enrolment]  # active learners, in the grid's order (by name)
    withdrawn: Enrolment
    bloc: Bloc
    levels: dict[str, Level] = field(default_factory=dict)  # by code

    @property
    def criteria(self) -> list[Criterion]:
        return [crit for comp in self.bloc.competencies for crit in comp.criteria]

    @property
    def grid_url(self) -> str:
        return f"/promotions/{self.cohort.id}/grille/{self.bloc.code}"


@pytest.fixture
def make_world(  # type: ignore[no-untyped-def]
    db_session: Any, create_user: Any, create_version: Any, mini_doc: dict[str, Any]
):
    """Build a published version, an organisation, a cohort with two trainers, a coordinator,
    `learners` enrolled learners and one who withdrew."""
    counter = {"n": 0}

    def make(
        doc: dict[str, Any] | None = None,
        learners: int = 3,
        bloc_code: str = "BC01",
    ) -> World:
        counter["n"] += 1
        n = counter["n"]
        doc = copy.deepcopy(doc or mini_doc)
        doc["version"]["label"] = f"v{n}"
        version = create_version(doc, publish=True)
        org = Organisation(name=f"Organisme {n}", kind=OrganisationKind.TRAINING)
        db_session.add(org)
        db_session.commit()
        coordinator = create_user(Role.COORDINATOR, name=f"Claire Coord {n}", organisations=[org])
        trainer_a = create_user(Role.TRAINER, name=f"Anne Formatrice {n}", organisations=[org])
        trainer_b = create_user(Role.TRAINER, name=f"Bruno Formateur {n}", organisations=[org])
        cohort = new_cohort(
            db_session,
            org,
            version,
            f"Promotion pilote {n}",
            [trainer_a, trainer_b],
            start_date=dt.date(2025, 3, 1),
            end_date=dt.date(2025, 12, 1),
        )
        enrolments = []
        for i in range(learners):
            base = LEARNER_NAMES[i % len(LEARNER_NAMES)]
            name = base if i < len(LEARNER_NAMES) else f"{base} {i // len(LEARNER_NAMES) + 1}"
            learner = create_user(Role.LEARNER, name=name)
            enrolment = Enrolment(cohort=cohort, learner=learner)
            db_session.add(enrolment)
            enrolments.append(enrolment)
        gone = create_user(Role.LEARNER, name="Albert Parti")
        withdrawn = Enrolment(cohort=cohort, learner=gone, status=EnrolmentStatus.WITHDRAWN)
        db_session.add(withdrawn)
        db_session.commit()
        from app.assessment.grid import name_key

        enrolments.sort(key=lambda e: (name_key(e.learner.full_name), e.id))
        bloc = next(b for b in version.blocs if b.code == bloc_code)
        return World(
            version=version,
            org=org,
            cohort=cohort,
            coordinator=coordinator,
            trainer_a=trainer_a,
            trainer_b=trainer_b,
            enrolments=enrolments,
            withdrawn=withdrawn,
            bloc=bloc,
            levels={lvl.code: Level(lvl.id, lvl.code, lvl.label) for lvl in version.scale_levels},
        )

    return make


@pytest.fixture
def world(make_world: Any) -> World:
    return make_world()


class FormReader(HTMLParser):
    """What a browser would send for the form with id `form_id` (no JavaScript)."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and "name" in a:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox") and "checked" not in a:
                return
            if kind in ("submit", "file"):
                return
            self.data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self._first_option = None
        elif tag == "option" and self._select is not None:
            if self._first_option is None:
                self._first_option = a.get("value", "")
                self.data.setdefault(self._select, self._first_option)
            if "selected" in a:
                self.data[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.data[self._textarea] = "".join(self._text).removeprefix("\n")
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def read_form(html: str, form_id: str = "grid-form") -> dict[str, str]:
    reader = FormReader(form_id)
    reader.feed(html)
    return reader.data


@pytest.fixture
def load_grid_form(client: Any):  # type: ignore[no-untyped-def]
    """GET a grid page and return the form data a browser would send as is."""

    def load(url: str) -> dict[str, str]:
        page = client.get(url)
        assert page.status_code == 200, page.status_code
        return read_form(page.get_data(as_text=True))

    return load


@contextmanager
def french() -> Iterator[None]:
    """Call services outside a request (messages need a locale)."""
    with force_locale("fr"):
        yield
