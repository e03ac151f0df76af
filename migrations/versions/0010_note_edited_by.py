"""who last edited a note

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 16:45:00

A note's edit conflict names the person who saved first, as the card's conflicts do.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("note") as batch:
        batch.add_column(sa.Column("edited_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_note_edited_by_id_participant", "participant",
                                 ["edited_by_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("note") as batch:
        batch.drop_constraint("fk_note_edited_by_id_participant", type_="foreignkey")
        batch.drop_column("edited_by_id")
