"""The learner's own record: their page and history, attestations, personal data.

Reads run a fixed number of queries whatever the history's length, the number of blocs and of
enrolments. Issuing an attestation records an audit event; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import to_user_timezone
from sqlalchemy.orm import aliased, contains_eager

from app.assessment.grid import person
from app.assessment.models import CompetencyComment, EvaluationSession, EvidenceFile, Result
from app.assessment.progress import current_levels, validated_blocs
from app.assessment.rules import BlocStatus, bloc_status, competency_progress
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus, LearnerIdentity
from app.db import db
from app.frameworks.models import (
    Bloc,
    Competency,
    Criterion,
    EvaluationModality,
    FrameworkVersion,
    ScaleLevel,
)
from app.frameworks.structure import BlocNode, CriterionNode, Structure, structure
from app.glossary import DECISION
from app.insertion.models import SurveyAnswer
from app.jury.models import BlocDecision, Decision, JuryPresentation, JurySession
from app.people import audit
from app.people.models import AuditEvent, OneTimeToken, Organisation, User
from app.progress.models import (
    CODE_ALPHABET,
    CODE_GROUP_LENGTH,
    CODE_GROUPS,
    Attestation,
)
from exports.attestation import AttestationData, ValidatedBloc

# A bloc's status as the learner reads it (BlocStatus values).
BLOC_STATUS = {
    BlocStatus.VALIDATED: _l("validé"),
    BlocStatus.PROPOSED: _l("proposé à la validation"),
    BlocStatus.IN_PROGRESS: _l("en cours"),
}

HISTORY_ON_PAGE = 20  # entries on /me; the rest on the history pages
HISTORY_PER_PAGE = 50

# The progress picture: one labelled horizontal bar per bloc, in SVG user units.
CHART_WIDTH = 320
CHART_ROW = 46
CHART_LABEL_Y = 16
CHART_BAR_Y = 24
CHART_BAR_HEIGHT = 14


# --- loading -------------------------------------------------------------------------------------


def own_enrolments(user: User) -> list[Enrolment]:
    """`user`'s enrolments, newest cohort first, with cohort, organisation, version and
    certification (one query). The versions' structure comes from `structure()`."""
    cohort = contains_eager(Enrolment.cohort)
    return list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Enrolment.cohort)
            .where(Enrolment.learner_id == user.id)
            .options(
                cohort.joinedload(Cohort.organisation),
                cohort.joinedload(Cohort.version).joinedload(FrameworkVersion.certification),
            )
            .order_by(Cohort.start_date.desc(), Cohort.id.desc())
        )
    )


@dataclass(frozen=True)
class DecisionRow:
    """A decision of a closed jury session on one of the learner's blocs."""

    id: int
    enrolment_id: int
    bloc_id: int
    decision: Decision
    reason: str
    session_date: dt.date
    closed_at: datetime


def closed_decisions(enrolment_ids: Iterable[int]) -> list[DecisionRow]:
    """Decisions of closed jury sessions, oldest session first (one query). Decisions of an
    open session are deliberations in progress: nobody outside the jury sees them yet."""
    ids = list(enrolment_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(
            BlocDecision.id,
            JuryPresentation.enrolment_id,
            BlocDecision.bloc_id,
            BlocDecision.decision,
            BlocDecision.reason,
            JurySession.session_date,
            JurySession.closed_at,
        )
        .join(BlocDecision.presentation)
        .join(JuryPresentation.jury_session)
        .where(JuryPresentation.enrolment_id.in_(ids), JurySession.closed_at.is_not(None))
        .order_by(JurySession.session_date, JurySession.id, BlocDecision.id)
    )
    return [
        DecisionRow(id_, enrolment_id, bloc_id, decision, reason, date, closed_at)
        for id_, enrolment_id, bloc_id, decision, reason, date, closed_at in rows
        if closed_at is not None  # always, by the query: narrows the type
    ]


