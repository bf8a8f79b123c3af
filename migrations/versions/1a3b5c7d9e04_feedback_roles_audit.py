"""feedback: one rating per purchase, parcel, return or help request

Revision ID: 1a3b5c7d9e04
Revises: c7d8e9f0a112
Create Date: 2026-12-08 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa

import app.db  # noqa: F401 - column types such as UTCDateTime


# revision identifiers, used by Alembic.
revision = '1a3b5c7d9e04'
down_revision = 'c7d8e9f0a112'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'feedback',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=16), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('location_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('clerk', sa.String(length=120), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=True),
        sa.Column('rating', sa.Integer(), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('created_at', app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_feedback_rating_range')),
        sa.CheckConstraint("subject IN ('order', 'parcel', 'return', 'help')", name=op.f('ck_feedback_subject')),
        sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_feedback_location_id_locations')),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_feedback_member_id_members'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback')),
        sa.UniqueConstraint('subject', 'subject_id', name='uq_feedback_once'),
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_location_time', ['location_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_member_id'), ['member_id'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_member_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_created_at'))
        batch_op.drop_index('ix_feedback_location_time')
    op.drop_table('feedback')
