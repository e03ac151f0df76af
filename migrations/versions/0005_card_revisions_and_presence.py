"""card revisions and presence

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-26 06:46:36.922701

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('proposal_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=40), nullable=False),
    sa.Column('restored_from', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], name=op.f('fk_proposal_revision_participant_id_participant'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_proposal_revision_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_revision')),
    sa.UniqueConstraint('proposal_id', 'field', 'version', name=op.f('uq_proposal_revision_proposal_id_field_version'))
    )
    with op.batch_alter_table('connection', schema=None) as batch_op:
        batch_op.add_column(sa.Column('editing_field', sa.String(length=30), nullable=True))



def downgrade():
    with op.batch_alter_table('connection', schema=None) as batch_op:
        batch_op.drop_column('editing_field')

    op.drop_table('proposal_revision')
