"""The plenary wall: each table's card (who is here, notes, axes, progress), the event's
priority axes, and the mark that says whether a screen has missed anything."""

from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..card import card_completeness
from ..extensions import db
from ..models import (
    Axis,
    Connection,
    Note,
    PriorityAxis,
    PrioritySource,
    Proposal,
    Stage,
    Table,
    Vote,
)

LATEST = 3


def wall_context(event) -> dict:
    """The whole wall, as the plenary page and its refetch render it."""
    return {"event": event, "cards": table_cards(event.tables), "totals": theme_totals(event),
            "priority_groups": priority_groups(event), "mark": wall_mark(event),
            "spotlight": spotlight_card(event)}


def theme_totals(event) -> dict[int, int]:
    """How many notes the whole room has written on each theme."""
    return dict(db.session.execute(
        select(Note.theme_id, func.count(Note.id)).join(Table, Note.table_id == Table.id)
        .where(Table.event_id == event.id, Note.deleted_at.is_(None))
        .group_by(Note.theme_id)).all())


def spotlight_id(event) -> int | None:
    """The id of the table the organizer put on the whole wall, or None."""
    return db.session.scalar(select(Stage.spotlight_table_id).where(Stage.event_id == event.id))


def spotlight_card(event) -> dict | None:
    """The table the organizer put on the whole wall, with all it has made, or None."""
    table_id = spotlight_id(event)
    return table_cards([db.session.get(Table, table_id)])[0] if table_id is not None else None


def wall_mark(event) -> str:
    """Changes whenever anything on the wall does: its tables' and event's numbers, presence."""
    tables = select(Table.id).where(Table.event_id == event.id)
    changes = db.session.scalar(select(func.coalesce(func.sum(Table.seq), 0))
                                .where(Table.event_id == event.id))
    present = db.session.scalar(select(func.count()).select_from(Connection)
                                .where(Connection.table_id.in_(tables)))
    return f"{event.seq}.{changes}.{present}"


def table_card(table) -> dict:
    """What the plenary shows of one table (see `table_cards`)."""
    return table_cards([table])[0]


def table_cards(tables) -> list[dict]:
    """What the plenary shows of each table: how many people are here, notes per theme, the
    latest notes, its axes with their dots, its card and its progress.

    Rebuilt whenever a table changes, and for the whole wall on every screen's
    (re)connection: so in one query per kind of thing, whatever the number of tables, and
    as plain rows where no ORM object is needed.
    """
    ids = [t.id for t in tables]
    connections, notes = Connection.__table__, Note.__table__
    # People, not first names: two Awa at one table are two (a person with two tablets, one).
    present = dict(db.session.execute(
        select(connections.c.table_id, func.count(connections.c.participant_id.distinct()))
        .where(connections.c.table_id.in_(ids)).group_by(connections.c.table_id)).all())
    live = defaultdict(list)  # newest first: a table has tens of notes, not thousands
    for row in db.session.execute(
            select(notes.c.table_id, notes.c.theme_id, notes.c.text)
            .where(notes.c.table_id.in_(ids), notes.c.deleted_at.is_(None))
            .order_by(notes.c.id.desc())):
        live[row.table_id].append(row)
    dots = dict(db.session.execute(
        select(Vote.axis_id, func.count(Vote.id)).join(Axis, Vote.axis_id == Axis.id)
        .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None)).group_by(Vote.axis_id)).all())
    axes = defaultdict(list)
    for table_id, axis_id, *axis in db.session.execute(
            select(Axis.table_id, Axis.id, Axis.name, Axis.theme_id, func.count(Note.id))
            .outerjoin(Note, (Note.axis_id == Axis.id) & Note.deleted_at.is_(None))
            .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None))
            .group_by(Axis.id).order_by(Axis.position, Axis.id)):
        axes[table_id].append((*axis, dots.get(axis_id, 0)))
    proposals = {p.table_id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.table_id.in_(ids))
        .options(selectinload(Proposal.notes).load_only(Note.id),
                 joinedload(Proposal.priority_axis)))}
    cards = []
    for table in tables:
        table_notes, proposal = live[table.id], proposals.get(table.id)
        filled, total = card_completeness(proposal)
        cards.append({
            "table": table, "present": present.get(table.id, 0),
            "dots_shown": table.event.votes_live or table.votes_revealed,
            "counts": Counter(n.theme_id for n in table_notes), "latest": table_notes[:LATEST],
            "total": len(table_notes), "axes": axes[table.id], "proposal": proposal,
            "progress": {"notes": len(table_notes), "axes": len(axes[table.id]),
                         "votes": sum(a[3] for a in axes[table.id]), "card_filled": filled,
                         "card_total": total,
                         "card_ready": proposal is not None and proposal.status != "draft"}})
    return cards


def priority_groups(event) -> list[dict]:
    """The priority axes by theme, each with its sources and the tables they came from."""
    priorities = db.session.scalars(
        select(PriorityAxis).where(PriorityAxis.event_id == event.id)
        .options(joinedload(PriorityAxis.sources).joinedload(PrioritySource.axis)
                 .joinedload(Axis.table))
        .order_by(PriorityAxis.position, PriorityAxis.id)
        .execution_options(populate_existing=True)).unique().all()
    note_ids = {i for p in priorities for s in p.sources for i in s.note_ids}
    notes = {n.id: n for n in db.session.scalars(select(Note).where(Note.id.in_(note_ids)))}
    groups = []
    for theme in event.themes:
        items = []
        for priority in (p for p in priorities if p.theme_id == theme.id):
            gatherings = defaultdict(list)
            for source in priority.sources:
                gatherings[source.gathering].append(
                    {"source": source, "notes": [notes[i] for i in source.note_ids if i in notes]})
            tables = sorted({s.axis.table for s in priority.sources}, key=lambda t: t.number)
            items.append({"priority": priority, "gatherings": list(gatherings.items()),
                          "tables": tables})
        groups.append({"theme": theme, "items": items})
    return groups
