"""indexes for reviewer lists and role lookups

A reviewer's recently closed assignments are read newest first; reviewers and staff are looked up by role on
every routing decision and staff page, which otherwise scans every user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 18:44:02.961018

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_reviewer_closed', ['reviewer_id', 'closed_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_is_reviewer'), ['is_reviewer'], unique=False)
        batch_op.create_index(batch_op.f('ix_users_is_staff'), ['is_staff'], unique=False)



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_is_staff'))
        batch_op.drop_index(batch_op.f('ix_users_is_reviewer'))

    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_reviewer_closed')

