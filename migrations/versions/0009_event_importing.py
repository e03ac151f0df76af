"""event importing

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 16:50:00

An import now writes in batches, each committed, so that other requests run meanwhile;
the event stays hidden until its last batch.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('importing', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('importing')
