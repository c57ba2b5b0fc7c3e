"""Closing a jury session: the blocs validated once its decisions count, what it still lacks, the
certifications it grants, and its minutes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask_babel import format_date
from flask_babel import lazy_gettext as _l

from app.assessment import progress as progress_mod
from app.assessment.rules import certification_obtained
from app.badges.services import revoke_stale
from app.cohorts.models import EnrolmentStatus
from app.db import db, utcnow
from app.frameworks.models import FrameworkVersion
from app.glossary import ACCESS_ROUTE, DECISION, JURY_BLOC_STATUS
from app.jury.models import (
    Decision,
    JuryPresentation,
    JurySession,
)
from app.jury.services import (
    ClosingRefused,
    _lock,
    _presentations_for_update,
    bloc_views,
    sorted_presentations,
)
from app.names import name_key
from app.people import audit
from app.people.models import User
from exports import plurals as french
from exports.minutes import BlocLine, LearnerLine, Minutes


def validated_after(
    jury_session: JurySession, presentations: Sequence[JuryPresentation]
) -> dict[int, set[int]]:
    """Blocs validated per enrolment once this session's decisions count (as if closed)."""
    validated = progress_mod.validated_blocs(p.enrolment_id for p in presentations)
    if not jury_session.is_closed:
        for presentation in presentations:
            blocs = validated[presentation.enrolment_id]
            for decision in presentation.decisions:
                if decision.decision is Decision.VALIDATED:
                    blocs.add(decision.bloc_id)
                elif decision.decision is not Decision.NOT_PRESENTED:
                    blocs.discard(decision.bloc_id)
    return validated


def certification_outlook(
    jury_session: JurySession, version: FrameworkVersion, presentations: Sequence[JuryPresentation]
) -> dict[int, bool]:
    """Per presentation id, whether every mandatory bloc is validated once this session's
    decisions count."""
    validated = validated_after(jury_session, presentations)
    mandatory = [b.id for b in version.blocs if not b.optional]
    return {
        p.id: certification_obtained(mandatory, validated[p.enrolment_id]) for p in presentations
    }


def today_in_france() -> dt.date:
    return _paris_date(utcnow())


@dataclass(frozen=True)
class MissingDecisions:
    """A presented learner with blocs left without a decision."""

    name: str
    presentation_id: int
    bloc_codes: list[str]


def missing_decisions(
    version: FrameworkVersion, presentations: Sequence[JuryPresentation]
) -> list[MissingDecisions]:
    """Presented learners lacking a decision on a bloc of the version, sorted by name."""
    missing = []
    for presentation in sorted(
        presentations, key=lambda p: (name_key(p.enrolment.learner.full_name), p.id)
    ):
        decided = {d.bloc_id for d in presentation.decisions}
        codes = [bloc.code for bloc in version.blocs if bloc.id not in decided]
        if codes:
            missing.append(
                MissingDecisions(presentation.enrolment.learner.full_name, presentation.id, codes)
            )
    return missing


def closing_problems(
    jury_session: JurySession,
    version: FrameworkVersion,
    presentations: Sequence[JuryPresentation],
    today: dt.date,
) -> list[str]:
    """Why the session cannot be closed today, one sentence each (none: it can)."""
    problems: list[str] = []
    if today < jury_session.session_date:
        problems.append(
            _l(
                "La session a lieu le %(date)s : elle ne peut être close qu'à partir de ce jour.",
                date=format_date(jury_session.session_date, "long"),
            )
        )
    for learner in missing_decisions(version, presentations):
        problems.append(
            _l(
                "%(name)s : pas de décision sur %(codes)s (« ajourné » ou « non présenté » "
                "sont des décisions).",
                name=learner.name,
                codes=", ".join(learner.bloc_codes),
            )
        )
    return problems


