"""Notifications: in-app messages and email, through one small mail interface."""
