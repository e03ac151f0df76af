"""Who is asking: a participant at a table (signed session cookie), an organizer, or nobody.

Every write checks here, per request and per socket event; the pages only hide what
a person may not do, they never decide it.
"""

from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, NotFound

from .extensions import db
from .models import Event, Note, Organizer, Participant, Table

# Every write at a table reads the table, its event and the event's themes (to check a
# theme, to render a note): load them with the person, in one query (a row per theme,
# of which an event has a handful; half the time of a second query for the themes).
# One statement built once: SQLAlchemy then reuses its compiled form and cache key.
_SEATED = (select(Participant).where(Participant.id == bindparam("ident"),
                                     Participant.unseated_at.is_(None))
           .options(joinedload(Participant.table).joinedload(Table.event).joinedload(Event.themes)))


def _signed_in(key, load):
    # Cached on g, but keyed by the session's value: g lives on the app context, which
    # socket handlers and tests keep across requests.
    ident = session.get(key)
    cached = g.get(key)
    if cached is None or cached[0] != ident:
        cached = (ident, load(ident) if isinstance(ident, int) else None)
        setattr(g, key, cached)
    return cached[1]


def current_participant() -> Participant | None:
    return _signed_in("participant_id", lambda ident: db.session.execute(
        _SEATED, {"ident": ident}).unique().scalar_one_or_none())


def current_organizer() -> Organizer | None:
    return _signed_in("organizer_id", _organizer_of_session)


def _organizer_of_session(ident: int) -> Organizer | None:
    # A session made before the organizer signed out elsewhere or changed their password
    # carries an older epoch: it is over.
    organizer = db.session.get(Organizer, ident)
    if organizer is None or session.get("organizer_epoch", 0) != organizer.session_epoch:
        return None
    return organizer


def was_unseated() -> bool:
    """This tablet's person was seated, and the organizer took the seat back."""
    ident = session.get("participant_id")
    if not isinstance(ident, int):
        return False
    return db.session.scalar(select(Participant.unseated_at).where(
        Participant.id == ident)) is not None


def sign_in_participant(participant: Participant) -> None:
    session.permanent = True
    session["participant_id"] = participant.id


def sign_in_organizer(organizer: Organizer) -> None:
    session.permanent = True
    session["organizer_id"] = organizer.id
    session["organizer_epoch"] = organizer.session_epoch


# What an unseated tablet is told, on its page, in its toasts and on its socket.
UNSEATED = _l("Vous n'êtes plus à cette table. L'organisation a changé les codes, ou vous a "
              "retiré·e. Pour revenir, entrez le code de la table.")


class Unseated(Forbidden):
    """The tablet's person no longer has a seat (web.py shows the join page, saying why)."""

    description = UNSEATED


class Gone(NotFound):
    """A link that worked and was replaced (a plenary token rotated): the page says so."""


def participant_required(view):
    """The view needs someone seated at a table; others are sent to the join page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_participant() is None:
            if was_unseated():
                raise Unseated()
            if request.headers.get("HX-Request"):
                abort(401)
            return redirect(url_for("tables.index"))
        return view(*args, **kwargs)

    return wrapped


def organizer_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_organizer() is None:
            if request.headers.get("HX-Request"):
                abort(401)
            return redirect(url_for("organizer.login", next=request.full_path))
        return view(*args, **kwargs)

    return wrapped


def can_edit_note(participant: Participant | None, note: Note) -> bool:
    """Authors edit their own notes; the captain edits any note of the table."""
    if participant is None or participant.table_id != note.table_id:
        return False
    return participant.is_captain or note.participant_id == participant.id


def can_watch_event(event: Event, token: str | None) -> bool:
    """The plenary token reads one event; a signed-in organizer reads them all."""
    if token is not None:
        return token == event.plenary_token
    return current_organizer() is not None
