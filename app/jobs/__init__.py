"""Background jobs: a queue table in the database and a worker command, no extra server."""
