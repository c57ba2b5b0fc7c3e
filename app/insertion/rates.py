"""The two France Compétences insertion rates of a promotion, from its survey answers.

- taux d'insertion dans le métier visé = people in the target job ÷ respondents;
- taux d'insertion global = people in employment (target job or another job) ÷ respondents.

Respondents are the people who answered (not « pas de réponse », nor no answer recorded),
minus those studying, in alternance, unable to work or abroad: they are removed from both the
numerators and the denominator. With no respondent a rate is None (unknown), never 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from app.insertion.models import Situation

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
