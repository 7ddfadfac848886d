"""cache generations

One number per cached name (the catalog, an option list, a cohort's figures), bumped in the transaction that
changes the data, so that every worker process computes its copy again after the commit.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'cache_generations',
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_cache_generations')),
    )


def downgrade():
    op.drop_table('cache_generations')
