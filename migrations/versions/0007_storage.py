"""the reviewers' copy of each artifact, without author metadata

Under blind review, reviewers download a copy of each file with the author fields of its metadata removed,
made once at upload and stored beside the original; this column records its stored name.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 12:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('blind_name', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('artifacts', schema=None) as batch_op:
        batch_op.drop_column('blind_name')
