"""The only module that joins rooms or emits.

Rooms: ``table-<id>`` holds the tablets of one table; ``event-<id>`` holds the plenary
screens of one event; ``console-<id>`` holds the organizer's régie and consolidation pages
(they show no table's card, so they do not get the wall's stream of cards).
Writes arrive over HTTP; once saved, the view calls the helper here named after what
changed (``note_posted``, ``columns_changed``, ``day_changed``…), which pushes out-of-band
htmx fragments, rendered once per room. Pushes to tablets carry the table's (or the
event's) sequence number: a tablet that sees a gap, or (re)connects behind, refetches its
board with a plain GET. Screens receive whole cards that replace themselves, and refetch on
every (re)connection.

The sockets carry two messages the other way, both handled at the bottom of this module:
a tablet's presence in a card field, and the console's remote buttons.
"""

import math
import re
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager

from flask import current_app, g, render_template, request, session
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, emit, join_room
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import services
from .auth import UNSEATED, can_watch_event, current_organizer, current_participant, was_unseated
from .card import CARD_FIELDS
from .extensions import db, socketio
from .limits import spend_write, too_fast
from .models import Axis, Event, Organizer, Participant, Table, live_notes
from .schemas import presence_schema, remote_schema, socket_auth_schema
from .screens.board import (
    axes_context,
    axis_context,
    card_context,
    columns_context,
    is_linked,
    linked_note_ids,
    unsorted_notes,
)
from .screens.day import console_context, day_state, now
from .screens.wall import (
    has_overview,
    priority_groups,
    spotlight_card,
    spotlight_id,
    table_cards,
    theme_totals,
    wall_mark,
    wall_overview,
)
from .slices import OneAtATime, Slices, no_pause

_ROOM = re.compile(r"^(table|event|console)-(\d+)$")
_server_id = None
# Sockets whose connection this process handled. A client can also *send* an event named
# "connect" or "disconnect"; python-socketio would route it to these handlers, so they
# act only on the real thing.
_opened: set[str] = set()
# The plenary screens this process holds, with the token each opened with: a renewed
# token closes them (see wall_link_changed).
_walls: dict[str, tuple[int, str]] = {}
# The consoles this process holds, with their organizer and the session epoch they opened
# with: signing out or a new password closes them (see sessions_ended).
_consoles: dict[str, tuple[int, int]] = {}


def init_app(app):
    # Bound here rather than by decorators at import: each create_app() makes a new
    # Socket.IO server (tests make many), and each must get the handlers.
    socketio.on_event("connect", connect)
    socketio.on_event("disconnect", disconnect)
    socketio.on_event("presence", presence)
    socketio.on_event("remote", remote)
    app.after_request(_tell_the_writer)
    # What this process remembers of its sockets belongs to the server made here.
    _walls.clear()
    _consoles.clear()
    _presence_sent.clear()
    _presence_waiting.clear()


def server_id() -> str:
    """This process's name in the ``connection`` table (made after a fork, never shared)."""
    global _server_id
    if _server_id is None:
        _server_id = uuid.uuid4().hex
    return _server_id


def table_room(table_id: int) -> str:
    return f"table-{table_id}"


def event_room(event_id: int) -> str:
    return f"event-{event_id}"


def console_room(event_id: int) -> str:
    return f"console-{event_id}"


def wall_room(event_id: int) -> str:
    """The screens that opened the wall with its token (not the consoles)."""
    return f"wall-{event_id}"


def organizer_room(organizer_id: int) -> str:
    """Every console an organizer has open, whatever the event."""
    return f"organizer-{organizer_id}"


# ---- Rendering once per room, and sending -------------------------------------------

@contextmanager
def rendering_for_room():
    """Render what is pushed once to a whole room: in the event's language, not the
    writer's, and with nobody's CSRF token in its forms (see web.csrf_field)."""
    g.room_render = True
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
            yield
    finally:
        g.room_render = False


