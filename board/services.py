"""Plain functions that change the database: validated data in, saved objects out.

They never read the request, render or emit; the views do that around them.
Relational checks that a schema cannot make (a theme of another event, a stale code)
raise marshmallow's ValidationError keyed by field, like a schema would.
"""

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from . import db
from .models import (CAPTAIN_CODE_LENGTH, JOIN_CODE_LENGTH, Connection, Event, Note, Participant,
                     Table, Theme, new_code, utcnow)


def create_event(data: dict) -> Event:
    event = Event(name=data["name"], date=data.get("date"), place=data.get("place", ""))
    event.themes = [Theme(name=t["name"], colour=t["colour"].lower(), position=i)
                    for i, t in enumerate(data["themes"])]
    event.tables = [Table(number=n) for n in range(1, data["table_count"] + 1)]
    db.session.add(event)
    db.session.commit()
    return event


def regenerate_codes(table: Table) -> Table:
    """New join and captain codes: the old ones stop working at once."""
    table.join_code = new_code(JOIN_CODE_LENGTH)
    table.captain_code = new_code(CAPTAIN_CODE_LENGTH)
    db.session.commit()
    return table


def join_table(data: dict) -> Participant:
    """Seat a person at the table whose join code (or captain code) they typed."""
    code = data["code"]
    table = db.session.scalar(select(Table).where(Table.join_code == code))
    is_captain = False
    if table is None:
        table = db.session.scalar(select(Table).where(Table.captain_code == code))
        is_captain = table is not None
    if table is None:
        raise ValidationError(
            {"code": [_l("Ce code n'existe pas. Vérifiez-le sur la feuille de votre table.")]})
    participant = Participant(table=table, name=data["name"], is_captain=is_captain)
    db.session.add(participant)
    db.session.commit()
    return participant


def _theme_of(event_id: int, theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.event_id != event_id:
        raise ValidationError({"theme_id": [_l("Choisissez une des thématiques proposées.")]})
    return theme


def create_note(participant: Participant, data: dict) -> tuple[Note, bool]:
    """Post a note; a retry with the same idempotency key returns the first one.

    Returns the note and whether it was created now. A retry is rare: the unique
    (author, key) constraint finds it, so a first post costs no lookup.
    """
    key = data.get("idempotency_key")
    table = participant.table
    theme = _theme_of(table.event_id, data["theme_id"])
    note = Note(table=table, author=participant, theme=theme, text=data["text"],
                idempotency_key=key)
    db.session.add(note)
    try:
        db.session.flush()
    except IntegrityError:
        # A retry of a post already saved (or racing its first copy): return that one.
        db.session.rollback()
        return db.session.scalar(select(Note).where(
            Note.participant_id == participant.id, Note.idempotency_key == key)), False
    table.bump_seq()
    db.session.commit()
    return note, True


def update_note(note: Note, data: dict) -> Note:
    note.theme = _theme_of(note.table.event_id, data["theme_id"])
    note.text = data["text"]
    note.updated_at = utcnow()
    note.table.bump_seq()
    db.session.commit()
    return note


def delete_note(note: Note) -> Note:
    """Soft delete: the note leaves the board but stays in the database for undo and export."""
    note.deleted_at = utcnow()
    note.table.bump_seq()
    db.session.commit()
    return note


def open_connection(sid: str, participant: Participant) -> None:
    db.session.merge(Connection(sid=sid, participant_id=participant.id,
                                table_id=participant.table_id))
    db.session.commit()


def close_connection(sid: str) -> Connection | None:
    connection = db.session.get(Connection, sid)
    if connection is not None:
        db.session.delete(connection)
        db.session.commit()
    return connection


def forget_connections() -> None:
    """At server start no socket is open yet: clear what a stopped process left behind."""
    db.session.execute(delete(Connection))
    db.session.commit()
