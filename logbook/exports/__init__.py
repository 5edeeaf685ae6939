"""Exports that outgrow a request: portfolios as jobs, the org admin's staff export, the full record."""
