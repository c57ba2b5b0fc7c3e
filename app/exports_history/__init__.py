"""The exports history: every file produced (fiche, accrochage, dossier…), kept with its SHA-256."""
