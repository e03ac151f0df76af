"""The plenary screen: the whole room at projector size, read-only, behind its own token."""

from flask import Blueprint, abort, render_template
from sqlalchemy import func, select

from . import db
from .consolidation import priority_groups
from .day import progress
from .models import Axis, Connection, Event, Note, Participant, Proposal, Table, live_notes

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
    """What the plenary shows of one table: who is here, notes per theme, the latest notes."""
    present = db.session.scalars(
        select(Participant.name).join(Connection, Connection.participant_id == Participant.id)
        .where(Connection.table_id == table.id).distinct().order_by(Participant.name)).all()
    counts = dict(db.session.execute(
        select(Note.theme_id, func.count()).where(Note.table_id == table.id,
                                                  Note.deleted_at.is_(None))
        .group_by(Note.theme_id)).all())
    latest = db.session.scalars(
        live_notes(table.id).order_by(None).order_by(Note.id.desc()).limit(LATEST)).all()
    axes = db.session.execute(
        select(Axis.name, Axis.theme_id, func.count(Note.id))
        .outerjoin(Note, (Note.axis_id == Axis.id) & Note.deleted_at.is_(None))
        .where(Axis.table_id == table.id, Axis.deleted_at.is_(None))
        .group_by(Axis.id).order_by(Axis.position, Axis.id)).all()
    proposal = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
    return {"table": table, "present": present, "counts": counts, "latest": latest,
            "total": sum(counts.values()), "axes": axes, "proposal": proposal,
            "progress": progress(table)}
