"""The plenary screen: the whole room at projector size, read-only, behind its own token."""

from collections import Counter

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from . import db
from .consolidation import priority_groups
from .day import progress
from .models import Axis, Connection, Event, Note, Participant, Proposal, Table

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
                           cards=[table_card(t) for t in event.tables],
                           priority_groups=priority_groups(event), mark=wall_mark(event))


@bp.get("/<token>/mur")
def region(token):
    """The wall alone, refetched when the screen (re)connects."""
    event = _event(token)
    return render_template("plenary/_wall.html", event=event,
                           cards=[table_card(t) for t in event.tables],
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
    """What the plenary shows of one table: who is here, notes per theme, the latest notes,
    its axes, its card and its progress.

    Built on every push to the table, so in few queries: who is connected, the live notes'
    themes and texts (a table has tens of notes, not thousands), the axes, the card, the dots.
    """
    # Who is here and the notes as plain column queries: no ORM entities built for them.
    people, connections, notes = Participant.__table__, Connection.__table__, Note.__table__
    present = db.session.scalars(
        select(people.c.name).join(connections, connections.c.participant_id == people.c.id)
        .where(connections.c.table_id == table.id).distinct().order_by(people.c.name)).all()
    notes = db.session.execute(
        select(notes.c.theme_id, notes.c.text).where(notes.c.table_id == table.id,
                                                     notes.c.deleted_at.is_(None))
        .order_by(notes.c.id.desc())).all()
    axes = db.session.execute(
        select(Axis.name, Axis.theme_id, func.count(Note.id))
        .outerjoin(Note, (Note.axis_id == Axis.id) & Note.deleted_at.is_(None))
        .where(Axis.table_id == table.id, Axis.deleted_at.is_(None))
        .group_by(Axis.id).order_by(Axis.position, Axis.id)).all()
    proposal = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
    return {"table": table, "present": present, "counts": Counter(n.theme_id for n in notes),
            "latest": notes[:LATEST], "total": len(notes), "axes": axes, "proposal": proposal,
            "progress": progress(table, notes=len(notes), axes=len(axes), proposal=proposal)}
