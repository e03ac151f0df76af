"""The plenary screen: the whole room at projector size, read-only, behind its own token."""

from collections import Counter, defaultdict

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from . import db
from .consolidation import priority_groups
from .day import card_completeness
from .models import Axis, Connection, Event, Note, Participant, Proposal, Table, Vote

bp = Blueprint("plenary", __name__, url_prefix="/pleniere")

LATEST = 3


def _event(token) -> Event:
    event = db.session.scalar(select(Event).where(Event.plenary_token == token))
    if event is None:
        abort(404)
    return event


@bp.get("/<token>")
def show(token):
    """The live wall for the projector."""
    event = _event(token)
    return render_template("plenary/show.html", event=event, token=token,
                           cards=table_cards(event.tables),
                           priority_groups=priority_groups(event), mark=wall_mark(event))


@bp.get("/<token>/mur")
def region(token):
    """The wall alone, refetched when the screen (re)connects."""
    event = _event(token)
    return render_template("plenary/_wall.html", event=event,
                           cards=table_cards(event.tables),
                           priority_groups=priority_groups(event), mark=wall_mark(event))


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
    """What the plenary shows of each table: who is here, notes per theme, the latest notes,
    its axes, its card and its progress.

    Rebuilt whenever a table changes, and for the whole wall on every screen's
    (re)connection: so in one query per kind of thing, whatever the number of tables, and
    as plain rows where no ORM object is needed.
    """
    ids = [t.id for t in tables]
    people, connections, notes = Participant.__table__, Connection.__table__, Note.__table__
    present = defaultdict(list)
    for table_id, name in db.session.execute(
            select(connections.c.table_id, people.c.name).distinct()
            .join(people, connections.c.participant_id == people.c.id)
            .where(connections.c.table_id.in_(ids)).order_by(people.c.name)):
        present[table_id].append(name)
    live = defaultdict(list)  # newest first: a table has tens of notes, not thousands
    for row in db.session.execute(
            select(notes.c.table_id, notes.c.theme_id, notes.c.text)
            .where(notes.c.table_id.in_(ids), notes.c.deleted_at.is_(None))
            .order_by(notes.c.id.desc())):
        live[row.table_id].append(row)
    axes = defaultdict(list)
    for table_id, *axis in db.session.execute(
            select(Axis.table_id, Axis.name, Axis.theme_id, func.count(Note.id))
            .outerjoin(Note, (Note.axis_id == Axis.id) & Note.deleted_at.is_(None))
            .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None))
            .group_by(Axis.id).order_by(Axis.position, Axis.id)):
        axes[table_id].append(axis)
    votes = dict(db.session.execute(
        select(Axis.table_id, func.count(Vote.id)).join(Vote, Vote.axis_id == Axis.id)
        .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None)).group_by(Axis.table_id)).all())
    proposals = {p.table_id: p for p in db.session.scalars(
        select(Proposal).where(Proposal.table_id.in_(ids))
        .options(selectinload(Proposal.notes).load_only(Note.id),
                 joinedload(Proposal.priority_axis)))}
    cards = []
    for table in tables:
        table_notes, proposal = live[table.id], proposals.get(table.id)
        filled, total = card_completeness(proposal)
        cards.append({
            "table": table, "present": present[table.id],
            "counts": Counter(n.theme_id for n in table_notes), "latest": table_notes[:LATEST],
            "total": len(table_notes), "axes": axes[table.id], "proposal": proposal,
            "progress": {"notes": len(table_notes), "axes": len(axes[table.id]),
                         "votes": votes.get(table.id, 0), "card_filled": filled,
                         "card_total": total,
                         "card_ready": proposal is not None and proposal.status != "draft"}})
    return cards
