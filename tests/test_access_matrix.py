"""Every route × every role, inside and across organisations: a classification table.

`ACCESS` lists every route of the URL map (by endpoint) with the outcome expected for each
role on the objects of their own organisation ("insiders") and across the wall ("outsiders").
The test fails on a route nobody classified, on a classified route that no longer exists, on a
route parameter it cannot fill, and on any outcome that differs from the table.

The world has two training organisations, A and B, and two certifiers, C (owns the MINI
certification) and D (owns AUTRE), symmetric:

    A: cohort on MINI v1 (trainer, learner, classmate), a cohort on AUTRE v1, a jury session
       on MINI v1 (its jury member), evidence, an export.
    B: the same on AUTRE v1, and a cohort on MINI v1 — so B's coordinator follows the very
       version of A's jury session (the issue's case: versions are no wall, owners are).

Roles (columns): C coordinator of A · T trainer of A · L learner of A · J jury member of A's
session · K coordinator of the certifier C. Outsiders: B's coordinator, trainer, learner, jury
member and D's coordinator ask for A's objects, AND A's people ask for B's (the reverse): both
directions must give the outsider column's outcome.

Outcomes: ok (allowed: not 401/403/404/500), 403, 404, no (403 or 404), - (not asked: the
route has no object of an organisation in its URL, so there is no "other side").
POSTs are sent with an empty form (CSRF is off in tests): past the access check they may be
refused as invalid input, which still counts as "ok" (the wall let them through).
"""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask

from app.assessment.evidence import attach, check_upload
from app.cohorts.models import Cohort, Enrolment, EnrolmentInvitation
from app.exports_history.models import ExportKind, ExportRecord, ExportStatus
from app.jury.models import JuryPresentation, JurySession
from app.people.models import Organisation, OrganisationKind
from app.route_rules import RULE_ATTRIBUTE
from exports.case import NAMESPACE as CASE_NAMESPACE
from tests.conftest import IsolatedClient
from tests.factories import doc_variant, new_cohort

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

ROLES = ("coordinator", "trainer", "learner", "jury", "certifier")

