"""The morning at a table: axes, moving notes into them, merging duplicates, dot votes.

Every change bumps the table's sequence and pushes the whole ``#columns`` region, rendered
once for the table's room: a move touches two columns and the vote counts, and one
fragment that replaces itself keeps every tablet in the same state, whatever the order
the changes were made in. What differs per person (my dots left) lives outside it.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError

from . import realtime, services
from .auth import current_participant, participant_required
from .extensions import db
from .limits import write_limit
from .models import Axis, Note
from .schemas import axis_schema, merge_schema, move_schema, vote_schema, vote_state_schema
from .screens.board import axis_context, dots_context
from .web import wants_fragment

bp = Blueprint("axes", __name__, url_prefix="/axes")

def _done():
    if wants_fragment():
        return "", 204
    return redirect(url_for("tables.show"))


def _refused(error: ValidationError):
    """A refused action: its message in a toast (the board itself did not change)."""
    message = " ".join(_messages(error.messages))
    if wants_fragment():
        return (render_template("_flash.html", message=message, level="error"), 422,
                {"HX-Retarget": "#toasts", "HX-Reswap": "innerHTML"})
    return render_template("error.html", message=message, status=422), 422


def _messages(messages):
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _messages(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _messages(value)]
    return [str(messages)]


def _at_my_table(model, ident, captain=False):
    """An axis or a note of my table (404 otherwise); 403 if it takes the captain."""
    me = current_participant()
    thing = db.session.get(model, ident)
    if thing is None or thing.table_id != me.table_id:
        abort(404)
    if captain and not me.is_captain:
        abort(403)
    return thing


def _my_axis(axis_id, captain=False) -> Axis:
    return _at_my_table(Axis, axis_id, captain)


def _my_note(note_id, captain=False) -> Note:
    return _at_my_table(Note, note_id, captain)


def _captain():
    me = current_participant()
    if not me.is_captain:
        abort(403)
    return me


def _axis_form(values=None, errors=None, status=200):
    me = current_participant()
    return render_template("axes/_axis_form.html", values=values or {}, errors=errors or {},
                           themes=me.table.event.themes), status


@bp.post("/")
@participant_required
@write_limit
def create():
    """Anyone at the table adds an axis; the push shows it, the answer is a fresh form."""
    me = current_participant()
    form = request.form.to_dict()
    try:
        axis = services.create_axis(me.table, axis_schema.load(form))
    except ValidationError as error:
        return _axis_form(form, error.messages, 422)
    realtime.axis_added(axis)
    if not wants_fragment():
        return redirect(url_for("tables.show"))
    return _axis_form({"theme_id": form.get("theme_id")}, status=201)


def _head(axis, status=200):
    context = axis_context(axis)
    if context["item"]["index"] < 0:
        abort(404)
    return render_template("axes/_axis_head.html", **context), status


@bp.get("/<int:axis_id>")
@participant_required
def show(axis_id):
    """An axis's header as the board shows it (after cancelling a rename)."""
    return _head(_my_axis(axis_id))


@bp.get("/<int:axis_id>/modifier")
@participant_required
def edit(axis_id):
    """The axis's name and theme as a form, in place."""
    axis = _my_axis(axis_id)
    return render_template("axes/_axis_edit.html", axis=axis, errors={},
                           values={"name": axis.name, "theme_id": axis.theme_id},
                           themes=axis.table.event.themes)


@bp.post("/<int:axis_id>/modifier")
@participant_required
@write_limit
def update(axis_id):
    """Rename an axis (or change its theme)."""
    axis = _my_axis(axis_id)
    form = request.form.to_dict()
    try:
        services.update_axis(axis, axis_schema.load(form))
    except ValidationError as error:
        return render_template("axes/_axis_edit.html", axis=axis, values=form,
                               errors=error.messages, themes=axis.table.event.themes), 422
    realtime.axis_changed(axis)
    if not wants_fragment():
        return redirect(url_for("tables.show"))
    return _head(axis)


def _apply(change, table, **pushed):
    """Make a change at the table; push the columns if it was made, else say why not."""
    try:
        change()
    except ValidationError as error:
        return _refused(error)
    realtime.columns_changed(table, **pushed)
    return _done()


def _form():
    return request.form.to_dict()


