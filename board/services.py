"""Plain functions that change the database: validated data in, saved objects out.

They never read the request, render or emit; the views do that around them.
Relational checks that a schema cannot make (a theme of another event, a stale code)
raise marshmallow's ValidationError keyed by field, like a schema would.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import db
from .models import (
    CAPTAIN_CODE_LENGTH,
    JOIN_CODE_LENGTH,
    Connection,
    Event,
    Note,
    Participant,
    Table,
    Theme,
    new_code,
    utcnow,
)


class StaleEdit(Exception):
    """Someone saved the record since this person opened it: nothing was written."""

    def __init__(self, current):
        super().__init__("stale edit")
        self.current = current


def made_before(model, key: str | None, **owner):
    """What an earlier copy of the same request made (same idempotency key), if anything.

    Every create takes a key made by the page: a double tap, a resubmit or a retry after
    a timeout then finds the first object instead of making a second.
    """
    if not key:
        return None
    return db.session.scalar(select(model).filter_by(idempotency_key=key, **owner))


def add_once(obj, model, key: str | None, **owner):
    """Add `obj`; if a copy of the same request won the race meanwhile, return that one.

    Returns the saved object and whether it was created now (flushed, not committed).
    """
    db.session.add(obj)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = made_before(model, key, **owner)
        if existing is None:
            raise
        return existing, False
    return obj, True


def create_event(data: dict) -> Event:
    key = data.get("idempotency_key")
    existing = made_before(Event, key)
    if existing is not None:
        return existing
    event = Event(name=data["name"], date=data.get("date"), place=data.get("place", ""),
                  idempotency_key=key)
    event.themes = [Theme(name=t["name"], colour=t["colour"].lower(), position=i)
                    for i, t in enumerate(data["themes"])]
    event.tables = [Table(number=n) for n in range(1, data["table_count"] + 1)]
    event, _created = add_once(event, Event, key)
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
    key = data.get("idempotency_key")
    # A double tap on « Rejoindre » seats the person once (same table, same key).
    existing = made_before(Participant, key, table_id=table.id)
    if existing is not None:
        return existing
    participant, _created = add_once(
        Participant(table=table, name=data["name"], is_captain=is_captain, idempotency_key=key),
        Participant, key, table_id=table.id)
    db.session.commit()
    return participant


def _theme_of(event_id: int, theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.event_id != event_id:
        raise ValidationError({"theme_id": [_l("Choisissez une des thématiques proposées.")]})
    return theme


def create_note(participant: Participant, data: dict) -> tuple[Note, bool]:
    """Post a note; a retry with the same idempotency key returns the first one.

    Returns the note and whether it was created now.
    """
    key = data.get("idempotency_key")
    existing = made_before(Note, key, participant_id=participant.id)
    if existing is not None:
        return existing, False
    table = participant.table
    theme = _theme_of(table.event_id, data["theme_id"])
    note, created = add_once(
        Note(table=table, author=participant, theme=theme, text=data["text"],
             idempotency_key=key),
        Note, key, participant_id=participant.id)
    if not created:
        return note, False
    table.bump_seq()
    db.session.commit()
    return note, True


def update_note(note: Note, data: dict) -> Note:
    """Save an edit made on version ``data["version"]`` of the note.

    If the note changed since (another tablet saved first), raise StaleEdit and write
    nothing: the form said which version it edited, and the UPDATE itself checks the
    version too, so two saves racing on PostgreSQL cannot both win.
    """
    seen = data.get("version")
    if seen is not None and seen != note.version:
        raise StaleEdit(note)
    theme = _theme_of(note.table.event_id, data["theme_id"])
    if (note.text, note.theme_id) == (data["text"], theme.id):
        return note
    note.theme = theme
    note.text = data["text"]
    note.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        db.session.refresh(note)
        raise StaleEdit(note) from None
    note.table.bump_seq()
    db.session.commit()
    return note


def delete_note(note: Note) -> Note:
    """Soft delete: the note leaves the board but stays in the database for undo and export."""
    note.deleted_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        # Edited meanwhile: deleting is still what this person asked for.
        db.session.rollback()
        db.session.refresh(note)
        note.deleted_at = utcnow()
    note.table.bump_seq()
    db.session.commit()
    return note


def open_connection(sid: str, participant: Participant, server_id: str = "") -> None:
    db.session.merge(Connection(sid=sid, participant_id=participant.id,
                                table_id=participant.table_id, server_id=server_id,
                                seen_at=utcnow()))
    db.session.commit()


def keep_connections(server_id: str) -> None:
    """A live process vouches for its sockets: their rows stay fresh."""
    db.session.execute(update(Connection).where(Connection.server_id == server_id)
                       .values(seen_at=utcnow()))
    db.session.commit()


def sweep_connections(max_age: float) -> set[int]:
    """Forget sockets no process vouched for lately (a crashed process); return their tables."""
    stale = db.session.execute(
        delete(Connection).where(Connection.seen_at < utcnow() - timedelta(seconds=max_age))
        .returning(Connection.table_id)).scalars().all()
    db.session.commit()
    return set(stale)


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


def anonymous_name(number: int) -> str:
    return f"Participant·e {number}"


def purge_names(event: Event) -> int:
    """Replace the first names of an event's participants by « Participant·e n ».

    The work stays: notes keep their author, who is now a number within the event.
    Returns how many names were replaced.
    """
    people = db.session.scalars(
        select(Participant).join(Table).where(Table.event_id == event.id)
        .order_by(Participant.id)).all()
    changed = 0
    for number, person in enumerate(people, start=1):
        if person.name != anonymous_name(number):
            person.name = anonymous_name(number)
            changed += 1
    db.session.execute(delete(Connection).where(
        Connection.table_id.in_(select(Table.id).where(Table.event_id == event.id))))
    db.session.commit()
    return changed
