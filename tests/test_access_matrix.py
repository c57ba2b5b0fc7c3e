"""Every route × every role: allowed, forbidden or not found.

The test walks the application's whole URL map: a route whose view has no access rule fails,
and so does a route with a URL parameter this file does not know how to fill. Each route is
requested by an anonymous visitor, by one person of each role who may see the objects in the
URL ("insiders"), and the same people ask for the same route on the objects of another
organisation (its cohort, learners, evidence, jury session, exports): they must get 403 or 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from app.access import RULE_ATTRIBUTE
from app.assessment.evidence import attach, check_upload
from app.cohorts.models import AccessRoute, Cohort, Enrolment
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jury.models import JuryPresentation, JurySession
from app.people.models import Organisation, OrganisationKind
from exports.case import NAMESPACE as CASE_NAMESPACE
from tests.conftest import IsolatedClient

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    people: dict[str, Any]
    values: dict[str, Any]
    outsider_values: dict[str, Any]


def build_world(
    app: Flask, db_session: Any, create_user: Any, create_version: Any, mini_doc: Any
) -> World:
    import copy

    v1 = create_version(publish=True)
    draft_doc = copy.deepcopy(mini_doc)
    draft_doc["version"]["label"] = "v2"
    draft = create_version(draft_doc)
    org_a = Organisation(name="Organisme A", kind=OrganisationKind.TRAINING)
    org_b = Organisation(name="Organisme B", kind=OrganisationKind.TRAINING)
    db_session.add_all([org_a, org_b])
    db_session.commit()

    people = {
        "coordinator": create_user("coordinator", organisations=[org_a]),
        "trainer": create_user("trainer"),
        "learner": create_user("learner"),
        "jury": create_user("jury"),
        "coordinator_out": create_user("coordinator", organisations=[org_b]),
        "trainer_out": create_user("trainer"),
        "learner_out": create_user("learner"),
        "jury_out": create_user("jury"),
    }

    def cohort(
        org: Organisation, name: str, trainer: Any, learner: Any, version: Any
    ) -> tuple[Cohort, Enrolment]:
        made = Cohort(
            name=name,
            organisation=org,
            version=version,
            start_date=dt.date(2026, 1, 5),
            end_date=dt.date(2026, 12, 18),
            access_route=AccessRoute.CONTINUING_TRAINING,
            trainers=[trainer],
        )
        enrolment = Enrolment(cohort=made, learner=learner)
        db_session.add_all([made, enrolment])
        return made, enrolment

    # Organisation B runs another certification: its jury sessions are none of A's business.
    other_doc = copy.deepcopy(mini_doc)
    other_doc["certification"]["code"] = "AUTRE"
    v_other = create_version(other_doc, publish=True)
    cohort_a, enrolment_a = cohort(org_a, "Promo A", people["trainer"], people["learner"], v1)
    cohort_b, enrolment_b = cohort(
        org_b, "Promo B", people["trainer_out"], people["learner_out"], v_other
    )
    # The account the account routes act on (disabling it must not log out our learner).
    people["classmate"] = create_user("learner")
    db_session.add(Enrolment(cohort=cohort_a, learner=people["classmate"]))
    session_a = JurySession(version=v1, session_date=dt.date(2026, 12, 1), members=[people["jury"]])
    presentation_a = JuryPresentation(jury_session=session_a, enrolment=enrolment_a)
    session_b = JurySession(
        version=v_other, session_date=dt.date(2026, 12, 2), members=[people["jury_out"]]
    )
    presentation_b = JuryPresentation(jury_session=session_b, enrolment=enrolment_b)
    db_session.add_all([session_a, presentation_a, session_b, presentation_b])
    db_session.commit()

    competency = v1.blocs[0].competencies[0]
    other_competency = v_other.blocs[0].competencies[0]
    evidence_a = attach(
        enrolment_a, competency, check_upload(PDF, "preuve.pdf", 10**6), people["trainer"]
    )
    evidence_b = attach(
        enrolment_b, other_competency, check_upload(PDF, "preuve.pdf", 10**6), people["trainer_out"]
    )

    def export(org: Organisation) -> ExportRecord:
        record = ExportRecord(
            kind=ExportKind.FICHE,
            filename="fiche.xml",
            status=ExportStatus.PENDING,
            organisations=[org],
            parameters={},
        )
        db_session.add(record)
        return record

    export_a, export_b = export(org_a), export(org_b)
    db_session.commit()

    bloc = v1.blocs[0]
    values = {
        "cert_code": "MINI",
        "label": "v1",
        "version_id": draft.id,
        "certification_id": v1.certification_id,
        "kind": "bloc",
        "item_id": draft.blocs[0].id,
        "token": "lien-inconnu",
        "cohort_id": cohort_a.id,
        "enrolment_id": enrolment_a.id,
        "user_id": people["classmate"].id,
        "bloc_code": bloc.code,
        "criterion_id": bloc.competencies[0].criteria[0].id,
        "session_id": session_a.id,
        "presentation_id": presentation_a.id,
        "evidence_id": evidence_a.id,
        "export_id": export_a.id,
        "horizon": "6m",
        "code": "ABCD-EFGH-JKMN-PQRS",  # an attestation's verification code (public)
        "number": "RNCP34001",  # a fiche of the national register
        "job_id": 999_999,  # an import of the register nobody started
        # A CASE identifier (app/frameworks/case_routes.py): the published MINI v1 document.
        "identifier": str(uuid.uuid5(CASE_NAMESPACE, "MINI/v1")),
        "organisation_id": org_a.id,  # a badge issuer's profile or status list (public)
        "kid": "20260101-00000000",  # a badge signing key (public)
    }
    # The same routes, on objects of organisation B: insiders of A are outsiders there.
    outsider_values = dict(
        values,
        cohort_id=cohort_b.id,
        enrolment_id=enrolment_b.id,
        user_id=people["learner_out"].id,
        evidence_id=evidence_b.id,
        export_id=export_b.id,
        session_id=session_b.id,
        presentation_id=presentation_b.id,
    )
    return World(people, values, outsider_values)


# Routes whose objects are not owned by an organisation or a cohort: référentiels are shared
# by every coordinator; invitation/reset links and one's own password concern oneself.
# Coordinator routes for the certifier's coordinators only: this world's coordinator works for
# a training organisation, so they answer 403 (tests/registry/test_borrow.py checks the certifier).
CERTIFIER_ONLY = {
    "registry.import_export",
    "registry.borrow_fiche",
    "registry.correspondence_mark",
    "settings.index",  # the certifier's settings (tests/settings/test_settings.py)
}
# Pages of one's own objects that no object of this world stands behind (404 for everyone).
NOTHING_BEHIND = {"registry.import_status"}

NOT_OBJECT_SCOPED = {
    "frameworks",
    "case",  # the CASE read API: published référentiels, public like their pages
    "registry",  # the national register is open data, the same for every organisation
    "editor",
    "people.change_password",
    "people.logout",
    "people.login",
    "people.forgot_password",
    "people.accept_invitation",
    "people.reset_password",
    "people.login_code",  # the second login step: only the person who typed the password
    "people.login_setup",
    "people.two_factor_settings",  # one's own second factor
    "people.two_factor_disable",
    "people.two_factor_codes",
    "people.invite",
    "people.users",
    "people.audit",
}
OBJECT_PARAMS = {
    "cohort_id",
    "enrolment_id",
    "user_id",
    "session_id",
    "presentation_id",
    "evidence_id",
    "export_id",
}


def routes(app: Flask) -> list[tuple[str, str, frozenset[str]]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        methods = frozenset(rule.methods or ()) - {"HEAD", "OPTIONS"}
        out.append((rule.endpoint, rule.rule, methods))
    return sorted(out)


def test_every_route_has_an_access_rule(app: Flask) -> None:
    missing = [
        endpoint
        for endpoint, _, _ in routes(app)
        if not getattr(app.view_functions[endpoint], RULE_ATTRIBUTE, None)
    ]
    assert missing == [], f"routes without an access rule: {missing}"


def _allowed_roles(rule: str) -> set[str] | None:
    """None: any logged-in person; a set: those roles only."""
    if rule.startswith("roles:"):
        return set(rule.removeprefix("roles:").split(","))
    return None


def _client_for(app: Flask, user: Any | None) -> IsolatedClient:
    app.test_client_class = IsolatedClient
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client


def _url(app: Flask, endpoint: str, values: dict[str, Any]) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    unknown = set(rule.arguments) - set(values)
    assert not unknown, f"{endpoint}: add a sample value for {sorted(unknown)} in this test"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: values[k] for k in rule.arguments})


def _request(client: Any, method: str, url: str) -> Any:
    response = client.get(url) if method == "GET" else client.post(url, data={})
    response.get_data()
    response.close()  # a streamed file (evidence, exports) is closed here
    return response


ROLES = ("coordinator", "trainer", "learner", "jury")


@pytest.fixture
def world(
    app: Flask, db_session: Any, create_user: Any, create_version: Any, mini_doc: Any, tmp_path: Any
) -> World:
    app.config["EVIDENCE_DIR"] = tmp_path / "evidence"
    return build_world(app, db_session, create_user, create_version, mini_doc)


def _endpoints() -> list[str]:
    from app import create_app

    return [endpoint for endpoint, _, _ in routes(create_app("testing"))]


@pytest.mark.parametrize("endpoint", _endpoints())
def test_route_for_every_role(app: Flask, world: World, endpoint: str) -> None:
    rule_text = getattr(app.view_functions[endpoint], RULE_ATTRIBUTE)
    _, path, methods = next(r for r in routes(app) if r[0] == endpoint)
    allowed = _allowed_roles(rule_text)
    scoped = (
        bool(
            OBJECT_PARAMS
            & set(next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint).arguments)
        )
        and endpoint not in NOT_OBJECT_SCOPED
        and endpoint.split(".")[0] not in NOT_OBJECT_SCOPED
    )

    for method in sorted(methods, reverse=True):  # POST last: it may change what GET shows
        url = _url(app, endpoint, world.values)
        outside_url = _url(app, endpoint, world.outsider_values)
        problems: list[str] = []

        def check(
            who: str,
            response: Any,
            ok: Callable[[int], bool],
            expected: str,
            problems: list[str] = problems,
            method: str = method,
        ) -> None:
            if not ok(response.status_code):
                problems.append(
                    f"{method} {response.request.path} ({path}) as {who}: "
                    f"{response.status_code}, expected {expected}"
                )

        anonymous = _request(_client_for(app, None), method, url)
        if rule_text in ("public", "public_frameworks"):
            check("anonymous", anonymous, lambda s: s not in (401, 403, 500), "not forbidden")
        else:
            check(
                "anonymous",
                anonymous,
                lambda s, r=anonymous: s == 302 and "/connexion" in r.headers.get("Location", ""),
                "a redirect to the login page",
            )

        for role in ROLES:
            may = allowed is None or role in allowed
            if scoped and may:
                # Outsiders first: insiders' POSTs may change things.
                outsider = _request(_client_for(app, world.people[role]), method, outside_url)
                check(
                    f"{role} on another organisation's objects",
                    outsider,
                    lambda s: s in (403, 404),
                    "403 or 404",
                )
            response = _request(_client_for(app, world.people[role]), method, url)
            if (
                may
                and role == "coordinator"
                and (endpoint in CERTIFIER_ONLY or endpoint in NOTHING_BEHIND)
            ):
                check(role, response, lambda s: s in (403, 404), "403 or 404")
            elif rule_text in ("public", "public_frameworks") or may:
                check(role, response, lambda s: s not in (401, 403, 500), "allowed")
            else:
                check(role, response, lambda s: s == 403, "403")
        assert problems == []
