"""forget the body of a sent one-time link

An invitation email holds a one-time link; once it is delivered the outbox keeps a note instead of the link.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:00:03.816795

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forget_body', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('forget_body')

