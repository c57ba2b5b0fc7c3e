"""People: accounts, roles, organisations, one-time tokens, login throttling, audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_column, utcnow


class Role(enum.Enum):
    COORDINATOR = "coordinator"
    TRAINER = "trainer"
    LEARNER = "learner"
    JURY = "jury"


class OrganisationKind(enum.Enum):
    CERTIFIER = "certifier"
    TRAINING = "training"


class TokenPurpose(enum.Enum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"  # noqa: S105  (a token purpose, not a password)


class Organisation(Base):
    """The certifier or a training organisation (organisme de formation)."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    siret: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("siret IS NULL OR length(siret) = 14", name="siret_length"),
    )


memberships = sa.Table(
    "memberships",
    Base.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "organisation_id",
        sa.ForeignKey("organisations.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class User(Base):
    """A person who can log in; what they may do comes from their roles."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    # None until the person sets a password through an invitation link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by logout, password change and disabling: every existing session then ends.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when the person's identity was erased (app/privacy): name and e-mail are a pseudonym.
    erased_at: Mapped[datetime | None]
    # Two-factor authentication (TOTP): the base32 secret, set while the person sets it up and
    # kept once enabled (enabled_at); the last 30-second step used, so a code serves once.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None]

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=memberships, lazy="selectin", order_by=Organisation.name
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(row.role for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class OneTimeToken(Base):
    """An invitation or password-reset link: stored hashed, single use, expiring."""

    __tablename__ = "one_time_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(enum_column(TokenPurpose, "token_purpose"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class RecoveryCode(Base):
    """A single-use two-factor recovery code, stored as its SHA-256."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class RateCounter(Base):
    """Attempts counted under one key (a login pair, a client, a reset address), shared by
    every worker and updated in one atomic statement (app/people/counters.py)."""

    __tablename__ = "rate_counters"
    __table_args__ = (sa.CheckConstraint("hits >= 0 AND refused >= 0", name="counts_positive"),)

    # A kind and a SHA-256 of what is counted: no e-mail address is kept here.
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    hits: Mapped[int]
    refused: Mapped[int]  # attempts refused since the last one counted
    last_hit_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class AuditEvent(Base):
    """Who changed what, and when: one row per write."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None for the command line run by an administrator.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # The organisation whose coordinators read the event in /journal; None: no organisation's
    # (the command line, events before organisations owned them).
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(60))
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    actor: Mapped[User | None] = relationship()
