"""Attestations of validated blocs: what each one stated, kept as issued, with its code."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cohorts.models import Enrolment
from app.db import Base, utcnow

# Crockford's base32: no I, L, O, U, so a code read aloud or typed is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_GROUPS = 4
CODE_GROUP_LENGTH = 4  # 16 characters: 80 random bits
CODE_LENGTH = CODE_GROUPS * CODE_GROUP_LENGTH + CODE_GROUPS - 1  # with the hyphens


class Attestation(Base):
    """An attestation as issued: its verification code and a snapshot of what it stated.

    Never changed: the verification page shows `content`, whatever happened since.
    """

    __tablename__ = "attestations"
    __table_args__ = (
        sa.CheckConstraint(f"length(code) = {CODE_LENGTH}", name="code_length"),
        sa.Index("ix_attestations_enrolment", "enrolment_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(sa.ForeignKey("enrolments.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(sa.String(CODE_LENGTH), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # learner_name, certification {code, title, level, version, certifier},
    # blocs [{code, title, jury_date}], certified_on: see services.attestation_content().
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    enrolment: Mapped[Enrolment] = relationship()
