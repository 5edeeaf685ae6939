"""single sign-on: organisations' OpenID Connect providers and sign-ins under way

Revision ID: 0015_sso
Revises: 0014_supervision_one
Create Date: 2026-12-05 06:20:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0015_sso'
down_revision = '0014_supervision_one'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sso_provider',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('client_secret_env', sa.String(length=100), nullable=False),
    sa.Column('email_domains', sa.JSON(), nullable=False),
    sa.Column('jit_enabled', sa.Boolean(), nullable=False),
    sa.Column('password_login', sa.Boolean(), nullable=False),
    sa.Column('updated_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sso_provider_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_sso_provider'))
    )
    op.create_table('oidc_login_state',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('nonce', sa.String(length=128), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('next_path', sa.String(length=500), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_oidc_login_state_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_oidc_login_state'))
    )
    with op.batch_alter_table('oidc_login_state', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oidc_login_state_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_oidc_login_state_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('oidc_login_state', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oidc_login_state_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_oidc_login_state_expires_at'))

    op.drop_table('oidc_login_state')
    op.drop_table('sso_provider')
