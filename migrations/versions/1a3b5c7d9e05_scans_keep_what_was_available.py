"""scan analytics: scans keep what was available, counts per store day, indexes to count a day

Revision ID: 1a3b5c7d9e05
Revises: 1a3b5c7d9e04
Create Date: 2026-12-08 02:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = '1a3b5c7d9e05'
down_revision = '1a3b5c7d9e04'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('available', sa.Integer(), nullable=True))
        batch_op.create_index('ix_scans_location_time', ['location_id', 'created_at'], unique=False)
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_paid_at'), ['paid_at'], unique=False)
    op.create_table(
        'scan_days',
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.Integer(), nullable=False),
        sa.Column('kiosk', sa.Integer(), nullable=False),
        sa.Column('out_of_stock', sa.Integer(), nullable=False),
        sa.Column('shopper_days', sa.Integer(), nullable=False),
        sa.Column('not_bought', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_scan_days_location_id_locations'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_scan_days_product_id_products'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('location_id', 'day', 'product_id', name=op.f('pk_scan_days')),
    )
    with op.batch_alter_table('scan_days', schema=None) as batch_op:
        batch_op.create_index('ix_scan_days_day', ['day', 'location_id'], unique=False)
    op.create_table(
        'scan_hours',
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('hour', sa.Integer(), nullable=False),
        sa.Column('scans', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_scan_hours_location_id_locations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('location_id', 'day', 'hour', name=op.f('pk_scan_hours')),
    )
    op.create_table(
        'unknown_code_days',
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.String(length=10), nullable=False),
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('scans', sa.Integer(), nullable=False),
        sa.Column('last_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_unknown_code_days_location_id_locations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('location_id', 'day', 'code', name=op.f('pk_unknown_code_days')),
    )


def downgrade():
    op.drop_table('unknown_code_days')
    op.drop_table('scan_hours')
    with op.batch_alter_table('scan_days', schema=None) as batch_op:
        batch_op.drop_index('ix_scan_days_day')
    op.drop_table('scan_days')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_paid_at'))
    with op.batch_alter_table('scans', schema=None) as batch_op:
        batch_op.drop_index('ix_scans_location_time')
        batch_op.drop_column('available')
