"""stock snapshots from outside counts

Revision ID: d1e2f3a4b505
Revises: d1e2f3a4b504
Create Date: 2026-12-07 11:41:39.617492

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = 'd1e2f3a4b505'
down_revision = 'd1e2f3a4b504'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stock_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('taken_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('drift_count', sa.Integer(), nullable=False),
    sa.Column('not_counted_count', sa.Integer(), nullable=False),
    sa.Column('alert_count', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=32), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_stock_snapshots_location_id_locations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_snapshots'))
    )
    with op.batch_alter_table('stock_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_stock_snapshots_location', ['location_id', 'id'], unique=False)

    op.create_table('stock_snapshot_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('ours_then', sa.Integer(), nullable=False),
    sa.Column('ours_now', sa.Integer(), nullable=False),
    sa.Column('drift', sa.Integer(), nullable=True),
    sa.Column('applied_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('applied_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_snapshot_lines_product_id_products'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['stock_snapshots.id'], name=op.f('fk_stock_snapshot_lines_snapshot_id_stock_snapshots'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_snapshot_lines')),
    sa.UniqueConstraint('snapshot_id', 'product_id', name=op.f('uq_stock_snapshot_lines_snapshot_id_product_id'))
    )
    with op.batch_alter_table('stock_snapshot_lines', schema=None) as batch_op:
        batch_op.create_index('ix_stock_snapshot_lines_page', ['snapshot_id', 'kind', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('stock_snapshot_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_snapshot_lines_page')

    op.drop_table('stock_snapshot_lines')
    with op.batch_alter_table('stock_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_stock_snapshots_location')

    op.drop_table('stock_snapshots')
