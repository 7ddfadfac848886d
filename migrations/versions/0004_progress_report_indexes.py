"""indexes for progress reports

Cohort reports start from the members and look up their submissions of the cohort's credentials: with
(educator, credential) indexed together the databases start from the members too (with the educator alone, SQLite
starts from the credentials and reads every submission of them). The covering index on versions lets reports read
state and dates without reading each row's answers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:57:44.445145

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_educator_credential', ['educator_id', 'credential_id'], unique=False)
        batch_op.drop_index('ix_submissions_educator_id')

    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.create_index(
            'ix_submission_versions_progress',
            ['submission_id', 'number', 'state', 'submitted_at', 'decided_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_submission_versions_progress')

    with op.batch_alter_table('submissions', schema=None) as batch_op:
        batch_op.create_index('ix_submissions_educator_id', ['educator_id'], unique=False)
        batch_op.drop_index('ix_submissions_educator_credential')
