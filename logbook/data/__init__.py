"""Data files shipped with the app (job roles of the reference service)."""
