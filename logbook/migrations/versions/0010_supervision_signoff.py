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
    op.create_table('session_sign_off_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('requested_by_id', sa.Uuid(), nullable=False),
    sa.Column('signer_id', sa.Uuid(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user_account.id'], name=op.f('fk_session_sign_off_request_requested_by_id_user_account'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['supervision_session.id'], name=op.f('fk_session_sign_off_request_session_id_supervision_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signer_id'], ['user_account.id'], name=op.f('fk_session_sign_off_request_signer_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_sign_off_request'))
    )
    with op.batch_alter_table('session_sign_off_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_sign_off_request_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_sign_off_request_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_sign_off_request_signer_id'), ['signer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_sign_off_request_state'), ['state'], unique=False)

    op.create_table('session_sign_off',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('session_id', sa.Uuid(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('content_sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('request_id', sa.Uuid(), nullable=True),
    sa.Column('signer_user_id', sa.Uuid(), nullable=True),
    sa.Column('signer_name', sa.String(length=200), nullable=False),
    sa.Column('signed_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['session_sign_off_request.id'], name=op.f('fk_session_sign_off_request_id_session_sign_off_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['supervision_session.id'], name=op.f('fk_session_sign_off_session_id_supervision_session')),
    sa.ForeignKeyConstraint(['signer_user_id'], ['user_account.id'], name=op.f('fk_session_sign_off_signer_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_sign_off'))
    )
    with op.batch_alter_table('session_sign_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_sign_off_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_sign_off_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_sign_off_signer_user_id'), ['signer_user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('session_sign_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_sign_off_signer_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_sign_off_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_sign_off_request_id'))

    op.drop_table('session_sign_off')
    with op.batch_alter_table('session_sign_off_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_sign_off_request_state'))
        batch_op.drop_index(batch_op.f('ix_session_sign_off_request_signer_id'))
        batch_op.drop_index(batch_op.f('ix_session_sign_off_request_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_sign_off_request_requested_by_id'))

    op.drop_table('session_sign_off_request')
