"""Every export kept: the file's place, when, by whom, with which parameters, its SHA-256."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, enum_column, link_table, utcnow
from app.jobs.models import Job
from app.people.models import Organisation, User


class ExportKind(enum.Enum):
    DOSSIER = "dossier"
    FICHE = "fiche"
    ACCROCHAGE = "accrochage"


class ExportStatus(enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Integrity(enum.Enum):
    """A kept file checked against its recorded SHA-256."""

    CONFORMING = "conforming"
    ALTERED = "altered"
    MISSING = "missing"
    NOT_AVAILABLE = "not_available"  # no file yet (running, failed)


# The organisations whose data an export holds (the cohorts' organisations for an accrochage
# flow); none for an export of framework data only. Only coordinators of all of them see it.
export_record_organisations = link_table(
    "export_record_organisations",
    ("export_id", "export_records.id", "CASCADE"),
    ("organisation_id", "organisations.id", "RESTRICT"),
)


class ExportRecord(Base):
    """One export: a file under EXPORTS_DIR once done, checked against its SHA-256."""

    __tablename__ = "export_records"
    __table_args__ = (
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
        sa.CheckConstraint(
            "(status = 'done') = (stored_path IS NOT NULL AND sha256 IS NOT NULL "
            "AND size IS NOT NULL AND finished_at IS NOT NULL)",
            name="file_when_done",
        ),
        sa.CheckConstraint("sha256 IS NULL OR length(sha256) = 64", name="sha256_length"),
        sa.CheckConstraint("size IS NULL OR size >= 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ExportKind] = mapped_column(enum_column(ExportKind, "export_kind"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # None for the command line run by an administrator.
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    # What was asked: certification code, version label, cohorts (ids and names).
    parameters: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    filename: Mapped[str] = mapped_column(sa.String(255))
    # Relative to EXPORTS_DIR; set when the file is written.
    stored_path: Mapped[str | None] = mapped_column(sa.String(500))
    size: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    status: Mapped[ExportStatus] = mapped_column(
        enum_column(ExportStatus, "export_status"), default=ExportStatus.PENDING
    )
    progress: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    # What the export says about its content (e.g. people left out of an accrochage flow).
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    job_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    finished_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()
    job: Mapped[Job | None] = relationship()
    organisations: Mapped[list[Organisation]] = relationship(
        secondary=export_record_organisations, order_by=Organisation.name
    )

    @property
    def is_over(self) -> bool:
        return self.status in {ExportStatus.DONE, ExportStatus.FAILED}
