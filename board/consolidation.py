"""The organizer's consolidation: every table's axes side by side, similarity hints, and
the event's priority axes gathered from them, shown live on the plenary."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError

from . import realtime, services
from .auth import organizer_required
from .extensions import db
from .limits import write_limit
from .models import Event, PriorityAxis
from .schemas import gather_schema, split_schema, vote_settings_schema
from .screens.consolidation import consolidation_context

bp = Blueprint("consolidation", __name__, url_prefix="/organisation/evenements/<int:event_id>")


def _console(event, errors=None, values=None, status=200):
    return render_template("consolidation/index.html", errors=errors or {}, values=values or {},
                           **consolidation_context(event)), status


def _pushed(event, added=None, removed=None):
    """After a change to the priority axes: the plenary shows them at once, and the
    tablets' cards offer a new one (`added`) or no longer one (`removed`, its id)."""
    realtime.priority_axes_changed(event, added, removed)
    return redirect(url_for(".index", event_id=event.id))


@bp.get("/consolidation")
@organizer_required
def index(event_id):
    """Every table's axes by theme, the hints, and the priority axes being built."""
    return _console(db.get_or_404(Event, event_id))


@bp.post("/gommettes")
@organizer_required
@write_limit
def vote_settings(event_id):
    """How many dots each participant gets, and how the counts show."""
    event = db.get_or_404(Event, event_id)
    form = request.form.to_dict()
    try:
        services.update_vote_settings(event, vote_settings_schema.load(form))
    except ValidationError as error:
        return _console(event, {"settings": error.messages}, {"settings": form}, 422)
    realtime.dots_changed(event)
    return redirect(url_for(".index", event_id=event.id))


@bp.post("/axes-prioritaires")
@organizer_required
@write_limit
def gather(event_id):
    """Gather ticked table axes into a new priority axis, or into one that exists."""
    event = db.get_or_404(Event, event_id)
    form = {**request.form.to_dict(), "axis_ids": request.form.getlist("axis_ids")}
    name = request.form.get("form", "gather")
    try:
        data = gather_schema.load(form)
        priority = services.gather_axes(event, data)
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event, added=None if data.get("priority_axis_id") else priority)


def _priority(event, priority_id) -> PriorityAxis:
    priority = db.session.get(PriorityAxis, priority_id)
    if priority is None or priority.event_id != event.id:
        abort(404)
    return priority


@bp.post("/axes-prioritaires/<int:priority_id>/regroupements/<gathering>/defaire")
@organizer_required
@write_limit
def undo(event_id, priority_id, gathering):
    """Take back one gathering (a priority axis left empty goes with it)."""
    event = db.get_or_404(Event, event_id)
    try:
        left = services.undo_gathering(_priority(event, priority_id), gathering)
    except ValidationError as error:
        return _console(event, {f"priority-{priority_id}": error.messages}, status=422)
    return _pushed(event, removed=None if left is not None else priority_id)


@bp.post("/axes-prioritaires/<int:priority_id>/scinder")
@organizer_required
@write_limit
def split(event_id, priority_id):
    """Split some sources off a priority axis into a new one, provenance and all."""
    event = db.get_or_404(Event, event_id)
    priority = _priority(event, priority_id)
    form = {**request.form.to_dict(), "source_ids": request.form.getlist("source_ids")}
    name = f"priority-{priority_id}"
    try:
        new = services.split_priority_axis(priority, split_schema.load(form))
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event, added=new)
