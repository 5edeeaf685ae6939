"""sync pull: the change feed indexed by (owner_id, txid, seq)

A page of the feed reads one owner's rows after the cursor in feed order straight from this index;
with the owner_id index alone SQLite read and sorted the owner's whole feed on every page.
It replaces ix_sync_change_owner_id (its leading column serves the same look-ups).

Revision ID: 0021_feed_owner_index
Revises: 0020_job_attempts
Create Date: 2026-12-05 09:30:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0021_feed_owner_index"
down_revision = "0020_job_attempts"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.create_index("ix_sync_change_owner_txid_seq", ["owner_id", "txid", "seq"], unique=False)
        batch_op.drop_index("ix_sync_change_owner_id")


def downgrade():
    with op.batch_alter_table("sync_change", schema=None) as batch_op:
        batch_op.create_index("ix_sync_change_owner_id", ["owner_id"], unique=False)
        batch_op.drop_index("ix_sync_change_owner_txid_seq")
