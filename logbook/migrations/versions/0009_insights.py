"""insights precomputed per-person figures

Revision ID: 0009_insights
Revises: 0008_security
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0009_insights'
down_revision = '0008_security'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_compliance',
    sa.Column('registration_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('regulator', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('cycle_ends_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_insight_compliance_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['registration_id'], ['registration.id'], name=op.f('fk_insight_compliance_registration_id_registration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_insight_compliance_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('registration_id', name=op.f('pk_insight_compliance'))
    )
    with op.batch_alter_table('insight_compliance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_insight_compliance_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_insight_compliance_user_id'), ['user_id'], unique=False)

    op.create_table('insight_refresh',
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_insight_refresh_organisation_id_organisation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('organisation_id', 'kind', name=op.f('pk_insight_refresh'))
    )


def downgrade():
    op.drop_table('insight_refresh')
    with op.batch_alter_table('insight_compliance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_insight_compliance_user_id'))
        batch_op.drop_index(batch_op.f('ix_insight_compliance_organisation_id'))

    op.drop_table('insight_compliance')
