"""the organisation's learning offer: events, check-in, learning sets

Revision ID: 0007_events
Revises: 0006_exports
Create Date: 2026-11-25 06:00:00

"""
from alembic import op
import sqlalchemy as sa

import logbook.timeutil


# revision identifiers, used by Alembic.
revision = '0007_events'
down_revision = '0006_exports'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('event_facilitator',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('granted_by', sa.Uuid(), nullable=True),
    sa.Column('granted_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['granted_by'], ['user_account.id'], name=op.f('fk_event_facilitator_granted_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_event_facilitator_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_event_facilitator_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_event_facilitator'))
    )
    with op.batch_alter_table('event_facilitator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_facilitator_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('learning_set',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('counts_as_peer_reflection', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_learning_set_created_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_learning_set_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_set'))
    )
    with op.batch_alter_table('learning_set', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_set_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('learning_event',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('organisation_id', sa.Uuid(), nullable=False),
    sa.Column('learning_set_id', sa.Uuid(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('starts_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('is_participatory', sa.Boolean(), nullable=False),
    sa.Column('target_professions', sa.JSON(), nullable=False),
    sa.Column('target_team_ids', sa.JSON(), nullable=False),
    sa.Column('standards', sa.JSON(), nullable=False),
    sa.Column('common_core', sa.JSON(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('materials', sa.JSON(), nullable=False),
    sa.Column('check_in_secret', sa.String(length=64), nullable=False),
    sa.Column('is_cancelled', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_learning_event_capacity_positive')),
    sa.CheckConstraint('duration_minutes > 0', name=op.f('ck_learning_event_duration_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_learning_event_created_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['learning_set_id'], ['learning_set.id'], name=op.f('fk_learning_event_learning_set_id_learning_set'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_learning_event_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_learning_event'))
    )
    with op.batch_alter_table('learning_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_event_learning_set_id'), ['learning_set_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_event_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_learning_event_starts_at'), ['starts_at'], unique=False)

    op.create_table('learning_set_member',
    sa.Column('set_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['set_id'], ['learning_set.id'], name=op.f('fk_learning_set_member_set_id_learning_set'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_learning_set_member_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('set_id', 'user_id', name=op.f('pk_learning_set_member'))
    )
    with op.batch_alter_table('learning_set_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_set_member_user_id'), ['user_id'], unique=False)

    op.create_table('event_attendance',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('scanned_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=True),
    sa.Column('marked_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['entry.id'], name=op.f('fk_event_attendance_entry_id_entry'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['learning_event.id'], name=op.f('fk_event_attendance_event_id_learning_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['marked_by'], ['user_account.id'], name=op.f('fk_event_attendance_marked_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_event_attendance_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_event_attendance')),
    sa.UniqueConstraint('entry_id', name=op.f('uq_event_attendance_entry_id'))
    )
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_attendance_user_id'), ['user_id'], unique=False)

    op.create_table('event_feedback',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', logbook.timeutil.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_event_feedback_rating_range')),
    sa.ForeignKeyConstraint(['event_id'], ['learning_event.id'], name=op.f('fk_event_feedback_event_id_learning_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_event_feedback_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_event_feedback'))
    )
    op.create_table('learning_event_facilitator',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['learning_event.id'], name=op.f('fk_learning_event_facilitator_event_id_learning_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_learning_event_facilitator_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'user_id', name=op.f('pk_learning_event_facilitator'))
    )
    with op.batch_alter_table('learning_event_facilitator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learning_event_facilitator_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('learning_event_facilitator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_event_facilitator_user_id'))

    op.drop_table('learning_event_facilitator')
    op.drop_table('event_feedback')
    with op.batch_alter_table('event_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_attendance_user_id'))

    op.drop_table('event_attendance')
    with op.batch_alter_table('learning_set_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_set_member_user_id'))

    op.drop_table('learning_set_member')
    with op.batch_alter_table('learning_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_event_starts_at'))
        batch_op.drop_index(batch_op.f('ix_learning_event_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_learning_event_learning_set_id'))

    op.drop_table('learning_event')
    with op.batch_alter_table('learning_set', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learning_set_organisation_id'))

    op.drop_table('learning_set')
    with op.batch_alter_table('event_facilitator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_facilitator_organisation_id'))

    op.drop_table('event_facilitator')
