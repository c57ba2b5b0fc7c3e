"""The certification dossier: the texts the coordinator writes for it, and its data."""
