"""A session's decisions on one page, all or nothing; closing refused early or with silence."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import sqlalchemy as sa
from markupsafe import escape

from app.assessment.progress import validated_blocs
from app.jury import closing
from app.jury import services as jury
from app.jury.models import BlocDecision, Decision, JurySession
from tests.jury.factories import Pilot, close, decide, make_proposed, open_session, presentation_of

V, NV, AJ, NP = (
    Decision.VALIDATED,
    Decision.NOT_VALIDATED,
    Decision.DEFERRED,
    Decision.NOT_PRESENTED,
)


def _decisions(db_session: Any) -> list[BlocDecision]:
    return list(db_session.scalars(sa.select(BlocDecision)))


def _url(session: JurySession, suffix: str = "") -> str:
    return f"/jurys/{session.id}{suffix}"


# --- closing -------------------------------------------------------------------------------------


def test_closing_refused_before_the_session_date(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot, on=dt.date(2026, 12, 15), enrolments=[learner])
    decide(pilot, session, learner, BC01=AJ, BC02=AJ, BC03=NP)
    db_session.commit()
    with pytest.raises(jury.ClosingRefused) as refused:
        closing.close_session(session, pilot.version, pilot.coordinator, today=dt.date(2026, 12, 5))
    assert refused.value.problems == [
        "La session a lieu le 15 décembre 2026 : elle ne peut être close qu'à partir de ce jour."
    ]
    db_session.rollback()
    assert not session.is_closed
    # On the day itself it can.
    closing.close_session(session, pilot.version, pilot.coordinator, today=dt.date(2026, 12, 15))
    assert session.is_closed


def test_closing_refused_while_a_bloc_has_no_decision(pilot: Pilot, db_session: Any) -> None:
    first, second, _third = pilot.enrolments
    session = open_session(db_session, pilot, enrolments=[first, second])
    decide(pilot, session, first, BC01=AJ, BC02=AJ, BC03=NP)
    decide(pilot, session, second, BC02=AJ)
    db_session.commit()
    with pytest.raises(jury.ClosingRefused) as refused:
        closing.close_session(session, pilot.version, pilot.coordinator)
    name = second.learner.full_name
    assert refused.value.problems == [
        f"{name} : pas de décision sur BC01, BC03 (« ajourné » ou « non présenté » sont des "
        "décisions)."
    ]
    db_session.rollback()
    assert not session.is_closed
    # « Ajourné » and « non présenté » are decisions: now it closes.
    decide(pilot, session, second, BC01=AJ, BC02=AJ, BC03=NP)
    assert closing.close_session(session, pilot.version, pilot.coordinator) == []
    assert session.is_closed


def test_not_presented_keeps_an_earlier_validation(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    make_proposed(db_session, learner, pilot.bloc("BC01"), pilot.trainer)
    first = open_session(db_session, pilot, on=dt.date(2026, 1, 15), enrolments=[learner])
    decide(pilot, first, learner, BC01=V)
    close(pilot, first)
    later = open_session(db_session, pilot, on=dt.date(2026, 3, 12), enrolments=[learner])
    decide(pilot, later, learner, BC01=(NP, "Déjà validé en janvier."), BC02=AJ, BC03=NP)
    close(pilot, later)
    db_session.commit()
    assert validated_blocs([learner.id])[learner.id] == {pilot.blocs["BC01"]}


# --- every decision of a session at once ---------------------------------------------------------


def test_session_decisions_are_all_or_nothing(pilot: Pilot, db_session: Any) -> None:
    first, second, _third = pilot.enrolments
    make_proposed(db_session, first, pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot, enrolments=[first, second])
    p1, p2 = presentation_of(session, first), presentation_of(session, second)
    b1, b2 = pilot.blocs["BC01"], pilot.blocs["BC02"]
    choices = {
        (p1.id, b1): (V, ""),
        (p1.id, b2): (AJ, ""),
        (p2.id, b1): (V, ""),  # not proposed: a reason is needed
        (p2.id, b2): (NP, ""),
    }
    with pytest.raises(jury.SessionDecisionErrors) as refused:
        jury.record_session_decisions(session, pilot.version, choices, pilot.jury_member)
    assert list(refused.value.errors) == [(p2.id, b1)]
    db_session.rollback()
    assert _decisions(db_session) == []
    choices[(p2.id, b1)] = (V, "Expérience professionnelle probante")
    changed = jury.record_session_decisions(
        session,
        pilot.version,
        choices,
        pilot.jury_member,
        expected_state=jury.session_state(session.presentations),
    )
    assert changed == 2
    saved = {(d.presentation_id, d.bloc_id): d.decision for d in _decisions(db_session)}
    assert saved == {key: choice[0] for key, choice in choices.items()}


def test_stale_session_page_is_refused(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot, enrolments=[learner])
    state = jury.session_state(session.presentations)
    decide(pilot, session, learner, BC02=AJ)  # someone else, meanwhile
    db_session.commit()
    p = presentation_of(session, learner)
    with pytest.raises(jury.StaleDecisionsError):
        jury.record_session_decisions(
            session,
            pilot.version,
            {(p.id, pilot.blocs["BC01"]): (AJ, "")},
            pilot.coordinator,
            expected_state=state,
        )


# --- the pages -----------------------------------------------------------------------------------


def _form(html: str) -> dict[str, str]:
    """The decisions form's fields as the page sends them (selects at their selected value)."""
    form = html[html.index('id="decisions-form"') :]
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        data[name] = chosen.group(1) if chosen else ""
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = text.strip()
    return data


