"""frameworks: versioned framework definitions

Revision ID: 0003_frameworks
Revises: 0002
"""

# revision identifiers, used by Alembic.
revision = "0003_frameworks"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
