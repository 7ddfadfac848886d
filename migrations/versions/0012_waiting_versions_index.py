"""versions by state, oldest submitted first

Routing asks for the oldest few waiting versions; with an index of the state alone the database read every
submitted and in-review version and sorted them. The new index serves the old one's queries too (its first
column is the state), so the old one goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 15:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index('ix_submission_versions_state_submitted', ['state', 'submitted_at', 'id'], unique=False)
        batch_op.drop_index('ix_submission_versions_state')


def downgrade():
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index('ix_submission_versions_state', ['state'], unique=False)
        batch_op.drop_index('ix_submission_versions_state_submitted')
