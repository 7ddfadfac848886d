"""issued Open Badges credentials and issuer keys

A signed credential per earned credential or completed stack, the issuer's published keys, and the
stack creator's web address (the id of its Profile in those credentials).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 11:35:44.730647

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('issuer_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=40), nullable=False),
    sa.Column('public_key_multibase', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issuer_keys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_issuer_keys_key_id')),
    sa.UniqueConstraint('public_key_multibase', name=op.f('uq_issuer_keys_public_key_multibase'))
    )
    op.create_table('issued_credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('earner_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('stack_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('share_token', sa.String(length=64), nullable=False),
    sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(kind = 'stack') = (credential_id IS NULL)", name=op.f('ck_issued_credentials_credential_unless_stack')),
    sa.CheckConstraint("kind IN ('credential', 'stack')", name=op.f('ck_issued_credentials_kind_known')),
    sa.CheckConstraint('status_index >= 0 AND status_index < 131072', name=op.f('ck_issued_credentials_status_index_in_list')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_issued_credentials_credential_id_credentials')),
    sa.ForeignKeyConstraint(['earner_id'], ['users.id'], name=op.f('fk_issued_credentials_earner_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_issued_credentials_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['stack_id'], ['stacks.id'], name=op.f('fk_issued_credentials_stack_id_stacks')),
    sa.ForeignKeyConstraint(['version_id'], ['submission_versions.id'], name=op.f('fk_issued_credentials_version_id_submission_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_credentials')),
    sa.UniqueConstraint('share_token', name=op.f('uq_issued_credentials_share_token')),
    sa.UniqueConstraint('status_index', name=op.f('uq_issued_credentials_status_index')),
    sa.UniqueConstraint('uuid', name=op.f('uq_issued_credentials_uuid'))
    )
    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.create_index('ix_issued_credentials_credential_issued', ['credential_id', 'issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_earner_id'), ['earner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_issued_at'), ['issued_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_revoked_at'), ['revoked_at'], unique=False)
        batch_op.create_index('ix_issued_credentials_stack_kind', ['stack_id', 'kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_credentials_version_id'), ['version_id'], unique=False)
        batch_op.create_index('uq_issued_credentials_earner_credential', ['earner_id', 'credential_id'], unique=True, sqlite_where=sa.text("kind = 'credential'"), postgresql_where=sa.text("kind = 'credential'"))
        batch_op.create_index('uq_issued_credentials_earner_stack', ['earner_id', 'stack_id'], unique=True, sqlite_where=sa.text("kind = 'stack'"), postgresql_where=sa.text("kind = 'stack'"))

    with op.batch_alter_table('stacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_url', sa.String(length=300), server_default='', nullable=False))



def downgrade():
    with op.batch_alter_table('stacks', schema=None) as batch_op:
        batch_op.drop_column('issuer_url')

    with op.batch_alter_table('issued_credentials', schema=None) as batch_op:
        batch_op.drop_index('uq_issued_credentials_earner_stack', sqlite_where=sa.text("kind = 'stack'"), postgresql_where=sa.text("kind = 'stack'"))
        batch_op.drop_index('uq_issued_credentials_earner_credential', sqlite_where=sa.text("kind = 'credential'"), postgresql_where=sa.text("kind = 'credential'"))
        batch_op.drop_index(batch_op.f('ix_issued_credentials_version_id'))
        batch_op.drop_index('ix_issued_credentials_stack_kind')
        batch_op.drop_index(batch_op.f('ix_issued_credentials_revoked_at'))
        batch_op.drop_index(batch_op.f('ix_issued_credentials_issued_at'))
        batch_op.drop_index(batch_op.f('ix_issued_credentials_earner_id'))
        batch_op.drop_index('ix_issued_credentials_credential_issued')

    op.drop_table('issued_credentials')
    op.drop_table('issuer_keys')