def jury_dates(
    decisions: Sequence[DecisionRow], validated: set[int], enrolment_id: int
) -> dict[int, dt.date]:
    """The date of the jury whose decision validated each bloc that stands validated."""
    dates: dict[int, dt.date] = {}
    for row in decisions:  # oldest first: the latest validation wins
        if row.enrolment_id == enrolment_id and row.decision is Decision.VALIDATED:
            dates[row.bloc_id] = row.session_date
    return {bloc_id: date for bloc_id, date in dates.items() if bloc_id in validated}


# --- the learner's page --------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentLine:
    text: str
    author: str
    recorded_at: datetime


@dataclass(frozen=True)
class CompetencyLine:
    code: str
    statement: str
    acquired: int  # criteria at an acquired level
    total: int
    is_acquired: bool
    comment: CommentLine | None  # the latest feedback on it


@dataclass(frozen=True)
class BlocLine:
    id: int
    code: str
    title: str
    optional: bool
    status: BlocStatus
    competencies: list[CompetencyLine]
    jury_date: dt.date | None  # the jury that validated it

    @property
    def acquired(self) -> int:
        return sum(c.acquired for c in self.competencies)

    @property
    def total(self) -> int:
        return sum(c.total for c in self.competencies)

    @property
    def percent(self) -> int:
        return round(100 * self.acquired / self.total) if self.total else 0

    @property
    def status_label(self) -> str:
        return str(BLOC_STATUS[self.status])


@dataclass(frozen=True)
class ChartBar:
    code: str
    status: str  # BlocStatus value, for the bar's colour
    acquired: int
    total: int
    percent: int
    label_y: int
    bar_y: int
    width: float  # of the filled part


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    width: int = CHART_WIDTH
    bar_height: int = CHART_BAR_HEIGHT

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * CHART_ROW


def chart(blocs: Sequence[BlocLine]) -> Chart:
    """The geometry of the progress picture: acquired criteria out of all, per bloc."""
    bars = []
    for i, bloc in enumerate(blocs):
        ratio = bloc.acquired / bloc.total if bloc.total else 0.0
        bars.append(
            ChartBar(
                code=bloc.code,
                status=bloc.status.value,
                acquired=bloc.acquired,
                total=bloc.total,
                percent=bloc.percent,
                label_y=i * CHART_ROW + CHART_LABEL_Y,
                bar_y=i * CHART_ROW + CHART_BAR_Y,
                width=round(CHART_WIDTH * ratio, 1),
            )
        )
    return Chart(bars)


@dataclass(frozen=True)
class UpcomingSession:
    date: dt.date
    title: str
    bloc_code: str
    bloc_title: str
    modality: str


@dataclass(frozen=True)
class DecisionLine:
    session_date: dt.date
    bloc_code: str
    bloc_title: str
    decision: str  # Decision value
    reason: str

    @property
    def label(self) -> str:
        return str(DECISION[self.decision])


@dataclass
class EnrolmentView:
    id: int
    cohort: str
    organisation: str
    certification_code: str
    certification_title: str
    level: int
    version_label: str
    start_date: dt.date
    end_date: dt.date
    status: str  # EnrolmentStatus value
    certified_on: dt.date | None
    blocs: list[BlocLine]
    sessions: list[UpcomingSession]
    decisions: list[DecisionLine]

    @property
    def chart(self) -> Chart:
        return chart(self.blocs)

    @property
    def validated_count(self) -> int:
        return sum(1 for b in self.blocs if b.status is BlocStatus.VALIDATED)


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # "result" or "decision"
    at: datetime
    cohort: str
    bloc_code: str
    subject_code: str  # the criterion's code, or the bloc's for a decision
    subject: str  # the criterion's statement, or the bloc's title
    value: str  # the level's label or the decision; "" when a result was cleared
    previous: str | None  # the level before this result; None when there was none
    by: str  # the assessor ("" for a jury)
    detail: str  # the evaluation session, or the jury's reason
    jury_date: dt.date | None = None  # for a decision


