"""Open Badges 3.0 and CLR 2.0 credentials of what was verified (docs/record-format.md)."""