def render(template: str, **context) -> str:
    """A fragment rendered for a room."""
    with rendering_for_room():
        return render_template(template, **context)


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
                  console_html: str = "", tables_html: dict[int, str] | None = None) -> None:
    """After a saved change of the whole event (its phase, its priority axes…): push
    `tablets_html` to every table of the event, `wall_html` to its screens (consoles
    included) and `console_html` to its consoles only.

    The caller bumped ``event.seq`` in the change's transaction; tablets track it like
    the table's own number. So every table hears of every such change, with its number,
    even when it shows nothing of it (`tablets_html` empty): a number it never heard of
    would make every tablet of the event refetch its board at the next tick, at once.
    `tables_html` adds to the push of some tables what concerns them alone.
    """
    tables_html = tables_html or {}
    tables = db.session.scalars(select(Table.id).where(Table.event_id == event.id))
    socketio.emit("push", {"event_seq": event.seq, "html": tablets_html},
                  to=[table_room(ident) for ident in tables if ident not in tables_html])
    for ident, html in tables_html.items():
        socketio.emit("push", {"event_seq": event.seq, "html": tablets_html + html},
                      to=table_room(ident))
    if wall_html:
        socketio.emit("push", {"html": wall_html}, to=event_room(event.id))
    if console_html:
        socketio.emit("push", {"html": console_html}, to=console_room(event.id))


# ---- What each change pushes ----------------------------------------------------------

_CHOICE_SWAPS = {"posted": "beforeend:#card-note-choices", "edited": "true", "deleted": "delete"}


def _note_choice(note, change: str) -> str:
    """The card's list of notes to link, after `note` was "posted", "edited" or "deleted":
    that one choice (the rest of the field, its version and who writes in it, is unchanged)."""
    linked = change == "edited" and is_linked(note.id)
    return render("proposals/_note_choice.html", note=note, linked=linked,
                  oob=_CHOICE_SWAPS[change])


def _note_choices(table) -> str:
    """The card's whole list of notes to link, after a change to several notes at once."""
    return render("proposals/_note_choices.html", oob=True, linked_ids=linked_note_ids(table.id),
                  table_notes=db.session.scalars(live_notes(table.id)).all())


def note_posted(note) -> None:
    table_changed(note.table, render("notes/_note.html", note=note, oob="beforeend:#notes")
                  + _note_choice(note, "posted"))


def note_edited(note) -> None:
    table_changed(note.table, render("notes/_note.html", note=note, oob="true")
                  + _note_choice(note, "edited"))


def note_deleted(note) -> None:
    if note.axis_id is not None:
        columns_changed(note.table, _note_choice(note, "deleted"))  # its axis's count too
    else:
        table_changed(note.table, render("notes/_gone.html", note=note)
                      + _note_choice(note, "deleted"))


def columns_changed(table, extra: str = "", *, notes_merged=False, dots=False) -> None:
    """A table's axes changed: its whole ``#columns`` region, rendered once for the table.
    A merge changes which notes the card can link; a change to the axes can change
    everyone's dots left, which each tablet then fetches (they differ per person)."""
    html = render("axes/_columns.html", oob=True, table=table, **columns_context(table))
    if notes_merged:
        extra += _note_choices(table)
    if dots:
        extra += render("axes/_my_dots_stale.html")
    table_changed(table, html + extra)
    consolidation_stale(table.event_id)


def note_sorted(note, left: int | None) -> None:
    """A note left the unsorted column (`left` None) or an axis for another: the unsorted
    column loses that one note, rather than being drawn again with its every note (it holds
    most of the table's notes when sorting starts). The note leaves first, then its axis is
    drawn with it: one element of that id at any moment."""
    if left is not None or note.axis_id is None:
        axes_redrawn(note.table, left, note.axis_id)
        return
    axis = db.session.get(Axis, note.axis_id)
    if axis is None or axis.deleted_at is not None:  # deleted meanwhile: draw what is
        axes_redrawn(note.table, None)
        return
    html = render("notes/_gone.html", note=note)
    html += render("axes/_axis.html", axis_oob="true", **axis_context(axis))
    table_changed(note.table, html)
    consolidation_stale(note.table.event_id)


