"""Personal data: everything held about the learner, as JSON and as a readable document."""

from __future__ import annotations

import datetime as dt
import json
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from app.assessment.evidence import attach, check_upload
from app.cohorts.models import LearnerIdentity, Sex
from app.db import utcnow
from app.insertion.models import Horizon, Situation, SurveyAnswer
from app.jury.models import Decision
from app.people import audit
from app.people.models import OneTimeToken, Role, TokenPurpose
from app.progress.models import Attestation
from app.progress.personal_data import personal_data
from tests.jury.factories import Pilot, decide, make_proposed, open_session
from tests.progress.conftest import criterion, level

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CATEGORIES = {
    "generated_at",
    "account",
    "identity",
    "enrolments",
    "results",
    "comments",
    "evidence_files",
    "jury_presentations",
    "jury_decisions",
    "survey_answers",
    "attestations",
    "account_links",
    "audit_events",
}


@pytest.fixture
def record(
    app: Any,
    pilot: Pilot,
    db_session: Any,
    grade: Any,
    comment: Any,
    closed_jury: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Pilot:
    """Élodie's full record, and a classmate's (Zoé) and an outsider's that must not leak."""
    monkeypatch.setitem(app.config, "EVIDENCE_DIR", tmp_path / "evidence")
    me, zoe = pilot.enrolments[0], pilot.enrolments[1]
    elodie = pilot.learners[0]
    db_session.add(
        LearnerIdentity(
            user=elodie,
            birth_name="Brûlé",
            usage_name="Brûlé-L'Hôte",
            first_names=["Élodie", "Marie"],
            birth_date=dt.date(1991, 4, 2),
            sex=Sex.FEMALE,
            birth_commune_code="69123",
        )
    )
    db_session.add(
        LearnerIdentity(
            user=pilot.learners[1],
            birth_name="N'Diaye",
            first_names=["Zoé"],
            birth_date=dt.date(1988, 11, 30),
            birth_country_code="99341",
        )
    )
    a, na = level(pilot, "A"), level(pilot, "NA")
    grade(me, [(criterion(pilot, "C1.1.a"), na)], pilot.trainer)
    grade(me, [(criterion(pilot, "C1.1.a"), a)], pilot.trainer)
    grade(zoe, [(criterion(pilot, "C3.1.a"), a)], pilot.trainer)
    comment(me, pilot, "C1.1", "Bon début, à consolider.", pilot.trainer)
    comment(zoe, pilot, "C1.1", "Secret de Zoé", pilot.trainer)
    comment(pilot.outsider_enrolment, pilot, "C1.1", "Secret d'Octave", pilot.other_trainer)
    attach(
        me, pilot.bloc("BC01").competencies[0], check_upload(PDF, "compte-rendu.pdf", 10**6), elodie
    )
    attach(
        zoe,
        pilot.bloc("BC01").competencies[0],
        check_upload(PDF, "zoe-preuve.pdf", 10**6),
        pilot.trainer,
    )
    make_proposed(db_session, me, pilot.bloc("BC02"), pilot.trainer)
    closed_jury(pilot, me, on=dt.date(2026, 3, 12), BC02=Decision.VALIDATED)
    still_open = open_session(db_session, pilot, on=dt.date(2026, 6, 1), enrolments=[me, zoe])
    decide(pilot, still_open, me, BC01=(Decision.NOT_VALIDATED, "Délibération en cours"))
    db_session.add_all(
        [
            SurveyAnswer(
                enrolment=me,
                horizon=Horizon.SIX_MONTHS,
                situation=Situation.TARGET_JOB,
                answered_on=dt.date(2026, 9, 1),
                recorded_by=pilot.coordinator,
            ),
            SurveyAnswer(
                enrolment=zoe,
                horizon=Horizon.SIX_MONTHS,
                situation=Situation.JOB_SEEKING,
                recorded_by=pilot.coordinator,
            ),
            Attestation(
                enrolment=me,
                code="ABCD-EFGH-JKMN-PQRS",
                content={"learner_name": "Élodie", "blocs": [{"code": "BC02"}]},
            ),
            OneTimeToken(
                user=elodie,
                purpose=TokenPurpose.INVITATION,
                token_hash="f" * 64,
                expires_at=utcnow() + dt.timedelta(days=7),
            ),
        ]
    )
    audit.record("user.login", elodie, "Connexion d'Élodie", actor=elodie)
    audit.record("user.invite", elodie, "Invitation d'Élodie", actor=pilot.coordinator)
    audit.record("user.login", pilot.learners[1], "Connexion de Zoé", actor=pilot.learners[1])
    db_session.commit()
    return pilot


def json_export(client: Any) -> dict[str, Any]:
    response = client.get("/me/donnees.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert 'filename="mes-donnees-' in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def test_json_holds_every_category(client: Any, login: Any, record: Pilot) -> None:
    login(record.learners[0])
    data = json_export(client)
    assert set(data) == CATEGORIES
    account = data["account"]
    assert account["email"] == record.learners[0].email
    assert account["full_name"] == "Élodie Brûlé-L'Hôte" and account["roles"] == ["learner"]
    assert account["created_at"]
    assert data["identity"] == {
        "birth_name": "Brûlé",
        "usage_name": "Brûlé-L'Hôte",
        "first_names": ["Élodie", "Marie"],
        "birth_date": "1991-04-02",
        "sex": "F",
        "birth_commune_code": "69123",
        "birth_country_code": None,
        "updated_at": data["identity"]["updated_at"],
    }
    assert [e["cohort"] for e in data["enrolments"]] == ["Promotion 2025 – Lyon"]
    assert data["enrolments"][0]["access_route"] == "formation_continue"
    # The whole history: the corrected result too, in order.
    c11a = [r for r in data["results"] if r["criterion"] == "C1.1.a"]
    assert [r["level"] for r in c11a] == ["NA", "A"]
    assert c11a[0]["assessor"] == "Théo Formateur" and c11a[0]["bloc"] == "BC01"
    assert len(data["results"]) == 4  # 2 on C1.1.a + 2 making BC02 proposed
    assert [c["text"] for c in data["comments"]] == ["Bon début, à consolider."]
    (evidence,) = data["evidence_files"]
    assert evidence["name"] == "compte-rendu.pdf" and evidence["size_bytes"] == len(PDF)
    assert evidence["media_type"] == "application/pdf" and len(evidence["sha256"]) == 64
    decided = [d for d in data["jury_decisions"] if d["decision"] != "not_presented"]
    assert [(d["bloc"], d["decision"]) for d in decided] == [("BC02", "validated")]
    assert [(p["session_date"], p["session_closed"]) for p in data["jury_presentations"]] == [
        ("2026-03-12", True),
        ("2026-06-01", False),
    ]
    (answer,) = data["survey_answers"]
    assert answer["situation"] == "target_job" and answer["answered_on"] == "2026-09-01"
    assert [a["code"] for a in data["attestations"]] == ["ABCD-EFGH-JKMN-PQRS"]
    assert [t["purpose"] for t in data["account_links"]] == ["invitation"]
    actions = [e["action"] for e in data["audit_events"]]
    assert "user.login" in actions and "user.invite" in actions
    assert "evidence.upload" in actions and "jury.decide" in actions
    invite = next(e for e in data["audit_events"] if e["action"] == "user.invite")
    assert invite["by"] == "Claire Coordinatrice"


def test_json_holds_nothing_of_other_learners(client: Any, login: Any, record: Pilot) -> None:
    login(record.learners[0])
    text = json.dumps(json_export(client), ensure_ascii=False)
    for other in (
        "Secret de Zoé",
        "Secret d'Octave",
        "zoe-preuve.pdf",
        "Connexion de Zoé",
        "N'Diaye",
        "1988-11-30",
        "99341",
        "job_seeking",
        "C3.1.a",
        record.learners[1].email,
        record.learners[2].email,
        "Octave Dehors",
        "Délibération en cours",  # an open session's deliberation
        "f" * 64,  # a token's hash is no data about the person
        "password",
    ):
        assert other not in text, other


def test_readable_document(client: Any, login: Any, record: Pilot) -> None:
    login(record.learners[0])
    response = client.get("/me/donnees.html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data(as_text=True)
    html = unescape(raw)
    assert '<html lang="fr">' in raw
    for heading in (
        "Compte",
        "Identité civile",
        "Inscriptions",
        "Résultats (historique complet)",
        "Commentaires des formateur·rices",
        "Pièces justificatives (description des fichiers)",
        "Jurys",
        "Enquête d'insertion",
        "Attestations émises",
        "Journal des actions vous concernant",
    ):
        assert f">{heading}</h2>" in html, heading
    assert "1991-04-02" in html and "69123" in html and "Élodie, Marie" in html
    assert "Bon début, à consolider." in html and "compte-rendu.pdf" in html
    assert "Secret de Zoé" not in html and "N'Diaye" not in html
    assert "<script" not in raw


def test_names_are_escaped_in_the_document(
    client: Any, login: Any, record: Pilot, comment: Any
) -> None:
    comment(record.enrolments[0], record, "C1.2", "<img src=x onerror=alert(1)>", record.trainer)
    login(record.learners[0])
    raw = client.get("/me/donnees.html").get_data(as_text=True)
    assert "<img src=x" not in raw and "&lt;img src=x onerror=alert(1)&gt;" in raw


def test_export_page_offers_both_files(client: Any, login: Any, record: Pilot) -> None:
    login(record.learners[0])
    html = unescape(client.get("/me/donnees").get_data(as_text=True))
    assert 'href="/me/donnees.html"' in html and 'href="/me/donnees.json"' in html
    assert 'href="/me/donnees"' in unescape(client.get("/me").get_data(as_text=True))


def test_learner_without_anything(client: Any, login: Any, create_user: Any) -> None:
    user = create_user(Role.LEARNER, name="Nina Nouvelle")
    login(user)
    data = json_export(client)
    assert set(data) == CATEGORIES and data["identity"] is None
    assert all(data[k] == [] for k in CATEGORIES - {"generated_at", "account", "identity"})
    assert client.get("/me/donnees.html").status_code == 200


def test_fixed_number_of_queries(
    app: Any, record: Pilot, grade: Any, comment: Any, db_session: Any, count_queries: Any
) -> None:
    elodie = record.learners[0]
    with count_queries() as few:
        personal_data(elodie)
    me = record.enrolments[0]
    crit, levels = criterion(record, "C1.2.a"), [level(record, "A"), level(record, "NA")]
    grade(me, [(crit, levels[i % 2]) for i in range(100)], record.trainer)
    for i in range(20):
        comment(me, record, "C1.2", f"Retour {i}", record.trainer)
    with count_queries() as many:
        data = personal_data(elodie)
    assert len(data["results"]) == 104 and len(data["comments"]) == 21
    assert many.count == few.count, many.statements