# Notes: K (the certifier owning MINI) edits the identity of MINI learners (the accrochage
# flows), withdraws their certification, runs the juries on MINI and so sees the evidence of
# those presented; on jury.withdraw, A's coordinator withdrew the presentation just before K
# asks (404). Published versions are shared (registry.check, correspondences): "ok" across.
# fmt: off
#                                   insiders:  C   T   L   J   K  |  outsiders: C   T   L   J   K
ACCESS: dict[str, str] = {
    "analytics.cohort":                " ok  ok 403 403 404  |  404 404 403 403 404",
    "analytics.index":                 " ok  ok 403 403  ok  |    -   -   -   -   -",
    "analytics.version":               "404 404 403 403 404  |  404 404 403 403 404",
    "assessment.cell_history":         " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.confirm_cell":         " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.export_results":       " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.grid":                 " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.grid_export":          " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.grid_import":          " ok  ok 403 403 404  |  404 404 403 403 404",
    "assessment.sessions":             " ok  ok 403 403 404  |  404 404 403 403 404",
    "badges.issuer":                   "404 404 404 404 404  |    -   -   -   -   -",
    "badges.key":                      "404 404 404 404 404  |    -   -   -   -   -",
    "badges.keys":                     " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "badges.status_list":              "404 404 404 404 404  |    -   -   -   -   -",
    "case.document":                   " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "case.documents":                  " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "case.item":                       "404 404 404 404 404  |    -   -   -   -   -",
    "case.package":                    " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "cohorts.assign_trainer":          " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.confirm_import":          " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.edit":                    " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.identity":                " ok 403 403 403  ok  |  404 403 403 403 404",
    "cohorts.import_learners":         " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.index":                   " ok  ok  ok 403  ok  |    -   -   -   -   -",
    "cohorts.learner":                 " ok  ok 403 403 404  |  404 404 403 403 404",
    "cohorts.new":                     " ok 403 403 403  ok  |    -   -   -   -   -",
    "cohorts.new_learner":             " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.new_organisation":        " ok 403 403 403  ok  |    -   -   -   -   -",
    "cohorts.organisations":           " ok 403 403 403  ok  |    -   -   -   -   -",
    "cohorts.set_status":              " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.set_entry_date":          " ok 403 403 403 404  |  404 403 403 403 404",
    "cohorts.show":                    " ok  ok 403 403 404  |  404 404 403 403 404",
    "cohorts.unassign_trainer":        "404 403 403 403 404  |  404 403 403 403 404",
    "cohorts.withdraw_certification":  "404 403 403 403  ok  |  404 403 403 403 404",
    "dossier.index":                   " ok 403 403 403  ok  |    -   -   -   -   -",
    "dossier.texts":                   "404 403 403 403  ok  |  404 403 403 403 404",
    "dossier.readiness":               "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.add_item":                 "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.copy":                     "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.delete_item":              "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.edit":                     "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.edit_item":                "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.index":                    " ok 403 403 403  ok  |    -   -   -   -   -",
    "editor.metadata":                 "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.move_item":                "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.new_draft":                "403 403 403 403  ok  |    -   -   -   -   -",
    "editor.publish":                  "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.retire":                   "404 403 403 403  ok  |  404 403 403 403 404",
    "editor.rncp_number":              "404 403 403 403  ok  |  404 403 403 403 404",
    "evidence.download":               " ok  ok  ok  ok  ok  |  404 404 404 404 404",
    "evidence.index":                  " ok  ok  ok  ok  ok  |  404 404 404 404 404",
    "evidence.upload":                 "403  ok  ok 403 403  |  403 404 404 403 403",
    "exports.download":                "404 403 403 403 404  |  404 403 403 403 404",
    "exports.index":                   " ok 403 403 403  ok  |    -   -   -   -   -",
    "exports.new_accrochage":          " ok 403 403 403  ok  |    -   -   -   -   -",
    "exports.new_dossier":             " ok 403 403 403  ok  |    -   -   -   -   -",
    "exports.new_fiche":               " ok 403 403 403  ok  |    -   -   -   -   -",
    "exports.show":                    " ok 403 403 403 404  |  404 403 403 403 404",
    "exports.status":                  " ok 403 403 403 404  |  404 403 403 403 404",
    "exports.verify":                  " ok 403 403 403 404  |  404 403 403 403 404",
    "frameworks.case_package":         " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "frameworks.compare":              "404 404 404 404 404  |    -   -   -   -   -",
    "frameworks.index":                " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "frameworks.matrix":               " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "frameworks.version":              " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "health.health":                   " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "home.answer_offer":               "404 404  ok 404 404  |  404 404 404 404 404",
    "home.index":                      " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "home.offers":                     " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "i18n.switch":                     " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "insertion.answer":                "404 403 403 403 404  |  404 403 403 403 404",
    "insertion.cohort":                " ok 403 403 403 404  |  404 403 403 403 404",
    "insertion.index":                 " ok 403 403 403  ok  |    -   -   -   -   -",
    "insertion.record":                "404 403 403 403 404  |  404 403 403 403 404",
    "jury.close":                      " ok 403 403 403  ok  |  404 403 403 403 404",
    "jury.decide":                     " ok 403 403  ok  ok  |  404 403 403 404 404",
    "jury.decisions":                  " ok 403 403  ok  ok  |  404 403 403 404 404",
    "jury.index":                      " ok 403 403  ok  ok  |    -   -   -   -   -",
    "jury.minutes":                    " ok 403 403  ok  ok  |  404 403 403 404 404",
    "jury.new":                        " ok 403 403 403  ok  |    -   -   -   -   -",
    "jury.present":                    " ok 403 403 403  ok  |  404 403 403 403 404",
    "jury.presentation":               " ok 403 403  ok  ok  |  404 403 403 404 404",
    "jury.show":                       " ok 403 403  ok  ok  |  404 403 403 404 404",
    "jury.withdraw":                   " ok 403 403 403 404  |  404 403 403 403 404",
    "people.accept_invitation":        " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.audit":                    " ok 403 403 403  ok  |    -   -   -   -   -",
    "people.change_password":          " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.disable":                  " ok 403 403 403 404  |  404 403 403 403 404",
    "people.enable":                   " ok 403 403 403 404  |  404 403 403 403 404",
    "people.forgot_password":          " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.invite":                   " ok 403 403 403  ok  |    -   -   -   -   -",
    "people.login":                    " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.login_code":               " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.login_setup":              " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.logout":                   " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.reset_password":           " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.two_factor_codes":         " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.two_factor_disable":       " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.two_factor_settings":      " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "people.users":                    " ok 403 403 403  ok  |    -   -   -   -   -",
    "privacy.erase":                   " ok 403 403 403 404  |  404 403 403 403 404",
    "progress.attestation":            "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.badge":                  "403 403  ok 403 403  |  403 403 404 403 403",
    "progress.certification_badge":    "403 403  ok 403 403  |  403 403 404 403 403",
    "progress.data_export":            "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.data_html":              "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.data_json":              "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.history":                "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.identity":               "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.me":                     "403 403  ok 403 403  |    -   -   -   -   -",
    "progress.verify":                 " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "progress.verify_badge":           " ok  ok  ok  ok  ok  |    -   -   -   -   -",
    "progress.verify_code":            "404 404 404 404 404  |    -   -   -   -   -",
    "registry.borrow_fiche":           "403 403 403 403 404  |    -   -   -   -   -",
    "registry.check":                  " ok 403 403 403  ok  |   ok 403 403 403  ok",
    "registry.correspondence_list":    " ok 403 403 403  ok  |   ok 403 403 403  ok",
    "registry.correspondence_mark":    "403 403 403 403  ok  |  403 403 403 403 403",
    "registry.fiche":                  "404 404 403 403 404  |    -   -   -   -   -",
    "registry.import_export":          "403 403 403 403  ok  |    -   -   -   -   -",
    "registry.import_status":          "404 403 403 403 404  |    -   -   -   -   -",
    "registry.index":                  " ok  ok 403 403  ok  |    -   -   -   -   -",
    "settings.index":                  "403 403 403 403  ok  |    -   -   -   -   -",
}
# fmt: on


