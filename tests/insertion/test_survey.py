"""Insertion survey: recording answers, corrections, concurrent edits, the cohort page, access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from app.cohorts.models import EnrolmentStatus
from app.insertion import services
from app.insertion.models import ContractType, Horizon, Situation, SurveyAnswer, WorkingTime
from app.people.models import AuditEvent
from tests.jury.factories import Pilot

CERTIFIED_ON = dt.date(2025, 12, 18)


@pytest.fixture
def certified(pilot: Pilot, db_session: Any) -> Pilot:
    """The first two learners are certified (the third is not)."""
    for enrolment in pilot.enrolments[:2]:
        enrolment.status = EnrolmentStatus.CERTIFIED
        enrolment.certified_on = CERTIFIED_ON
    pilot.outsider_enrolment.status = EnrolmentStatus.CERTIFIED
    pilot.outsider_enrolment.certified_on = CERTIFIED_ON
    db_session.commit()
    return pilot


def _url(pilot: Pilot, index: int = 0, horizon: str = "6m") -> str:
    return (
        f"/insertion/promotions/{pilot.cohort.id}/reponses/{pilot.enrolments[index].id}/{horizon}"
    )


def _answers(db_session: Any) -> list[SurveyAnswer]:
    return list(db_session.scalars(sa.select(SurveyAnswer).order_by(SurveyAnswer.id)))


def _post(client: Any, url: str, based_on: Any = "", **fields: str) -> Any:
    return client.post(url, data={"based_on": based_on, **fields})


# --- access --------------------------------------------------------------------------------------


def test_only_coordinators_of_the_cohort(certified: Pilot, client: Any, login: Any) -> None:
    pilot = certified
    cohort_url = f"/insertion/promotions/{pilot.cohort.id}"
    for user in (pilot.learners[0], pilot.trainer, pilot.jury_member):
        login(user)
        for url in ("/insertion/", cohort_url, _url(pilot)):
            assert client.get(url).status_code == 403, (user.full_name, url)
    login(pilot.other_coordinator)
    assert client.get(cohort_url).status_code == 404
    assert client.get(_url(pilot)).status_code == 404
    assert (
        _post(client, _url(pilot), situation="target_job", answered_on="2026-06-20").status_code
        == 404
    )
    login(pilot.coordinator)
    assert client.get(cohort_url).status_code == 200
    assert client.get(_url(pilot)).status_code == 200


def test_only_certified_people_are_surveyed(certified: Pilot, client: Any, login: Any) -> None:
    login(certified.coordinator)
    assert client.get(_url(certified, 2)).status_code == 404  # not certified
    assert client.get(_url(certified, 0, "3y")).status_code == 404  # no such horizon
    outsider = (
        f"/insertion/promotions/{certified.cohort.id}/reponses/{certified.outsider_enrolment.id}/6m"
    )
    assert client.get(outsider).status_code == 404  # another cohort's enrolment


# --- recording -----------------------------------------------------------------------------------


def test_record_then_correct(certified: Pilot, db_session: Any, client: Any, login: Any) -> None:
    login(certified.coordinator)
    response = _post(
        client,
        _url(certified),
        situation="other_job",
        contract_type="cdd",
        answered_on="2026-06-20",
    )
    assert response.status_code == 302
    (first,) = _answers(db_session)
    assert (first.horizon, first.situation, first.contract_type, first.answered_on) == (
        Horizon.SIX_MONTHS,
        Situation.OTHER_JOB,
        ContractType.CDD,
        dt.date(2026, 6, 20),
    )
    # A correction appends; the latest row is the answer.
    response = _post(
        client,
        _url(certified),
        based_on=first.id,
        situation="target_job",
        contract_type="cdi",
        answered_on="2026-06-22",
    )
    assert response.status_code == 302
    rows = _answers(db_session)
    assert len(rows) == 2 and rows[0].situation is Situation.OTHER_JOB
    current = services.current_answer(certified.enrolments[0].id, Horizon.SIX_MONTHS)
    assert current is not None and current.situation is Situation.TARGET_JOB
    actions = db_session.scalars(
        sa.select(AuditEvent.action)
        .where(AuditEvent.action.like("survey.%"))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["survey.answer", "survey.correct"]
    page = client.get(_url(certified)).get_data(as_text=True)
    assert "Historique des réponses" in page and "en emploi dans un autre métier" in page


def test_the_job_held_with_its_rome_code(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(certified.coordinator)
    response = _post(
        client,
        _url(certified),
        situation="target_job",
        contract_type="cdi",
        job_title="  Chargée de mission   coopération ",
        rome_code="k1802",
        working_time="part_time",
        sector="Collectivité territoriale",
        answered_on="2026-06-20",
    )
    assert response.status_code == 302
    (answer,) = _answers(db_session)
    assert (answer.job_title, answer.rome_code, answer.working_time, answer.sector) == (
        "Chargée de mission coopération",
        "K1802",
        WorkingTime.PART_TIME,
        "Collectivité territoriale",
    )
    page = client.get(f"/insertion/promotions/{certified.cohort.id}").get_data(as_text=True)
    assert "K1802" in page and "Chargée de mission coopération" in page


def test_the_situation_before_the_training(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    """Asked at entry: its date precedes the certification, and it is due at once."""
    login(certified.coordinator)
    assert client.get(_url(certified, horizon="before")).status_code == 200
    response = _post(
        client,
        _url(certified, horizon="before"),
        situation="other_job",
        job_title="Animateur socioculturel",
        rome_code="G1202",
        answered_on="2025-01-06",
    )
    assert response.status_code == 302
    (answer,) = _answers(db_session)
    assert answer.horizon is Horizon.BEFORE and answer.answered_on < CERTIFIED_ON
    survey = services.cohort_survey(certified.cohort, today=dt.date(2026, 1, 5))
    before = survey.rates[Horizon.BEFORE]
    assert (before.people, before.respondents, before.no_answer, before.not_due) == (2, 1, 1, 0)
    six = survey.rates[Horizon.SIX_MONTHS]  # due on 18/06/2026: nobody is late yet
    assert (six.people, six.no_answer, six.not_due) == (2, 0, 2)
    later = services.cohort_survey(certified.cohort, today=dt.date(2026, 6, 18))
    assert later.rates[Horizon.SIX_MONTHS].no_answer == 2


def test_unchanged_answer_not_recorded_again(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(certified.coordinator)
    _post(client, _url(certified), situation="job_seeking", answered_on="2026-06-20")
    (first,) = _answers(db_session)
    _post(
        client,
        _url(certified),
        based_on=first.id,
        situation="job_seeking",
        answered_on="2026-06-20",
    )
    assert len(_answers(db_session)) == 1


def test_concurrent_answer_refused(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(certified.coordinator)
    # Two coordinators opened the empty form; the first one saves.
    _post(client, _url(certified), situation="target_job", answered_on="2026-06-20")
    response = _post(client, _url(certified), situation="abroad", answered_on="2026-06-21")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Une autre réponse a été enregistrée entre-temps" in html
    assert 'value="abroad" selected' in html or 'value="abroad"' in html  # typed input kept
    assert [a.situation for a in _answers(db_session)] == [Situation.TARGET_JOB]
    # The form now carries the current answer: saving again is deliberate, and accepted.
    (first,) = _answers(db_session)
    assert f'value="{first.id}"' in html
    assert (
        _post(
            client, _url(certified), based_on=first.id, situation="abroad", answered_on="2026-06-21"
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        pytest.param(
            {"situation": "job_seeking", "contract_type": "cdi", "answered_on": "2026-06-20"},
            "contract_type",
            "ne s&#39;indique que pour une personne en emploi",
            id="contract-without-a-job",
        ),
        pytest.param(
            {"situation": "target_job", "answered_on": ""},
            "answered_on",
            "Indiquez la date de la réponse.",
            id="no-date",
        ),
        pytest.param(
            {"situation": "target_job", "answered_on": "2025-01-01"},
            "answered_on",
            "précède la certification",
            id="date-before-certification",
        ),
        pytest.param(
            {"situation": "target_job", "answered_on": "2999-01-01"},
            "answered_on",
            "dans le futur",
            id="date-in-the-future",
        ),
        pytest.param(
            {"situation": "", "answered_on": "2026-06-20"},
            "situation",
            "Choisissez la situation",
            id="no-situation",
        ),
        pytest.param(
            {"situation": "retired", "answered_on": "2026-06-20"},
            "situation",
            "N&#39;est pas un choix valide",
            id="unknown-situation",
        ),
        pytest.param(
            {"situation": "target_job", "contract_type": "stage", "answered_on": "2026-06-20"},
            "contract_type",
            "N&#39;est pas un choix valide",
            id="unknown-contract",
        ),
        pytest.param(
            {"situation": "target_job", "answered_on": "20/06/2026x"},
            "answered_on",
            "N&#39;est pas une date valide",
            id="not-a-date",
        ),
        # The job itself: a ROME code's shape, and job details only for someone in a job.
        pytest.param(
            {"situation": "target_job", "rome_code": "Z9999", "answered_on": "2026-06-20"},
            "rome_code",
            "lettre de A à N",
            id="rome-code-letter-after-N",
        ),
        pytest.param(
            {"situation": "target_job", "rome_code": "K18", "answered_on": "2026-06-20"},
            "rome_code",
            "lettre de A à N",
            id="rome-code-too-short",
        ),
        pytest.param(
            {"situation": "job_seeking", "job_title": "Coordinatrice", "answered_on": "2026-06-20"},
            "job_title",
            "en emploi",
            id="job-title-without-a-job",
        ),
        pytest.param(
            {"situation": "studying", "working_time": "full_time", "answered_on": "2026-06-20"},
            "working_time",
            "en emploi",
            id="working-time-without-a-job",
        ),
    ],
)
def test_bad_answers_refused(
    certified: Pilot,
    db_session: Any,
    client: Any,
    login: Any,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    login(certified.coordinator)
    response = _post(client, _url(certified), **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-errors"' in html
    assert message in html
    assert _answers(db_session) == []


def test_no_answer_needs_no_date(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    login(certified.coordinator)
    assert _post(client, _url(certified, 1, "2y"), situation="no_answer").status_code == 302
    (row,) = _answers(db_session)
    assert (row.horizon, row.situation, row.answered_on) == (
        Horizon.TWO_YEARS,
        Situation.NO_ANSWER,
        None,
    )


def test_service_refuses_what_the_form_refuses(certified: Pilot, db_session: Any) -> None:
    enrolment = certified.enrolments[0]
    with pytest.raises(services.SurveyError):
        services.record_answer(
            enrolment,
            Horizon.SIX_MONTHS,
            services.AnswerInput(Situation.STUDYING, dt.date(2026, 6, 1), ContractType.CDI),
            certified.coordinator,
            based_on=None,
        )
    with pytest.raises(services.SurveyError):  # not certified
        services.record_answer(
            certified.enrolments[2],
            Horizon.SIX_MONTHS,
            services.AnswerInput(Situation.TARGET_JOB, dt.date(2026, 6, 1), None),
            certified.coordinator,
            based_on=None,
        )
    assert _answers(db_session) == []


# --- the cohort page -----------------------------------------------------------------------------


def test_cohort_page_lists_certified_people_and_rates(
    certified: Pilot, db_session: Any, client: Any, login: Any
) -> None:
    first, second = certified.enrolments[:2]
    record = services.record_answer
    # 6 months: first in the target job (after a correction), second studying (removed)
    # → 1 respondent, 1/1 = 100 % for both rates.
    record(
        first,
        Horizon.SIX_MONTHS,
        services.AnswerInput(Situation.OTHER_JOB, dt.date(2026, 6, 1), None),
        certified.coordinator,
        None,
    )
    db_session.commit()
    corrected = services.current_answer(first.id, Horizon.SIX_MONTHS)
    record(
        first,
        Horizon.SIX_MONTHS,
        services.AnswerInput(Situation.TARGET_JOB, dt.date(2026, 6, 2), ContractType.CDI),
        certified.coordinator,
        corrected.id if corrected else None,
    )
    record(
        second,
        Horizon.SIX_MONTHS,
        services.AnswerInput(Situation.STUDYING, dt.date(2026, 6, 3), None),
        certified.coordinator,
        None,
    )
    # 2 years: nothing recorded yet → no respondent, no rate.
    db_session.commit()

    survey = services.cohort_survey(certified.cohort)
    assert [row.enrolment.id for row in survey.rows] == [first.id, second.id]  # Élodie, Zoé
    six = survey.rates[Horizon.SIX_MONTHS]
    assert (six.people, six.respondents, six.excluded, six.in_target_job) == (2, 1, 1, 1)
    assert six.target_job_rate == 1 and six.employment_rate == 1
    two = survey.rates[Horizon.TWO_YEARS]
    assert (two.people, two.respondents, two.target_job_rate) == (2, 0, None)

    login(certified.coordinator)
    html = client.get(f"/insertion/promotions/{certified.cohort.id}").get_data(as_text=True)
    assert "Élodie Brûlé-L&#39;Hôte" in html and "Zoé N&#39;Diaye" in html
    assert "Jean-Marc Œuvray" not in html  # not certified
    assert "Octave Dehors" not in html  # another cohort
    assert "en emploi dans le métier visé" in html and "(CDI)" in html
    assert "100,0" in html  # the rates, French style
    assert "—" in html  # no respondent yet at 2 years: no rate, not 0 %
    index = client.get("/insertion/").get_data(as_text=True)
    assert certified.cohort.name in index
