"""tax per line, invoice requests, a ledger of points

Revision ID: 1a3b5c7d9e03
Revises: 1a3b5c7d9e02
Create Date: 2026-12-08 02:10:00.000000

"""
import os
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime
from app import tax


# revision identifiers, used by Alembic.
revision = '1a3b5c7d9e03'
down_revision = '1a3b5c7d9e02'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invoice_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('tax_id', sa.String(length=20), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('invoice_number', sa.String(length=64), nullable=True),
    sa.Column('issued_by', sa.String(length=120), nullable=True),
    sa.Column('requested_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_invoice_requests_member_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoice_requests_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_requests')),
    sa.UniqueConstraint('order_id', name=op.f('uq_invoice_requests_order_id'))
    )
    with op.batch_alter_table('invoice_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_requests_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_requests_status'), ['status'], unique=False)

    op.create_table('points_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('balance_after', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('lot_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('earned', 'spent', 'taken_back', 'given_back', 'expired', 'imported', 'merged')", name=op.f('ck_points_entries_kind')),
    sa.ForeignKeyConstraint(['lot_id'], ['points_entries.id'], name=op.f('fk_points_entries_lot_id_points_entries')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_entries_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_points_entries_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_id'], ['returns.id'], name=op.f('fk_points_entries_return_id_returns'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entries'))
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_points_entries_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_lot_id'), ['lot_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_points_entries_order_id'), ['order_id'], unique=False)

    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_rate', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('tax_amount', sa.Integer(), nullable=False, server_default='0'))
    _tax_of_lines_sold_before()
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.alter_column('tax_rate', server_default=None)
        batch_op.alter_column('tax_amount', server_default=None)
    _opening_points_entries()


def _spread(total, weights):
    """The order's discount shared by the lines by largest remainder (as app.orders.taxes.spread)."""
    whole = sum(weights)
    if not whole or not total:
        return [0] * len(weights)
    shares = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _tax_of_lines_sold_before():
    """Lines sold before tax was recorded: the rate of the product's category under this deployment's settings."""
    conn = op.get_bind()
    rates = tax.parse_rates(os.environ.get("TAX_RATES", ""))
    default = int(os.environ.get("TAX_DEFAULT_RATE", "1300"))
    rows = conn.execute(sa.text(
        "SELECT l.id, l.order_id, l.line_total, p.category, o.discount FROM order_lines l"
        " JOIN products p ON p.id = l.product_id JOIN orders o ON o.id = l.order_id ORDER BY l.order_id, l.id"
    )).all()
    by_order = {}
    for row in rows:
        by_order.setdefault(row.order_id, []).append(row)
    for lines in by_order.values():
        shares = _spread(lines[0].discount or 0, [line.line_total for line in lines])
        for line, share in zip(lines, shares):
            rate = tax.rate_for(line.category, rates, default)
            conn.execute(
                sa.text("UPDATE order_lines SET tax_rate = :rate, tax_amount = :tax WHERE id = :id"),
                {"rate": rate, "tax": tax.tax_included(line.line_total - share, rate), "id": line.id},
            )


def _opening_points_entries():
    """Every balance so far becomes one opening entry, so that a balance is the sum of its entries."""
    entries = sa.table(
        'points_entries',
        sa.column('member_id', sa.Integer()),
        sa.column('delta', sa.Integer()),
        sa.column('kind', sa.String()),
        sa.column('balance_after', sa.Integer()),
        sa.column('created_at', app.db.UTCDateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    members = op.get_bind().execute(sa.text("SELECT id, points FROM members WHERE points > 0 ORDER BY id")).all()
    rows = [
        {'member_id': m.id, 'delta': m.points, 'kind': 'imported', 'balance_after': m.points, 'created_at': now}
        for m in members
    ]
    if rows:
        op.bulk_insert(entries, rows)


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_column('tax_amount')
        batch_op.drop_column('tax_rate')

    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_points_entries_order_id'))
        batch_op.drop_index(batch_op.f('ix_points_entries_member_id'))
        batch_op.drop_index(batch_op.f('ix_points_entries_lot_id'))
        batch_op.drop_index(batch_op.f('ix_points_entries_expires_at'))

    op.drop_table('points_entries')
    with op.batch_alter_table('invoice_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_requests_status'))
        batch_op.drop_index(batch_op.f('ix_invoice_requests_member_id'))

    op.drop_table('invoice_requests')
