"""api key scopes and locations

Revision ID: d1e2f3a4b504
Revises: d1e2f3a4b503
Create Date: 2026-12-07 11:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b504'
down_revision = 'd1e2f3a4b503'
branch_labels = None
depends_on = None


def upgrade():
    # NULL in both: the key keeps doing whatever its role allows (keys made before scopes).
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('location_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('location_ids')
        batch_op.drop_column('scopes')
