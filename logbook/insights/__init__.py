"""Organisation insights: aggregate views of organisation-visible CPD, with small cells suppressed."""
