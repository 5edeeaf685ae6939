"""Signed statements of sign-offs, and the keys that sign and verify them."""