def axes_redrawn(table, *axis_ids: int | None) -> None:
    """Notes left or joined these axes, or their dots changed (None: the unsorted column):
    those alone, not the table's every axis. Moves and dots are most of the axes step;
    the whole region is every note and axis of the table, for each of its tablets."""
    axes = db.session.scalars(select(Axis).where(
        Axis.id.in_([ident for ident in axis_ids if ident is not None]),
        Axis.deleted_at.is_(None))).all()
    drawn = {context["item"]["axis"].id: context
             for context in (axes_context(table, axes) if axes else ())}
    html = ""
    for axis_id in dict.fromkeys(axis_ids):  # in their order: the note leaves, then joins
        if axis_id is None:
            html += render("axes/_unsorted.html", notes_oob=True, unsorted=unsorted_notes(table))
        elif axis_id in drawn:
            html += render("axes/_axis.html", axis_oob="true", **drawn[axis_id])
    table_changed(table, html)
    consolidation_stale(table.event_id)


def consolidation_stale(event_id: int) -> None:
    """The organizer's consolidation page refetches its region (at most every few seconds:
    see consolidation.js); nothing is rendered for it here."""
    socketio.emit("push", {"stale": "consolidation"}, to=console_room(event_id))


def axis_changed(axis) -> None:
    """An axis renamed (or given another theme): that axis alone, not the table's every
    axis (at hundreds of axes the whole region is a megabyte for each tablet)."""
    table_changed(axis.table, render("axes/_axis.html", axis_oob="true", **axis_context(axis)))


def axis_added(axis) -> None:
    """A new axis, last: it is appended, and the axis before it gains its « → » button.
    The first two axes change the region around them (the empty message, the sort
    button), so they push it whole."""
    before = db.session.scalar(select(Axis).where(
        Axis.table_id == axis.table_id, Axis.deleted_at.is_(None), Axis.id != axis.id)
        .order_by(Axis.position.desc(), Axis.id.desc()).limit(1))
    context, *previous = axes_context(axis.table, [axis] + ([before] if before else []))
    if context["axes_count"] <= 2:
        columns_changed(axis.table)
        return
    html = render("axes/_axis.html", axis_oob="beforeend:#axes", **context)
    for context in previous:
        html += render("axes/_axis_head.html", head_oob=True, **context)
    table_changed(axis.table, html)


def dots_changed(event) -> None:
    """The organizer changed the dots' settings: every tablet fetches its own dots left."""
    event_changed(event, tablets_html=render("axes/_my_dots_stale.html"))


def card_changed(proposal, *fields, versions: dict | None = None) -> None:
    """Tell the table (and the plenary, through its card) what changed on the card;
    `versions`, when the caller knows them, are the fields' versions now."""
    context = card_context(proposal.table, fields, versions, proposal)
    with rendering_for_room():
        html = "".join(render_template("proposals/_field.html", name=f, oob=True, **context)
                       for f in fields)
        html += render_template("proposals/_progress.html", oob=True, **context)
    table_changed(proposal.table, html)


