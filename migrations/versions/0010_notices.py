"""a notice about work that went elsewhere says so

A reviewer's notice about an assignment that was reassigned, declined, withdrawn or decided without them is
marked "no longer current" with the reason, instead of inviting them to work that is no longer theirs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 12:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_note', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_note')
