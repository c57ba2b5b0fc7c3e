"""Jury sessions: create, present learners, record decisions, close, minutes.

Services change the session; the caller commits. A closed session is final: every write to
its presentations or decisions is refused, here and again just before any flush (the guard
beside the models, in `app.jury.models`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.assessment import progress as progress_mod
from app.assessment.rules import BlocStatus
from app.cohorts.models import Cohort, Enrolment, EnrolmentStatus
from app.db import db, utcnow
from app.frameworks.models import Bloc, FrameworkVersion, VersionStatus
from app.frameworks.services import version_query
from app.jury.models import (
    BlocDecision,
    ClosedSessionError,
    Decision,
    JuryError,
    JuryPresentation,
    JurySession,
    closed_message,
)
from app.names import name_key
from app.people import audit
from app.people.models import Organisation, Role, User
from exports import plurals as french


class DecisionErrors(JuryError):
    """Decisions refused, with a message per bloc id; nothing was recorded."""

    def __init__(self, errors: dict[int, Any]) -> None:
        super().__init__(errors)
        self.errors = errors  # lazy French messages, evaluated when shown

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.errors.values())


class SessionDecisionErrors(JuryError):
    """Decisions of a whole session refused, with a message per (presentation id, bloc id);
    nothing was recorded."""

    def __init__(self, errors: dict[tuple[int, int], Any]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return " ".join(str(message) for message in self.errors.values())


class ClosingRefused(JuryError):
    """The session cannot be closed yet; `problems` says why, one sentence each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__(" ".join(str(p) for p in problems))
        self.problems = list(problems)


class StaleDecisionsError(JuryError):
    """The decisions changed since the form was loaded; nothing was recorded."""


