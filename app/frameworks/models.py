"""Certifications and their versioned référentiels (activités, compétences, évaluation)."""

from __future__ import annotations

import enum
from datetime import datetime
from itertools import chain
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.db import Base, enum_column, link_table, utcnow

if TYPE_CHECKING:
    from app.people.models import Organisation


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class CompetencyRule(enum.Enum):
    ALL = "all"
    MINIMUM = "minimum"


class Certification(Base):
    """A certification, identified by its code; everything it says lives in its versions."""

    __tablename__ = "certifications"
    __table_args__ = (
        sa.CheckConstraint("rncp_number LIKE 'RNCP%'", name="rncp_number_form"),
        sa.Index("ix_certifications_rncp_number", "rncp_number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # RNCPnnnnn once France Compétences registers it; then every code shown or exported takes
    # that form (see app/frameworks/codes.py).
    rncp_number: Mapped[str | None] = mapped_column(sa.String(12))
    # The certifier organisation that owns the référentiels and the dossier: only its
    # coordinators change them. None: a legacy certification, owned by every certifier.
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[FrameworkVersion]] = relationship(
        back_populates="certification", order_by="FrameworkVersion.id"
    )
    organisation: Mapped[Organisation | None] = relationship("Organisation")


class FrameworkVersion(Base):
    """The three référentiels of one certification at a point in time."""

    __tablename__ = "framework_versions"
    __table_args__ = (
        sa.UniqueConstraint("certification_id", "label"),
        sa.CheckConstraint("level BETWEEN 1 AND 8", name="level_range"),
        sa.CheckConstraint(
            "(competency_rule = 'minimum') = (minimum_criteria IS NOT NULL)",
            name="minimum_criteria_with_rule",
        ),
        sa.CheckConstraint(
            "(status = 'draft') = (published_at IS NULL)", name="published_at_when_published"
        ),
        sa.CheckConstraint(
            "(status = 'retired') = (retired_at IS NOT NULL)", name="retired_at_when_retired"
        ),
        sa.CheckConstraint(
            "regulated IS NOT NULL OR regulations = ''", name="regulations_when_stated"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certifications.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(sa.String(40))
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus, "version_status"), default=VersionStatus.DRAFT
    )
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    # The certification's identity, as this version states it.
    title: Mapped[str] = mapped_column(sa.String(300))
    level: Mapped[int]
    nsf_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    rome_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    formacodes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    certifier_name: Mapped[str] = mapped_column(sa.String(300))
    certifier_siret: Mapped[str | None] = mapped_column(sa.String(14))
    competency_rule: Mapped[CompetencyRule] = mapped_column(
        enum_column(CompetencyRule, "competency_rule"), default=CompetencyRule.ALL
    )
    minimum_criteria: Mapped[int | None]
    # What the fiche and the dossier say of the certification (empty: not written yet).
    objectives_context: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    sectors: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    job_types: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    entry_prerequisites: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    validation_prerequisites: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # None: not said; False: the activity is not regulated (said explicitly); True: see text.
    regulated: Mapped[bool | None]
    regulations: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Habilitated partner organisations: [{"name", "siret", "habilitation"}].
    partners: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default="[]"
    )
    # Labels typed for codes no shipped nomenclature gives (Formacode): {code: label}.
    code_labels: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]
    # Bumped on every write to the version or its content; a stale editor is refused.
    revision: Mapped[int] = mapped_column(default=1)

    certification: Mapped[Certification] = relationship(back_populates="versions")
    scale_levels: Mapped[list[ScaleLevel]] = relationship(
        back_populates="version", order_by="ScaleLevel.position", cascade="all, delete-orphan"
    )
    domains: Mapped[list[ActivityDomain]] = relationship(
        back_populates="version", order_by="ActivityDomain.position", cascade="all, delete-orphan"
    )
    blocs: Mapped[list[Bloc]] = relationship(
        back_populates="version", order_by="Bloc.position", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self) -> bool:
        return self.status is VersionStatus.DRAFT


class _VersionContent:
    """Mixin for rows that belong to one version and so share its immutability.

    `revision` counts the editor's saves of the row: a save made from a page loaded at an
    older revision is refused, so two people editing different items never block each other
    while two editing the same item do."""

    version_id: Mapped[int]
    revision: Mapped[int] = mapped_column(default=1, server_default=sa.text("1"))


class ScaleLevel(_VersionContent, Base):
    __tablename__ = "scale_levels"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "code"),
        sa.UniqueConstraint("version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(300))
    counts_as_acquired: Mapped[bool] = mapped_column(default=False)

    version: Mapped[FrameworkVersion] = relationship(back_populates="scale_levels")


class ActivityDomain(_VersionContent, Base):
    __tablename__ = "activity_domains"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))

    version: Mapped[FrameworkVersion] = relationship(back_populates="domains")
    activities: Mapped[list[Activity]] = relationship(
        back_populates="domain", order_by="Activity.position", cascade="all, delete-orphan"
    )


competency_activities = link_table(
    "competency_activities",
    ("competency_id", "competencies.id", "CASCADE"),
    ("activity_id", "activities.id", "CASCADE"),
)