@bp.post("/<int:axis_id>/deplacer")
@participant_required
@write_limit
def move(axis_id):
    """Put an axis at another place among the table's axes."""
    axis = _my_axis(axis_id)
    return _apply(lambda: services.move_axis(axis, move_schema.load(_form())["index"] or 0),
                  axis.table)


@bp.post("/<int:axis_id>/supprimer")
@participant_required
@write_limit
def delete(axis_id):
    """The captain deletes an axis: its notes go back to the unsorted column (undoable)."""
    axis = _my_axis(axis_id, captain=True)
    return _apply(lambda: services.delete_axis(axis), axis.table, dots=True)


@bp.post("/<int:axis_id>/restaurer")
@participant_required
@write_limit
def restore(axis_id):
    """The captain undoes the deletion of an axis."""
    axis = _my_axis(axis_id, captain=True)
    return _apply(lambda: services.restore_axis(axis), axis.table, dots=True)


@bp.post("/constats/<int:note_id>/deplacer")
@participant_required
@write_limit
def move_note(note_id):
    """Move a note into an axis at a place, or back to the unsorted column (drag or menu)."""
    note = _my_note(note_id)
    left = note.axis_id
    try:
        services.move_note(note, move_schema.load(_form()))
    except ValidationError as error:
        return _refused(error)
    realtime.note_sorted(note, left)
    return _done()


@bp.post("/fusion")
@participant_required
@write_limit
def merge():
    """The captain merges the ticked notes into one."""
    me = _captain()
    ids = request.form.getlist("note_ids")
    return _apply(lambda: services.merge_notes(
        me.table, merge_schema.load({"note_ids": ids})["note_ids"]), me.table, notes_merged=True)


@bp.post("/constats/<int:note_id>/defaire-fusion")
@participant_required
@write_limit
def unmerge(note_id):
    """The captain undoes a merge: the original notes come back as they were."""
    note = _my_note(note_id, captain=True)
    return _apply(lambda: services.unmerge_note(note), note.table, notes_merged=True)


@bp.get("/gommettes")
@participant_required
def dots():
    """My dots, alone: refetched by a tablet when the budget or the axes changed."""
    return render_template("axes/_my_dots.html", **dots_context(current_participant()))


def _dots_answer(me, error=None):
    status = 422 if error else 200
    if not wants_fragment():
        if error:
            return render_template("error.html", message=error, status=status), status
        return redirect(url_for("tables.show"))
    return render_template("axes/_my_dots.html", **dots_context(me, error)), status


def _dots_refused(me, message):
    """A refused dot: said beside the button that was pressed (and in the toast, for
    screen readers and in case the button scrolled away); my dots as they stand."""
    axis_id = request.form.get("axis_id", "")
    if not wants_fragment() or not axis_id.isdigit():
        return _dots_answer(me, message)
    html = (render_template("axes/_vote_feedback.html", message=message)
            + render_template("axes/_my_dots.html", oob=True, **dots_context(me))
            + render_template("_flash.html", message=message, level="error", oob=True))
    return html, 422, {"HX-Retarget": f"#vote-feedback-{int(axis_id)}", "HX-Reswap": "innerHTML"}


def _dots_change(change):
    me = current_participant()
    try:
        data = vote_schema.load(_form())
        change(me, data)
    except ValidationError as error:
        return _dots_refused(me, " ".join(_messages(error.messages)))
    realtime.axes_redrawn(me.table, data["axis_id"])  # that axis alone: its dots changed
    return _dots_answer(me)


@bp.post("/gommettes")
@participant_required
@write_limit
def vote():
    """Put one of my dots on an axis; the server holds the budget."""
    return _dots_change(services.cast_vote)


@bp.post("/gommettes/retirer")
@participant_required
@write_limit
def withdraw():
    """Take one of my dots back from an axis."""
    return _dots_change(services.withdraw_vote)


@bp.post("/vote")
@participant_required
@write_limit
def vote_state():
    """The captain reveals or hides the counts, closes or reopens the vote."""
    me = _captain()
    return _apply(lambda: services.set_vote_state(me.table, vote_state_schema.load(_form())),
                  me.table, dots=True)


@bp.post("/trier")
@participant_required
@write_limit
def sort():
    """Order the axes by their dots, most first."""
    me = current_participant()
    return _apply(lambda: services.sort_axes_by_votes(me.table), me.table)