def priority_axes_changed(event, added=None, removed: int | None = None, renamed=None,
                          choosing=()) -> None:
    """The plenary shows the priority axes as they are gathered; the tablets' cards offer
    the captain a priority axis `added` (a new one), no longer the one `removed`, and
    `renamed` under its new title: one fragment for every table, whatever each has chosen.
    The cards `choosing` the renamed or removed axis are pushed to their tables whole
    (their field names it to everyone, and a removed one leaves the card without one)."""
    tablets = ""
    if added is not None:
        tablets += render("proposals/_axis_option.html", axis=added,
                          oob="beforeend:#card-priority_axis_id")
    if removed is not None:
        tablets += render("proposals/_axis_option.html", axis_id=removed, oob="delete")
    if renamed is not None:
        tablets += render("proposals/_axis_option.html", axis=renamed, oob="rename")
    fields = {}
    if choosing:
        db.session.expire(event, ["priority_axes"])  # as they are now, not as first loaded
    for proposal in choosing:
        db.session.refresh(proposal)
        context = card_context(proposal.table, ["priority_axis_id"])
        fields[proposal.table_id] = render("proposals/_field.html", name="priority_axis_id",
                                           oob=True, **context)
    event_changed(event, tablets_html=tablets, tables_html=fields,
                  wall_html=render("plenary/_priority_axes.html", oob=True, event=event,
                                   priority_groups=priority_groups(event)))
    for proposal in choosing:
        _card_changed(proposal.table)  # the wall's card names the axis
    consolidation_stale(event.id)


def day_changed(event: Event, *tables: Table, pause=no_pause) -> None:
    """After an event-wide change of the day: the step's header to the tablets (a tablet
    that sees a new step refetches its own board, where voting opens or closes), banner and
    stage to the screens, and to the consoles with their controls. The cards of `tables`
    (a verdict) and of the table pitching now (its card became pitched) reach the wall at
    once. `pause` is called between its renders (see board/slices.py)."""
    with rendering_for_room():
        step = render_template("tables/_step.html", event=event, oob=True)
        banner = render_template("day/_banner.html", event=event, oob=True)
        pause()
        stage = render_template("day/_stage.html", event=event, oob=True)
        controls = render_template("day/_controls.html", oob=True, **console_context(event))
        pause()
        mark = render_template("day/_console_mark.html", event=event, oob=True)
    event_changed(event, tablets_html=step, wall_html=banner + stage,
                  console_html=banner + stage + controls + mark)
    pause()
    pitching = day_state(event)["pitch"]
    for table in {*tables, *([pitching.table] if pitching is not None else [])}:
        _card_changed(table)


def settings_changed(event: Event) -> None:
    """The organizer changed the set-up (themes, their colours, table names): every open
    page takes the new colours at once, and the wall's cards their tables' names. Pushed
    with the event's number, so that no tablet refetches its board for it at the tick."""
    link = render("_themes_css.html", event=event, oob=True)
    event_changed(event, tablets_html=link, wall_html=link)
    for table in event.tables:
        _card_changed(table)


def spotlight_changed(event: Event) -> None:
    """The organizer put a table on the whole wall, or brought the wall back: the wall and
    the consoles' control say so."""
    event_changed(event, wall_html=render("plenary/_spotlight.html", oob=True,
                                          spotlight=spotlight_card(event)),
                  console_html=render("day/_spotlight.html", oob=True, event=event))


def seats_taken_back(table: Table, sids: list[str]) -> None:
    """The organizer took seats back: each of their sockets hears ``gone`` (its page
    reloads onto the join page, which says why) and is closed, in whichever process holds
    it; the table's card and who writes where lose them."""
    for sid in sids:
        socketio.emit("gone", {"message": str(UNSEATED)}, to=sid)
        socketio.server.disconnect(sid)
    _card_changed(table)
    _presence_changed(table)


def wall_link_changed(event: Event) -> None:
    """The plenary token was renewed: the screens opened with the old one hear ``gone``
    (their page reloads onto a page that says the link changed) and are closed; a process
    whose screens did not hear it closes them at its next housekeeping round."""
    socketio.emit("gone", {}, to=wall_room(event.id))
    _close_old_walls()


def sessions_ended(organizer: Organizer) -> None:
    """The organizer signed out everywhere (or has a new password): their open consoles
    hear ``gone`` (the page reloads onto the sign-in page) and are closed; a process whose
    consoles did not hear it closes them at its next housekeeping round."""
    socketio.emit("gone", {}, to=organizer_room(organizer.id))
    _close_old_consoles()