@dataclass(frozen=True)
class HistoryPage:
    entries: list[HistoryEntry]
    page: int
    has_more: bool


@dataclass
class LearnerPage:
    enrolments: list[EnrolmentView]
    history: HistoryPage


def _latest_comments(enrolment_ids: list[int]) -> dict[tuple[int, int], CommentLine]:
    """The latest comment per enrolment and competency, with its author (one query)."""
    if not enrolment_ids:
        return {}
    latest = (
        sa.select(sa.func.max(CompetencyComment.id))
        .where(CompetencyComment.enrolment_id.in_(enrolment_ids))
        .group_by(CompetencyComment.enrolment_id, CompetencyComment.competency_id)
    )
    rows = db.session.scalars(
        sa.select(CompetencyComment)
        .where(CompetencyComment.id.in_(latest))
        .options(person(CompetencyComment.author))
    )
    return {
        (c.enrolment_id, c.competency_id): CommentLine(c.text, c.author.full_name, c.recorded_at)
        for c in rows
    }


def _upcoming(cohort_ids: list[int], today: dt.date) -> dict[int, list[UpcomingSession]]:
    """Evaluation sessions from `today` on, per cohort, soonest first (one query)."""
    out: dict[int, list[UpcomingSession]] = defaultdict(list)
    rows = db.session.execute(
        sa.select(
            EvaluationSession.cohort_id,
            EvaluationSession.session_date,
            EvaluationSession.title,
            Bloc.code,
            Bloc.title,
            EvaluationModality.title,
        )
        .join(Bloc, Bloc.id == EvaluationSession.bloc_id)
        .outerjoin(EvaluationModality, EvaluationModality.id == EvaluationSession.modality_id)
        .where(EvaluationSession.cohort_id.in_(cohort_ids), EvaluationSession.session_date >= today)
        .order_by(EvaluationSession.session_date, EvaluationSession.id)
    )
    for cohort_id, date, title, bloc_code, bloc_title, modality in rows:
        out[cohort_id].append(UpcomingSession(date, title, bloc_code, bloc_title, modality or ""))
    return out


def _blocs(
    enrolment: Enrolment,
    tree: Structure,
    levels: dict[int, int | None],
    validated: set[int],
    dates: dict[int, dt.date],
    comments: dict[tuple[int, int], CommentLine],
) -> list[BlocLine]:
    blocs = []
    for bloc in tree.blocs:
        lines = []
        for comp in bloc.competencies:
            state = competency_progress(
                (c.id for c in comp.criteria),
                levels,
                tree.acquired_levels,
                tree.competency_rule,
                tree.minimum_criteria,
            )
            lines.append(
                CompetencyLine(
                    comp.code,
                    comp.statement,
                    state.acquired,
                    state.total,
                    state.is_acquired,
                    comments.get((enrolment.id, comp.id)),
                )
            )
        status = bloc_status((c.is_acquired for c in lines), validated=bloc.id in validated)
        blocs.append(
            BlocLine(
                bloc.id,
                bloc.code,
                bloc.title,
                bloc.optional,
                status,
                lines,
                dates.get(bloc.id) if status is BlocStatus.VALIDATED else None,
            )
        )
    return blocs


