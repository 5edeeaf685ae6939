"""Organisations, teams, job roles, users, registrations, sessions and authentication."""
