"""password reset tokens and account lockout

Revision ID: 0008_security
Revises: 0007_events
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0008_security'
down_revision = '0007_events'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
