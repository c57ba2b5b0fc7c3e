"""What the certifier's flows need to know of it, per certifier organisation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, utcnow
from app.people.models import Organisation, User

CLIENT_ID_LENGTH = 8
CONTRACT_ID_MAX = 20


class CertifierSettings(Base):
    """The Caisse des Dépôts identifiers of one certifier organisation (its SIRET stays on the
    organisation). A missing value falls back to the configuration (ACCROCHAGE_ID_*)."""

    __tablename__ = "certifier_settings"
    __table_args__ = (
        sa.CheckConstraint(
            f"accrochage_client_id IS NULL OR length(accrochage_client_id) = {CLIENT_ID_LENGTH}",
            name="client_id_length",
        ),
        sa.CheckConstraint(
            "accrochage_contract_id IS NULL OR length(accrochage_contract_id) >= 1",
            name="contract_id_not_empty",
        ),
    )

    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    # idClient and idContrat given by the Caisse des Dépôts (Passeport de compétences).
    accrochage_client_id: Mapped[str | None] = mapped_column(sa.String(CLIENT_ID_LENGTH))
    accrochage_contract_id: Mapped[str | None] = mapped_column(sa.String(CONTRACT_ID_MAX))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )

    organisation: Mapped[Organisation] = relationship()
    updated_by: Mapped[User | None] = relationship()