def learner_page(user: User, today: dt.date) -> LearnerPage:
    """Everything /me shows, for `user` only (a fixed number of queries)."""
    enrolments = own_enrolments(user)
    ids = [e.id for e in enrolments]
    levels = current_levels(ids)
    validated = validated_blocs(ids)
    decisions = closed_decisions(ids)
    comments = _latest_comments(ids)
    active = [e.cohort_id for e in enrolments if e.status is EnrolmentStatus.ENROLLED]
    sessions = _upcoming(active, today)
    views = []
    for enrolment in enrolments:
        cohort, version = enrolment.cohort, enrolment.cohort.version
        tree = structure(version)
        bloc_by_id = tree.bloc_by_id
        views.append(
            EnrolmentView(
                id=enrolment.id,
                cohort=cohort.name,
                organisation=cohort.organisation.name,
                certification_code=version.certification.code,
                certification_title=version.title,
                level=version.level,
                version_label=version.label,
                start_date=cohort.start_date,
                end_date=cohort.end_date,
                status=enrolment.status.value,
                certified_on=enrolment.certified_on,
                blocs=_blocs(
                    enrolment,
                    tree,
                    levels.get(enrolment.id, {}),
                    validated.get(enrolment.id, set()),
                    jury_dates(decisions, validated.get(enrolment.id, set()), enrolment.id),
                    comments,
                ),
                sessions=sessions.get(cohort.id, []),
                decisions=[
                    DecisionLine(
                        d.session_date,
                        bloc_by_id[d.bloc_id].code,
                        bloc_by_id[d.bloc_id].title,
                        d.decision.value,
                        d.reason,
                    )
                    for d in reversed(decisions)
                    if d.enrolment_id == enrolment.id
                ],
            )
        )
    page = history(enrolments, decisions, page=1, per_page=HISTORY_ON_PAGE)
    return LearnerPage(views, page)


# --- history -------------------------------------------------------------------------------------


def history(
    enrolments: Sequence[Enrolment],
    decisions: Sequence[DecisionRow],
    *,
    page: int = 1,
    per_page: int = HISTORY_PER_PAGE,
) -> HistoryPage:
    """One page of what changed on the learner's record, newest first: their results and the
    decisions of closed juries (two queries). `enrolments` come from `own_enrolments()`."""
    ids = [e.id for e in enrolments]
    if not ids:
        return HistoryPage([], page, False)
    keys = sa.union_all(
        sa.select(
            sa.literal("result", sa.String).label("kind"),
            Result.id.label("id"),
            Result.recorded_at.label("at"),
        ).where(Result.enrolment_id.in_(ids)),
        sa.select(sa.literal("decision", sa.String), BlocDecision.id, JurySession.closed_at)
        .join(BlocDecision.presentation)
        .join(JuryPresentation.jury_session)
        .where(JuryPresentation.enrolment_id.in_(ids), JurySession.closed_at.is_not(None)),
    ).subquery()
    rows = db.session.execute(
        sa.select(keys.c.kind, keys.c.id)
        .order_by(keys.c.at.desc(), keys.c.kind.desc(), keys.c.id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
    ).all()
    has_more = len(rows) > per_page
    rows = rows[:per_page]
    result_ids = [id_ for kind, id_ in rows if kind == "result"]
    results = _result_rows(ids, result_ids)

    cohort_of = {e.id: e.cohort.name for e in enrolments}
    criteria: dict[int, tuple[BlocNode, CriterionNode]] = {}
    level_labels: dict[int, str] = {}
    blocs: dict[int, BlocNode] = {}
    for enrolment in enrolments:
        tree = structure(enrolment.cohort.version)
        level_labels.update(tree.level_labels)
        blocs.update(tree.bloc_by_id)
        criteria.update(tree.criterion_by_id)
    decision_by_id = {d.id: d for d in decisions}

    entries = []
    for kind, id_ in rows:
        if kind == "result":
            r = results[id_]
            bloc, crit = criteria[r.criterion_id]
            session = ""
            if r.session_date is not None:
                session = f"{r.session_date:%d/%m/%Y}" + (f" — {r.title}" if r.title else "")
            entries.append(
                HistoryEntry(
                    kind="result",
                    at=r.recorded_at,
                    cohort=cohort_of[r.enrolment_id],
                    bloc_code=bloc.code,
                    subject_code=crit.code,
                    subject=crit.statement,
                    value=level_labels.get(r.level_id, "") if r.level_id else "",
                    previous=level_labels.get(r.previous_level_id, "")
                    if r.previous_level_id
                    else None,
                    by=r.full_name,
                    detail=session,
                )
            )
        else:
            d = decision_by_id[id_]
            bloc = blocs[d.bloc_id]
            entries.append(
                HistoryEntry(
                    kind="decision",
                    at=d.closed_at,
                    cohort=cohort_of[d.enrolment_id],
                    bloc_code=bloc.code,
                    subject_code=bloc.code,
                    subject=bloc.title,
                    value=str(DECISION[d.decision.value]),
                    previous=None,
                    by="",
                    detail=d.reason,
                    jury_date=d.session_date,
                )
            )
    return HistoryPage(entries, page, has_more)


def _result_rows(enrolment_ids: list[int], result_ids: list[int]) -> dict[int, Any]:
    """The results of a history page, each with the level it replaced (one query, run even
    for none, so the page's count of queries never varies)."""
    cells = sa.select(Result.criterion_id).where(Result.id.in_(result_ids))
    previous = (
        sa.select(
            Result.id.label("id"),
            sa.func.lag(Result.level_id)
            .over(partition_by=(Result.enrolment_id, Result.criterion_id), order_by=Result.id)
            .label("previous_level_id"),
        )
        .where(Result.enrolment_id.in_(enrolment_ids), Result.criterion_id.in_(cells))
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Result.id,
            Result.enrolment_id,
            Result.criterion_id,
            Result.level_id,
            previous.c.previous_level_id,
            Result.recorded_at,
            User.full_name,
            EvaluationSession.session_date,
            EvaluationSession.title,
        )
        .join(previous, previous.c.id == Result.id)
        .join(User, User.id == Result.assessor_id)
        .outerjoin(EvaluationSession, EvaluationSession.id == Result.session_id)
        .where(Result.id.in_(result_ids))
    )
    return {row.id: row for row in rows}


