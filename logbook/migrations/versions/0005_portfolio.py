"""portfolio: verification codes printed in portfolio PDFs

Revision ID: 0005_portfolio
Revises: 0004_supervision
Create Date: 2026-11-25 04:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0005_portfolio'
down_revision = '0004_supervision'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verification_code',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('sign_off_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['sign_off_id'], ['sign_off.id'], name=op.f('fk_verification_code_sign_off_id_sign_off'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_verification_code')),
    sa.UniqueConstraint('sign_off_id', name=op.f('uq_verification_code_sign_off_id'))
    )


def downgrade():
    op.drop_table('verification_code')
