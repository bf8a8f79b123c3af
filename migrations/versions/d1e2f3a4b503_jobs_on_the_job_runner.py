"""jobs on the job runner: what a worker needs to run a job again, and its attempt

Revision ID: d1e2f3a4b503
Revises: d1e2f3a4b502
Create Date: 2026-12-07 11:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b503'
down_revision = 'd1e2f3a4b502'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('params', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
    # Jobs of the old in-process runner that a restart left behind can never finish now.
    op.execute(
        "UPDATE jobs SET status = 'failed', message = 'The server restarted while this job ran; start it again.' "
        "WHERE status IN ('queued', 'running')"
    )


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('attempts')
        batch_op.drop_column('params')