def history_page(user: User, page: int) -> HistoryPage:
    """One page of `user`'s history (a fixed number of queries)."""
    enrolments = own_enrolments(user)
    decisions = closed_decisions(e.id for e in enrolments)
    return history(enrolments, decisions, page=page, per_page=HISTORY_PER_PAGE)


# --- attestations --------------------------------------------------------------------------------

CONTENT_FORMAT = 1


def new_code() -> str:
    """A random verification code, XXXX-XXXX-XXXX-XXXX (80 bits)."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUPS * CODE_GROUP_LENGTH))
    return "-".join(
        chars[i : i + CODE_GROUP_LENGTH] for i in range(0, len(chars), CODE_GROUP_LENGTH)
    )


_TYPOS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def normalise_code(text: str) -> str | None:
    """The code as stored, from what someone typed (any case, spaces or hyphens, O for 0,
    I or L for 1); None when it cannot be a code."""
    plain = re.sub(r"[\s\-–—.]", "", text).upper().translate(_TYPOS)
    size = CODE_GROUPS * CODE_GROUP_LENGTH
    if len(plain) != size or any(c not in CODE_ALPHABET for c in plain):
        return None
    return "-".join(plain[i : i + CODE_GROUP_LENGTH] for i in range(0, size, CODE_GROUP_LENGTH))


def pick_enrolment(enrolments: Sequence[Enrolment], enrolment_id: int | None) -> Enrolment | None:
    """The enrolment asked for among the learner's own, or their most recent one."""
    if enrolment_id is None:
        return enrolments[0] if enrolments else None
    return next((e for e in enrolments if e.id == enrolment_id), None)


def attestation_content(enrolment: Enrolment) -> dict[str, Any]:
    """What an attestation of `enrolment` states today, as JSON-ready plain data (two queries).

    `enrolment` comes from `own_enrolments()`.
    """
    validated = validated_blocs([enrolment.id]).get(enrolment.id, set())
    dates = jury_dates(closed_decisions([enrolment.id]), validated, enrolment.id)
    version = enrolment.cohort.version
    return {
        "format": CONTENT_FORMAT,
        "learner_name": enrolment.learner.full_name,
        "certification": {
            "code": version.certification.code,
            "title": version.title,
            "level": version.level,
            "version": version.label,
            "certifier": version.certifier_name,
        },
        "blocs": [
            {
                "code": bloc.code,
                "title": bloc.title,
                "optional": bloc.optional,
                "jury_date": dates[bloc.id].isoformat() if bloc.id in dates else None,
            }
            for bloc in structure(version).blocs
            if bloc.id in validated
        ],
        "certified_on": enrolment.certified_on.isoformat() if enrolment.certified_on else None,
    }


