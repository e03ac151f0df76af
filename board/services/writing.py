"""How every service writes: one transaction per change, and creates that happen once.

A change that a room sees (a table's tablets, an event's screens) runs inside
``writing(room)``: the room's sequence number is bumped first, which takes its row lock
(SQLite: the write lock), so writers of one room wait for each other and each reads what
the previous one left; the change commits with its number, or rolls back whole when it is
refused. A change no room sees (an organizer's setup) runs inside ``writing()``.
"""

from contextlib import contextmanager

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Event, Table, Theme


@contextmanager
def writing(room: Table | Event | None = None):
    """Bump the room's sequence (which takes its lock), then commit; roll back on refusal."""
    if room is not None:
        room.bump_seq()
    try:
        yield
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


def fresh(query) -> list:
    """The rows as the database holds them now, not as this session last saw them."""
    return list(db.session.scalars(query.execution_options(populate_existing=True)).all())


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
    def add():
        db.session.add(obj)
        db.session.flush()
        return obj

    return _once(add, model, key, **owner)


def insert_once(model, values: dict, **owner):
    """`add_once` in one INSERT … RETURNING, without the unit of work's bookkeeping (half
    the time): for the busiest create, a note. The object comes back saved, in the session."""
    return _once(lambda: db.session.scalars(insert(model).returning(model), [values]).one(),
                 model, values.get("idempotency_key"), **owner)


def _once(make, model, key, **owner):
    try:
        return make(), True
    except IntegrityError:
        db.session.rollback()
        existing = made_before(model, key, **owner)
        if existing is None:
            raise
        return existing, False


def theme_of(event_id: int, theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id)
    if theme is None or theme.event_id != event_id:
        raise ValidationError({"theme_id": [_l("Choisissez une des thématiques proposées.")]})
    return theme
