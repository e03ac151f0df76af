"""every table has its card and its place in the pitch queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00

Until now a table's card was made the first time a page showed it, and its place in the
pitch queue the first time the console was opened: two GETs that wrote. Tables now get
both when they are created; this gives them to the tables made before.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    connection.execute(sa.text(
        "INSERT INTO proposal (table_id, title, need, objective, neighbourhood, city, department,"
        " budget_purpose, partners, skills, summary, status, created_at, updated_at)"
        " SELECT t.id, '', '', '', '', '', '', '', '[]', '[]', '', 'draft',"
        " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
        " FROM \"table\" t WHERE NOT EXISTS (SELECT 1 FROM proposal p WHERE p.table_id = t.id)"))
    # Each event's missing tables go after its queued ones, in table order.
    missing = connection.execute(sa.text(
        "SELECT t.event_id, t.id FROM \"table\" t"
        " WHERE NOT EXISTS (SELECT 1 FROM pitch p WHERE p.table_id = t.id)"
        " ORDER BY t.event_id, t.number")).all()
    next_position = dict(connection.execute(sa.text(
        "SELECT event_id, COUNT(*) FROM pitch GROUP BY event_id")).all())
    for event_id, table_id in missing:
        position = next_position.get(event_id, 0)
        next_position[event_id] = position + 1
        connection.execute(sa.text(
            "INSERT INTO pitch (event_id, table_id, position) VALUES (:e, :t, :p)"),
            {"e": event_id, "t": table_id, "p": position})


def downgrade():
    pass  # the rows are ordinary data: an older version makes the same ones when it needs them
