"""staff exports as background jobs; imported records

Revision ID: 0006_exports
Revises: 0005_portfolio
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0006_exports'
down_revision = '0005_portfolio'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
