"""Diagnostic notes (constats): posted, edited and deleted from the tablets."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError

from . import realtime, services
from .auth import can_edit_note, current_participant, participant_required
from .extensions import db
from .limits import write_limit
from .models import Note
from .schemas import note_schema, note_update_schema
from .web import new_key, wants_fragment

bp = Blueprint("notes", __name__, url_prefix="/constats")


def _form(values=None, errors=None, status=200):
    me = current_participant()
    values = dict(values or {})
    values.setdefault("idempotency_key", new_key())
    return render_template("notes/_form.html", values=values, errors=errors or {},
                           themes=me.table.event.themes), status


def _editable_note(note_id) -> Note:
    note = db.session.get(Note, note_id)
    if note is None or note.deleted_at is not None:
        abort(404)
    if not can_edit_note(current_participant(), note):
        abort(403)
    return note


@bp.post("/")
@participant_required
@write_limit
def create():
    """Post a note; the push shows it to the whole table, the answer is a fresh form."""
    me = current_participant()
    form = request.form.to_dict()
    try:
        note, created = services.create_note(me, note_schema.load(form))
    except ValidationError as error:
        return _form(form, error.messages, 422)
    if created:
        realtime.note_posted(note)
    if not wants_fragment():
        return redirect(url_for("tables.show"))
    return _form({"theme_id": form.get("theme_id")}, status=201)


@bp.get("/<int:note_id>")
@participant_required
def show(note_id):
    """One note as the board shows it (after cancelling an edit)."""
    note = db.session.get(Note, note_id)
    if note is None or note.deleted_at is not None or note.table_id != current_participant().table_id:
        abort(404)
    return render_template("notes/_note.html", note=note)


@bp.get("/<int:note_id>/modifier")
@participant_required
def edit(note_id):
    """The note turned into a form in place."""
    note = _editable_note(note_id)
    return render_template("notes/_edit.html", note=note, values={"text": note.text,
                           "theme_id": note.theme_id, "version": note.version}, errors={},
                           themes=note.table.event.themes)


@bp.post("/<int:note_id>/modifier")
@participant_required
@write_limit
def update(note_id):
    """Save an edit by its author or the captain."""
    note = _editable_note(note_id)
    form = request.form.to_dict()
    try:
        services.update_note(note, note_update_schema.load(form), current_participant())
    except ValidationError as error:
        return render_template("notes/_edit.html", note=note, values=form, errors=error.messages,
                               themes=note.table.event.themes), 422
    except services.StaleEdit as stale:
        # Someone saved first: show their text, keep this person's, and let them choose.
        form["version"] = stale.current.version
        return render_template("notes/_edit.html", note=stale.current, values=form, errors={},
                               theirs=stale.current, themes=note.table.event.themes), 409
    realtime.note_edited(note)
    if not wants_fragment():
        return redirect(url_for("tables.show"))
    return render_template("notes/_note.html", note=note)


@bp.post("/<int:note_id>/supprimer")
@participant_required
@write_limit
def delete(note_id):
    """Remove a note from the board (kept in the database)."""
    note = _editable_note(note_id)
    services.delete_note(note)
    realtime.note_deleted(note)
    if not wants_fragment():
        return redirect(url_for("tables.show"))
    return ""
