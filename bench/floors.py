"""Floors: the same data through the DB-API driver with the fewest hand-written SQL statements,
no ORM, no templates. What a page or a save could cost at best on this engine and machine."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from app.db import db, utcnow

RAW_QUERIES = [0]


def raw(sql: str, params: dict[str, Any]) -> list[Any]:
    """One hand-written query through the DB-API driver; `:name` parameters on both engines."""
    RAW_QUERIES[0] += 1
    cursor = db.session.connection().connection.driver_connection.cursor()
    cursor.execute(_driver_sql(sql, params), params)
    rows = cursor.fetchall()
    cursor.close()
    return rows


STRUCTURE = (
    "SELECT b.id, b.code, b.title, b.optional, c.id, c.code, c.statement, k.id, k.code,"
    " k.statement FROM blocs b JOIN competencies c ON c.bloc_id = b.id"
    " JOIN criteria k ON k.competency_id = c.id WHERE b.version_id {} "
    " ORDER BY b.position, c.position, k.position"
)
LEVELS = (
    "SELECT id, version_id, code, label, counts_as_acquired FROM scale_levels WHERE version_id {}"
)
USER = "SELECT id, full_name, active, session_version FROM users WHERE id = :u"


def floor_version(version_id: int) -> None:
    raw(
        "SELECT v.label, v.title, v.level, v.status, v.notes, v.nsf_codes, v.rome_codes,"
        " v.formacodes, v.certifier_name, v.competency_rule, v.minimum_criteria, c.code"
        " FROM framework_versions v JOIN certifications c ON c.id = v.certification_id"
        " WHERE v.id = :v",
        {"v": version_id},
    )
    raw(LEVELS.format("= :v"), {"v": version_id})
    raw(STRUCTURE.format("= :v"), {"v": version_id})
    raw(
        "SELECT d.code, d.title, a.code, a.title, ca.competency_id FROM activity_domains d"
        " JOIN activities a ON a.domain_id = d.id"
        " LEFT JOIN competency_activities ca ON ca.activity_id = a.id"
        " WHERE d.version_id = :v ORDER BY d.position, a.position",
        {"v": version_id},
    )
    raw(
        "SELECT bloc_id, code, title, description FROM evaluation_modalities"
        " WHERE version_id = :v ORDER BY position",
        {"v": version_id},
    )


def floor_learner(user_id: int) -> None:
    mine = "SELECT id FROM enrolments WHERE learner_id = :u"
    versions = (
        "IN (SELECT co.version_id FROM enrolments e JOIN cohorts co ON co.id = e.cohort_id"
        " WHERE e.learner_id = :u)"
    )
    p = {"u": user_id}
    raw(USER, p)
    raw(
        "SELECT e.id, e.status, e.certified_on, co.id, co.name, co.start_date, co.end_date,"
        " o.name, v.id, v.label, v.title, v.level, v.competency_rule, v.minimum_criteria, c.code"
        " FROM enrolments e JOIN cohorts co ON co.id = e.cohort_id"
        " JOIN organisations o ON o.id = co.organisation_id"
        " JOIN framework_versions v ON v.id = co.version_id"
        " JOIN certifications c ON c.id = v.certification_id WHERE e.learner_id = :u",
        p,
    )
    raw(STRUCTURE.format(versions), p)
    raw(LEVELS.format(versions), p)
    raw(
        "SELECT enrolment_id, criterion_id, level_id FROM result_heads"
        f" WHERE enrolment_id IN ({mine})",
        p,
    )
    raw(
        "SELECT m.enrolment_id, m.competency_id, m.text, u.full_name, m.recorded_at"
        " FROM competency_comments m JOIN users u ON u.id = m.author_id WHERE m.id IN"
        " (SELECT max(id) FROM competency_comments"
        f" WHERE enrolment_id IN ({mine}) GROUP BY enrolment_id, competency_id)",
        p,
    )
    raw(
        "SELECT p.enrolment_id, d.bloc_id, d.decision, d.reason, s.session_date, s.closed_at"
        " FROM bloc_decisions d JOIN jury_presentations p ON p.id = d.presentation_id"
        " JOIN jury_sessions s ON s.id = p.jury_session_id"
        f" WHERE p.enrolment_id IN ({mine}) AND s.closed_at IS NOT NULL",
        p,
    )
    raw(
        "SELECT * FROM (SELECT r.id, r.enrolment_id, r.criterion_id, r.level_id,"
        " lag(r.level_id) OVER (PARTITION BY r.enrolment_id, r.criterion_id ORDER BY r.id),"
        " r.recorded_at, u.full_name, r.session_id FROM results r"
        f" JOIN users u ON u.id = r.assessor_id WHERE r.enrolment_id IN ({mine})) h"
        " ORDER BY recorded_at DESC, id DESC LIMIT 21",
        p,
    )
    raw(
        "SELECT s.cohort_id, s.session_date, s.title, b.code, b.title FROM evaluation_sessions s"
        " JOIN blocs b ON b.id = s.bloc_id WHERE s.session_date >= :today AND s.cohort_id IN"
        " (SELECT cohort_id FROM enrolments WHERE learner_id = :u)",
        {**p, "today": dt.date.today()},
    )


def floor_cohort(user_id: int, cohort_id: int, bloc_code: str | None) -> None:
    """What a grid (one bloc: with its cells' disagreement flags and latest comments) or the
    cohort analytics (every bloc) shows."""
    p = {"u": user_id, "c": cohort_id, "b": bloc_code}
    version = "= (SELECT version_id FROM cohorts WHERE id = :c)"
    raw(USER, p)
    raw("SELECT id, name, version_id, start_date, end_date FROM cohorts WHERE id = :c", p)
    raw(STRUCTURE.format(version + (" AND b.code = :b" if bloc_code else "")), p)
    raw(LEVELS.format(version), p)
    raw(
        "SELECT e.id, e.status, u.full_name FROM enrolments e JOIN users u ON u.id = e.learner_id"
        " WHERE e.cohort_id = :c ORDER BY u.full_name",
        p,
    )
    raw(
        "SELECT h.enrolment_id, h.criterion_id, h.level_id, h.result_id, h.disagreement"
        " FROM result_heads h JOIN enrolments e ON e.id = h.enrolment_id WHERE e.cohort_id = :c",
        p,
    )
    if bloc_code:
        raw(
            "SELECT m.id, m.enrolment_id, m.competency_id, m.text FROM competency_comments m"
            " WHERE m.id IN (SELECT max(m2.id) FROM competency_comments m2"
            " JOIN enrolments e ON e.id = m2.enrolment_id WHERE e.cohort_id = :c"
            " GROUP BY m2.enrolment_id, m2.competency_id)",
            p,
        )


def _driver_sql(sql: str, params: dict[str, Any]) -> str:
    """`:name` parameters as the driver wants them (sqlite3 takes them as they are)."""
    if db.engine.dialect.name == "postgresql":
        sql = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql)
    return sql


def floor_save(cells: list[tuple[int, int, int]], assessor_id: int) -> None:
    """The write floor of a grid save: the same results appended (one INSERT … RETURNING) and
    the same heads upserted (one INSERT … ON CONFLICT DO UPDATE), committed. The fastest way
    each driver takes thousands of rows: on PostgreSQL one array per column, unnested (a
    multi-row VALUES of 9,000 parameters costs it more to parse and plan than to write); on
    SQLite a multi-row VALUES of positional parameters (binding thousands of named ones costs
    SQLite a search each)."""
    cursor = db.session.connection().connection.driver_connection.cursor()
    now: Any = utcnow()
    if db.engine.dialect.name == "postgresql":
        enrolments, criteria, levels = (list(column) for column in zip(*cells, strict=True))
        cursor.execute(
            "INSERT INTO results (enrolment_id, criterion_id, level_id, assessor_id, recorded_at,"
            " source) SELECT e, c, l, %s, %s, 'bench'"
            " FROM unnest(%s::int[], %s::int[], %s::int[]) WITH ORDINALITY AS v(e, c, l, n)"
            " ORDER BY n RETURNING id, enrolment_id, criterion_id, level_id",
            (assessor_id, now, enrolments, criteria, levels),
        )
        heads = [list(column) for column in zip(*cursor.fetchall(), strict=True)]
        cursor.execute(
            "INSERT INTO result_heads (enrolment_id, criterion_id, result_id, level_id,"
            " disagreement) SELECT e, c, r, l, false"
            " FROM unnest(%s::int[], %s::int[], %s::int[], %s::int[]) AS v(r, e, c, l)"
            " ON CONFLICT (enrolment_id, criterion_id) DO UPDATE SET"
            " result_id = excluded.result_id, level_id = excluded.level_id,"
            " disagreement = excluded.disagreement",
            heads,
        )
    else:
        now = now.replace(tzinfo=None).isoformat(sep=" ")
        row = "(?, ?, ?, ?, ?, 'bench')"
        params: list[Any] = []
        for e, c, level in cells:
            params += (e, c, level, assessor_id, now)
        cursor.execute(
            "INSERT INTO results (enrolment_id, criterion_id, level_id, assessor_id, recorded_at,"
            f" source) VALUES {', '.join([row] * len(cells))}"
            " RETURNING id, enrolment_id, criterion_id, level_id",
            params,
        )
        params = []
        for r, e, c, level in cursor.fetchall():
            params += (e, c, r, level)
        cursor.execute(
            "INSERT INTO result_heads (enrolment_id, criterion_id, result_id, level_id,"
            f" disagreement) VALUES {', '.join(['(?, ?, ?, ?, 0)'] * (len(params) // 4))}"
            " ON CONFLICT (enrolment_id, criterion_id) DO UPDATE SET"
            " result_id = excluded.result_id, level_id = excluded.level_id,"
            " disagreement = excluded.disagreement",
            params,
        )
    cursor.close()
    RAW_QUERIES[0] += 2
    db.session.commit()
