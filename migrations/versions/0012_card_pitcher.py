"""card pitcher

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 17:40:00

Who pitches for the table, one of its participants, is a field of the card.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pitcher_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_proposal_pitcher_id_participant'),
                                    'participant', ['pitcher_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_pitcher_id_participant'),
                                 type_='foreignkey')
        batch_op.drop_column('pitcher_id')
