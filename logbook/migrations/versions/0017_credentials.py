"""issued credentials (Open Badges 3.0) and their revocation-list indexes

Revision ID: 0017_credentials
Revises: 0016_gap_explanations
Create Date: 2026-12-05 07:05:00

"""
from alembic import op
import sqlalchemy as sa
import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0017_credentials'
down_revision = '0016_gap_explanations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issued_credential',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('subject_kind', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Uuid(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_issued_credential_entry_id_entry')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_issued_credential_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_issued_credential_owner_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_credential')),
    sa.UniqueConstraint('organisation_id', 'status_index', name='uq_issued_credential_index'),
    sa.UniqueConstraint('subject_kind', 'subject_id', name='uq_issued_credential_subject')
    )
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_credential_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credential_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credential_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('issued_credential', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_issued_credential_owner_id'))
        batch_op.drop_index(batch_op.f('ix_issued_credential_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_issued_credential_entry_id'))

    op.drop_table('issued_credential')
