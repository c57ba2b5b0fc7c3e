"""Texts of the certification dossier written by the coordinator, one set per certification.

Per certification rather than per framework version: context and opportunity, the jury of
each access route and VAE access describe the certification and its certifier, not the
référentiel's content, and must stay editable while published versions are frozen. What a
dossier said when it was produced is kept anyway: every dossier PDF is in the exports history
with its SHA-256, and its details record the texts' revision.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.cohorts.models import AccessRoute
from app.db import Base, enum_column, utcnow
from app.frameworks.models import Certification
from app.people.models import User


def _criterion_text() -> Mapped[str]:
    return mapped_column(sa.Text, default="", server_default="")


class DossierText(Base):
    __tablename__ = "dossier_texts"
    __table_args__ = (sa.CheckConstraint("revision >= 1", name="revision_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("certifications.id", ondelete="CASCADE"), unique=True
    )
    context_and_opportunity: Mapped[str] = mapped_column(sa.Text, default="")  # contexte
    vae_access: Mapped[str] = mapped_column(sa.Text, default="")  # accès par la VAE
    # One text per registration criterion the data cannot write (app/dossier/texts.py).
    insertion_comparison: Mapped[str] = _criterion_text()  # 2°
    disability_adaptations: Mapped[str] = _criterion_text()  # 3°
    assessment_procedures: Mapped[str] = _criterion_text()  # 4°
    correspondences: Mapped[str] = _criterion_text()  # 8°
    branch_involvement: Mapped[str] = _criterion_text()  # 9°
    professionals_consulted: Mapped[str] = _criterion_text()  # 9°
    transitions: Mapped[str] = _criterion_text()  # 2025: écologique, numérique
    health_and_safety: Mapped[str] = _criterion_text()  # 2025
    means: Mapped[str] = _criterion_text()  # 2025: moyens pédagogiques…
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # Bumped on every edit; a form sent with an older value is refused (concurrent edit).
    revision: Mapped[int] = mapped_column(default=1)

    certification: Mapped[Certification] = relationship()
    updated_by: Mapped[User | None] = relationship()
    jury_texts: Mapped[list[DossierJuryText]] = relationship(
        back_populates="dossier_text", cascade="all, delete-orphan", order_by="DossierJuryText.id"
    )

    def jury_text(self, route: AccessRoute) -> DossierJuryText | None:
        return next((t for t in self.jury_texts if t.access_route is route), None)


class DossierJuryText(Base):
    """Whether one access route (voie d'accès) is open, and the composition of its jury."""

    __tablename__ = "dossier_jury_texts"
    __table_args__ = (sa.UniqueConstraint("dossier_text_id", "access_route"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_text_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier_texts.id", ondelete="CASCADE")
    )
    access_route: Mapped[AccessRoute] = mapped_column(enum_column(AccessRoute, "access_route"))
    open: Mapped[bool] = mapped_column(default=False)
    composition: Mapped[str] = mapped_column(sa.Text, default="")

    dossier_text: Mapped[DossierText] = relationship(back_populates="jury_texts")
