"""Who sits at a table: joining it with its code, and the tablets connected right now."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, select, update

from ..extensions import db
from ..models import Connection, Participant, Table, utcnow
from .writing import add_once, made_before, writing


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
    with writing():
        participant, _created = add_once(
            Participant(table=table, name=data["name"], is_captain=is_captain,
                        idempotency_key=key), Participant, key, table_id=table.id)
    return participant


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
