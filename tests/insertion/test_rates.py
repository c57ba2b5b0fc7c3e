"""The France Compétences insertion rates, against cases computed by hand."""

from __future__ import annotations

from fractions import Fraction

from app.insertion.models import Situation
from app.insertion.rates import insertion_rates

S = Situation


def test_simple_promotion() -> None:
    # 10 certified people: 4 target job, 2 other job, 2 job seeking, 1 studying, 1 no answer.
    # Respondents = 10 − 1 (no answer) − 1 (studying, removed) = 8.
    # Métier visé = 4 / 8 = 1/2 ; global = (4 + 2) / 8 = 3/4.
    rates = insertion_rates(
        [S.TARGET_JOB] * 4 + [S.OTHER_JOB] * 2 + [S.JOB_SEEKING] * 2 + [S.STUDYING, S.NO_ANSWER]
    )
    assert (rates.people, rates.no_answer, rates.excluded, rates.respondents) == (10, 1, 1, 8)
    assert (rates.in_target_job, rates.in_employment) == (4, 6)
    assert rates.target_job_rate == Fraction(1, 2)
    assert rates.employment_rate == Fraction(3, 4)


def test_every_excluded_situation_leaves_both_numerator_and_denominator() -> None:
    # 7 people: 1 target job, 1 job seeking, and one each of studying, alternance,
    # unable to work, abroad (all four removed), 1 no answer.
    # Respondents = 7 − 4 − 1 = 2. Métier visé = 1/2 ; global = 1/2.
    rates = insertion_rates(
        [
            S.TARGET_JOB,
            S.JOB_SEEKING,
            S.STUDYING,
            S.ALTERNANCE,
            S.UNABLE_TO_WORK,
            S.ABROAD,
            S.NO_ANSWER,
        ]
    )
    assert (rates.excluded, rates.no_answer, rates.respondents) == (4, 1, 2)
    assert rates.target_job_rate == Fraction(1, 2)
    assert rates.employment_rate == Fraction(1, 2)


def test_people_with_nothing_recorded_are_not_respondents() -> None:
    # 5 people, 2 with nothing recorded (None) and 1 « pas de réponse »: 3 without answer.
    # Respondents = 2 (1 other job, 1 job seeking). Métier visé = 0/2 = 0 ; global = 1/2.
    rates = insertion_rates([None, None, S.NO_ANSWER, S.OTHER_JOB, S.JOB_SEEKING])
    assert (rates.no_answer, rates.respondents) == (3, 2)
    assert rates.target_job_rate == 0  # a real zero: there are respondents
    assert rates.target_job_rate is not None
    assert rates.employment_rate == Fraction(1, 2)


def test_thirds_are_exact() -> None:
    # 3 respondents: 1 target job, 1 other job, 1 job seeking.
    # Métier visé = 1/3 ; global = 2/3 (exact fractions, rounding is for display).
    rates = insertion_rates([S.TARGET_JOB, S.OTHER_JOB, S.JOB_SEEKING])
    assert rates.target_job_rate == Fraction(1, 3)
    assert rates.employment_rate == Fraction(2, 3)


def test_everyone_in_the_target_job() -> None:
    # 2 target job + 1 abroad (removed): 2 / 2 = 1 for both rates.
    rates = insertion_rates([S.TARGET_JOB, S.TARGET_JOB, S.ABROAD])
    assert rates.target_job_rate == 1 and rates.employment_rate == 1


def test_no_respondent_gives_no_rate() -> None:
    # Nobody answered, or only excluded situations: 0 respondents, the rates are unknown.
    for situations in ([], [S.NO_ANSWER, None], [S.STUDYING, S.ALTERNANCE, S.ABROAD]):
        rates = insertion_rates(situations)
        assert rates.respondents == 0
        assert rates.target_job_rate is None
        assert rates.employment_rate is None
