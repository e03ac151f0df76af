"""The organizer's consolidation: every table's axes side by side, similarity hints, and
the event's priority axes gathered from them, shown live on the plenary."""

from collections import defaultdict

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from . import db, realtime, services
from .auth import organizer_required
from .models import Axis, Event, Note, PriorityAxis, PrioritySource, Table
from .schemas import gather_schema, split_schema, vote_settings_schema
from .similarity import similar_groups

bp = Blueprint("consolidation", __name__, url_prefix="/organisation/evenements/<int:event_id>")

NOTE_HINTS_SHOWN = 8


def _event(event_id) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


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


def console_context(event) -> dict:
    axes = db.session.scalars(
        select(Axis).join(Table).where(Table.event_id == event.id, Axis.deleted_at.is_(None))
        .options(joinedload(Axis.table)).order_by(Table.number, Axis.position, Axis.id)).all()
    notes = db.session.scalars(
        select(Note).join(Table).where(Table.event_id == event.id, Note.deleted_at.is_(None))
        .order_by(Note.position, Note.id)).all()
    by_axis = defaultdict(list)
    for note in notes:
        by_axis[note.axis_id].append(note)
    votes = services.vote_counts(event_id=event.id)
    gathered = {s.axis_id: s.priority_axis for s in db.session.scalars(
        select(PrioritySource).join(PriorityAxis).where(PriorityAxis.event_id == event.id))}
    themes = []
    for theme in event.themes:
        theme_axes = [a for a in axes if a.theme_id == theme.id]
        per_table = defaultdict(list)
        for axis in theme_axes:
            per_table[axis.table].append({"axis": axis, "notes": by_axis[axis.id],
                                          "votes": votes.get(axis.id, 0),
                                          "priority": gathered.get(axis.id)})
        open_axes = {a.id: a for a in theme_axes if a.id not in gathered}
        axis_hints = similar_groups([
            (a.id, " ".join([a.name, a.name] + [n.text for n in by_axis[a.id]]), a.table_id)
            for a in open_axes.values()])
        note_hints = similar_groups([
            (n.id, n.text, n.table_id) for n in notes if n.theme_id == theme.id])
        note_index = {n.id: n for n in notes}
        themes.append({
            "theme": theme,
            "tables": sorted(per_table.items(), key=lambda kv: kv[0].number),
            "axis_hints": [{"hint": h, "axes": [open_axes[k] for k in h.keys]}
                           for h in axis_hints],
            "note_hints": [{"hint": h, "notes": [note_index[k] for k in h.keys]}
                           for h in note_hints[:NOTE_HINTS_SHOWN]],
        })
    return {"event": event, "themes": themes, "priority_groups": priority_groups(event)}


def _console(event, errors=None, values=None, status=200):
    return render_template("consolidation/index.html", errors=errors or {}, values=values or {},
                           **console_context(event)), status


def _pushed(event):
    """After a change to the priority axes: the plenary shows them at once."""
    realtime.event_changed(event, wall_html=realtime.render(
        "plenary/_priority_axes.html", oob=True, event=event,
        priority_groups=priority_groups(event)))
    return redirect(url_for(".index", event_id=event.id))


@bp.get("/consolidation")
@organizer_required
def index(event_id):
    """Every table's axes by theme, the hints, and the priority axes being built."""
    return _console(_event(event_id))


@bp.post("/gommettes")
@organizer_required
def vote_settings(event_id):
    """How many dots each participant gets, and how the counts show."""
    event = _event(event_id)
    form = request.form.to_dict()
    try:
        services.update_vote_settings(event, vote_settings_schema.load(form))
    except ValidationError as error:
        return _console(event, {"settings": error.messages}, {"settings": form}, 422)
    from .axes import stale_dots

    realtime.event_changed(event, tablets_html=stale_dots())
    return redirect(url_for(".index", event_id=event.id))


@bp.post("/axes-prioritaires")
@organizer_required
def gather(event_id):
    """Gather ticked table axes into a new priority axis, or into one that exists."""
    event = _event(event_id)
    form = {**request.form.to_dict(), "axis_ids": request.form.getlist("axis_ids")}
    name = request.form.get("form", "gather")
    try:
        services.gather_axes(event, gather_schema.load(form))
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event)


def _priority(event, priority_id) -> PriorityAxis:
    priority = db.session.get(PriorityAxis, priority_id)
    if priority is None or priority.event_id != event.id:
        abort(404)
    return priority


@bp.post("/axes-prioritaires/<int:priority_id>/regroupements/<gathering>/defaire")
@organizer_required
def undo(event_id, priority_id, gathering):
    """Take back one gathering (a priority axis left empty goes with it)."""
    event = _event(event_id)
    try:
        services.undo_gathering(_priority(event, priority_id), gathering)
    except ValidationError as error:
        return _console(event, {f"priority-{priority_id}": error.messages}, status=422)
    return _pushed(event)


@bp.post("/axes-prioritaires/<int:priority_id>/scinder")
@organizer_required
def split(event_id, priority_id):
    """Split some sources off a priority axis into a new one, provenance and all."""
    event = _event(event_id)
    priority = _priority(event, priority_id)
    form = {**request.form.to_dict(), "source_ids": request.form.getlist("source_ids")}
    name = f"priority-{priority_id}"
    try:
        services.split_priority_axis(priority, split_schema.load(form))
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event)
