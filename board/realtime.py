"""The only module that joins rooms or emits.

Rooms: ``table-<id>`` holds the tablets of one table; ``event-<id>`` holds the plenary
screens and organizer consoles of one event; ``console-<id>`` holds the consoles alone.
Writes arrive over HTTP; once saved, the view calls one helper here that pushes
out-of-band htmx fragments, rendered once per room. Pushes to tablets carry the table's
(or the event's) sequence number: a tablet that sees a gap, or (re)connects behind,
refetches its board with a plain GET. Screens receive whole cards that replace
themselves, and refetch on every (re)connection.
"""

from flask import current_app, g, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, emit, join_room
from marshmallow import ValidationError

from . import db, services, socketio
from .auth import can_watch_event, current_organizer, current_participant
from .models import Event, Table
from .schemas import presence_schema, remote_schema, socket_auth_schema


def init_app(app):
    # Bound here rather than by decorators at import: each create_app() makes a new
    # Socket.IO server (tests make many), and each must get the handlers.
    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)
    socketio.on_event("presence", presence)
    socketio.on_event("remote", remote)
    app.after_request(_tell_the_writer)


def table_room(table_id: int) -> str:
    return f"table-{table_id}"


def event_room(event_id: int) -> str:
    return f"event-{event_id}"


def console_room(event_id: int) -> str:
    return f"console-{event_id}"


def room_locale():
    # Pushes are rendered once for a whole room, so in the event's language, not the writer's.
    return force_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def table_changed(table: Table, html: str = "") -> None:
    """After a saved change at a table: push `html` to its tablets, its card to the plenary."""
    socketio.emit("push", {"seq": table.seq, "html": html}, to=table_room(table.id))
    g.pushed_seq = table.seq
    _card_changed(table)


def _tell_the_writer(response):
    # The writer learns which numbered push its change is: its page (and the benchmark)
    # can tell its own change from the others'.
    seq = g.get("pushed_seq")
    if seq is not None:
        response.headers["X-Tablee-Seq"] = str(seq)
    return response


def event_changed(event: Event, tablets_html: str = "", wall_html: str = "",
                  console_html: str = "") -> None:
    """After a saved change of the whole event (its phase, its priority axes…): push
    `tablets_html` to every table of the event, `wall_html` to its screens (consoles
    included) and `console_html` to its consoles only.

    The caller bumped ``event.seq`` in the change's transaction; tablets track it like
    the table's own number.
    """
    if tablets_html:
        socketio.emit("push", {"event_seq": event.seq, "html": tablets_html},
                      to=[table_room(t.id) for t in event.tables])
    if wall_html:
        socketio.emit("push", {"html": wall_html}, to=event_room(event.id))
    if console_html:
        socketio.emit("push", {"html": console_html}, to=console_room(event.id))


def connect(auth):
    """A page opens its socket and names the room it follows; we check it may.

    Sent by every tablet, plenary screen and console; answered with ``hello`` carrying the
    room's sequence number so the page knows whether it missed anything.
    """
    try:
        wanted = socket_auth_schema.load(auth if isinstance(auth, dict) else {})
    except ValidationError:
        raise ConnectionRefusedError(_("Connexion refusée : page inconnue.")) from None
    kind, _sep, ident = wanted["room"].partition("-")
    if kind == "table":
        me = current_participant()
        if me is None or me.table_id != int(ident):
            raise ConnectionRefusedError(_("Connexion refusée : vous n'êtes pas à cette table."))
        join_room(table_room(me.table_id))
        services.open_connection(request.sid, me)
        emit("hello", {"seq": me.table.seq, "event_seq": me.table.event.seq})
        _card_changed(me.table)
    elif kind == "console":
        event = db.session.get(Event, int(ident))
        if event is None or current_organizer() is None:
            raise ConnectionRefusedError(_("Connexion refusée : réservé aux organisateurs."))
        join_room(event_room(event.id))
        join_room(console_room(event.id))
        emit("hello", {})
    else:
        event = db.session.get(Event, int(ident))
        if event is None or not can_watch_event(event, wanted["token"]):
            raise ConnectionRefusedError(_("Connexion refusée : lien d'écran non valide."))
        join_room(event_room(event.id))
        emit("hello", {})


def disconnect(reason=None):
    """A socket closed: if it was a tablet, the plenary's list of who is here changes."""
    connection = services.close_connection(request.sid)
    if connection is not None:
        table = db.session.get(Table, connection.table_id)
        if table is not None:
            _card_changed(table)
            if connection.editing_field:
                _presence_changed(table)


def presence(data):
    """A tablet says which card field it has focus in (``{"field": null}`` when none).

    Sent by the tablets of a table on focus, blur and every (re)connection; the table's
    tablets receive who is writing where. A socket that is not a tablet's, or a field that
    the card does not have, is ignored.
    """
    try:
        wanted = presence_schema.load(data if isinstance(data, dict) else {})
    except ValidationError:
        return
    me = current_participant()
    if me is not None and services.set_editing(request.sid, me, wanted["field"]):
        _presence_changed(me.table)


def _presence_changed(table: Table) -> None:
    """Push every field's 'who is writing here' to the table; not numbered, not replayed:
    a refetched board renders presence from the database."""
    from .models import CARD_FIELDS

    editing = services.editing_at(table.id)
    with room_locale():
        html = "".join(render_template("proposals/_presence.html", name=field, oob=True,
                                       editing=editing) for field in CARD_FIELDS)
    socketio.emit("push", {"html": html}, to=table_room(table.id))


def remote(payload):
    """A console's remote button (next, previous, pause, resume, extend, stop) sent over its
    socket; the organizer's own session is checked on every message. The answer (the
    acknowledgement) says whether it was done; the change reaches every screen as a push."""
    from . import day

    try:
        data = remote_schema.load(payload if isinstance(payload, dict) else {})
    except ValidationError as error:
        return {"ok": False, "errors": error.messages}
    event = db.session.get(Event, data["event_id"])
    if event is None or current_organizer() is None:
        return {"ok": False, "errors": {"action": [_("Réservé aux organisateurs.")]}}
    errors = day.remote(event, data["action"])
    if errors:
        return {"ok": False, "errors": {k: [str(m) for m in v] for k, v in errors.items()}}
    return {"ok": True}


def _card_changed(table: Table) -> None:
    """Re-render the table's card once for the event's room (plenary screens, consoles)."""
    from .plenary import table_card

    with room_locale():
        card = render_template("plenary/_table.html", oob=True, card=table_card(table))
    socketio.emit("push", {"html": card}, to=event_room(table.event_id))
