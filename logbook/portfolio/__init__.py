"""Portfolio PDFs (generic and per-regulator) and the public verification of signed entries."""