def _close_old_consoles() -> None:
    _close_stale(_consoles, Organizer.id, Organizer.session_epoch)


def _close_old_walls() -> None:
    _close_stale(_walls, Event.id, Event.plenary_token)


def _close_stale(sockets: dict, owner, credential) -> None:
    """Close the sockets whose right has ended: each was registered with its owner's id
    and the credential it came with (a session's epoch, a wall's token), which the owner's
    row no longer holds."""
    if not sockets:
        return
    now = dict(db.session.execute(select(owner, credential).where(
        owner.in_({ident for ident, _held in sockets.values()}))).all())
    for sid, (ident, held) in list(sockets.items()):
        if now.get(ident) != held:
            sockets.pop(sid, None)
            socketio.server.disconnect(sid, ignore_queue=True)


def _presence_changed(table: Table, fields=CARD_FIELDS) -> None:
    """Push the fields' 'who is writing here' (every field unless told which) to the table;
    not numbered, not replayed: a refetched board renders presence from the database."""
    editing = services.editing_at(table.id)
    with rendering_for_room():
        html = "".join(render_template("proposals/_presence.html", name=field, oob=True,
                                       editing=editing) for field in fields)
    socketio.emit("push", {"html": html}, to=table_room(table.id))


# ---- What the sockets say ------------------------------------------------------------

def connect(auth):
    """A page opens its socket and names the room it follows; we check it may.

    Sent by every tablet, plenary screen and console; answered with ``hello`` carrying the
    room's sequence number so the page knows whether it missed anything.
    """
    if request.sid in _opened:
        return False  # a forged "connect" event on an open socket
    try:
        wanted = socket_auth_schema.load(auth if isinstance(auth, dict) else {})
    except ValidationError:
        raise ConnectionRefusedError(_("Connexion refusée : page inconnue.")) from None
    kind, _sep, ident = wanted["room"].partition("-")
    if kind == "table":
        me = current_participant()
        if me is None and was_unseated():
            raise ConnectionRefusedError(str(UNSEATED), {"gone": True})
        if me is None or me.table_id != int(ident):
            raise ConnectionRefusedError(_("Connexion refusée : vous n'êtes pas à cette table."))
        if services.sockets_of(me) >= current_app.config["SOCKETS_PER_PERSON"]:
            raise ConnectionRefusedError(_("Connexion refusée : trop de pages ouvertes pour "
                                           "une même personne. Fermez-en une, puis "
                                           "rechargez celle-ci."))
        join_room(table_room(me.table_id))
        _opened.add(request.sid)
        services.open_connection(request.sid, me, server_id())
        emit("hello", {"seq": me.table.seq, "event_seq": me.table.event.seq})
        _card_changed(me.table)
    elif kind == "console":
        event = db.session.get(Event, int(ident))
        organizer = current_organizer()
        if event is None or organizer is None:
            raise ConnectionRefusedError(_("Connexion refusée : réservé aux organisateurs."))
        join_room(console_room(event.id))
        join_room(organizer_room(organizer.id))
        _consoles[request.sid] = (organizer.id, organizer.session_epoch)
        _opened.add(request.sid)
        emit("hello", {})
    else:
        event = db.session.get(Event, int(ident))
        if event is None or not can_watch_event(event, wanted["token"]):
            raise ConnectionRefusedError(_("Connexion refusée : lien d'écran non valide."),
                                         {"gone": True})
        join_room(event_room(event.id))
        if wanted["token"] is not None:
            join_room(wall_room(event.id))
            _walls[request.sid] = (event.id, wanted["token"])
        _opened.add(request.sid)
        emit("hello", {})