def _lock(jury_session: JurySession) -> None:
    """Lock the session row and reload it, so closing and deciding never interleave."""
    db.session.execute(
        sa.select(JurySession)
        .where(JurySession.id == jury_session.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if jury_session.is_closed:
        raise ClosedSessionError(closed_message())


# --- reading -------------------------------------------------------------------------------------


def sessions_query(base: sa.Select[Any]) -> sa.Select[Any]:
    """Sessions from `base` (see access.jury_session_query), newest first, with their version."""
    return base.options(
        selectinload(JurySession.version).selectinload(FrameworkVersion.certification),
        selectinload(JurySession.members),
    ).order_by(JurySession.session_date.desc(), JurySession.id.desc())


def load_session(base: sa.Select[Any], session_id: int) -> JurySession | None:
    """One visible session with its members, presented learners and decisions."""
    return db.session.scalar(
        base.where(JurySession.id == session_id).options(
            selectinload(JurySession.members),
            selectinload(JurySession.presentations).options(
                selectinload(JuryPresentation.enrolment).options(
                    selectinload(Enrolment.learner), selectinload(Enrolment.cohort)
                ),
                selectinload(JuryPresentation.decisions),
            ),
        )
    )


def load_version(jury_session: JurySession) -> FrameworkVersion:
    """The session's version with its whole content (for progress)."""
    version = db.session.scalar(
        version_query().where(FrameworkVersion.id == jury_session.version_id)
    )
    assert version is not None
    return version


def sorted_presentations(jury_session: JurySession) -> list[JuryPresentation]:
    return sorted(
        jury_session.presentations,
        key=lambda p: (name_key(p.enrolment.learner.full_name), p.id),
    )


@dataclass(frozen=True)
class BlocView:
    """A bloc as the jury sees it for one learner."""

    bloc: Bloc
    status: BlocStatus  # from the results and the closed sessions (progress.py)
    proposed: bool  # the results propose it for validation: every competency acquired
    decision: BlocDecision | None  # this session's decision, if any


def bloc_views(
    version: FrameworkVersion, presentations: Sequence[JuryPresentation]
) -> dict[int, list[BlocView]]:
    """Per presentation id, each bloc with its status, proposal and this session's decision."""
    states = progress_mod.progress(version, [p.enrolment_id for p in presentations])
    views: dict[int, list[BlocView]] = {}
    for presentation in presentations:
        state = states[presentation.enrolment_id]
        decided = {d.bloc_id: d for d in presentation.decisions}
        views[presentation.id] = [
            BlocView(
                bloc=bloc,
                status=state.blocs[bloc.id],
                proposed=_proposed(bloc, state),
                decision=decided.get(bloc.id),
            )
            for bloc in version.blocs
        ]
    return views


def _proposed(bloc: Bloc, state: progress_mod.LearnerProgress) -> bool:
    """The results' proposal, whatever earlier juries decided."""
    flags = [state.competencies[comp.id].is_acquired for comp in bloc.competencies]
    return bool(flags) and all(flags)


def departs(decision: Decision, proposed: bool) -> bool:
    """Whether a decision departs from the proposal (and so needs a reason)."""
    return (decision is Decision.VALIDATED) != proposed


def decisions_state(presentation: JuryPresentation) -> str:
    """A fingerprint of a learner's decisions, carried by the form to detect a concurrent save."""
    rows = sorted(
        (d.bloc_id, d.decision.value, d.reason, d.decided_by_id) for d in presentation.decisions
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


# --- writing -------------------------------------------------------------------------------------


def create_session(
    version: FrameworkVersion,
    session_date: dt.date,
    location: str,
    members: Iterable[User],
    external_members: str,
    by: User,
    *,
    owner: Organisation | None = None,
) -> JurySession:
    """Open a jury session of `owner` (the organisation running it; by default the one
    `access.jury_owner_for` gives the creator) on a published (or retired) version."""
    from app.access import jury_member_query, jury_owner_for

    if version.status is VersionStatus.DRAFT:
        raise JuryError(_l("Un jury ne peut porter que sur une version publiée du référentiel."))
    members = list(members)
    if any(not m.has_role(Role.JURY) for m in members):
        raise JuryError(_l("Seules les personnes ayant le rôle « membre du jury » peuvent siéger."))
    external = "\n".join(line.strip() for line in external_members.splitlines() if line.strip())
    if not members and not external:
        raise JuryError(_l("Indiquez au moins un membre du jury."))
    if owner is None:
        owner = jury_owner_for(by, version)
    if owner is None:
        raise JuryError(
            _l("Vous ne coordonnez aucun organisme dont une promotion suit cette version.")
        )
    seated = {m.id for m in members}
    allowed = set(
        db.session.scalars(
            jury_member_query(by, owner.id).where(User.id.in_(seated)).with_only_columns(User.id)
        )
    )
    if seated - allowed:
        raise JuryError(
            _l(
                "Seuls les membres du jury de %(organisation)s peuvent siéger à cette session.",
                organisation=owner.name,
            )
        )
    jury_session = JurySession(
        organisation=owner,
        version=version,
        session_date=session_date,
        location=location.strip(),
        external_members=external,
        members=members,
    )
    db.session.add(jury_session)
    audit.record(
        "jury.create",
        jury_session,
        f"Session de jury du {session_date.isoformat()} créée",
        actor=by,
        version_id=version.id,
        members=[m.id for m in members],
    )
    return jury_session


def eligible_enrolments(jury_session: JurySession, cohorts: sa.Select[Any]) -> list[Enrolment]:
    """Enrolments that may be presented: in `cohorts` (those the coordinator manages), on the
    session's version, not withdrawn, not presented yet."""
    presented = sa.select(JuryPresentation.enrolment_id).where(
        JuryPresentation.jury_session_id == jury_session.id
    )
    candidates = list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(Enrolment.cohort)
            .join(Enrolment.learner)
            .where(
                Cohort.id.in_(cohorts.with_only_columns(Cohort.id).scalar_subquery()),
                Cohort.version_id == jury_session.version_id,
                Enrolment.status != EnrolmentStatus.WITHDRAWN,
                Enrolment.id.not_in(presented),
            )
            .options(selectinload(Enrolment.learner), selectinload(Enrolment.cohort))
        )
    )
    return sorted(candidates, key=lambda e: (e.cohort.name, name_key(e.learner.full_name), e.id))


def present(jury_session: JurySession, enrolments: Iterable[Enrolment], by: User) -> None:
    """Present learners to the session: only from the cohorts it may hear (those of its owner
    organisation, or any on its version when the certifier owns it)."""
    from app.access import presentable_cohorts

    _lock(jury_session)
    enrolments = list(enrolments)
    already = {p.enrolment_id for p in jury_session.presentations}
    allowed = set(
        db.session.scalars(presentable_cohorts(jury_session).with_only_columns(Cohort.id))
    )
    for enrolment in enrolments:
        if enrolment.cohort_id not in allowed:
            raise JuryError(
                _l("Seules les promotions de l'organisme qui tient la session y sont présentées.")
            )
        if enrolment.cohort.version_id != jury_session.version_id:
            raise JuryError(_l("Cette personne suit une autre version du référentiel."))
        if enrolment.status is EnrolmentStatus.WITHDRAWN:
            raise JuryError(_l("Une personne ayant abandonné ne peut être présentée."))
        if enrolment.id in already:
            raise JuryError(_l("Cette personne est déjà présentée à cette session."))
        jury_session.presentations.append(JuryPresentation(enrolment=enrolment))
        already.add(enrolment.id)
    audit.record(
        "jury.present",
        jury_session,
        french.ngettext(
            "%(num)d apprenant·e présenté·e au jury",
            "%(num)d apprenant·es présenté·es au jury",
            len(enrolments),
        ),
        actor=by,
        enrolment_ids=[e.id for e in enrolments],
    )


def withdraw_presentation(presentation: JuryPresentation, by: User) -> None:
    """Take back a learner presented by mistake, while the session is open and undecided."""
    jury_session = presentation.jury_session
    _lock(jury_session)
    if presentation.decisions:
        raise JuryError(_l("Des décisions sont déjà enregistrées pour cette personne."))
    audit.record(
        "jury.unpresent",
        jury_session,
        "Présentation au jury retirée",
        actor=by,
        enrolment_id=presentation.enrolment_id,
    )
    jury_session.presentations.remove(presentation)


def record_decisions(
    presentation: JuryPresentation,
    version: FrameworkVersion,
    choices: Mapping[int, tuple[Decision | None, str]],
    by: User,
    expected_state: str | None = None,
) -> None:
    """Record a learner's decisions, one per bloc id (None: no decision), all or nothing.

    A reason is required for every decision that departs from the results' proposal; a
    decision already recorded in this open session is replaced.
    """
    jury_session = presentation.jury_session
    _lock(jury_session)
    db.session.execute(
        sa.select(JuryPresentation.id)
        .where(JuryPresentation.id == presentation.id)
        .with_for_update()
    )
    db.session.refresh(presentation, ["decisions"])
    if expected_state is not None and expected_state != decisions_state(presentation):
        raise StaleDecisionsError(
            _l(
                "Les décisions de cette personne ont été modifiées par quelqu'un d'autre depuis "
                "l'ouverture de la page : rien n'a été enregistré. Voici les décisions actuelles."
            )
        )
    views = {v.bloc.id: v for v in bloc_views(version, [presentation])[presentation.id]}
    errors = _check_choices(views, choices)
    if errors:
        raise DecisionErrors(errors)
    _apply_choices(presentation, views, choices, by, utcnow())


def _presentations_for_update(jury_session: JurySession) -> list[JuryPresentation]:
    """The session's presentations and decisions as stored now, rows locked."""
    return list(
        db.session.scalars(
            sa.select(JuryPresentation)
            .where(JuryPresentation.jury_session_id == jury_session.id)
            .options(
                selectinload(JuryPresentation.decisions),
                selectinload(JuryPresentation.enrolment).selectinload(Enrolment.learner),
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def session_state(presentations: Iterable[JuryPresentation]) -> str:
    """A fingerprint of every decision of a session, carried by the session's decision page."""
    rows = sorted(
        (p.id, d.bloc_id, d.decision.value, d.reason, d.decided_by_id)
        for p in presentations
        for d in p.decisions
    )
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def record_session_decisions(
    jury_session: JurySession,
    version: FrameworkVersion,
    choices: Mapping[tuple[int, int], tuple[Decision | None, str]],
    by: User,
    expected_state: str | None = None,
) -> int:
    """Record the decisions of every presented learner at once, keyed by (presentation id,
    bloc id): all or nothing. Returns the number of learners whose decisions changed."""
    _lock(jury_session)
    presentations = _presentations_for_update(jury_session)
    if expected_state is not None and expected_state != session_state(presentations):
        raise StaleDecisionsError(
            _l(
                "Les décisions de cette session ont été modifiées par quelqu'un d'autre depuis "
                "l'ouverture de la page : rien n'a été enregistré. Voici les décisions actuelles."
            )
        )
    by_id = {p.id: p for p in presentations}
    all_views = bloc_views(version, presentations)
    per_learner: dict[int, dict[int, tuple[Decision | None, str]]] = defaultdict(dict)
    errors: dict[tuple[int, int], Any] = {}
    for (presentation_id, bloc_id), choice in choices.items():
        if presentation_id not in by_id:
            errors[(presentation_id, bloc_id)] = _l(
                "Cette personne n'est pas (ou plus) présentée à cette session."
            )
        else:
            per_learner[presentation_id][bloc_id] = choice
    for presentation_id, learner_choices in per_learner.items():
        views = {v.bloc.id: v for v in all_views[presentation_id]}
        for bloc_id, message in _check_choices(views, learner_choices).items():
            errors[(presentation_id, bloc_id)] = message
    if errors:
        raise SessionDecisionErrors(errors)
    now = utcnow()
    changed = 0
    for presentation_id, learner_choices in per_learner.items():
        views = {v.bloc.id: v for v in all_views[presentation_id]}
        if _apply_choices(by_id[presentation_id], views, learner_choices, by, now):
            changed += 1
    return changed


def _check_choices(
    views: Mapping[int, BlocView], choices: Mapping[int, tuple[Decision | None, str]]
) -> dict[int, Any]:
    """What is wrong with one learner's choices, per bloc id."""
    errors: dict[int, Any] = {}
    for bloc_id, (decision, reason) in choices.items():
        if bloc_id not in views:
            errors[bloc_id] = _l("Ce bloc n'appartient pas au référentiel de la session.")
        elif (
            decision is not None
            and departs(decision, views[bloc_id].proposed)
            and not (reason.strip())
        ):
            errors[bloc_id] = missing_reason_message(views[bloc_id].proposed)
    return errors


def _apply_choices(
    presentation: JuryPresentation,
    views: Mapping[int, BlocView],
    choices: Mapping[int, tuple[Decision | None, str]],
    by: User,
    now: dt.datetime,
) -> bool:
    """Write one learner's checked choices and audit them; whether anything changed."""
    changes: list[dict[str, Any]] = []
    existing = {d.bloc_id: d for d in presentation.decisions}
    for bloc_id, (decision, reason) in choices.items():
        current = existing.get(bloc_id)
        proposed = views[bloc_id].proposed
        reason = reason.strip()
        if decision is None:
            if current is not None:
                presentation.decisions.remove(current)
                changes.append({"bloc_id": bloc_id, "decision": None})
            continue
        if current is not None and (current.decision, current.reason) == (decision, reason):
            continue
        if current is None:
            current = BlocDecision(bloc_id=bloc_id)
            presentation.decisions.append(current)
        current.decision = decision
        current.reason = reason
        current.proposed_validation = proposed
        current.decided_by = by
        current.decided_at = now
        changes.append({"bloc_id": bloc_id, "decision": decision.value, "reason": reason})
    if changes:
        audit.record(
            "jury.decide",
            presentation,
            french.ngettext(
                "Décisions du jury enregistrées (%(num)d bloc)",
                "Décisions du jury enregistrées (%(num)d blocs)",
                len(changes),
            ),
            actor=by,
            jury_session_id=presentation.jury_session_id,
            enrolment_id=presentation.enrolment_id,
            changes=changes,
        )
    return bool(changes)


def missing_reason_message(proposed: bool) -> str:
    if proposed:
        return _l(
            "Motif obligatoire : ce bloc est proposé à la validation, la décision s'écarte "
            "de la proposition."
        )
    return _l(
        "Motif obligatoire : ce bloc n'est pas proposé à la validation, la décision s'écarte "
        "de la proposition."
    )
