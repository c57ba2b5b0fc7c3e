"""Everything the application holds about a person, as JSON-ready data (their right of
access). Rows are read by column name, never by position."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.assessment.models import CompetencyComment, EvaluationSession, EvidenceFile, Result
from app.cohorts.models import Cohort, Enrolment, LearnerIdentity
from app.db import db
from app.frameworks.models import Bloc, Competency, Criterion, FrameworkVersion, ScaleLevel
from app.insertion.models import SurveyAnswer
from app.jury.models import BlocDecision, JuryPresentation, JurySession
from app.people.models import AuditEvent, OneTimeToken, Organisation, User
from app.progress.models import Attestation


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
    cohort_of = {row.Enrolment.id: row.Cohort.name for row in enrolments}
    assessor = aliased(User)
    results = db.session.execute(
        sa.select(
            Result.enrolment_id,
            Result.recorded_at,
            Bloc.code.label("bloc"),
            Competency.code.label("competency"),
            Criterion.code.label("criterion"),
            Criterion.statement.label("criterion_statement"),
            ScaleLevel.code.label("level"),
            ScaleLevel.label.label("level_label"),
            assessor.full_name.label("assessor"),
            EvaluationSession.session_date,
            EvaluationSession.title.label("session_title"),
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
            CompetencyComment.enrolment_id,
            CompetencyComment.recorded_at,
            Competency.code.label("competency"),
            CompetencyComment.text,
            assessor.full_name.label("author"),
        )
        .join(Competency, Competency.id == CompetencyComment.competency_id)
        .join(assessor, assessor.id == CompetencyComment.author_id)
        .where(CompetencyComment.enrolment_id.in_(mine))
        .order_by(CompetencyComment.id)
    ).all()
    evidence = db.session.execute(
        sa.select(
            EvidenceFile,
            Competency.code.label("competency"),
            assessor.full_name.label("uploaded_by"),
        )
        .join(Competency, Competency.id == EvidenceFile.competency_id)
        .join(assessor, assessor.id == EvidenceFile.uploaded_by_id)
        .where(EvidenceFile.enrolment_id.in_(mine))
        .order_by(EvidenceFile.id)
    ).all()
    juries = db.session.execute(
        sa.select(
            JuryPresentation.id.label("presentation_id"),
            JuryPresentation.enrolment_id,
            JurySession.session_date,
            JurySession.closed_at,
            Bloc.code.label("bloc"),
            Bloc.title.label("bloc_title"),
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
        sa.select(AuditEvent, assessor.full_name.label("actor"))
        .outerjoin(assessor, assessor.id == AuditEvent.actor_id)
        .where(about_me)
        .order_by(AuditEvent.id)
    ).all()

    presentations: dict[int, dict[str, Any]] = {}
    decisions = []
    for j in juries:
        presentations.setdefault(
            j.presentation_id,
            {
                "cohort": cohort_of[j.enrolment_id],
                "session_date": _iso(j.session_date),
                "session_closed": j.closed_at is not None,
            },
        )
        if j.decision is not None:
            decisions.append(
                {
                    "cohort": cohort_of[j.enrolment_id],
                    "session_date": _iso(j.session_date),
                    "bloc": j.bloc,
                    "bloc_title": j.bloc_title,
                    "decision": j.decision.value,
                    "reason": j.reason,
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
                "cohort": row.Cohort.name,
                "organisation": row.Organisation.name,
                "certification": row.FrameworkVersion.title,
                "certification_level": row.FrameworkVersion.level,
                "version": row.FrameworkVersion.label,
                "access_route": row.Cohort.access_route.value,
                "start_date": _iso(row.Cohort.start_date),
                "end_date": _iso(row.Cohort.end_date),
                "status": row.Enrolment.status.value,
                "enrolled_at": _iso(row.Enrolment.enrolled_at),
                "status_changed_at": _iso(row.Enrolment.status_changed_at),
                "certified_on": _iso(row.Enrolment.certified_on),
            }
            for row in enrolments
        ],
        "results": [
            {
                "recorded_at": _iso(r.recorded_at),
                "cohort": cohort_of[r.enrolment_id],
                "bloc": r.bloc,
                "competency": r.competency,
                "criterion": r.criterion,
                "criterion_statement": r.criterion_statement,
                "level": r.level,
                "level_label": r.level_label,
                "assessor": r.assessor,
                "session_date": _iso(r.session_date),
                "session_title": r.session_title,
                "source": r.source,
            }
            for r in results
        ],
        "comments": [
            {
                "recorded_at": _iso(c.recorded_at),
                "cohort": cohort_of[c.enrolment_id],
                "competency": c.competency,
                "text": c.text,
                "author": c.author,
            }
            for c in comments
        ],
        "evidence_files": [
            {
                "cohort": cohort_of[row.EvidenceFile.enrolment_id],
                "competency": row.competency,
                "name": row.EvidenceFile.original_name,
                "media_type": row.EvidenceFile.media_type,
                "size_bytes": row.EvidenceFile.size_bytes,
                "sha256": row.EvidenceFile.sha256,
                "uploaded_by": row.uploaded_by,
                "uploaded_at": _iso(row.EvidenceFile.uploaded_at),
            }
            for row in evidence
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
                "at": _iso(row.AuditEvent.at),
                "action": row.AuditEvent.action,
                "by": row.actor,
                "object_type": row.AuditEvent.object_type,
                "summary": row.AuditEvent.summary,
                "details": row.AuditEvent.details,
            }
            for row in events
        ],
    }
