"""record imports say which format they came from (a CPD Logbook record, Leap2A, a spreadsheet)

Revision ID: 0019_record_import_formats
Revises: 0018_sign_off_withdrawals
Create Date: 2026-12-05 09:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_record_import_formats'
down_revision = '0018_sign_off_withdrawals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('source_format', sa.String(length=40), nullable=False, server_default='cpd-logbook-record')
        )


def downgrade():
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_column('source_format')
