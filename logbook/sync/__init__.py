"""Offline sync: idempotent batched push, gap-free change feed, field-level merge."""
