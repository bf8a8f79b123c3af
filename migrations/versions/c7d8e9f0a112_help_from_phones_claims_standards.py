"""help from phones: claims, shopper sessions, service standards

Revision ID: c7d8e9f0a112
Revises: bd989e0a8372
Create Date: 2026-12-07 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = 'c7d8e9f0a112'
down_revision = 'bd989e0a8372'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shopper_session', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', app.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sa.String(length=120), nullable=True))
        batch_op.create_index(batch_op.f('ix_help_requests_shopper_session'), ['shopper_session'], unique=False)
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('help_answer_minutes', sa.Integer(), server_default='5', nullable=False))
    # One waiting phone request per shopper and store (as app/service/models.py says).
    member = "device_id IS NULL AND status IN ('open', 'claimed') AND member_id IS NOT NULL"
    guest = "device_id IS NULL AND status IN ('open', 'claimed') AND member_id IS NULL AND shopper_session IS NOT NULL"
    op.create_index(
        'uq_help_requests_waiting_member', 'help_requests', ['location_id', 'member_id'], unique=True,
        sqlite_where=sa.text(member), postgresql_where=sa.text(member),
    )
    op.create_index(
        'uq_help_requests_waiting_guest', 'help_requests', ['location_id', 'shopper_session'], unique=True,
        sqlite_where=sa.text(guest), postgresql_where=sa.text(guest),
    )


def downgrade():
    op.drop_index('uq_help_requests_waiting_guest', table_name='help_requests')
    op.drop_index('uq_help_requests_waiting_member', table_name='help_requests')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('help_answer_minutes')
    with op.batch_alter_table('help_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_help_requests_shopper_session'))
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('shopper_session')