def disconnect(reason=None):
    """A socket closed: if it was a tablet, the plenary's list of who is here changes."""
    if socketio.server.manager.is_connected(request.sid, "/"):
        return  # a forged "disconnect" event: the socket is still open
    _opened.discard(request.sid)
    _walls.pop(request.sid, None)
    _consoles.pop(request.sid, None)
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
        return {"error": "invalid"}
    # One presence per person reaches the table per PRESENCE_INTERVAL: within it, the
    # latest word of each socket waits, and goes out when the interval is over. A flood
    # of focus changes costs a dictionary write each, not a query, a write and a push
    # (what waits is checked when it goes out: the socket must still be the person's).
    ident = session.get("participant_id")
    with _presence_lock:
        waiting = _presence_waiting.get(ident)
        if waiting is not None:
            waiting[request.sid] = wanted["field"]
            return {"ok": True}
    me = current_participant()
    if me is None:
        return {"error": "not a tablet"}
    interval = current_app.config["PRESENCE_INTERVAL"]
    moment = time.monotonic()
    with _presence_lock:
        waiting = _presence_waiting.get(me.id)
        if waiting is not None:
            waiting[request.sid] = wanted["field"]
            return {"ok": True}
        wait = _presence_sent.get(me.id, -interval) + interval - moment
        if wait > 0:
            _presence_waiting[me.id] = {request.sid: wanted["field"]}
            socketio.start_background_task(_presence_after, current_app._get_current_object(),
                                           me.id, wait)
            return {"ok": True}
        _presence_sent[me.id] = moment
    _apply_presence(me, {request.sid: wanted["field"]})
    return {"ok": True}


_presence_sent: dict[int, float] = {}  # person → when their presence last went out
_presence_waiting: dict[int, dict[str, str | None]] = {}  # person → socket → latest field
_presence_lock = threading.Lock()


def _apply_presence(me, fields_by_socket: dict) -> None:
    changed = set()
    for sid, field in fields_by_socket.items():
        changed |= services.set_editing(sid, me, field)
    if changed:
        _presence_changed(me.table, [f for f in CARD_FIELDS if f in changed])


def send_waiting_presence(person_id: int) -> None:
    """What a person said about their presence during the interval, sent now."""
    with _presence_lock:
        waiting = _presence_waiting.pop(person_id, None)
        _presence_sent[person_id] = time.monotonic()
    if waiting:
        me = db.session.get(Participant, person_id)
        if me is not None and me.unseated_at is None:
            _apply_presence(me, waiting)


def _presence_after(app, person_id: int, delay: float) -> None:
    socketio.sleep(delay)
    with app.test_request_context():
        try:
            send_waiting_presence(person_id)
        except Exception:  # a database hiccup: the next focus change says it again
            app.logger.exception("sending a presence failed")
            db.session.rollback()
        finally:
            db.session.remove()


# The console's remote buttons, sent over its socket: the same actions as its forms.
REMOTE = {
    "next": lambda event, at: services.step_pitch(event, 1, at),
    "previous": lambda event, at: services.step_pitch(event, -1, at),
    "pause": lambda event, at: services.control_countdown(event, "pitch", {"action": "pause"}, at),
    "resume": lambda event, at: services.control_countdown(event, "pitch", {"action": "resume"},
                                                           at),
    "extend": lambda event, at: services.control_countdown(
        event, "pitch", {"action": "extend", "seconds": 30}, at),
    "stop": lambda event, at: services.start_pitch(event, None, at),
}


def remote(payload):
    """A console's remote button (next, previous, pause, resume, extend, stop) sent over its
    socket; the organizer's own session is checked on every message. The answer (the
    acknowledgement) says whether it was done; the change reaches every screen as a push."""
    try:
        data = remote_schema.load(payload if isinstance(payload, dict) else {})
    except ValidationError as error:
        return {"ok": False, "errors": error.messages}
    event = db.session.get(Event, data["event_id"])
    if event is None or current_organizer() is None:
        return {"ok": False, "errors": {"action": [_("Réservé aux organisateurs.")]}}
    if not spend_write():
        return {"ok": False, "errors": {"action": [too_fast()]}}
    try:
        REMOTE[data["action"]](event, now())
    except ValidationError as error:
        return {"ok": False, "errors": {k: [str(m) for m in v] for k, v in error.messages.items()}}
    day_changed(event)
    return {"ok": True}


