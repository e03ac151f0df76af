"""The diagnostic's notes (constats): posted, edited and deleted from the tablets."""

from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db
from ..models import Note, Participant, utcnow
from .writing import insert_once, theme_of, writing


class StaleEdit(Exception):
    """Someone saved the record since this person opened it: nothing was written."""

    def __init__(self, current):
        super().__init__("stale edit")
        self.current = current


def create_note(participant: Participant, data: dict) -> tuple[Note, bool]:
    """Post a note; a retry with the same idempotency key returns the first one.

    Returns the note and whether it was created now. No lookup first: the unique
    (author, key) constraint turns a retry into the first note, so a first post costs none.
    """
    table = participant.table
    theme = theme_of(table.event_id, data["theme_id"])
    with writing(table):
        note, created = insert_once(
            Note, {"table_id": table.id, "participant_id": participant.id,
                   "theme_id": theme.id, "text": data["text"],
                   "idempotency_key": data.get("idempotency_key")},
            participant_id=participant.id)
    return note, created


def update_note(note: Note, data: dict, by: Participant | None = None) -> Note:
    """Save an edit made on version ``data["version"]`` of the note, by `by`.

    If the note changed since (another tablet saved first), raise StaleEdit and write
    nothing: the form said which version it edited, and the UPDATE itself checks the
    version too, so two saves racing on PostgreSQL cannot both win.
    """
    seen = data.get("version")
    if seen is not None and seen != note.version:
        raise StaleEdit(note)
    theme = theme_of(note.table.event_id, data["theme_id"])
    if (note.text, note.theme_id) == (data["text"], theme.id):
        return note
    with writing(note.table):
        note.theme = theme
        note.text = data["text"]
        note.edited_by_id = by.id if by is not None else None
        note.updated_at = utcnow()
        try:
            db.session.flush()
        except StaleDataError:
            db.session.rollback()
            db.session.refresh(note)
            raise StaleEdit(note) from None
    return note


def delete_note(note: Note) -> Note:
    """Soft delete: the note leaves the board but stays in the database for undo and export."""
    with writing(note.table):
        note.deleted_at = utcnow()
        try:
            db.session.flush()
        except StaleDataError:
            # Edited meanwhile: deleting is still what this person asked for.
            db.session.rollback()
            note.table.bump_seq()
            db.session.refresh(note)
            note.deleted_at = utcnow()
    return note
