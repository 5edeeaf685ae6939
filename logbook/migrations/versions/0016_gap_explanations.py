"""gap explanations: a practitioner's own words for a break in their CPD (private; synced)

Revision ID: 0016_gap_explanations
Revises: 0015_sso
Create Date: 2026-12-05 06:20:00

"""
from alembic import op
import sqlalchemy as sa
import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0016_gap_explanations'
down_revision = '0015_sso'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('gap_explanation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_gap_explanation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_gap_explanation_owner_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gap_explanation'))
    )
    with op.batch_alter_table('gap_explanation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gap_explanation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_gap_explanation_owner_id'), ['owner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('gap_explanation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gap_explanation_owner_id'))
        batch_op.drop_index(batch_op.f('ix_gap_explanation_organisation_id'))

    op.drop_table('gap_explanation')
