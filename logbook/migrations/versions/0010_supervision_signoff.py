"""sign-off requests on supervision records

Revision ID: 0010_supervision_signoff
Revises: 0009_insights
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0010_supervision_signoff'
down_revision = '0009_insights'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
