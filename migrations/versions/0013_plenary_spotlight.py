"""the plenary's spotlight: one table on the whole wall

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 16:30:00

The organizer can put one table on the whole plenary wall from the régie, and bring the
wall back; the stage (what the plenary shows) keeps which table.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage') as batch_op:
        batch_op.add_column(sa.Column('spotlight_table_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_stage_spotlight_table_id_table', 'table',
                                    ['spotlight_table_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('stage') as batch_op:
        batch_op.drop_constraint('fk_stage_spotlight_table_id_table', type_='foreignkey')
        batch_op.drop_column('spotlight_table_id')
