"""a supervision entry is its supervision session: supervision_session.entry_id

Revision ID: 0014_supervision_one
Revises: 0013_rate_limits
Create Date: 2026-12-05 06:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_supervision_one'
down_revision = '0013_rate_limits'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supervision_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_id', sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_supervision_session_entry_id'), ['entry_id'])
        batch_op.create_foreign_key(
            batch_op.f('fk_supervision_session_entry_id_entry'), 'entry', ['entry_id'], ['id'], ondelete='SET NULL'
        )


def downgrade():
    with op.batch_alter_table('supervision_session', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_supervision_session_entry_id_entry'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_supervision_session_entry_id'), type_='unique')
        batch_op.drop_column('entry_id')
