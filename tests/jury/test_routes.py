"""Jury pages: who sees what, creating, presenting, deciding, closing, the minutes PDF."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pypdf
import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.cohorts.models import EnrolmentStatus
from app.jury import closing
from app.jury import services as jury
from app.jury.models import BlocDecision, Decision, JurySession
from exports.typography import typographic_apostrophes
from tests.jury.factories import (
    Pilot,
    close,
    decide,
    make_proposed,
    open_session,
    presentation_of,
)


def _url(session: JurySession, suffix: str = "") -> str:
    return f"/jurys/{session.id}{suffix}"


def _decision_url(session: JurySession, pilot: Pilot, index: int = 0) -> str:
    return _url(session, f"/presentations/{presentation_of(session, pilot.enrolments[index]).id}")


# --- access --------------------------------------------------------------------------------------


def test_learners_and_trainers_never_see_jury_pages(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    session = open_session(db_session, pilot)
    for user in (pilot.learners[0], pilot.trainer):
        login(user)
        for url in (
            "/jurys/",
            "/jurys/nouvelle",
            _url(session),
            _decision_url(session, pilot),
            _url(session, "/proces-verbal.pdf"),
        ):
            assert client.get(url).status_code == 403, (user.full_name, url)
        assert client.post(_url(session, "/cloturer"), data={"confirm": "y"}).status_code == 403


def test_anonymous_is_sent_to_login(pilot: Pilot, db_session: Any, client: Any) -> None:
    session = open_session(db_session, pilot)
    for url in (_url(session), _url(session, "/proces-verbal.pdf")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/connexion")


def test_jury_members_see_only_their_sessions(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    session = open_session(db_session, pilot)
    login(pilot.other_jury_member)
    assert client.get(_url(session)).status_code == 404
    assert client.get(_decision_url(session, pilot)).status_code == 404
    assert client.get(_url(session, "/proces-verbal.pdf")).status_code == 404
    assert escape(session.location) not in client.get("/jurys/").get_data(as_text=True)
    login(pilot.jury_member)
    assert client.get(_url(session)).status_code == 200
    assert escape(session.location) in client.get("/jurys/").get_data(as_text=True)
    # A member decides but does not run the session.
    assert client.post(_url(session, "/cloturer"), data={"confirm": "y"}).status_code == 403


def test_coordinators_see_only_their_organisations_sessions(
    pilot: Pilot, db_session: Any, client: Any, login: Any, create_user: Any
) -> None:
    session = open_session(db_session, pilot)
    login(pilot.coordinator)
    assert client.get(_url(session)).status_code == 200
    # The other organisation runs a cohort on the same version: organisations are walls, the
    # session is the one of the organisation that created it (app/access.py).
    login(pilot.other_coordinator)
    assert client.get(_url(session)).status_code == 404
    # A coordinator whose organisations run nothing on that version does not see it.
    login(create_user("coordinator", name="Sans Promotion"))
    assert client.get(_url(session)).status_code == 404
    assert client.get("/jurys/").status_code == 200


# --- creating and presenting ---------------------------------------------------------------------


def test_create_session(pilot: Pilot, db_session: Any, client: Any, login: Any) -> None:
    login(pilot.coordinator)
    page = client.get("/jurys/nouvelle").get_data(as_text=True)
    assert escape(pilot.jury_member.full_name) in page
    assert escape(pilot.trainer.full_name) not in page  # only jury-role accounts sit
    response = client.post(
        "/jurys/nouvelle",
        data={
            "version": pilot.version.id,
            "session_date": "2026-03-12",
            "location": "Lyon – Maison de l'ESS",
            "members": [pilot.jury_member.id],
            "external_members": "Marc Pro (employeur)\nAïcha Benali (salariée)",
        },
    )
    assert response.status_code == 302
    session = db_session.scalar(sa.select(JurySession))
    assert session.session_date == dt.date(2026, 3, 12)
    assert [m.id for m in session.members] == [pilot.jury_member.id]
    assert session.external_members.splitlines() == [
        "Marc Pro (employeur)",
        "Aïcha Benali (salariée)",
    ]


def test_create_session_errors_in_french(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(pilot.coordinator)
    response = client.post(
        "/jurys/nouvelle",
        data={"version": pilot.version.id, "session_date": "", "location": "L'Isle-d'Abeau"},
    )
    html = response.get_data(as_text=True)
    assert "Indiquez la date de la session." in html
    assert "Indiquez au moins un membre du jury." in html
    assert escape("L'Isle-d'Abeau") in html  # the typed input is kept
    # A jury member id that is not a jury member account is not a valid choice.
    response = client.post(
        "/jurys/nouvelle",
        data={
            "version": pilot.version.id,
            "session_date": "2026-03-12",
            "members": [pilot.trainer.id],
        },
    )
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JurySession)) == 0


def test_present_learners(pilot: Pilot, db_session: Any, client: Any, login: Any) -> None:
    session = open_session(db_session, pilot, enrolments=[])
    login(pilot.coordinator)
    page = client.get(_url(session)).get_data(as_text=True)
    assert escape(pilot.learners[0].full_name) in page
    assert "Octave Dehors" not in page  # the other organisation's learner
    response = client.post(
        _url(session, "/presenter"),
        data={"enrolments": [pilot.enrolments[0].id, pilot.outsider_enrolment.id]},
    )
    assert response.status_code == 400  # the outsider is not a valid choice: nothing presented
    assert session.presentations == []
    response = client.post(_url(session, "/presenter"), data={})
    assert response.status_code == 400
    assert "Choisissez au moins une personne." in response.get_data(as_text=True)
    response = client.post(
        _url(session, "/presenter"),
        data={"enrolments": [pilot.enrolments[0].id, pilot.enrolments[1].id]},
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert {p.enrolment_id for p in session.presentations} == {
        pilot.enrolments[0].id,
        pilot.enrolments[1].id,
    }


def test_session_page_shows_bloc_statuses(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    make_proposed(db_session, pilot.enrolments[0], pilot.bloc("BC01"), pilot.trainer)
    earlier = open_session(
        db_session, pilot, on=dt.date(2025, 12, 1), enrolments=[pilot.enrolments[0]]
    )
    decide(pilot, earlier, pilot.enrolments[0], BC02=(Decision.VALIDATED, "VAE partielle"))
    close(pilot, earlier)
    session = open_session(db_session, pilot)
    login(pilot.jury_member)
    html = client.get(
        _url(session, f"/presentations/{presentation_of(session, pilot.enrolments[0]).id}")
    ).get_data(as_text=True)
    assert "proposé à la validation" in html
    assert "en cours" in html
    assert "déjà validé" in html
    assert "/inscriptions/" in html and "/preuves" in html  # the evidence is one click away


# --- deciding ------------------------------------------------------------------------------------


def test_decision_form_requires_reason_when_departing(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    make_proposed(db_session, pilot.enrolments[0], pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot)
    login(pilot.jury_member)
    url = _decision_url(session, pilot)
    state = jury.decisions_state(presentation_of(session, pilot.enrolments[0]))
    blocs = pilot.blocs
    data = {
        "state": state,
        f"decision_{blocs['BC01']}": "deferred",  # departs: proposed
        f"reason_{blocs['BC01']}": "",
        f"decision_{blocs['BC02']}": "validated",  # departs: not proposed
        f"reason_{blocs['BC02']}": "",
        f"decision_{blocs['BC03']}": "not_validated",  # follows
        f"reason_{blocs['BC03']}": "",
    }
    response = client.post(url, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Motif obligatoire : ce bloc est proposé à la validation" in html
    assert "Motif obligatoire : ce bloc n&#39;est pas proposé à la validation" in html
    assert f'id="reason_{blocs["BC01"]}-errors"' in html  # next to the field
    assert db_session.scalar(sa.select(sa.func.count()).select_from(BlocDecision)) == 0

    data[f"reason_{blocs['BC01']}"] = "Soutenance à reprendre"
    data[f"reason_{blocs['BC02']}"] = "Expérience de direction d'un PTCE"
    assert client.post(url, data=data).status_code == 302
    rows = db_session.scalars(sa.select(BlocDecision).order_by(BlocDecision.bloc_id)).all()
    assert [(r.decision.value, r.reason, r.decided_by_id) for r in rows] == [
        ("deferred", "Soutenance à reprendre", pilot.jury_member.id),
        ("validated", "Expérience de direction d'un PTCE", pilot.jury_member.id),
        ("not_validated", "", pilot.jury_member.id),
    ]


def test_concurrent_decision_save_is_refused(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    session = open_session(db_session, pilot)
    stale = jury.decisions_state(presentation_of(session, pilot.enrolments[0]))
    decide(pilot, session, pilot.enrolments[0], by=pilot.coordinator, BC01=Decision.NOT_VALIDATED)
    db_session.commit()
    login(pilot.jury_member)
    bloc = pilot.blocs["BC01"]
    response = client.post(
        _decision_url(session, pilot),
        data={"state": stale, f"decision_{bloc}": "deferred", f"reason_{bloc}": "À revoir"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "modifiées par quelqu" in html
    assert "À revoir" in html  # what was typed is kept, beside the recorded decision
    assert db_session.scalar(sa.select(BlocDecision.decision)) is Decision.NOT_VALIDATED


def test_close_then_decisions_are_final(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    for bloc in ("BC01", "BC02"):
        make_proposed(db_session, pilot.enrolments[0], pilot.bloc(bloc), pilot.trainer)
    session = open_session(
        db_session, pilot, on=dt.date(2026, 3, 12), enrolments=pilot.enrolments[:1]
    )
    decide(
        pilot,
        session,
        pilot.enrolments[0],
        BC01=Decision.VALIDATED,
        BC02=Decision.VALIDATED,
        BC03=Decision.NOT_PRESENTED,
    )
    db_session.commit()
    login(pilot.coordinator)
    # The confirmation step says what becomes final, and closes nothing.
    step = client.get(_url(session, "/cloturer"))
    assert step.status_code == 200
    text = step.get_data(as_text=True)
    assert "Ce que la clôture rend définitif" in text
    assert "Clôturer définitivement la session" in text
    db_session.expire_all()
    assert not session.is_closed
    assert client.post(_url(session, "/cloturer")).status_code == 302
    db_session.expire_all()
    assert session.is_closed
    assert pilot.enrolments[0].status is EnrolmentStatus.CERTIFIED
    assert pilot.enrolments[0].certified_on == dt.date(2026, 3, 12)
    bloc = pilot.blocs["BC01"]
    login(pilot.jury_member)
    page = client.get(_decision_url(session, pilot)).get_data(as_text=True)
    assert "<select" not in page  # no form any more
    client.post(
        _decision_url(session, pilot), data={f"decision_{bloc}": "deferred", f"reason_{bloc}": "x"}
    )
    db_session.expire_all()
    assert {d.decision for d in db_session.scalars(sa.select(BlocDecision))} == {
        Decision.VALIDATED,
        Decision.NOT_PRESENTED,
    }


def test_close_needs_the_csrf_token(
    pilot: Pilot, db_session: Any, client: Any, login: Any, app: Any, monkeypatch: Any
) -> None:
    session = open_session(db_session, pilot)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login(pilot.coordinator)
    assert client.post(_url(session, "/cloturer"), data={"confirm": "y"}).status_code == 400
    db_session.expire_all()
    assert not session.is_closed


def test_withdraw_presentation(pilot: Pilot, db_session: Any, client: Any, login: Any) -> None:
    session = open_session(db_session, pilot, enrolments=pilot.enrolments[:2])
    decide(pilot, session, pilot.enrolments[1], BC01=Decision.NOT_VALIDATED)
    db_session.commit()
    login(pilot.coordinator)
    assert client.post(_decision_url(session, pilot, 0) + "/retirer").status_code == 302
    assert client.post(_decision_url(session, pilot, 1) + "/retirer").status_code == 302
    db_session.expire_all()
    # The one with a decision stays.
    assert [p.enrolment_id for p in session.presentations] == [pilot.enrolments[1].id]


# --- minutes -------------------------------------------------------------------------------------


def _pdf_text(data: bytes) -> str:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())  # table cells wrap their text


@pytest.mark.parametrize("closed", [False, True])
def test_minutes_pdf(
    pilot: Pilot, db_session: Any, client: Any, login: Any, app: Any, closed: bool
) -> None:
    full, partial, _ = pilot.enrolments
    for bloc in ("BC01", "BC02"):
        make_proposed(db_session, full, pilot.bloc(bloc), pilot.trainer)
    session = open_session(db_session, pilot, on=dt.date(2026, 3, 12), enrolments=[full, partial])
    decide(pilot, session, full, BC01=Decision.VALIDATED, BC02=Decision.VALIDATED)
    decide(
        pilot,
        session,
        partial,
        BC01=(Decision.VALIDATED, "Expérience probante"),
        BC02=Decision.DEFERRED,
    )
    if closed:
        close(pilot, session)
    db_session.commit()
    login(pilot.jury_member)
    response = client.get(_url(session, "/proces-verbal.pdf"))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _pdf_text(response.data)
    for expected in (
        "Procès-verbal du jury de certification",
        "12 mars 2026",
        "Lyon, salle Rosa-Parks",
        pilot.jury_member.full_name,
        "Marc Pro (employeur)",
        # The document's one apostrophe, the names' included ("Brûlé-L’Hôte").
        typographic_apostrophes(full.learner.full_name),
        typographic_apostrophes(partial.learner.full_name),
        "BC01",
        "BC02",
        "BC03",
        "validé",
        "ajourné",
        "Expérience probante",
        "Certification obtenue.",
        "blocs validés (validation partielle) : BC01",
        "Signatures",
    ):
        assert expected in text, expected
    assert typographic_apostrophes(pilot.learners[2].full_name) not in text  # not presented
    assert ("Projet" in text) is not closed
    # The session's date and the closing date, each under its own name.
    assert "Date de la session : 12 mars 2026" in text
    if closed:
        today = closing.today_in_france()
        with app.test_request_context():
            from flask_babel import format_date

            assert f"Session close le : {format_date(today, 'long')}" in text


def test_every_view_declares_its_access_rule(app: Any) -> None:
    from app.route_rules import RULE_ATTRIBUTE

    mine = [
        (name, view)
        for name, view in app.view_functions.items()
        if name.split(".")[0] in {"jury", "insertion", "evidence"}
    ]
    assert len(mine) >= 15
    for name, view in mine:
        assert getattr(view, RULE_ATTRIBUTE, None), name


def test_session_page_queries_do_not_grow_with_learners(
    pilot: Pilot, db_session: Any, client: Any, login: Any, count_queries: Any
) -> None:
    small = open_session(db_session, pilot, enrolments=pilot.enrolments[:1])
    decide(pilot, small, pilot.enrolments[0], BC01=Decision.NOT_VALIDATED)
    large = open_session(db_session, pilot)
    decide(pilot, large, pilot.enrolments[0], BC01=Decision.NOT_VALIDATED)
    decide(pilot, large, pilot.enrolments[1], BC02=Decision.DEFERRED)
    decide(pilot, large, pilot.enrolments[2], BC01=Decision.NOT_VALIDATED)
    db_session.commit()
    urls = [_url(small), _url(large), _decision_url(small, pilot), _decision_url(large, pilot)]
    login(pilot.coordinator)
    client.get(urls[0])  # warm up
    counts = []
    for url in urls:
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    # Three learners with their decisions cost no more than one (the small session's page
    # also lists the learners left to present, hence "at most").
    assert counts[1] <= counts[0], counts
    assert counts[3] == counts[2], counts
