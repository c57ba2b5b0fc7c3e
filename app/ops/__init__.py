"""Operations: backup and restore of the whole application (database and stored files)."""
