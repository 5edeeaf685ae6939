"""job attempts: a job whose worker died is taken over by another, at most JOB_MAX_ATTEMPTS times

Revision ID: 0020_job_attempts
Revises: 0019_record_import_formats
Create Date: 2026-12-05 09:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_job_attempts'
down_revision = '0019_record_import_formats'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('attempts')
