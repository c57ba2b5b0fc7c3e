"""Jury rules: reasons when departing from the proposal, all-or-nothing saves, closed sessions,
later sessions, certification."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.access import cohort_query
from app.assessment.progress import validated_blocs
from app.cohorts.models import AccessRoute, Enrolment, EnrolmentStatus
from app.jury import services as jury
from app.jury.models import BlocDecision, Decision
from app.people.models import AuditEvent
from tests.factories import new_cohort
from tests.jury.factories import (
    Pilot,
    close,
    decide,
    make_proposed,
    open_session,
    presentation_of,
)

V, NV, AJ = Decision.VALIDATED, Decision.NOT_VALIDATED, Decision.DEFERRED


def _decisions(db_session: Any) -> list[BlocDecision]:
    return list(db_session.scalars(sa.select(BlocDecision)))


# --- reasons -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "decision", "needs_reason"),
    [
        (True, V, False),  # follows the proposal
        (True, NV, True),  # proposed, not validated: departs
        (True, AJ, True),  # proposed, deferred: departs
        (False, V, True),  # validated while not proposed: departs
        (False, NV, False),
        (False, AJ, False),
    ],
)
def test_reason_required_only_when_departing_from_proposal(
    pilot: Pilot, db_session: Any, proposed: bool, decision: Decision, needs_reason: bool
) -> None:
    learner = pilot.enrolments[0]
    if proposed:
        make_proposed(db_session, learner, pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot)
    if needs_reason:
        with pytest.raises(jury.DecisionErrors) as caught:
            decide(pilot, session, learner, BC01=decision)
        assert set(caught.value.errors) == {pilot.blocs["BC01"]}
        assert _decisions(db_session) == []
        decide(pilot, session, learner, BC01=(decision, "Soutenance convaincante"))
    else:
        decide(pilot, session, learner, BC01=decision)
    db_session.commit()
    (row,) = _decisions(db_session)
    assert (row.decision, row.proposed_validation) == (decision, proposed)


def test_blank_reason_counts_as_missing(pilot: Pilot, db_session: Any) -> None:
    session = open_session(db_session, pilot)
    with pytest.raises(jury.DecisionErrors):
        decide(pilot, session, pilot.enrolments[0], BC01=(V, "   \n "))


def test_database_refuses_departing_decision_without_reason(pilot: Pilot, db_session: Any) -> None:
    session = open_session(db_session, pilot)
    presentation = presentation_of(session, pilot.enrolments[0])
    db_session.add(
        BlocDecision(
            presentation=presentation,
            bloc_id=pilot.blocs["BC01"],
            decision=V,
            proposed_validation=False,
            reason="",
            decided_by=pilot.jury_member,
        )
    )
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_save_is_all_or_nothing(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    make_proposed(db_session, learner, pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot)
    # BC01 follows its proposal, BC03 departs without a reason: neither is recorded.
    with pytest.raises(jury.DecisionErrors) as caught:
        decide(pilot, session, learner, BC01=V, BC02=NV, BC03=V)
    assert set(caught.value.errors) == {pilot.blocs["BC03"]}
    assert _decisions(db_session) == []
    assert (
        db_session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "jury.decide")
        )
        == 0
    )


def test_unknown_bloc_refused(pilot: Pilot, db_session: Any) -> None:
    session = open_session(db_session, pilot)
    presentation = presentation_of(session, pilot.enrolments[0])
    with pytest.raises(jury.DecisionErrors):
        jury.record_decisions(
            presentation,
            pilot.version,
            {pilot.blocs["BC01"]: (NV, ""), 999_999: (NV, "")},
            pilot.jury_member,
        )
    assert _decisions(db_session) == []


def test_open_session_decisions_can_be_changed_and_removed(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot)
    decide(pilot, session, learner, BC01=NV, BC02=AJ)
    db_session.commit()
    decide(pilot, session, learner, BC01=(V, "Rattrapage réussi"), BC02=None)
    db_session.commit()
    (row,) = _decisions(db_session)
    assert (row.bloc_id, row.decision, row.reason) == (pilot.blocs["BC01"], V, "Rattrapage réussi")


def test_stale_form_refused(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot)
    presentation = presentation_of(session, learner)
    loaded = jury.decisions_state(presentation)
    decide(pilot, session, learner, BC01=NV)  # someone else, meanwhile
    db_session.commit()
    with pytest.raises(jury.StaleDecisionsError):
        jury.record_decisions(
            presentation,
            pilot.version,
            {pilot.blocs["BC01"]: (AJ, "")},
            pilot.jury_member,
            expected_state=loaded,
        )
    (row,) = _decisions(db_session)
    assert row.decision is NV


# --- closing -------------------------------------------------------------------------------------


def test_closed_session_decisions_cannot_change(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot, enrolments=[learner])
    decide(pilot, session, learner, BC01=NV)
    close(pilot, session)
    db_session.commit()
    with pytest.raises(jury.ClosedSessionError):
        decide(pilot, session, learner, BC01=(V, "Changement d'avis"))
    db_session.rollback()
    with pytest.raises(jury.ClosedSessionError):
        jury.present(session, [pilot.enrolments[1]], pilot.coordinator)
    db_session.rollback()
    with pytest.raises(jury.ClosedSessionError):
        close(pilot, session)
    db_session.rollback()
    # Even a direct write to the rows is refused before it reaches the database.
    row = next(d for d in _decisions(db_session) if d.bloc_id == pilot.blocs["BC01"])
    row.decision = Decision.DEFERRED
    with pytest.raises(jury.ClosedSessionError):
        db_session.flush()
    db_session.rollback()
    db_session.delete(_decisions(db_session)[0])
    with pytest.raises(jury.ClosedSessionError):
        db_session.flush()
    db_session.rollback()
    assert [d.decision for d in _decisions(db_session) if d.bloc_id == pilot.blocs["BC01"]] == [NV]


def test_later_session_can_decide_again(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    first = open_session(db_session, pilot, on=dt.date(2026, 3, 12), enrolments=[learner])
    decide(pilot, first, learner, BC01=NV, BC02=(V, "Très bon dossier"))
    close(pilot, first)
    db_session.commit()
    assert validated_blocs([learner.id])[learner.id] == {pilot.blocs["BC02"]}

    second = open_session(db_session, pilot, on=dt.date(2026, 6, 18), enrolments=[learner])
    decide(pilot, second, learner, BC01=(V, "Rattrapage réussi"), BC02=NV)
    # Until the second session closes, the first one's decisions stand.
    assert validated_blocs([learner.id])[learner.id] == {pilot.blocs["BC02"]}
    close(pilot, second)
    db_session.commit()
    assert validated_blocs([learner.id])[learner.id] == {pilot.blocs["BC01"]}


# --- certification -------------------------------------------------------------------------------


def test_certification_when_every_mandatory_bloc_validated(pilot: Pilot, db_session: Any) -> None:
    full, partial, none = pilot.enrolments
    for bloc in ("BC01", "BC02"):
        make_proposed(db_session, full, pilot.bloc(bloc), pilot.trainer)
    make_proposed(db_session, partial, pilot.bloc("BC01"), pilot.trainer)
    session = open_session(db_session, pilot, on=dt.date(2026, 3, 12))
    decide(pilot, session, full, BC01=V, BC02=V)  # BC03 is optional: not needed
    decide(pilot, session, partial, BC01=V, BC02=AJ)
    decide(pilot, session, none, BC01=NV)
    db_session.commit()
    # An open session certifies nobody.
    assert full.status is EnrolmentStatus.ENROLLED and full.certified_on is None

    certified = close(pilot, session)
    db_session.commit()
    assert certified == [full.id]
    assert full.status is EnrolmentStatus.CERTIFIED
    assert full.certified_on == dt.date(2026, 3, 12)  # the jury's date, not today
    for other in (partial, none):
        assert other.status is EnrolmentStatus.ENROLLED and other.certified_on is None
    # Partial validation is kept, bloc by bloc.
    assert validated_blocs([partial.id])[partial.id] == {pilot.blocs["BC01"]}
    actions = db_session.scalars(sa.select(AuditEvent.action)).all()
    assert "jury.close" in actions and actions.count("enrolment.certify") == 1


def test_partial_validation_completed_by_a_later_jury(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[1]
    first = open_session(db_session, pilot, on=dt.date(2026, 3, 12), enrolments=[learner])
    decide(pilot, first, learner, BC01=(V, "Expérience attestée"))
    close(pilot, first)
    db_session.commit()
    assert learner.status is EnrolmentStatus.ENROLLED

    second = open_session(db_session, pilot, on=dt.date(2026, 6, 18), enrolments=[learner])
    decide(pilot, second, learner, BC02=(V, "Étude de cas réussie"))
    assert close(pilot, second) == [learner.id]
    db_session.commit()
    assert learner.status is EnrolmentStatus.CERTIFIED
    assert learner.certified_on == dt.date(2026, 6, 18)


def test_optional_bloc_alone_does_not_certify(pilot: Pilot, db_session: Any) -> None:
    learner = pilot.enrolments[0]
    session = open_session(db_session, pilot, enrolments=[learner])
    decide(pilot, session, learner, BC03=(V, "Projet remarquable"))
    assert close(pilot, session) == []


# --- sessions and presentations ------------------------------------------------------------------


def test_create_session_rules(
    pilot: Pilot, db_session: Any, create_version: Any, mini_doc: Any
) -> None:
    mini_doc["certification"]["code"] = "BROUILLON"
    draft = create_version(mini_doc)
    with pytest.raises(jury.JuryError):
        jury.create_session(
            draft, dt.date(2026, 1, 1), "", [pilot.jury_member], "", pilot.coordinator
        )
    with pytest.raises(jury.JuryError):  # a trainer cannot sit on the jury
        jury.create_session(
            pilot.version, dt.date(2026, 1, 1), "", [pilot.trainer], "", pilot.coordinator
        )
    with pytest.raises(jury.JuryError):  # nobody at all
        jury.create_session(pilot.version, dt.date(2026, 1, 1), "", [], " \n ", pilot.coordinator)
    session = jury.create_session(
        pilot.version, dt.date(2026, 1, 1), " Lyon ", [], "\n Marc Pro \n\n", pilot.coordinator
    )
    assert (session.location, session.external_members) == ("Lyon", "Marc Pro")


def test_present_rules(
    pilot: Pilot, db_session: Any, create_version: Any, mini_doc: dict[str, Any]
) -> None:
    session = open_session(db_session, pilot, enrolments=[pilot.enrolments[0]])
    with pytest.raises(jury.JuryError):
        jury.present(session, [pilot.enrolments[0]], pilot.coordinator)  # already presented
    db_session.rollback()
    pilot.enrolments[1].status = EnrolmentStatus.WITHDRAWN
    db_session.commit()
    with pytest.raises(jury.JuryError):
        jury.present(session, [pilot.enrolments[1]], pilot.coordinator)
    db_session.rollback()
    mini_doc["version"]["label"] = "v2"
    v2 = create_version(mini_doc, publish=True)
    elsewhere = new_cohort(  # over 2026
        db_session, pilot.organisation, v2, "Promotion v2", access_route=AccessRoute.APPRENTICESHIP
    )
    enrolment = Enrolment(cohort=elsewhere, learner=pilot.learners[2])
    db_session.add(enrolment)
    db_session.commit()
    with pytest.raises(jury.JuryError):
        jury.present(session, [enrolment], pilot.coordinator)
    db_session.rollback()
    assert [p.enrolment_id for p in session.presentations] == [pilot.enrolments[0].id]


def test_eligible_enrolments(pilot: Pilot, db_session: Any) -> None:
    session = open_session(db_session, pilot, enrolments=[pilot.enrolments[0]])
    pilot.enrolments[1].status = EnrolmentStatus.WITHDRAWN
    db_session.commit()
    eligible = jury.eligible_enrolments(session, cohort_query(pilot.coordinator))
    # Not the presented one, not the withdrawn one, not the other organisation's learner.
    assert [e.id for e in eligible] == [pilot.enrolments[2].id]
    eligible = jury.eligible_enrolments(session, cohort_query(pilot.other_coordinator))
    assert [e.id for e in eligible] == [pilot.outsider_enrolment.id]
