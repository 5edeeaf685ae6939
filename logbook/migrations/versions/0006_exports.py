"""staff exports as background jobs; imported records

Revision ID: 0006_exports
Revises: 0005_portfolio
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0006_exports'
down_revision = '0005_portfolio'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=False),
    sa.Column('result_sha256', sa.String(length=64), nullable=True),
    sa.Column('result_name', sa.String(length=200), nullable=True),
    sa.Column('result_media_type', sa.String(length=100), nullable=True),
    sa.Column('result_size', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_job_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_job_owner_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job'))
    )
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_owner_id'), ['owner_id'], unique=False)

    op.create_table('record_import',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('source_organisation', sa.String(length=200), nullable=False),
    sa.Column('source_exported_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('format_version', sa.Integer(), nullable=False),
    sa.Column('record_sha256', sa.String(length=64), nullable=False),
    sa.Column('supervision_sessions', sa.JSON(), nullable=False),
    sa.Column('imported_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_record_import_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_record_import_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_import'))
    )
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_import_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_import_user_id'), ['user_id'], unique=False)

    op.create_table('entry_origin',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('hashed_entry_id', sa.Uuid(), nullable=False),
    sa.Column('hashed_owner_id', sa.Uuid(), nullable=False),
    sa.Column('record_import_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_entry_origin_entry_id_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['record_import_id'], ['record_import.id'], name=op.f('fk_entry_origin_record_import_id_record_import'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_entry_origin'))
    )
    with op.batch_alter_table('entry_origin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_entry_origin_hashed_entry_id'), ['hashed_entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_entry_origin_record_import_id'), ['record_import_id'], unique=False)


def downgrade():
    with op.batch_alter_table('entry_origin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entry_origin_record_import_id'))
        batch_op.drop_index(batch_op.f('ix_entry_origin_hashed_entry_id'))
    op.drop_table('entry_origin')
    with op.batch_alter_table('record_import', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_import_user_id'))
        batch_op.drop_index(batch_op.f('ix_record_import_organisation_id'))
    op.drop_table('record_import')
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_owner_id'))
        batch_op.drop_index(batch_op.f('ix_job_organisation_id'))
    op.drop_table('job')
