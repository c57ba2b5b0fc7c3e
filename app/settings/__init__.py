"""The certifier's settings: the identifiers its flows need (Caisse des Dépôts accrochage
idClient and idContrat, its SIRET), kept in the database per certifier organisation and edited
by its coordinators; the environment's values only stand in where none is stored."""
