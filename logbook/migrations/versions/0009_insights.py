"""insights precomputed per-person figures

Revision ID: 0009_insights
Revises: 0008_security
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0009_insights'
down_revision = '0008_security'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
