"""Analytics as spreadsheet tables (CSV downloads): a header row, then one row per item."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import format_decimal
from flask_babel import gettext as _

from app.analytics.counts import Rate
from app.analytics.services import CohortAnalytics, Comparison, CriterionRow, VersionAnalytics
from app.glossary import ENROLMENT_STATUS
from exports.spreadsheets import Cell


def percent(rate: Rate) -> str:
    """A rate in percent with one decimal, as French spreadsheets read it (« 66,7 »); empty
    when nothing was assessed."""
    return "" if rate.ratio is None else format_decimal(rate.ratio * 100, format="0.0")


def heatmap_table(a: CohortAnalytics) -> list[list[Cell]]:
    """One row per learner: criteria acquired per competency (empty: not assessed)."""
    header: list[Cell] = [_("Apprenant·e"), _("Inscription")]
    header += [
        _("%(code)s : critères acquis sur %(total)s", code=comp.code, total=len(comp.criteria))
        for comp in a.scope.competencies
    ]
    rows: list[list[Cell]] = [header]
    for row in a.rows:
        line: list[Cell] = [row.name, str(ENROLMENT_STATUS[row.enrolment.status])]
        line += [cell.acquired if cell.assessed else None for cell in row.cells]
        rows.append(line)
    return rows


def competency_table(a: CohortAnalytics) -> list[list[Cell]]:
    rows: list[list[Cell]] = [
        [
            _("Bloc"),
            _("Code"),
            _("Compétence"),
            _("Apprenant·es l'ayant acquise"),
            _("Apprenant·es évalué·es"),
            _("Apprenant·es"),
            _("Taux d'acquisition (%)"),
            _("Critères acquis"),
            _("Critères évalués"),
            _("Critères attendus"),
            _("Part des critères acquis (%)"),
        ]
    ]
    for row in a.competencies:
        rows.append(
            [
                row.bloc.code,
                row.competency.code,
                row.competency.statement,
                row.learners.part,
                row.learners.assessed,
                row.learners.whole,
                percent(row.learners),
                row.criteria.part,
                row.criteria.assessed,
                row.criteria.whole,
                percent(row.criteria),
            ]
        )
    return rows


def criterion_table(rows: Iterable[CriterionRow]) -> list[list[Cell]]:
    table: list[list[Cell]] = [
        [
            _("Bloc"),
            _("Compétence"),
            _("Code"),
            _("Critère"),
            _("Acquis"),
            _("Non acquis"),
            _("Non évalués"),
            _("Apprenant·es"),
            _("Taux d'acquisition (%)"),
        ]
    ]
    for row in rows:
        table.append(
            [
                row.bloc.code,
                row.competency.code,
                row.criterion.code,
                row.criterion.statement,
                row.acquired,
                row.not_acquired,
                row.not_assessed,
                row.learners,
                percent(row.rate),
            ]
        )
    return table


def comparison_table(v: VersionAnalytics, rows: Iterable[Comparison]) -> list[list[Cell]]:
    """One row per competency or criterion; per cohort and overall: learners who acquired it,
    were assessed on it, all learners, and the rate."""
    header: list[Cell] = [_("Bloc"), _("Code"), _("Énoncé")]
    for name in [c.name for c in v.cohorts] + [_("Ensemble")]:
        header += [
            _("%(name)s : acquis", name=name),
            _("%(name)s : évalué·es", name=name),
            _("%(name)s : apprenant·es", name=name),
            _("%(name)s : taux (%%)", name=name),
        ]
    table: list[list[Cell]] = [header]
    for row in rows:
        line: list[Cell] = [row.bloc.code, row.item.code, row.item.statement]
        for rate in [*row.rates, row.overall]:
            line += [rate.part, rate.assessed, rate.whole, percent(rate)]
        table.append(line)
    return table
