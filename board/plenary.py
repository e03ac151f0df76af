"""The plenary screen: the whole room at projector size, read-only, behind its own token."""

from collections import Counter

from flask import Blueprint, abort, render_template
from sqlalchemy import select

from . import db
from .models import Connection, Event, Note, Participant

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
                           cards=[table_card(t) for t in event.tables])


@bp.get("/<token>/mur")
def region(token):
    """The wall alone, refetched when the screen (re)connects."""
    event = _event(token)
    return render_template("plenary/_wall.html", event=event,
                           cards=[table_card(t) for t in event.tables])


def table_card(table) -> dict:
    """What the plenary shows of one table: who is here, notes per theme, the latest notes.

    Built on every push to the table, so in two queries: who is connected, and the live
    notes' themes and texts (a table has tens of notes, not thousands).
    """
    present = db.session.scalars(
        select(Participant.name).join(Connection, Connection.participant_id == Participant.id)
        .where(Connection.table_id == table.id).distinct().order_by(Participant.name)).all()
    notes = db.session.execute(
        select(Note.theme_id, Note.text).where(Note.table_id == table.id,
                                               Note.deleted_at.is_(None))
        .order_by(Note.id.desc())).all()
    return {"table": table, "present": present, "counts": Counter(n.theme_id for n in notes),
            "latest": notes[:LATEST], "total": len(notes)}
