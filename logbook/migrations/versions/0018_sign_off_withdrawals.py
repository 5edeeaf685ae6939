"""sign-off withdrawals (signed statements); credentials of a registration cycle (no single entry)

Revision ID: 0018_sign_off_withdrawals
Revises: 0017_credentials
Create Date: 2026-12-05 09:20:00

"""
from alembic import op
import sqlalchemy as sa
import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0018_sign_off_withdrawals'
down_revision = '0017_credentials'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_off_withdrawal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('sign_off_id', sa.Uuid(), nullable=False),
    sa.Column('withdrawn_by_id', sa.Uuid(), nullable=True),
    sa.Column('withdrawn_by_name', sa.String(length=200), nullable=False),
    sa.Column('withdrawn_as', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['sign_off_id'], ['sign_off.id'], name=op.f('fk_sign_off_withdrawal_sign_off_id_sign_off')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['user_account.id'], name=op.f('fk_sign_off_withdrawal_withdrawn_by_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_off_withdrawal')),
    sa.UniqueConstraint('sign_off_id', name=op.f('uq_sign_off_withdrawal_sign_off_id'))
    )
    with op.batch_alter_table('sign_off_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_off_withdrawal_withdrawn_by_id'), ['withdrawn_by_id'], unique=False)
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.alter_column('entry_id', existing_type=sa.Uuid(), nullable=True)


def downgrade():
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.alter_column('entry_id', existing_type=sa.Uuid(), nullable=False)
    with op.batch_alter_table('sign_off_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_off_withdrawal_withdrawn_by_id'))
    op.drop_table('sign_off_withdrawal')