@dataclass
class World:
    people: dict[str, Any]
    values: dict[str, Any]  # A's objects (and C's certification)
    outsider_values: dict[str, Any]  # B's objects (and D's certification)


def build_world(
    app: Flask, db_session: Any, create_user: Any, create_version: Any, mini_doc: Any
) -> World:
    org_a = Organisation(name="Organisme A", kind=OrganisationKind.TRAINING)
    org_b = Organisation(name="Organisme B", kind=OrganisationKind.TRAINING)
    cert_c = Organisation(name="Certificateur C", kind=OrganisationKind.CERTIFIER)
    cert_d = Organisation(name="Certificateur D", kind=OrganisationKind.CERTIFIER)
    db_session.add_all([org_a, org_b, cert_c, cert_d])
    db_session.commit()

    def versions(code: str, owner: Organisation) -> tuple[Any, Any]:
        doc = doc_variant(mini_doc, code=code)
        published = create_version(doc, publish=True)
        draft_doc = copy.deepcopy(doc)
        draft_doc["version"]["label"] = "v2"
        draft = create_version(draft_doc)
        published.certification.organisation = owner
        return published, draft

    mini, mini_draft = versions("MINI", cert_c)
    autre, autre_draft = versions("AUTRE", cert_d)

    people = {
        "coordinator": create_user("coordinator", organisations=[org_a]),
        "trainer": create_user("trainer", organisations=[org_a]),
        "learner": create_user("learner"),
        "jury": create_user("jury"),
        "certifier": create_user("coordinator", organisations=[cert_c]),
        "coordinator_out": create_user("coordinator", organisations=[org_b]),
        "trainer_out": create_user("trainer", organisations=[org_b]),
        "learner_out": create_user("learner"),
        "jury_out": create_user("jury"),
        "certifier_out": create_user("coordinator", organisations=[cert_d]),
        # The accounts the account routes act on (disabling them logs none of the above out).
        "classmate": create_user("learner"),
        "classmate_out": create_user("learner"),
    }

    def cohort(org: Organisation, name: str, version: Any, trainers: list[Any]) -> Cohort:
        return new_cohort(db_session, org, version, name, trainers)

    cohort_a = cohort(org_a, "Promo A", mini, [people["trainer"]])
    cohort_a2 = cohort(org_a, "Promo A sur AUTRE", autre, [])
    cohort_b = cohort(org_b, "Promo B", autre, [people["trainer_out"]])
    cohort_b2 = cohort(org_b, "Promo B sur MINI", mini, [])
    enrolment_a = Enrolment(cohort=cohort_a, learner=people["learner"])
    enrolment_b = Enrolment(cohort=cohort_b, learner=people["learner_out"])
    db_session.add_all(
        [
            enrolment_a,
            enrolment_b,
            Enrolment(cohort=cohort_a, learner=people["classmate"]),
            Enrolment(cohort=cohort_b, learner=people["classmate_out"]),
        ]
    )
    session_a = JurySession(
        organisation=org_a,
        version=mini,
        session_date=dt.date(2026, 12, 1),
        members=[people["jury"]],
    )
    session_b = JurySession(
        organisation=org_b,
        version=autre,
        session_date=dt.date(2026, 12, 2),
        members=[people["jury_out"]],
    )
    presentation_a = JuryPresentation(jury_session=session_a, enrolment=enrolment_a)
    presentation_b = JuryPresentation(jury_session=session_b, enrolment=enrolment_b)
    # Enrolments offered across the wall, waiting for the person to accept them.
    offer_to_a = EnrolmentInvitation(cohort=cohort_b2, user=people["learner"])
    offer_to_b = EnrolmentInvitation(cohort=cohort_a2, user=people["learner_out"])
    db_session.add_all(
        [session_a, session_b, presentation_a, presentation_b, offer_to_a, offer_to_b]
    )
    db_session.commit()

    evidence_a = attach(
        enrolment_a,
        mini.blocs[0].competencies[0],
        check_upload(PDF, "preuve.pdf", 10**6),
        people["trainer"],
    )
    evidence_b = attach(
        enrolment_b,
        autre.blocs[0].competencies[0],
        check_upload(PDF, "preuve.pdf", 10**6),
        people["trainer_out"],
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

    def side(
        code: str,
        published: Any,
        draft: Any,
        cohort: Cohort,
        enrolment: Enrolment,
        classmate: Any,
        session: JurySession,
        presentation: JuryPresentation,
        evidence: Any,
        record: ExportRecord,
        offer: EnrolmentInvitation,
    ) -> dict[str, Any]:
        bloc = published.blocs[0]
        return {
            "cert_code": code,
            "label": "v1",
            "version_id": draft.id,
            "certification_id": published.certification_id,
            "kind": "bloc",
            "item_id": draft.blocs[0].id,
            "token": "lien-inconnu",
            "cohort_id": cohort.id,
            "enrolment_id": enrolment.id,
            "user_id": classmate.id,
            "bloc_code": bloc.code,
            "criterion_id": bloc.competencies[0].criteria[0].id,
            "session_id": session.id,
            "presentation_id": presentation.id,
            "evidence_id": evidence.id,
            "export_id": record.id,
            "offer_id": offer.id,
            "horizon": "6m",
            "code": "ABCD-EFGH-JKMN-PQRS",
            "number": "RNCP34001",
            "job_id": 999_999,  # an import of the register nobody started
            # A CASE identifier (app/frameworks/case_routes.py): the published v1 document.
            "identifier": str(uuid.uuid5(CASE_NAMESPACE, f"{code}/v1")),
            "organisation_id": cohort.organisation_id,  # a badge issuer's profile (public)
            "kid": "20260101-00000000",  # a badge signing key (public)
        }

    values = side(
        "MINI",
        mini,
        mini_draft,
        cohort_a,
        enrolment_a,
        people["classmate"],
        session_a,
        presentation_a,
        evidence_a,
        export_a,
        offer_to_a,
    )
    outsider_values = side(
        "AUTRE",
        autre,
        autre_draft,
        cohort_b,
        enrolment_b,
        people["classmate_out"],
        session_b,
        presentation_b,
        evidence_b,
        export_b,
        offer_to_b,
    )
    return World(people, values, outsider_values)


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


def test_every_route_is_classified(app: Flask) -> None:
    endpoints = {endpoint for endpoint, _, _ in routes(app)}
    assert sorted(endpoints - set(ACCESS)) == [], "routes nobody classified in ACCESS"
    assert sorted(set(ACCESS) - endpoints) == [], "ACCESS lists routes that no longer exist"


def parse(row: str) -> tuple[dict[str, str], dict[str, str]]:
    inside, _, outside = row.partition("|")
    insiders, outsiders = inside.split(), outside.split()
    assert len(insiders) == len(outsiders) == len(ROLES), row
    return dict(zip(ROLES, insiders, strict=True)), dict(zip(ROLES, outsiders, strict=True))


def matches(expected: str, status: int) -> bool:
    if expected == "ok":
        return status not in (401, 403, 404) and status < 500
    if expected == "no":
        return status in (403, 404)
    return status == int(expected)


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


def _request(app: Flask, user: Any | None, method: str, url: str) -> int:
    client = _client_for(app, user)
    response = client.get(url) if method == "GET" else client.post(url, data={})
    response.get_data()
    response.close()  # a streamed file (evidence, exports) is closed here
    return response.status_code


@pytest.fixture
def world(
    app: Flask, db_session: Any, create_user: Any, create_version: Any, mini_doc: Any, tmp_path: Any
) -> World:
    """Organisations A and B, certifiers C (MINI) and D (AUTRE), and their people."""
    app.config["EVIDENCE_DIR"] = tmp_path / "evidence"
    return build_world(app, db_session, create_user, create_version, mini_doc)


def _endpoints() -> list[str]:
    from app import create_app

    return [endpoint for endpoint, _, _ in routes(create_app("testing"))]


def observe(app: Flask, world: World, endpoint: str, method: str) -> dict[str, Any]:
    """Every request of the table for one route and method: outsiders first (insiders' POSTs
    may change what they would see), then anonymous and insiders."""
    url = _url(app, endpoint, world.values)
    outside_url = _url(app, endpoint, world.outsider_values)
    seen: dict[str, Any] = {}
    for role in ROLES:
        seen[f"{role}_out"] = (
            _request(app, world.people[f"{role}_out"], method, url),
            _request(app, world.people[role], method, outside_url),
        )
    seen["anonymous"] = _request(app, None, method, url)
    for role in ROLES:
        seen[role] = _request(app, world.people[role], method, url)
    return seen


@pytest.mark.parametrize("endpoint", _endpoints())
def test_route_for_every_role(app: Flask, world: World, endpoint: str) -> None:
    assert endpoint in ACCESS, f"{endpoint}: classify it in ACCESS"
    rule_text = getattr(app.view_functions[endpoint], RULE_ATTRIBUTE)
    _, path, methods = next(r for r in routes(app) if r[0] == endpoint)
    insiders, outsiders = parse(ACCESS[endpoint])
    problems: list[str] = []
    for method in sorted(methods, reverse=True):  # POST last: it may change what GET shows
        seen = observe(app, world, endpoint, method)
        anonymous = seen["anonymous"]
        if rule_text in ("public", "public_frameworks"):
            if anonymous in (401, 403) or anonymous >= 500:
                problems.append(f"{method} {path} anonymous: {anonymous}, expected not forbidden")
        elif anonymous != 302:
            problems.append(f"{method} {path} anonymous: {anonymous}, expected the login page")
        for role in ROLES:
            if not matches(insiders[role], seen[role]):
                problems.append(f"{method} {path} {role}: {seen[role]}, expected {insiders[role]}")
            if outsiders[role] == "-":
                continue
            theirs, ours = seen[f"{role}_out"]
            for who, status in (
                (f"{role} of the other side on ours", theirs),
                (f"{role} on the other side's", ours),
            ):
                if not matches(outsiders[role], status):
                    problems.append(f"{method} {path} {who}: {status}, expected {outsiders[role]}")
    assert problems == []
