"""Seats the organizer can take back; organizer sessions and sign-in links that end

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("participant") as batch:
        batch.add_column(sa.Column("unseated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("organizer") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("link_serial", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade():
    with op.batch_alter_table("organizer") as batch:
        batch.drop_column("link_serial")
        batch.drop_column("session_epoch")
    with op.batch_alter_table("participant") as batch:
        batch.drop_column("unseated_at")
