"""signed statements of sign-offs (compact JWS; the keys live outside the database)

Revision ID: 0011_signed_statements
Revises: 0010_supervision_signoff
Create Date: 2026-12-05 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_signed_statements'
down_revision = '0010_supervision_signoff'
branch_labels = None
depends_on = None


def upgrade():
    # Sign-offs made before this revision keep no statement and verify as "unsigned" (docs/security.md).
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement', sa.Text(), nullable=True))
    with op.batch_alter_table('session_sign_off', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statement', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('session_sign_off', schema=None) as batch_op:
        batch_op.drop_column('statement')
    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.drop_column('statement')
