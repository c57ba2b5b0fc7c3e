"""The two France Compétences insertion rates of a promotion, from its survey answers.

- taux d'insertion dans le métier visé = people in the target job ÷ respondents;
- taux d'insertion global = people in employment (target job or another job) ÷ respondents.

Respondents are the people who answered (not « pas de réponse », nor no answer recorded),
minus those studying, in alternance, unable to work or abroad: they are removed from both the
numerators and the denominator. With no respondent a rate is None (unknown), never 0.

A survey is due 6 months (2 years) after the person's certification: before that, a person
with no answer is « pas encore interrogé·e », counted apart, never as a missing answer. The
situation before the training is due at once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from app.insertion.models import ContractType, Horizon, Situation, SurveyAnswer

EXCLUDED = frozenset(
    {Situation.STUDYING, Situation.ALTERNANCE, Situation.UNABLE_TO_WORK, Situation.ABROAD}
)
EMPLOYED = frozenset({Situation.TARGET_JOB, Situation.OTHER_JOB})


@dataclass(frozen=True)
class InsertionRates:
    people: int  # every person counted (certified people of the promotion)
    no_answer: int  # « pas de réponse », or nothing recorded
    excluded: int  # studying, alternance, unable to work, abroad
    respondents: int
    in_target_job: int
    in_employment: int  # target job + other job
    target_job_rate: Fraction | None
    employment_rate: Fraction | None
    not_due: int = 0  # not asked yet: the horizon has not come (counted in `people`)
    contracts: tuple[tuple[ContractType, int], ...] = ()  # of the people in employment


SURVEY_MONTHS = {Horizon.BEFORE: 0, Horizon.SIX_MONTHS: 6, Horizon.TWO_YEARS: 24}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, on the month's last day when it is shorter."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def survey_due(certified_on: dt.date | None, horizon: Horizon, today: dt.date) -> bool:
    """Whether a person certified on `certified_on` is to be asked at `horizon` by `today`."""
    if horizon is Horizon.BEFORE:
        return True
    if certified_on is None:
        return False
    return add_months(certified_on, SURVEY_MONTHS[horizon]) <= today


def horizon_rates(
    people: Iterable[tuple[int, dt.date | None]],
    answers: Mapping[tuple[int, Horizon], SurveyAnswer],
    horizon: Horizon,
    today: dt.date,
) -> InsertionRates:
    """The rates of certified `people` ((enrolment id, certified on)) at `horizon` from their
    current `answers`: those with no answer whose horizon has not come are counted apart."""
    situations: list[Situation | None] = []
    contracts: Counter[ContractType] = Counter()
    not_due = 0
    for enrolment_id, certified_on in people:
        answer = answers.get((enrolment_id, horizon))
        if answer is None and not survey_due(certified_on, horizon, today):
            not_due += 1
            continue
        situations.append(answer.situation if answer is not None else None)
        if answer is not None and answer.situation in EMPLOYED and answer.contract_type:
            contracts[answer.contract_type] += 1
    rates = insertion_rates(situations)
    return InsertionRates(
        people=rates.people + not_due,
        no_answer=rates.no_answer,
        excluded=rates.excluded,
        respondents=rates.respondents,
        in_target_job=rates.in_target_job,
        in_employment=rates.in_employment,
        target_job_rate=rates.target_job_rate,
        employment_rate=rates.employment_rate,
        not_due=not_due,
        contracts=tuple((c, contracts[c]) for c in ContractType if contracts[c]),
    )


def insertion_rates(situations: Iterable[Situation | None]) -> InsertionRates:
    """The rates for one promotion and one horizon: one situation per certified person, None
    for a person with no answer recorded."""
    people = no_answer = excluded = in_target = in_other = 0
    for situation in situations:
        people += 1
        if situation is None or situation is Situation.NO_ANSWER:
            no_answer += 1
        elif situation in EXCLUDED:
            excluded += 1
        elif situation is Situation.TARGET_JOB:
            in_target += 1
        elif situation is Situation.OTHER_JOB:
            in_other += 1
    respondents = people - no_answer - excluded
    employed = in_target + in_other
    return InsertionRates(
        people=people,
        no_answer=no_answer,
        excluded=excluded,
        respondents=respondents,
        in_target_job=in_target,
        in_employment=employed,
        target_job_rate=Fraction(in_target, respondents) if respondents else None,
        employment_rate=Fraction(employed, respondents) if respondents else None,
    )
