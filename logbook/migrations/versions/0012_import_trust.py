"""imports never certify themselves; external signer rules

Revision ID: 0012_import_trust
Revises: 0011_signed_statements
Create Date: 2026-12-05 03:02:25.867970

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0012_import_trust'
down_revision = '0011_signed_statements'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('external_signer',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('first_requested_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_external_signer_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['first_requested_by_id'], ['user_account.id'], name=op.f('fk_external_signer_first_requested_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_external_signer_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_external_signer')),
    sa.UniqueConstraint('organisation_id', 'email', name=op.f('uq_external_signer_organisation_id'))
    )
    with op.batch_alter_table('external_signer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_external_signer_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_external_signer_state'), ['state'], unique=False)

    op.create_table('registration_proposal',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('record_import_id', sa.Uuid(), nullable=True),
    sa.Column('proposed', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('registration_id', sa.Uuid(), nullable=True),
    sa.Column('decided_by_id', sa.Uuid(), nullable=True),
    sa.Column('decided_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_registration_proposal_decided_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_registration_proposal_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['record_import_id'], ['record_import.id'], name=op.f('fk_registration_proposal_record_import_id_record_import'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_registration_proposal_registration_id_registration'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_registration_proposal_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_proposal'))
    )
    with op.batch_alter_table('registration_proposal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_proposal_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_proposal_record_import_id'), ['record_import_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_proposal_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_registration_proposal_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_signer_domains', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('external_signer_approval', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_verification', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('import_organisation', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('import_kid', sa.String(length=200), nullable=True))

    with op.batch_alter_table('sign_off_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('external_approval', sa.String(length=20), nullable=True))

    # Sign-offs imported before this revision were never checked against their organisation's key.
    op.execute("UPDATE sign_off SET import_verification = 'unverified' WHERE is_imported")


def downgrade():
    with op.batch_alter_table('sign_off_request', schema=None) as batch_op:
        batch_op.drop_column('external_approval')

    with op.batch_alter_table('sign_off', schema=None) as batch_op:
        batch_op.drop_column('import_kid')
        batch_op.drop_column('import_organisation')
        batch_op.drop_column('import_verification')

    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('external_signer_approval')
        batch_op.drop_column('external_signer_domains')

    with op.batch_alter_table('registration_proposal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_proposal_user_id'))
        batch_op.drop_index(batch_op.f('ix_registration_proposal_state'))
        batch_op.drop_index(batch_op.f('ix_registration_proposal_record_import_id'))
        batch_op.drop_index(batch_op.f('ix_registration_proposal_organisation_id'))

    op.drop_table('registration_proposal')
    with op.batch_alter_table('external_signer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_external_signer_state'))
        batch_op.drop_index(batch_op.f('ix_external_signer_organisation_id'))

    op.drop_table('external_signer')
