"""event results token

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 17:50:00

The public page of the day's results lives at an unguessable address while the organizer
publishes it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('results_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_event_results_token'),
                                          ['results_token'])


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_event_results_token'), type_='unique')
        batch_op.drop_column('results_token')