def close_session(
    jury_session: JurySession,
    version: FrameworkVersion,
    by: User,
    today: dt.date | None = None,
) -> list[int]:
    """Close the session for good and award the certification, dated by the jury, to each
    presented learner whose mandatory blocs are now all validated. Returns their enrolment ids.

    Refused (ClosingRefused) before the session's date, and while a presented learner lacks a
    decision on a bloc."""
    _lock(jury_session)
    presentations = _presentations_for_update(jury_session)
    problems = closing_problems(jury_session, version, presentations, today or today_in_france())
    if problems:
        raise ClosingRefused(problems)
    closed_by_id = by.id  # read first: loading it may flush, and both columns go together
    jury_session.closed_at = utcnow()
    jury_session.closed_by_id = closed_by_id
    db.session.flush()
    presentations = list(jury_session.presentations)
    validated = validated_after(jury_session, presentations)
    mandatory = [b.id for b in version.blocs if not b.optional]
    certified = []
    for presentation in presentations:
        enrolment = presentation.enrolment
        if enrolment.status is not EnrolmentStatus.ENROLLED:
            continue  # already certified (by an earlier jury) or withdrawn
        if certification_obtained(mandatory, validated[enrolment.id]):
            enrolment.status = EnrolmentStatus.CERTIFIED
            enrolment.certified_on = jury_session.session_date
            enrolment.status_changed_at = utcnow()
            certified.append(enrolment.id)
            audit.record(
                "enrolment.certify",
                enrolment,
                f"Certification obtenue (jury du {jury_session.session_date.isoformat()})",
                actor=by,
                jury_session_id=jury_session.id,
            )
    # A decision of this jury may undo a bloc an earlier one validated: its badge is revoked.
    revoke_stale([p.enrolment_id for p in presentations])
    audit.record(
        "jury.close",
        jury_session,
        french.ngettext(
            "Session de jury close ; %(num)d certification obtenue",
            "Session de jury close ; %(num)d certifications obtenues",
            len(certified),
        ),
        actor=by,
        certified_enrolment_ids=certified,
    )
    return certified


# --- minutes -------------------------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")


def _paris_date(moment: dt.datetime) -> dt.date:
    """The calendar date in France of a UTC timestamp (documents are dated in French time)."""
    return moment.astimezone(PARIS).date()


def minutes(jury_session: JurySession, version: FrameworkVersion) -> Minutes:
    """The plain data of the session's procès-verbal."""
    presentations = sorted_presentations(jury_session)
    views = bloc_views(version, presentations)
    validated = validated_after(jury_session, presentations)
    mandatory = [b.id for b in version.blocs if not b.optional]
    codes = {b.id: b.code for b in version.blocs}
    learners = []
    for presentation in presentations:
        enrolment = presentation.enrolment
        blocs = validated[enrolment.id]
        learners.append(
            LearnerLine(
                name=enrolment.learner.full_name,
                cohort=enrolment.cohort.name,
                access_route=str(ACCESS_ROUTE[enrolment.cohort.access_route.value]),
                blocs=[
                    BlocLine(
                        code=view.bloc.code,
                        title=view.bloc.title,
                        optional=view.bloc.optional,
                        proposal=str(
                            JURY_BLOC_STATUS["proposed" if view.proposed else "in_progress"]
                        ),
                        decision=str(DECISION[view.decision.decision.value])
                        if view.decision
                        else None,
                        reason=view.decision.reason if view.decision else "",
                    )
                    for view in views[presentation.id]
                ],
                certified=enrolment.status is EnrolmentStatus.CERTIFIED
                or certification_obtained(mandatory, blocs),
                validated_codes=[code for bloc_id, code in codes.items() if bloc_id in blocs],
            )
        )
    return Minutes(
        certification_code=version.certification.code,
        certification_title=version.title,
        level=version.level,
        version_label=version.label,
        certifier=version.certifier_name,
        session_date=jury_session.session_date,
        location=jury_session.location,
        members=sorted((m.full_name for m in jury_session.members), key=name_key),
        external_members=jury_session.external_members.splitlines(),
        learners=learners,
        closed_on=_paris_date(jury_session.closed_at) if jury_session.closed_at else None,
        generated_on=_paris_date(utcnow()),
    )
