"""the organisation's learning offer: events, check-in, learning sets

Revision ID: 0007_events
Revises: 0006_exports
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0007_events'
down_revision = '0006_exports'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