# ---- The plenary's cards, in batches ---------------------------------------------------

def _card_changed(table: Table) -> None:
    """The table's card on the event's screens (plenary, consoles) is out of date.

    Cards are sent in batches: every table changed within PLENARY_CARD_DELAY seconds (the
    first change starts the clock) is read in one set of queries and reaches the screens in
    one push. At the day's busiest, tens of tables change within that time; one card each
    would cost the queries and the screens' messages tens of times over. A delay of 0 sends
    each card at once (the tests' default).
    """
    delay = current_app.config["PLENARY_CARD_DELAY"]
    if not delay:
        _push_cards({table.id})
        return
    with _pending_lock:
        first = not _pending_cards
        _pending_cards.add(table.id)
    if first:
        socketio.start_background_task(_push_cards_after, current_app._get_current_object(), delay)


_pending_cards: set[int] = set()
_pending_lock = threading.Lock()


def _push_cards_after(app, delay: float) -> None:
    socketio.sleep(delay)
    with _pending_lock:
        table_ids = set(_pending_cards)
        _pending_cards.clear()
    with app.test_request_context():
        try:
            _push_cards(table_ids)
        except Exception:  # a database hiccup: the screens' tick catches them up
            app.logger.exception("pushing plenary cards failed")
            db.session.rollback()
        finally:
            db.session.remove()


def cards_html(tables, pause=no_pause) -> dict[int, str]:
    """The tables' cards as their event's screens receive them, rendered once, by event;
    `pause` between two steps (a batch at the day's busiest holds tens of cards)."""
    by_event = defaultdict(list)
    for table in tables:
        by_event[table.event_id].append(table)
    html = defaultdict(str)
    with rendering_for_room():
        for event_id, some in by_event.items():
            for card in table_cards(some, some[0].event.phase, pause):
                html[event_id] += render_template("plenary/_table.html", oob=True, card=card)
                pause()
    return html


def wall_extras_html(event: Event, table_ids: set[int]) -> str:
    """What these tables' changes change on the wall beyond their cards: the room's count of
    notes per theme while notes are written, and the spotlight if it shows one of them."""
    html = ""
    with rendering_for_room():
        if event.phase in ("setup", "diagnostic"):
            html += render_template("plenary/_legend.html", oob=True, event=event,
                                    totals=theme_totals(event))
        if spotlight_id(event) in table_ids:
            html += render_template("plenary/_spotlight.html", oob=True,
                                    spotlight=spotlight_card(event))
    return html


# One batch at a time: a batch takes turns while it reads and renders its cards (tens at
# the day's busiest), and the next one, reading later, must not reach the screens first.
_pushing_cards = OneAtATime()


def _push_cards(table_ids: set[int]) -> None:
    """Render the tables' cards once, and push them to each event's screens together."""
    with _pushing_cards:
        tables = db.session.scalars(select(Table).where(Table.id.in_(table_ids)).options(
            joinedload(Table.event).joinedload(Event.themes))).unique().all()
        events = {t.event_id: t.event for t in tables}
        for event_id, cards in cards_html(tables, Slices()).items():
            html = cards + wall_extras_html(events[event_id], table_ids)
            socketio.emit("push", {"html": html}, to=event_room(event_id))
            _overview_changed(events[event_id])


# ---- The room by theme, on a large day's wall -------------------------------------------

_overview_pushed: dict[int, float] = {}  # event → when its overview was last pushed


