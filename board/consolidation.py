"""The organizer's consolidation: every table's axes side by side, similarity hints, and
the event's priority axes gathered from them, shown live on the plenary."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from . import realtime, services
from .auth import organizer_required
from .extensions import db
from .limits import write_limit
from .models import Event, PriorityAxis, Proposal
from .schemas import gather_schema, priority_axis_schema, split_schema, vote_settings_schema
from .screens.consolidation import axis_notes, consolidation_context
from .screens.day import PHASE_LABELS
from .slices import Slices

bp = Blueprint("consolidation", __name__, url_prefix="/organisation/evenements/<int:event_id>")


def _console(event, errors=None, values=None, status=200):
    """The page; a refused form comes back with its message beside it (htmx swaps the
    live region alone, so the page stays where the organizer was). Made in slices (see
    board/slices.py): at 200 tables it is tens of milliseconds of Python."""
    slices = Slices()
    return slices.render("consolidation/index.html", errors=errors or {}, values=values or {},
                         phase_label=PHASE_LABELS.get(event.phase, event.phase),
                         **consolidation_context(event, _open_theme(), slices)), status


def _open_theme():
    return request.args.get("theme", type=int)


def _pushed(event, added=None, removed=None, renamed=None, choosing=()):
    """After a change to the priority axes: the plenary shows them at once, and the
    tablets' cards offer a new one (`added`), no longer one (`removed`, its id) or one
    under its new title (`renamed`); the cards `choosing` it are pushed to their tables."""
    realtime.priority_axes_changed(event, added, removed, renamed, choosing)
    return redirect(url_for(".index", event_id=event.id, theme=_open_theme()))


def _choosing(priority_id) -> list[Proposal]:
    """The cards whose table chose this priority axis."""
    return db.session.scalars(select(Proposal).where(
        Proposal.priority_axis_id == priority_id)).all()


@bp.get("/consolidation")
@organizer_required
def index(event_id):
    """Every table's axes by theme, the hints, and the priority axes being built."""
    return _console(db.get_or_404(Event, event_id))


@bp.get("/consolidation/direct")
@organizer_required
def region(event_id):
    """The live region alone: refetched when a table's axes or the priority axes change."""
    event = db.get_or_404(Event, event_id)
    slices = Slices()
    return slices.render("consolidation/_live.html", errors={}, values={},
                         **consolidation_context(event, _open_theme(), slices))


@bp.get("/consolidation/axes/<int:axis_id>")
@organizer_required
def notes(event_id, axis_id):
    """A table axis's notes, loaded when the organizer opens it."""
    event = db.get_or_404(Event, event_id)
    found = axis_notes(event, axis_id)
    if found is None:
        abort(404)
    axis, axis_notes_ = found
    return render_template("consolidation/_axis_notes.html", axis=axis, notes=axis_notes_)


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
    # A hint sends its axes as one list (a large group would weigh a field per axis).
    listed = [i for i in request.form.get("axis_list", "").split(",") if i]
    form = {**request.form.to_dict(), "axis_ids": request.form.getlist("axis_ids") + listed}
    form.pop("axis_list", None)
    name = request.form.get("form", "gather")
    try:
        data = gather_schema.load(form)
        priority = services.gather_axes(event, data)
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event, added=None if data.get("priority_axis_id") else priority)


@bp.post("/axes-prioritaires/nouveau")
@organizer_required
@write_limit
def create(event_id):
    """A priority axis named from scratch, before any table axis joins it."""
    event = db.get_or_404(Event, event_id)
    form = request.form.to_dict()
    name = f"new-{form.get('theme_id', '')}"
    try:
        priority = services.create_priority_axis(event, priority_axis_schema.load(form))
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event, added=priority)


@bp.post("/axes-prioritaires/<int:priority_id>/renommer")
@organizer_required
@write_limit
def rename(event_id, priority_id):
    """Rename a priority axis: the plenary and every card that offers or shows it follow."""
    event = db.get_or_404(Event, event_id)
    priority = _priority(event, priority_id)
    form = request.form.to_dict()
    name = f"rename-{priority_id}"
    try:
        services.rename_priority_axis(priority, priority_axis_schema.load(form))
    except ValidationError as error:
        return _console(event, {name: error.messages}, {name: form}, 422)
    return _pushed(event, renamed=priority, choosing=_choosing(priority_id))


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
    choosing = _choosing(priority_id)  # read before: a card loses an axis that goes
    try:
        left = services.undo_gathering(_priority(event, priority_id), gathering)
    except ValidationError as error:
        return _console(event, {f"priority-{priority_id}": error.messages}, status=422)
    if left is not None:
        return _pushed(event)
    return _pushed(event, removed=priority_id, choosing=choosing)


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
