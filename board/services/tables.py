"""Who sits at a table: joining it with its code, and the tablets connected right now."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import Connection, Participant, Table, utcnow
from .writing import add_once, made_before, writing

UNKNOWN_CODE = _l("Ce code n'existe pas. Vérifiez-le sur la feuille de votre table.")


def table_for_code(code: str) -> tuple[Table | None, bool]:
    """The table whose join code or captain code this is, and whether it was the captain's."""
    table = db.session.scalar(select(Table).where(Table.join_code == code))
    if table is not None:
        return table, False
    table = db.session.scalar(select(Table).where(Table.captain_code == code))
    return table, table is not None


def join_table(data: dict) -> Participant:
    """Seat a person at the table whose join code (or captain code) they typed."""
    table, is_captain = table_for_code(data["code"])
    if table is None:
        raise ValidationError({"code": [UNKNOWN_CODE]})
    key = data.get("idempotency_key")
    # A double tap on « Rejoindre » seats the person once: same key, same code, same name.
    # The same key with another name or code is someone else (a shared tablet's Back
    # button sends the form again with its old key): a new seat, never the first person's.
    existing = made_before(Participant, key, table_id=table.id)
    if existing is not None:
        if _same_join(existing, data["name"], is_captain):
            return existing
        key = None
    with writing():
        participant, _created = add_once(
            Participant(table=table, name=data["name"], is_captain=is_captain,
                        idempotency_key=key), Participant, key, table_id=table.id)
        if not _same_join(participant, data["name"], is_captain):
            participant, _created = add_once(
                Participant(table=table, name=data["name"], is_captain=is_captain),
                Participant, None)
    return participant


def _same_join(participant: Participant, name: str, is_captain: bool) -> bool:
    return (participant.name == name and participant.is_captain == is_captain
            and participant.unseated_at is None)


def unseat(people: list[Participant]) -> list[str]:
    """Take these people's seats back (their table's codes were renewed, or the organizer
    removed them): their tablets are no longer at the table; what they wrote stays, with
    their name. Returns the ids of their open sockets, for the caller to close. Runs in the
    caller's transaction."""
    ids = [person.id for person in people if person.unseated_at is None]
    if not ids:
        return []
    now = utcnow()
    for person in people:
        person.unseated_at = person.unseated_at or now
    return list(db.session.scalars(delete(Connection).where(Connection.participant_id.in_(ids))
                                   .returning(Connection.sid)))


def unseat_one(person: Participant) -> list[str]:
    with writing():
        return unseat([person])


def seated(table: Table) -> list[Participant]:
    """Who holds a seat at the table now, first come first."""
    return list(db.session.scalars(select(Participant).where(
        Participant.table_id == table.id, Participant.unseated_at.is_(None))
        .order_by(Participant.id)))


def connected_ids(table: Table) -> set[int]:
    """Who at the table has a tablet connected right now."""
    return set(db.session.scalars(select(Connection.participant_id)
                                  .where(Connection.table_id == table.id)))


def sockets_of(participant: Participant) -> int:
    return db.session.scalar(select(func.count()).select_from(Connection).where(
        Connection.participant_id == participant.id))


# Presence: one ``connection`` row per open tablet socket, stamped with the process that
# holds it. A live process vouches for its rows; rows nobody vouched for lately are swept.

def open_connection(sid: str, participant: Participant, server_id: str = "") -> None:
    with writing():
        db.session.merge(Connection(sid=sid, participant_id=participant.id,
                                    table_id=participant.table_id, server_id=server_id,
                                    seen_at=utcnow()))


def keep_connections(server_id: str) -> None:
    """A live process vouches for its sockets: their rows stay fresh."""
    with writing():
        db.session.execute(update(Connection).where(Connection.server_id == server_id)
                           .values(seen_at=utcnow()))


def sweep_connections(max_age: float) -> set[int]:
    """Forget sockets no process vouched for lately (a crashed process); return their tables."""
    with writing():
        stale = db.session.execute(
            delete(Connection).where(Connection.seen_at < utcnow() - timedelta(seconds=max_age))
            .returning(Connection.table_id)).scalars().all()
    return set(stale)


def close_connection(sid: str) -> Connection | None:
    connection = db.session.get(Connection, sid)
    if connection is not None:
        with writing():
            db.session.delete(connection)
    return connection


def forget_connections() -> None:
    """At server start no socket is open yet: clear what a stopped process left behind."""
    with writing():
        db.session.execute(delete(Connection))
