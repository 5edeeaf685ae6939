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
    op.create_table('login_throttle',
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('locked_until', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('email_hash', name=op.f('pk_login_throttle'))
    )
    op.create_table('password_reset',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_password_reset_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_password_reset'))
    )
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_reset_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('password_reset', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_reset_user_id'))

    op.drop_table('password_reset')
    op.drop_table('login_throttle')
