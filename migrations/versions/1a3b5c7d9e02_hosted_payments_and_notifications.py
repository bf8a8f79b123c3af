"""payments hosted by the provider: notifications and provider records

Revision ID: 1a3b5c7d9e02
Revises: 1a3b5c7d9e01
Create Date: 2026-12-08 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = '1a3b5c7d9e02'
down_revision = '1a3b5c7d9e01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payment_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('notification_id', sa.String(length=64), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_notifications')),
    sa.UniqueConstraint('provider', 'notification_id', name=op.f('uq_payment_notifications_provider_notification_id'))
    )
    with op.batch_alter_table('payment_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_notifications_reference'), ['reference'], unique=False)

    op.create_table('sandbox_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=120), nullable=False),
    sa.Column('notify_url', sa.String(length=500), nullable=False),
    sa.Column('return_url', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_sessions')),
    sa.UniqueConstraint('reference', name=op.f('uq_sandbox_sessions_reference')),
    sa.UniqueConstraint('token', name=op.f('uq_sandbox_sessions_token'))
    )
    op.create_table('sandbox_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.String(length=80), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_refunds')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_sandbox_refunds_refund_id'))
    )
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_refunds_reference'), ['reference'], unique=False)

    op.create_table('sandbox_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notify_id', sa.String(length=40), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', app.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', app.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_notifications')),
    sa.UniqueConstraint('notify_id', name=op.f('uq_sandbox_notifications_notify_id'))
    )
    with op.batch_alter_table('sandbox_notifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sandbox_notifications_reference'), ['reference'], unique=False)

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_id', sa.String(length=80), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_refunds_refund_id'), ['refund_id'])


def downgrade():
    with op.batch_alter_table('payment_refunds', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_refunds_refund_id'), type_='unique')
        batch_op.drop_column('refund_id')

    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('action_url')

    with op.batch_alter_table('sandbox_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_notifications_reference'))
    op.drop_table('sandbox_notifications')
    with op.batch_alter_table('sandbox_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sandbox_refunds_reference'))
    op.drop_table('sandbox_refunds')
    op.drop_table('sandbox_sessions')
    with op.batch_alter_table('payment_notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_notifications_reference'))
    op.drop_table('payment_notifications')
