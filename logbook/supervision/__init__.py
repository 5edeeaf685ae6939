"""Supervision links, sessions, actions and sign-off."""