def issue_attestation(enrolment: Enrolment, content: dict[str, Any]) -> Attestation:
    """The attestation stating `content`: the enrolment's latest one if it states exactly
    that, otherwise a new one with a new code."""
    # One issuer at a time per enrolment, so two downloads do not make two codes.
    db.session.execute(
        sa.select(Enrolment.id).where(Enrolment.id == enrolment.id).with_for_update()
    ).all()
    latest = db.session.scalar(
        sa.select(Attestation)
        .where(Attestation.enrolment_id == enrolment.id)
        .order_by(Attestation.id.desc())
        .limit(1)
    )
    if latest is not None and latest.content == content:
        return latest
    code = new_code()
    while db.session.scalar(sa.select(Attestation.id).where(Attestation.code == code)):
        code = new_code()  # 80 random bits: practically never
    attestation = Attestation(enrolment_id=enrolment.id, code=code, content=content)
    db.session.add(attestation)
    audit.record(
        "attestation.issue",
        attestation,
        f"Attestation {code} émise pour {content['learner_name']} "
        f"({content['certification']['code']}, {len(content['blocs'])} bloc(s) validé(s))",
        enrolment_id=enrolment.id,
        blocs=[b["code"] for b in content["blocs"]],
    )
    return attestation


def find_attestation(code: str) -> Attestation | None:
    canonical = normalise_code(code)
    if canonical is None:
        return None
    return db.session.scalar(sa.select(Attestation).where(Attestation.code == canonical))


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def stated(attestation: Attestation) -> AttestationData:
    """What `attestation` states, from its snapshot (never from today's records)."""
    content = attestation.content
    cert = content["certification"]
    return AttestationData(
        code=attestation.code,
        issued_on=to_user_timezone(attestation.issued_at).date(),
        learner_name=content["learner_name"],
        certification_code=cert["code"],
        certification_title=cert["title"],
        level=cert["level"],
        version_label=cert["version"],
        certifier=cert["certifier"],
        blocs=[
            ValidatedBloc(b["code"], b["title"], _date(b.get("jury_date")))
            for b in content["blocs"]
        ],
        certified_on=_date(content.get("certified_on")),
    )


# --- personal data -------------------------------------------------------------------------------