def test_one_page_records_every_decision(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    first, second, third = pilot.enrolments
    make_proposed(db_session, first, pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot)
    decide(pilot, session, third, BC02=AJ)
    db_session.commit()
    login(pilot.jury_member)
    show = client.get(_url(session)).get_data(as_text=True)
    assert f'href="{_url(session, "/decisions")}"' in show
    response = client.get(_url(session, "/decisions"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # A row per learner, a column per bloc, the proposal in each cell.
    rows = re.findall(r"<tr>\s*<th scope=\"row\".*?</tr>", html, re.S)
    assert len(rows) == 3
    for row in rows:
        assert row.count('<td class="decision-cell') == 3
    first_row = next(r for r in rows if escape(first.learner.full_name) in r)
    assert first_row.count("proposé à la validation") == 1
    data = _form(html)
    p = {e.id: presentation_of(session, e).id for e in pilot.enrolments}
    b = pilot.blocs
    assert data[f"decision_{p[third.id]}_{b['BC02']}"] == "deferred"  # what is recorded shows

    # One refused cell: nothing saved, and the summary names the learner and the bloc.
    for e in pilot.enrolments:
        for code in ("BC01", "BC02", "BC03"):
            data[f"decision_{p[e.id]}_{b[code]}"] = "deferred"
    data[f"decision_{p[first.id]}_{b['BC01']}"] = "deferred"  # proposed: needs a reason
    response = client.post(_url(session, "/decisions"), data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    summary = html[html.index('class="error-summary"') :].split("</div>")[0]
    assert f"Motif ({escape(first.learner.full_name)}, BC01)" in summary
    assert "Motif obligatoire" in summary
    db_session.expire_all()
    assert len(_decisions(db_session)) == 1  # the one recorded before

    data[f"reason_{p[first.id]}_{b['BC01']}"] = "Soutenance à reprogrammer"
    data[f"decision_{p[second.id]}_{b['BC03']}"] = "not_presented"
    response = client.post(_url(session, "/decisions"), data=data)
    assert response.status_code == 302
    db_session.expire_all()
    saved = {(d.presentation_id, d.bloc_id): d.decision for d in _decisions(db_session)}
    assert len(saved) == 9
    assert saved[(p[second.id], b["BC03"])] is NP
    assert saved[(p[first.id], b["BC01"])] is AJ


def test_close_step_says_why_not_and_what_becomes_final(
    pilot: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    first, second, _third = pilot.enrolments
    for code in ("BC01", "BC02"):
        make_proposed(db_session, first, pilot.bloc(code), pilot.trainer)
    later = open_session(db_session, pilot, on=dt.date.today() + dt.timedelta(days=10))
    session = open_session(db_session, pilot, on=dt.date(2026, 3, 12), enrolments=[first, second])
    decide(pilot, session, first, BC01=V, BC02=V)
    db_session.commit()
    login(pilot.coordinator)
    show = client.get(_url(session)).get_data(as_text=True)
    assert f'href="{_url(session, "/cloturer")}"' in show

    # Too early: said, and nothing closes even when posted.
    html = client.get(_url(later, "/cloturer")).get_data(as_text=True)
    assert "elle ne peut être close qu&#39;à partir de ce jour" in html
    assert "Clôturer définitivement" not in html
    assert client.post(_url(later, "/cloturer")).status_code == 409
    # Silence on a bloc: each learner and bloc named.
    html = client.get(_url(session, "/cloturer")).get_data(as_text=True)
    assert f"{escape(first.learner.full_name)} : pas de décision sur BC03" in html
    assert f"{escape(second.learner.full_name)} : pas de décision sur BC01, BC02, BC03" in html
    response = client.post(_url(session, "/cloturer"))
    assert response.status_code == 409
    db_session.expire_all()
    assert not session.is_closed and not later.is_closed

    decide(pilot, session, first, BC03=NP)
    decide(pilot, session, second, BC01=AJ, BC02=AJ, BC03=NP)
    db_session.commit()
    html = client.get(_url(session, "/cloturer")).get_data(as_text=True)
    final = html[html.index("Ce que la clôture rend définitif") :]
    assert "Les décisions des 2 personnes présentées" in final
    assert "datée du jour du jury (12 mars 2026)" in final
    assert escape(first.learner.full_name) in final
    assert "Le procès-verbal portera la date de la session (12 mars 2026)" in final
    assert client.post(_url(session, "/cloturer")).status_code == 302
    db_session.expire_all()
    assert session.is_closed