def _overview_changed(event: Event) -> None:
    """A table of a large day changed: the wall's overview sums up every table, so it is
    rebuilt at most once per WALL_OVERVIEW_DELAY seconds, whatever the number of changes
    (0: on every change, the tests' choice). A change inside that time waits for the next
    one, or for the screen's tick, which refetches a wall whose mark moved: the overview
    is never more than a tick behind."""
    now = time.monotonic()
    if now - _overview_pushed.get(event.id, -math.inf) < current_app.config["WALL_OVERVIEW_DELAY"]:
        return
    _overview_pushed[event.id] = now  # before: whether the day has one reads every table
    if not has_overview(event):
        return
    _push_overview(event.id)


def _push_overview(event_id: int) -> None:
    event = db.session.get(Event, event_id)
    slices = Slices()  # every table's card, read in turns: 50-60 ms at 210 tables
    overview = wall_overview(event, pause=slices)
    with rendering_for_room():
        html = slices.render("plenary/_overview.html", oob=True, event=event, overview=overview)
    socketio.emit("push", {"html": html}, to=event_room(event_id))


# ---- Every few seconds, in every process ------------------------------------------------

def start_housekeeping(app) -> None:
    """Started once per server process (wsgi.py): see `housekeeping`."""
    def loop():
        while True:
            socketio.sleep(app.config["HOUSEKEEPING_INTERVAL"])
            try:
                with app.test_request_context():
                    housekeeping(app.config["PRESENCE_TIMEOUT"])
            except Exception:  # a database or Redis hiccup: try again next round
                app.logger.exception("housekeeping round failed")
                db.session.rollback()

    socketio.start_background_task(loop)


TICKS_AT_ONCE = 40  # table rooms ticked before the round lets others run


def housekeeping(presence_timeout: float) -> None:
    """Every few seconds, in every process: vouch for this process's sockets, forget those
    of a process that died (their tables' cards change), and tick the rooms held here.

    The tick goes straight to this process's own sockets, not through Redis: if the
    message queue lost pushes (Redis restarting), a tablet that hears a number ahead of
    its own refetches, and a screen refetches when its wall changed.
    """
    # The round gives the loop back between its steps and every few rooms: with a
    # thousand sockets it is tens of milliseconds of work, and no request, push or ping
    # should wait for all of it at once.
    services.keep_connections(server_id())
    _close_old_walls()
    _close_old_consoles()
    swept = services.sweep_connections(presence_timeout)
    if swept:
        _push_cards(swept)
    for table_id in swept:
        socketio.sleep(0)
        table = db.session.get(Table, table_id)
        if table is not None:
            _presence_changed(table)
    socketio.sleep(0)
    rooms = [_ROOM.match(r) for r in list(socketio.server.manager.rooms.get("/", {})) if r]
    table_ids = [int(m[2]) for m in rooms if m and m[1] == "table"]
    event_ids = [int(m[2]) for m in rooms if m and m[1] == "event"]
    console_ids = [int(m[2]) for m in rooms if m and m[1] == "console"]
    if table_ids:
        rows = db.session.execute(select(Table.id, Table.seq, Event.seq).join(Event)
                                  .where(Table.id.in_(table_ids))).all()
        for n, (table_id, seq, event_seq) in enumerate(rows, 1):
            socketio.emit("tick", {"seq": seq, "event_seq": event_seq},
                          to=table_room(table_id), ignore_queue=True)
            if n % TICKS_AT_ONCE == 0:
                socketio.sleep(0)
    if event_ids:
        for event in db.session.scalars(select(Event).where(Event.id.in_(event_ids))):
            socketio.emit("tick", {"wall": wall_mark(event)}, to=event_room(event.id),
                          ignore_queue=True)
    if console_ids:
        # A console's region carries the event's number (the day's changes bump it).
        for event_id, seq in db.session.execute(select(Event.id, Event.seq)
                                                .where(Event.id.in_(console_ids))):
            socketio.emit("tick", {"wall": str(seq)}, to=console_room(event_id),
                          ignore_queue=True)
