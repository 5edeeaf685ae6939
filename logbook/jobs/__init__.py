"""Background jobs: long exports run outside the request, their state kept in the database."""
