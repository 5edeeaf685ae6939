"""Organisation insights: aggregate views of organisation-visible CPD, with small cells suppressed."""

# The learning-offer views (reach.py) add themselves to the registry (service.VIEWS) on import: here,
# so that whoever uses insights.service finds them, and service.py need not import reach.py back.
from logbook.insights import reach  # noqa: F401