def _iso(value: dt.date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _value(member: Any) -> Any:
    return member.value if member is not None else None


def personal_data(user: User) -> dict[str, Any]:
    """Everything the application holds about `user`, as JSON-ready data (12 queries).

    Results, comments, evidence, decisions and answers are those of their own enrolments;
    audit events those they did or that are about them (their account, enrolments,
    evidence, jury presentations, survey answers, attestations).
    """
    mine = sa.select(Enrolment.id).where(Enrolment.learner_id == user.id)
    identity = db.session.scalar(
        sa.select(LearnerIdentity).where(LearnerIdentity.user_id == user.id)
    )
    enrolments = db.session.execute(
        sa.select(Enrolment, Cohort, Organisation, FrameworkVersion)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Organisation, Organisation.id == Cohort.organisation_id)
        .join(FrameworkVersion, FrameworkVersion.id == Cohort.version_id)
        .where(Enrolment.learner_id == user.id)
        .order_by(Cohort.start_date, Enrolment.id)
    ).all()
    cohort_of = {e.id: c.name for e, c, _o, _v in enrolments}
    assessor = aliased(User)
    results = db.session.execute(
        sa.select(
            Result.id,
            Result.enrolment_id,
            Result.recorded_at,
            Bloc.code,
            Competency.code,
            Criterion.code,
            Criterion.statement,
            ScaleLevel.code,
            ScaleLevel.label,
            assessor.full_name,
            EvaluationSession.session_date,
            EvaluationSession.title,
            Result.source,
        )
        .join(Criterion, Criterion.id == Result.criterion_id)
        .join(Competency, Competency.id == Criterion.competency_id)
        .join(Bloc, Bloc.id == Competency.bloc_id)
        .outerjoin(ScaleLevel, ScaleLevel.id == Result.level_id)
        .join(assessor, assessor.id == Result.assessor_id)
        .outerjoin(EvaluationSession, EvaluationSession.id == Result.session_id)
        .where(Result.enrolment_id.in_(mine))
        .order_by(Result.id)
    ).all()
    comments = db.session.execute(
        sa.select(
            CompetencyComment.id,
            CompetencyComment.enrolment_id,
            CompetencyComment.recorded_at,
            Competency.code,
            CompetencyComment.text,
            assessor.full_name,
        )
        .join(Competency, Competency.id == CompetencyComment.competency_id)
        .join(assessor, assessor.id == CompetencyComment.author_id)
        .where(CompetencyComment.enrolment_id.in_(mine))
        .order_by(CompetencyComment.id)
    ).all()
    evidence = db.session.execute(
        sa.select(EvidenceFile, Competency.code, assessor.full_name)
        .join(Competency, Competency.id == EvidenceFile.competency_id)
        .join(assessor, assessor.id == EvidenceFile.uploaded_by_id)
        .where(EvidenceFile.enrolment_id.in_(mine))
        .order_by(EvidenceFile.id)
    ).all()
    juries = db.session.execute(
        sa.select(
            JuryPresentation.id,
            JuryPresentation.enrolment_id,
            JurySession.session_date,
            JurySession.closed_at,
            Bloc.code,
            Bloc.title,
            BlocDecision.decision,
            BlocDecision.reason,
        )
        .join(JurySession, JurySession.id == JuryPresentation.jury_session_id)
        .outerjoin(
            BlocDecision,
            sa.and_(
                BlocDecision.presentation_id == JuryPresentation.id,
                JurySession.closed_at.is_not(None),
            ),
        )
        .outerjoin(Bloc, Bloc.id == BlocDecision.bloc_id)
        .where(JuryPresentation.enrolment_id.in_(mine))
        .order_by(JurySession.session_date, JuryPresentation.id, Bloc.position)
    ).all()
    answers = db.session.scalars(
        sa.select(SurveyAnswer).where(SurveyAnswer.enrolment_id.in_(mine)).order_by(SurveyAnswer.id)
    ).all()
    attestations = db.session.scalars(
        sa.select(Attestation).where(Attestation.enrolment_id.in_(mine)).order_by(Attestation.id)
    ).all()
    tokens = db.session.scalars(
        sa.select(OneTimeToken).where(OneTimeToken.user_id == user.id).order_by(OneTimeToken.id)
    ).all()
    about_me = sa.or_(
        AuditEvent.actor_id == user.id,
        sa.and_(AuditEvent.object_type == "users", AuditEvent.object_id == user.id),
        *(
            sa.and_(AuditEvent.object_type == table, AuditEvent.object_id.in_(ids))
            for table, ids in (
                ("enrolments", mine),
                (
                    "evidence_files",
                    sa.select(EvidenceFile.id).where(EvidenceFile.enrolment_id.in_(mine)),
                ),
                (
                    # Decisions in an open session are deliberations: not shown until closed.
                    "jury_presentations",
                    sa.select(JuryPresentation.id)
                    .join(JuryPresentation.jury_session)
                    .where(
                        JuryPresentation.enrolment_id.in_(mine), JurySession.closed_at.is_not(None)
                    ),
                ),
                (
                    "survey_answers",
                    sa.select(SurveyAnswer.id).where(SurveyAnswer.enrolment_id.in_(mine)),
                ),
                (
                    "attestations",
                    sa.select(Attestation.id).where(Attestation.enrolment_id.in_(mine)),
                ),
            )
        ),
    )
    events = db.session.execute(
        sa.select(AuditEvent, assessor.full_name)
        .outerjoin(assessor, assessor.id == AuditEvent.actor_id)
        .where(about_me)
        .order_by(AuditEvent.id)
    ).all()

    presentations: dict[int, dict[str, Any]] = {}
    decisions = []
    for pid, enrolment_id, date, closed_at, code, title, decision, reason in juries:
        presentations.setdefault(
            pid,
            {
                "cohort": cohort_of[enrolment_id],
                "session_date": _iso(date),
                "session_closed": closed_at is not None,
            },
        )
        if decision is not None:
            decisions.append(
                {
                    "cohort": cohort_of[enrolment_id],
                    "session_date": _iso(date),
                    "bloc": code,
                    "bloc_title": title,
                    "decision": decision.value,
                    "reason": reason,
                }
            )
    return {
        "generated_at": _iso(datetime.now(dt.UTC)),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(r.value for r in user.roles),
            "organisations": [org.name for org in user.organisations],
            "active": user.active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "identity": None
        if identity is None
        else {
            "birth_name": identity.birth_name,
            "usage_name": identity.usage_name,
            "first_names": identity.first_names,
            "birth_date": _iso(identity.birth_date),
            "sex": _value(identity.sex),
            "birth_commune_code": identity.birth_commune_code,
            "birth_country_code": identity.birth_country_code,
            "updated_at": _iso(identity.updated_at),
        },
        "enrolments": [
            {
                "cohort": c.name,
                "organisation": o.name,
                "certification": v.title,
                "certification_level": v.level,
                "version": v.label,
                "access_route": c.access_route.value,
                "start_date": _iso(c.start_date),
                "end_date": _iso(c.end_date),
                "status": e.status.value,
                "enrolled_at": _iso(e.enrolled_at),
                "status_changed_at": _iso(e.status_changed_at),
                "certified_on": _iso(e.certified_on),
            }
            for e, c, o, v in enrolments
        ],
        "results": [
            {
                "recorded_at": _iso(r[2]),
                "cohort": cohort_of[r[1]],
                "bloc": r[3],
                "competency": r[4],
                "criterion": r[5],
                "criterion_statement": r[6],
                "level": r[7],
                "level_label": r[8],
                "assessor": r[9],
                "session_date": _iso(r[10]),
                "session_title": r[11],
                "source": r[12],
            }
            for r in results
        ],
        "comments": [
            {
                "recorded_at": _iso(at),
                "cohort": cohort_of[enrolment_id],
                "competency": code,
                "text": text,
                "author": author,
            }
            for _id, enrolment_id, at, code, text, author in comments
        ],
        "evidence_files": [
            {
                "cohort": cohort_of[f.enrolment_id],
                "competency": code,
                "name": f.original_name,
                "media_type": f.media_type,
                "size_bytes": f.size_bytes,
                "sha256": f.sha256,
                "uploaded_by": by,
                "uploaded_at": _iso(f.uploaded_at),
            }
            for f, code, by in evidence
        ],
        "jury_presentations": list(presentations.values()),
        "jury_decisions": decisions,
        "survey_answers": [
            {
                "cohort": cohort_of[a.enrolment_id],
                "horizon": a.horizon.value,
                "situation": a.situation.value,
                "contract_type": _value(a.contract_type),
                "answered_on": _iso(a.answered_on),
                "recorded_at": _iso(a.recorded_at),
            }
            for a in answers
        ],
        "attestations": [
            {"code": a.code, "issued_at": _iso(a.issued_at), "content": a.content}
            for a in attestations
        ],
        "account_links": [
            {
                "purpose": t.purpose.value,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "used_at": _iso(t.used_at),
            }
            for t in tokens
        ],
        "audit_events": [
            {
                "at": _iso(ev.at),
                "action": ev.action,
                "by": actor,
                "object_type": ev.object_type,
                "summary": ev.summary,
                "details": ev.details,
            }
            for ev, actor in events
        ],
    }