class Activity(_VersionContent, Base):
    __tablename__ = "activities"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    domain_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity_domains.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # The register fiche (RNCPnnnnn) a draft started from took this from, if any.
    borrowed_from: Mapped[str | None] = mapped_column(sa.String(20))

    domain: Mapped[ActivityDomain] = relationship(back_populates="activities")
    version: Mapped[FrameworkVersion] = relationship()


class Bloc(_VersionContent, Base):
    """A bloc de compétences: assessed and validated on its own."""

    __tablename__ = "blocs"
    __table_args__ = (
        sa.UniqueConstraint("version_id", "code"),
        sa.CheckConstraint(
            "validity_years IS NULL OR "
            "(validity_years BETWEEN 1 AND 99 AND NOT validity_unlimited)",
            name="validity_years_or_unlimited",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    optional: Mapped[bool] = mapped_column(default=False)
    borrowed_from: Mapped[str | None] = mapped_column(sa.String(20))  # see Activity
    # How the bloc is validated, and for how long a validated bloc stays valid: a number of
    # years, or without limit (validity_unlimited); neither when not said yet.
    validation_rule: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    validity_years: Mapped[int | None]
    validity_unlimited: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    version: Mapped[FrameworkVersion] = relationship(back_populates="blocs")
    modalities: Mapped[list[EvaluationModality]] = relationship(
        back_populates="bloc", order_by="EvaluationModality.position", cascade="all, delete-orphan"
    )
    competencies: Mapped[list[Competency]] = relationship(
        back_populates="bloc", order_by="Competency.position", cascade="all, delete-orphan"
    )


class EvaluationModality(_VersionContent, Base):
    __tablename__ = "evaluation_modalities"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("blocs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    bloc: Mapped[Bloc] = relationship(back_populates="modalities")
    version: Mapped[FrameworkVersion] = relationship()


class Competency(_VersionContent, Base):
    __tablename__ = "competencies"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    bloc_id: Mapped[int] = mapped_column(sa.ForeignKey("blocs.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    statement: Mapped[str] = mapped_column(sa.Text)
    borrowed_from: Mapped[str | None] = mapped_column(sa.String(20))  # see Activity

    bloc: Mapped[Bloc] = relationship(back_populates="competencies")
    version: Mapped[FrameworkVersion] = relationship()
    activities: Mapped[list[Activity]] = relationship(
        secondary=competency_activities, order_by="Activity.id"
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="competency", order_by="Criterion.position", cascade="all, delete-orphan"
    )


class Criterion(_VersionContent, Base):
    """A critère d'évaluation: an observable success criterion of one competency."""

    __tablename__ = "criteria"
    __table_args__ = (sa.UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("framework_versions.id", ondelete="CASCADE")
    )
    competency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("competencies.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    code: Mapped[str] = mapped_column(sa.String(40))
    statement: Mapped[str] = mapped_column(sa.Text)

    competency: Mapped[Competency] = relationship(back_populates="criteria")
    version: Mapped[FrameworkVersion] = relationship()
    # The modalities of its bloc that evaluate it.
    modalities: Mapped[list[EvaluationModality]] = relationship(
        secondary="criterion_modalities", order_by="EvaluationModality.position"
    )


criterion_modalities = link_table(
    "criterion_modalities",
    ("criterion_id", "criteria.id", "CASCADE"),
    ("modality_id", "evaluation_modalities.id", "CASCADE"),
)


CONTENT_MODELS = (
    ScaleLevel,
    ActivityDomain,
    Activity,
    Bloc,
    EvaluationModality,
    Competency,
    Criterion,
)


# --- invariant: a published or retired version never changes ------------------------------------


class FrameworkError(Exception):
    """A framework operation refused, with a message for the person who asked."""


class ImmutableVersionError(FrameworkError):
    """An attempt to change a version that is no longer a draft."""


def _committed_status(version: FrameworkVersion) -> VersionStatus | None:
    history: Any = inspect(version).attrs.status.history
    before = list(history.unchanged) + list(history.deleted)
    return before[0] if before else None


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_published(session: Session, flush_context: Any, instances: Any) -> None:
    """Refuse any write to a published or retired version, except retiring it."""
    for obj in chain(session.dirty, session.deleted):
        if isinstance(obj, FrameworkVersion):
            if obj in session.dirty and not session.is_modified(obj):
                continue
            before = _committed_status(obj)
            if before is None or before is VersionStatus.DRAFT:
                continue
            if obj in session.deleted:
                raise ImmutableVersionError(
                    f"la version {obj.label} est publiée : suppression refusée"
                )
            changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()} - {
                "updated_at",
                "revision",
                "certification",
            }
            allowed = {"status", "retired_at"}
            retiring = before is VersionStatus.PUBLISHED and obj.status is VersionStatus.RETIRED
            if retiring and changed <= allowed:
                continue
            raise ImmutableVersionError(
                f"la version {obj.label} est publiée : modification refusée"
            )
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, CONTENT_MODELS):
            continue
        if obj in session.dirty and not session.is_modified(obj):
            continue
        version = obj.version
        if version is None:
            continue  # an orphan the database will refuse on its own
        # A version not yet flushed has no status until its column default applies: a draft.
        status = _committed_status(version) or version.status or VersionStatus.DRAFT
        if status is not VersionStatus.DRAFT:
            raise ImmutableVersionError(
                f"la version {version.label} est publiée : son contenu ne peut plus changer"
            )
