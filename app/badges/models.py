"""The certifier's signing keys and the Open Badges it issued (one per validated bloc, one for
the whole certification), with their place in the published revocation list."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cohorts.models import Enrolment
from app.db import Base, utcnow
from app.frameworks.models import Bloc
from app.people.models import Organisation


class BadgeKey(Base):
    """An Ed25519 key pair of a certifier. Retired keys stay published (and keep verifying
    the badges they signed); only the newest unretired one signs."""

    __tablename__ = "badge_keys"
    __table_args__ = (sa.CheckConstraint("length(public_key) = 32", name="ed25519_public_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    kid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    public_key: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    # nonce + AES-256-GCM(seed), under a key derived from BADGE_KEY_SECRET (see docs/badges.md).
    sealed_private_key: Mapped[bytes] = mapped_column(sa.LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    retired_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()


class IssuedBadge(Base):
    """An OpenBadgeCredential as signed and handed to the learner, kept byte for byte."""

    __tablename__ = "issued_badges"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "status_index"),
        sa.CheckConstraint("status_index >= 0", name="status_index_positive"),
        sa.CheckConstraint(
            "(revoked_at IS NULL) = (revoked_reason = '')", name="reason_when_revoked"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    enrolment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enrolments.id", ondelete="RESTRICT"), index=True
    )
    # The bloc the badge is for; NULL: the whole certification.
    bloc_id: Mapped[int | None] = mapped_column(sa.ForeignKey("blocs.id", ondelete="RESTRICT"))
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    key_id: Mapped[int] = mapped_column(
        sa.ForeignKey("badge_keys.id", ondelete="RESTRICT"), index=True
    )
    status_index: Mapped[int]
    valid_from: Mapped[dt.date]
    credential: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(sa.Text, default="")

    enrolment: Mapped[Enrolment] = relationship()
    bloc: Mapped[Bloc | None] = relationship()
    key: Mapped[BadgeKey] = relationship()
