"""/me and its history run a fixed number of SQL queries, whatever the history's length, the
number of blocs and of enrolments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.assessment.models import EvaluationSession
from app.cohorts.models import AccessRoute, Enrolment
from app.jury.models import Decision
from app.people.models import Role
from tests.factories import doc_variant, new_cohort
from tests.jury.factories import Pilot
from tests.progress.conftest import criterion, level


def queries(client: Any, count_queries: Any, url: str = "/me") -> tuple[int, list[str]]:
    """The statements of a request once the versions' structures are in memory (a first
    request reads each version's structure: two more queries per version, once per process)."""
    assert client.get(url).status_code == 200
    with count_queries() as counter:
        response = client.get(url)
    assert response.status_code == 200
    return counter.count, counter.statements


def test_same_count_for_1_and_200_results(
    client: Any,
    login: Any,
    pilot: Pilot,
    grade: Any,
    comment: Any,
    closed_jury: Any,
    acquire: Any,
    db_session: Any,
    count_queries: Any,
) -> None:
    me = pilot.enrolments[0]
    grade(me, [(criterion(pilot, "C1.1.a"), level(pilot, "A"))], pilot.trainer)
    db_session.add(
        EvaluationSession(
            cohort=pilot.cohort,
            bloc=pilot.bloc("BC01"),
            session_date=dt.date.today() + dt.timedelta(days=5),
        )
    )
    db_session.commit()
    login(pilot.learners[0])
    few, before = queries(client, count_queries)

    codes = ["C1.1.a", "C1.1.b", "C1.2.a", "C1.2.b", "C2.1.a", "C2.1.b", "C3.1.a"]
    levels = [level(pilot, "NA"), level(pilot, "A")]
    grade(
        me,
        [(criterion(pilot, codes[i % len(codes)]), levels[i % 2]) for i in range(199)],
        pilot.trainer,
    )
    for i in range(30):
        comment(me, pilot, ["C1.1", "C1.2", "C2.1", "C3.1"][i % 4], f"Retour {i}", pilot.trainer)
    acquire(pilot, me, "BC01")
    closed_jury(pilot, me, on=dt.date(2026, 1, 10), BC01=Decision.VALIDATED)
    acquire(pilot, me, "BC02")
    closed_jury(pilot, me, on=dt.date(2026, 3, 10), BC02=Decision.VALIDATED)
    for days in range(1, 6):
        db_session.add(
            EvaluationSession(
                cohort=pilot.cohort,
                bloc=pilot.bloc("BC03"),
                session_date=dt.date.today() + dt.timedelta(days=days),
            )
        )
    db_session.commit()
    many, statements = queries(client, count_queries)
    assert many == few, (statements, before)
    # 3 for the user, 1 for the enrolments with cohort, organisation and version, then current
    # levels, validated blocs, decisions, comments, upcoming sessions and two for the history.
    assert few == 11, before
    assert queries(client, count_queries, "/me/historique")[0] < few
    assert (
        queries(client, count_queries, "/me/historique?page=2")[0]
        == queries(client, count_queries, "/me/historique")[0]
    )


def test_same_count_for_one_bloc_or_three_and_for_more_enrolments(
    client: Any,
    login: Any,
    pilot: Pilot,
    create_version: Any,
    mini_doc: dict[str, Any],
    create_user: Any,
    grade: Any,
    db_session: Any,
    count_queries: Any,
) -> None:
    doc = doc_variant(mini_doc, code="UNBLOC")
    one_bloc = create_version(doc, publish=True)
    assert len(one_bloc.blocs) == 1 and len(pilot.version.blocs) == 3
    solo = create_user(Role.LEARNER, name="Sacha Seul")
    small = new_cohort(
        db_session,
        pilot.organisation,
        one_bloc,
        "Promotion à un bloc",
        start_date=dt.date(2025, 1, 6),
        end_date=dt.date(2025, 12, 19),
        access_route=AccessRoute.VAE,
    )
    db_session.add(Enrolment(cohort=small, learner=solo))
    db_session.commit()
    grade(pilot.enrolments[0], [(criterion(pilot, "C1.1.a"), level(pilot, "A"))], pilot.trainer)

    login(solo)
    one, _ = queries(client, count_queries)
    login(pilot.learners[0])
    three, statements = queries(client, count_queries)
    assert three == one, statements

    # A second enrolment, on another version, in another organisation.
    db_session.add(Enrolment(cohort=small, learner=pilot.learners[0]))
    db_session.commit()
    two_enrolments, statements = queries(client, count_queries)
    assert two_enrolments == one, statements
