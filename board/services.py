"""Plain functions that change the database: validated data in, saved objects out.

They never read the request, render or emit; the views do that around them.
Relational checks that a schema cannot make (a theme of another event, a stale code)
raise marshmallow's ValidationError keyed by field, like a schema would.
"""

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from marshmallow import ValidationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from . import db
from .models import (
    CAPTAIN_CODE_LENGTH,
    DECISIONS,
    EDITABLE_STATUSES,
    JOIN_CODE_LENGTH,
    PITCH_SECONDS,
    REQUIRED_CARD_FIELDS,
    Axis,
    Connection,
    Countdown,
    Decision,
    Event,
    FollowUpNote,
    Note,
    Participant,
    PhaseStep,
    Pitch,
    PriorityAxis,
    PrioritySource,
    Proposal,
    ProposalRevision,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    Theme,
    Vote,
    card_value,
    empty_card_fields,
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

    Returns the note and whether it was created now. A retry is rare: the unique
    (author, key) constraint finds it, so a first post costs no lookup.
    """
    key = data.get("idempotency_key")
    # No lookup first: the unique (participant, key) turns a retry into the first note.
    table = participant.table
    theme = _theme_of(table.event_id, data["theme_id"])
    note, created = insert_once(
        Note, {"table_id": table.id, "participant_id": participant.id, "theme_id": theme.id,
               "text": data["text"], "idempotency_key": key}, participant_id=participant.id)
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


# The morning: axes, moving and merging notes, dot votes, the event's priority axes.
#
# A table's writers are serialised by its sequence number: each change bumps it first, and
# the row lock that UPDATE takes (SQLite: the write lock) makes a second writer wait until
# the first one committed. What we read after the bump is therefore what the previous writer
# left, and two people moving the same note end in the order the server received them.

def live_axes(table_id: int):
    return (select(Axis).where(Axis.table_id == table_id, Axis.deleted_at.is_(None))
            .order_by(Axis.position, Axis.id))


def axis_notes(axis_id: int):
    return (select(Note).where(Note.axis_id == axis_id, Note.deleted_at.is_(None))
            .order_by(Note.position, Note.id))


def _fresh(query) -> list:
    return list(db.session.scalars(query.execution_options(populate_existing=True)).all())


@contextmanager
def _writing(room: Table | Event):
    """Bump the room's sequence (which takes its lock), then commit, or roll back on refusal."""
    room.bump_seq()
    try:
        yield
    except ValidationError:
        db.session.rollback()
        raise
    db.session.commit()


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def _insert(items: list, item, index: int | None) -> list:
    items = [i for i in items if i.id != item.id]
    index = len(items) if index is None else max(0, min(index, len(items)))
    items.insert(index, item)
    _renumber(items)
    return items


def _axis_of(table: Table, axis_id: int | None) -> Axis | None:
    if axis_id is None:
        return None
    axis = db.session.get(Axis, axis_id, populate_existing=True)
    if axis is None or axis.table_id != table.id or axis.deleted_at is not None:
        raise ValidationError({"axis_id": [_l("Cet axe n'existe pas (ou plus) à votre table.")]})
    return axis


def create_axis(table: Table, data: dict) -> Axis:
    theme = _theme_of(table.event_id, data["theme_id"])
    with _writing(table):
        axes = _fresh(live_axes(table.id))
        axis = Axis(table=table, theme=theme, name=data["name"],
                    position=axes[-1].position + 1 if axes else 0)
        db.session.add(axis)
    return axis


def update_axis(axis: Axis, data: dict) -> Axis:
    theme = _theme_of(axis.table.event_id, data["theme_id"])
    with _writing(axis.table):
        _axis_of(axis.table, axis.id)
        axis.name, axis.theme = data["name"], theme
    return axis


def move_axis(axis: Axis, index: int) -> Axis:
    """Put the axis at `index` among the table's axes."""
    with _writing(axis.table):
        _axis_of(axis.table, axis.id)
        _insert(_fresh(live_axes(axis.table_id)), axis, index)
    return axis


def move_note(note: Note, data: dict) -> Note:
    """Put the note in an axis at `index` (the end if none), or back in the unsorted column."""
    table = note.table
    with _writing(table):
        db.session.refresh(note)
        if note.deleted_at is not None:
            raise ValidationError({"note_id": [_l("Ce constat n'est plus au tableau : il a été "
                                                 "supprimé ou fusionné.")]})
        axis = _axis_of(table, data.get("axis_id"))
        left = note.axis_id
        if axis is None:
            note.axis_id, note.position = None, 0
        else:
            note.axis_id = axis.id
            _insert(_fresh(axis_notes(axis.id)), note, data.get("index"))
        if left is not None and left != note.axis_id:
            _renumber(_fresh(axis_notes(left)))  # the axis it left closes the gap
    return note


def delete_axis(axis: Axis) -> Axis:
    """The axis leaves the board and its notes go back to the unsorted column; undoable."""
    with _writing(axis.table):
        _axis_of(axis.table, axis.id)
        notes = _fresh(axis_notes(axis.id))
        axis.released = [[n.id, n.position] for n in notes]
        for note in notes:
            note.axis_id, note.position = None, 0
        axis.deleted_at = utcnow()
    return axis


def restore_axis(axis: Axis) -> Axis:
    """Undo a delete: the axis comes back with the notes it had that are still unsorted."""
    with _writing(axis.table):
        db.session.refresh(axis)
        if axis.deleted_at is None:
            raise ValidationError({"axis_id": [_l("Cet axe est déjà au tableau.")]})
        axis.deleted_at = None
        for note_id, position in axis.released:
            note = db.session.get(Note, note_id, populate_existing=True)
            if note and note.deleted_at is None and note.axis_id is None:
                note.axis_id, note.position = axis.id, position
        axis.released = []
    return axis


def merge_notes(table: Table, note_ids: list[int]) -> Note:
    """Merge notes saying the same thing into a new one (the oldest one's text and place).

    The originals are kept, soft-deleted and pointing at the merged note: it shows every
    author and every original text, and undoing the merge puts them back as they were.
    """
    ids = sorted(set(note_ids))
    if len(ids) < 2:
        raise ValidationError({"note_ids": [_l("Cochez au moins deux constats à fusionner.")]})
    with _writing(table):
        notes = _fresh(select(Note).where(Note.id.in_(ids)).order_by(Note.id))
        if len(notes) != len(ids) or any(n.table_id != table.id or n.deleted_at for n in notes):
            raise ValidationError({"note_ids": [_l("Ces constats ne sont plus tous au tableau de "
                                                   "votre table.")]})
        first = notes[0]
        merged = Note(table=table, author=None, theme_id=first.theme_id, text=first.text,
                      axis_id=first.axis_id, position=first.position)
        db.session.add(merged)
        db.session.flush()
        now = utcnow()
        for note in notes:
            note.merged_into_id, note.deleted_at = merged.id, now
    return merged


def unmerge_note(merged: Note) -> list[Note]:
    """Undo a merge: the original notes come back exactly as they were, the merged one goes."""
    with _writing(merged.table):
        db.session.refresh(merged)
        originals = _fresh(select(Note).where(Note.merged_into_id == merged.id)
                           .order_by(Note.id))
        if merged.deleted_at is not None or not originals:
            raise ValidationError({"note_id": [_l("Ce constat n'est pas une fusion à défaire.")]})
        for note in originals:
            note.merged_into_id, note.deleted_at = None, None
            axis = db.session.get(Axis, note.axis_id) if note.axis_id else None
            if axis is not None and axis.deleted_at is not None:
                note.axis_id, note.position = None, 0
        merged.deleted_at = utcnow()
    return originals


def my_votes(participant: Participant) -> list[Vote]:
    """The participant's dots on axes still on the board, oldest first."""
    return _fresh(select(Vote).join(Axis).where(
        Vote.participant_id == participant.id, Axis.deleted_at.is_(None)).order_by(Vote.id))


def _voting(participant: Participant, axis_id: int) -> tuple[Axis, list[Vote]]:
    """The axis a dot goes on or comes off, if the table's vote takes it; and my dots."""
    table = participant.table
    db.session.refresh(table)
    axis = db.session.get(Axis, axis_id, populate_existing=True)
    if axis is None or axis.table_id != table.id or axis.deleted_at is not None:
        raise ValidationError({"axis_id": [_l("Cet axe n'est pas au tableau de votre table : "
                                             "gommette refusée.")]})
    db.session.refresh(table.event)
    if table.event.phase != "axes":
        raise ValidationError({"axis_id": [_l("Le vote n'est pas ouvert : les gommettes se "
                                             "posent pendant l'étape des axes.")]})
    if table.vote_closed:
        raise ValidationError({"axis_id": [_l("Le vote de votre table est clos : les gommettes "
                                             "ne bougent plus.")]})
    return axis, my_votes(participant)


def cast_vote(participant: Participant, data: dict) -> Vote:
    """Put one of the participant's dots on an axis of their table, within the budget."""
    table = participant.table
    with _writing(table):
        axis, mine = _voting(participant, data["axis_id"])
        budget = table.event.dots_per_participant
        if len(mine) >= budget:
            raise ValidationError({"axis_id": [_ln(
                "Vous avez déjà posé votre gommette.",
                "Vous avez déjà posé vos %(num)d gommettes : retirez-en une pour voter ailleurs.",
                budget)]})
        if not table.event.dots_stack and any(v.axis_id == axis.id for v in mine):
            raise ValidationError({"axis_id": [_l("Une seule gommette par axe : vous en avez "
                                                 "déjà mis une sur celui-ci.")]})
        vote = Vote(axis=axis, participant_id=participant.id)
        db.session.add(vote)
    return vote


def withdraw_vote(participant: Participant, data: dict) -> None:
    """Take back the participant's latest dot on that axis."""
    with _writing(participant.table):
        axis, mine = _voting(participant, data["axis_id"])
        mine = [v for v in mine if v.axis_id == axis.id]
        if not mine:
            raise ValidationError({"axis_id": [_l("Vous n'avez pas de gommette sur cet axe.")]})
        db.session.delete(mine[-1])


def set_vote_state(table: Table, data: dict) -> Table:
    """The captain reveals or hides the counts, closes or reopens the table's vote."""
    with _writing(table):
        db.session.refresh(table)
        for key in ("votes_revealed", "vote_closed"):
            if data.get(key) is not None:
                setattr(table, key, data[key])
    return table


def vote_counts(table_id: int | None = None, event_id: int | None = None) -> dict[int, int]:
    """Dots per live axis, of one table or of a whole event."""
    query = (select(Vote.axis_id, func.count()).join(Axis)
             .where(Axis.deleted_at.is_(None)).group_by(Vote.axis_id))
    if table_id is not None:
        query = query.where(Axis.table_id == table_id)
    else:
        query = query.join(Table).where(Table.event_id == event_id)
    return dict(db.session.execute(query).all())


def sort_axes_by_votes(table: Table) -> Table:
    """Most dots first; only once the counts can be seen, or the order would give them away."""
    with _writing(table):
        db.session.refresh(table)
        if not (table.votes_revealed or table.event.votes_live):
            raise ValidationError(
                {"axis_id": [_l("Révélez d'abord les votes pour trier les axes.")]})
        counts = vote_counts(table.id)
        axes = _fresh(live_axes(table.id))
        _renumber(sorted(axes, key=lambda a: -counts.get(a.id, 0)))
    return table


def update_vote_settings(event: Event, data: dict) -> Event:
    with _writing(event):
        event.dots_per_participant = data["dots_per_participant"]
        event.dots_stack = data["dots_stack"]
        event.votes_live = data["votes_live"]
    return event


def _event_axes(event: Event, axis_ids: list[int]) -> list[Axis]:
    ids = sorted(set(axis_ids))
    axes = _fresh(select(Axis).join(Table).where(
        Axis.id.in_(ids), Table.event_id == event.id, Axis.deleted_at.is_(None))
        .order_by(Axis.id))
    if not ids or len(axes) != len(ids):
        raise ValidationError({"axis_ids": [_l("Cochez des axes de tables de cet événement.")]})
    return axes


def _priority_axis_of(event: Event, priority_axis_id: int) -> PriorityAxis:
    priority = db.session.get(PriorityAxis, priority_axis_id, populate_existing=True)
    if priority is None or priority.event_id != event.id:
        raise ValidationError({"priority_axis_id": [_l("Cet axe prioritaire n'existe plus.")]})
    return priority


def _next_priority_position(event: Event) -> int:
    last = db.session.scalar(select(func.max(PriorityAxis.position))
                             .where(PriorityAxis.event_id == event.id))
    return 0 if last is None else last + 1


def gather_axes(event: Event, data: dict) -> PriorityAxis:
    """Gather table axes into a priority axis (a new one, or one that exists), keeping which
    axes and which notes it came from."""
    with _writing(event):
        axes = _event_axes(event, data["axis_ids"])
        taken = db.session.scalars(select(PrioritySource).where(
            PrioritySource.axis_id.in_([a.id for a in axes]))).first()
        if taken is not None:
            raise ValidationError({"axis_ids": [_l(
                "« %(axis)s » est déjà dans l'axe prioritaire « %(priority)s ».",
                axis=taken.axis.name, priority=taken.priority_axis.title)]})
        if data.get("priority_axis_id"):
            priority = _priority_axis_of(event, data["priority_axis_id"])
        else:
            if not data.get("title"):
                raise ValidationError({"title": [_l("Donnez un titre à l'axe prioritaire.")]})
            theme = _theme_of(event.id, data.get("theme_id") or axes[0].theme_id)
            priority = PriorityAxis(event=event, theme=theme, title=data["title"],
                                    position=_next_priority_position(event))
            db.session.add(priority)
        gathering = uuid.uuid4().hex
        for axis in axes:
            priority.sources.append(PrioritySource(
                axis=axis, gathering=gathering,
                note_ids=[n.id for n in _fresh(axis_notes(axis.id))]))
    return priority


def undo_gathering(priority: PriorityAxis, gathering: str) -> PriorityAxis | None:
    """Take back one gathering; a priority axis left with no source goes too."""
    event = priority.event
    with _writing(event):
        sources = _fresh(select(PrioritySource).where(
            PrioritySource.priority_axis_id == priority.id))
        undone = [s for s in sources if s.gathering == gathering]
        if not undone:
            raise ValidationError({"gathering": [_l("Ce regroupement a déjà été défait.")]})
        for source in undone:
            priority.sources.remove(source)
        if len(undone) == len(sources):
            db.session.delete(priority)
            priority = None
    return priority


def split_priority_axis(priority: PriorityAxis, data: dict) -> PriorityAxis:
    """Move some of a priority axis's sources, provenance and all, to a new priority axis."""
    event = priority.event
    with _writing(event):
        sources = _fresh(select(PrioritySource).where(
            PrioritySource.priority_axis_id == priority.id))
        moving = [s for s in sources if s.id in set(data["source_ids"])]
        if not moving or len(moving) == len(sources):
            raise ValidationError({"source_ids": [_l(
                "Cochez une partie des axes d'origine (au moins un, pas tous).")]})
        new = PriorityAxis(event=event, theme=priority.theme, title=data["title"],
                           position=_next_priority_position(event))
        db.session.add(new)
        for source in moving:
            source.priority_axis = new
    return new
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


# The proposal card ------------------------------------------------------------------

# One person's burst of typing in one field is one revision of the history, not one per
# debounced save: a later save by the same person within this pause extends it.
BURST_PAUSE = timedelta(seconds=60)
BURST_MAX = timedelta(minutes=5)

# draft → ready → pitched → prototype | to_study | not_retained; the organizer may revise
# a decision, a captain may reopen a ready card.
STATUS_FLOW = {
    "draft": {"ready"},
    "ready": {"draft", "pitched"},
    "pitched": {"ready", *DECISIONS},
    **{decision: set(DECISIONS) - {decision} for decision in DECISIONS},
}


class StaleWrite(Exception):
    """A write typed over a version of the field that someone else has replaced since."""

    def __init__(self, field: str, mine, theirs: ProposalRevision | None):
        super().__init__(field)
        self.field, self.mine, self.theirs = field, mine, theirs


class Behind(Exception):
    """A write that re-sends, unchanged, the version it was typed over (a field let go just
    after its last save), while someone has saved since: nothing new to keep, theirs stands."""


def proposal_for(table: Table) -> Proposal:
    """The table's card, created blank the first time anyone looks at it."""
    proposal = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
    if proposal is not None:
        return proposal
    proposal = Proposal(table=table)
    db.session.add(proposal)
    try:
        db.session.commit()
    except IntegrityError:
        # Two tablets opened the card at the same instant: keep the other one's.
        db.session.rollback()
        proposal = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
    return proposal


def latest_revision(proposal: Proposal, field: str) -> ProposalRevision | None:
    return db.session.scalar(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id,
                                       ProposalRevision.field == field)
        .order_by(ProposalRevision.version.desc()).limit(1))


def _held_at(proposal: Proposal, field: str, version: int, value) -> bool:
    """Whether the field held `value` at `version`, as far as the record tells (a burst of
    one person's typing moves its revision forward: then it cannot tell, and says no)."""
    if version == 0:
        return value in (None, "", [])
    return value == db.session.scalar(select(ProposalRevision.value).where(
        ProposalRevision.proposal_id == proposal.id, ProposalRevision.field == field,
        ProposalRevision.version == version))


def field_versions(proposal: Proposal) -> dict[str, int]:
    return dict(db.session.execute(
        select(ProposalRevision.field, func.max(ProposalRevision.version))
        .where(ProposalRevision.proposal_id == proposal.id)
        .group_by(ProposalRevision.field)).all())


def _checked_value(proposal: Proposal, field: str, value):
    """Relational checks: the axis of this event, notes of this table."""
    if field == "priority_axis_id" and value is not None:
        axis = db.session.get(PriorityAxis, value)
        if axis is None or axis.event_id != proposal.table.event_id:
            raise ValidationError({"value": [_l("Choisissez un des axes prioritaires de "
                                                "l'événement.")]})
    if field == "notes":
        value = sorted(set(value))
        found = db.session.scalars(select(Note.id).where(
            Note.id.in_(value), Note.table_id == proposal.table_id,
            Note.deleted_at.is_(None))).all()
        if len(found) != len(value):
            raise ValidationError({"value": [_l("Choisissez parmi les constats de votre "
                                                "table.")]})
    return value


def _apply(proposal: Proposal, field: str, value) -> None:
    if field == "notes":
        proposal.notes = list(db.session.scalars(select(Note).where(Note.id.in_(value))))
    else:
        setattr(proposal, field, value)


def _record(proposal, field, version, value, participant, restored_from=None):
    db.session.add(ProposalRevision(
        proposal_id=proposal.id, field=field, version=version, value=value,
        participant_id=participant.id if participant else None,
        author_name=participant.name if participant else "", restored_from=restored_from))


def _lock(proposal: Proposal) -> None:
    """Writes to one card take its row first, then the table's: one order, no deadlock, and
    each reads the latest revision once the previous writer has committed. (SQLite has a
    single writer anyway.)"""
    db.session.refresh(proposal, with_for_update=True)


def update_field(proposal: Proposal, field: str, data: dict, participant: Participant, *,
                 restored_from: int | None = None) -> tuple[int, bool]:
    """Save one field typed over `data["version"]` (or `data["over"]`, chosen in a conflict).

    Returns the field's version now, and whether anything changed. Raises StaleWrite
    when the field moved on since that version, and ValidationError for a card no longer
    editable or a value from elsewhere.
    """
    _lock(proposal)
    if proposal.status not in EDITABLE_STATUSES:
        raise ValidationError({"value": [_l("La fiche a été présentée : elle ne se modifie "
                                            "plus.")]})
    value = _checked_value(proposal, field, data["value"])
    last = latest_revision(proposal, field)
    current = last.version if last else 0
    if card_value(proposal, field) == value:
        return current, False  # nothing new (a repeated save, or both wrote the same thing)
    base = data["over"] if data.get("over") is not None else data["version"]
    if base > current:
        raise ValidationError({"version": [_l("Requête invalide.")]})
    if base != current:
        if _held_at(proposal, field, base, value):
            raise Behind(field)
        raise StaleWrite(field, value, last)
    now = utcnow()
    if (last is not None and restored_from is None and last.restored_from is None
            and participant is not None and last.participant_id == participant.id
            and now - last.updated_at < BURST_PAUSE and now - last.created_at < BURST_MAX):
        # Still the same burst of typing: move its revision forward, unless another
        # write got there first (then the WHERE on the version matches nothing).
        moved = db.session.execute(
            update(ProposalRevision)
            .where(ProposalRevision.id == last.id, ProposalRevision.version == current)
            .values(version=current + 1, value=value, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if not moved:
            db.session.rollback()
            raise StaleWrite(field, value, latest_revision(proposal, field))
    else:
        _record(proposal, field, current + 1, value, participant, restored_from)
    _apply(proposal, field, value)
    if proposal.status == "ready" and field in REQUIRED_CARD_FIELDS and value in (None, "", []):
        _set_status(proposal, "draft", participant)
    proposal.updated_at = now
    try:
        db.session.flush()
    except IntegrityError:
        # Another write took this version between our read and our insert.
        db.session.rollback()
        raise StaleWrite(field, value, latest_revision(proposal, field)) from None
    proposal.table.bump_seq()
    db.session.commit()
    return current + 1, True


def restore_revision(proposal: Proposal, revision: ProposalRevision,
                     captain: Participant) -> tuple[int, bool]:
    """Bring back an earlier value of a field, as a new revision by the captain."""
    current = latest_revision(proposal, revision.field)
    value = revision.value
    if revision.field == "notes":
        # Notes deleted since then cannot come back on the card.
        value = list(db.session.scalars(select(Note.id).where(
            Note.id.in_(value or []), Note.deleted_at.is_(None))))
    return update_field(proposal, revision.field,
                        {"value": value, "version": current.version if current else 0},
                        captain, restored_from=revision.version)


def _set_status(proposal: Proposal, status: str, participant: Participant | None) -> None:
    last = latest_revision(proposal, "status")
    _record(proposal, "status", (last.version if last else 0) + 1, status, participant)
    proposal.status = status


def change_status(proposal: Proposal, status: str, participant: Participant | None = None,
                  labels: dict | None = None) -> Proposal:
    """Move the card along its status flow; `ready` needs every required field filled.

    `labels` names the fields for the message listing what is missing.
    """
    _lock(proposal)
    if status not in STATUS_FLOW.get(proposal.status, set()):
        raise ValidationError({"status": [_l("Ce changement d'état n'est pas possible.")]})
    if status == "ready":
        missing = empty_card_fields(proposal, REQUIRED_CARD_FIELDS)
        if missing:
            names = ", ".join(str((labels or {}).get(f, f)) for f in missing)
            raise ValidationError({"status": [_l("Il manque encore : %(fields)s.",
                                                 fields=names)]})
    _set_status(proposal, status, participant)
    proposal.table.bump_seq()
    db.session.commit()
    return proposal


def set_editing(sid: str, participant: Participant, field: str | None) -> bool:
    """Presence: which card field this tablet's socket has focus in. True if it changed."""
    connection = db.session.get(Connection, sid)
    if connection is None or connection.participant_id != participant.id:
        return False
    if connection.editing_field == field:
        return False
    connection.editing_field = field
    db.session.commit()
    return True


def editing_at(table_id: int) -> dict[str, list[Participant]]:
    """Who has focus in which card field at a table right now."""
    rows = db.session.execute(
        select(Connection.editing_field, Participant)
        .join(Participant, Participant.id == Connection.participant_id)
        .where(Connection.table_id == table_id, Connection.editing_field.is_not(None))
        .order_by(Participant.name)).all()
    editing: dict[str, list[Participant]] = {}
    for field, participant in rows:
        if participant not in editing.setdefault(field, []):
            editing[field].append(participant)
    return editing
# The organizer's day. Every function takes `now` from the caller, so the clock can be
# controlled in tests; event-wide changes bump the event's sequence in their transaction.

def _one(model, event: Event, defaults=None, **kwargs):
    """The event's row of `model` (per kind), added with `defaults` if it does not exist yet."""
    row = db.session.scalar(select(model).filter_by(event_id=event.id, **kwargs))
    if row is None:
        row = model(event_id=event.id, **kwargs, **(defaults or {}))
        db.session.add(row)
    return row


def stage_of(event: Event) -> Stage:
    return _one(Stage, event, {"screen": "wall", "pitch_seconds": PITCH_SECONDS})


def countdown_of(event: Event, kind: str) -> Countdown:
    return _one(Countdown, event, {"duration": 0}, kind=kind)


def _start(countdown: Countdown, seconds: int, now: datetime) -> None:
    countdown.duration = seconds
    countdown.ends_at = now + timedelta(seconds=seconds)
    countdown.remaining = None


def set_phase(event: Event, phase: str, now: datetime) -> Event:
    """Move the whole event to `phase`; its usual countdown starts, or the running one stops."""
    event.phase = phase
    step = db.session.scalar(select(PhaseStep).filter_by(event_id=event.id, phase=phase))
    countdown = countdown_of(event, "phase")
    if step is not None and step.minutes:
        _start(countdown, step.minutes * 60, now)
    else:
        countdown.ends_at = countdown.remaining = None
    event.bump_seq()
    db.session.commit()
    return event


def set_phase_step(event: Event, phase: str, data: dict) -> PhaseStep:
    """The instruction the tablets show during `phase`, and its usual countdown in minutes."""
    step = _one(PhaseStep, event, {"instruction": ""}, phase=phase)
    step.instruction = data["instruction"]
    step.minutes = data.get("minutes")
    event.bump_seq()
    db.session.commit()
    return step


def control_countdown(event: Event, kind: str, data: dict, now: datetime) -> Countdown:
    """Start, pause, resume, extend or stop one of the event's countdowns."""
    action, seconds = data["action"], data.get("seconds")
    existing = db.session.scalar(select(Countdown).filter_by(event_id=event.id, kind=kind))
    if action == "start" and not seconds:
        raise ValidationError({"seconds": [_l("Donnez une durée.")]})
    if action == "extend" and (existing is None or existing.stopped):
        raise ValidationError({"seconds": [_l("Aucun compte à rebours à prolonger.")]})
    countdown = existing or countdown_of(event, kind)
    if action == "start":
        _start(countdown, seconds, now)
    elif action == "pause" and countdown.running:
        countdown.remaining = max(0.0, countdown.left(now))
        countdown.ends_at = None
    elif action == "resume" and countdown.paused:
        countdown.ends_at = now + timedelta(seconds=countdown.remaining)
        countdown.remaining = None
    elif action == "extend":
        seconds = seconds or 60
        if countdown.running:
            # Extending a countdown that is already over counts from now.
            countdown.ends_at = max(countdown.ends_at, now) + timedelta(seconds=seconds)
        else:
            countdown.remaining += seconds
        countdown.duration += seconds
    elif action == "stop":
        countdown.ends_at = countdown.remaining = None
    event.bump_seq()
    db.session.commit()
    return countdown


def pitch_queue(event: Event) -> list[Pitch]:
    """The pitch order: by table number until the organizer reorders it; every table is in."""
    pitches = db.session.scalars(select(Pitch).where(Pitch.event_id == event.id)
                                 .order_by(Pitch.position, Pitch.id)).all()
    queued = {p.table_id for p in pitches}
    missing = [t for t in event.tables if t.id not in queued]
    if missing:
        for table in missing:
            pitch = Pitch(event_id=event.id, table=table, position=len(pitches))
            db.session.add(pitch)
            pitches.append(pitch)
        db.session.commit()
    return pitches


def move_pitch(event: Event, pitch: Pitch, offset: int) -> list[Pitch]:
    """Move a table up (-1) or down (+1) the pitch queue."""
    queue = pitch_queue(event)
    i = queue.index(pitch)
    j = min(max(i + offset, 0), len(queue) - 1)
    queue.insert(j, queue.pop(i))
    for position, p in enumerate(queue):
        p.position = position
    event.bump_seq()
    db.session.commit()
    return queue


def _proposal_of(table_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.table_id == table_id))


def start_pitch(event: Event, pitch: Pitch | None, now: datetime) -> Stage:
    """Put a table's card on the plenary with a fresh countdown; None ends the pitches."""
    stage = stage_of(event)
    current = stage.current_pitch
    if current is not None and current.ended_at is None:
        current.ended_at = now
    countdown = countdown_of(event, "pitch")
    if pitch is None:
        stage.current_pitch = None
        stage.screen = "wall"
        countdown.ends_at = countdown.remaining = None
    else:
        stage.current_pitch = pitch
        stage.screen = "pitch"
        pitch.started_at, pitch.ended_at = now, None
        proposal = _proposal_of(pitch.table_id)
        if proposal is not None and proposal.status in ("draft", "ready"):
            proposal.status = "pitched"
        _start(countdown, stage.pitch_seconds, now)
    event.bump_seq()
    db.session.commit()
    return stage


def step_pitch(event: Event, step: int, now: datetime) -> Stage:
    """The next (+1) or previous (-1) table in the queue; past either end, back to the wall."""
    queue = pitch_queue(event)
    current = stage_of(event).current_pitch
    if current is None:
        target = queue[0] if step > 0 and queue else None
    else:
        i = queue.index(current) + step
        target = queue[i] if 0 <= i < len(queue) else None
    return start_pitch(event, target, now)


def set_stage(event: Event, data: dict) -> Stage:
    """What the plenary shows (the wall, the pitch, the results) and how long a pitch lasts."""
    stage = stage_of(event)
    if data.get("screen"):
        stage.screen = data["screen"]
    if data.get("pitch_seconds"):
        stage.pitch_seconds = data["pitch_seconds"]
    event.bump_seq()
    db.session.commit()
    return stage


def selection_closed_at(event: Event) -> datetime | None:
    """When the selection was frozen, or None while it is open."""
    last = db.session.scalar(select(SelectionLog).where(SelectionLog.event_id == event.id)
                             .order_by(SelectionLog.id.desc()).limit(1))
    return last.at if last is not None and last.action == "closed" else None


def _selection_open(event: Event) -> None:
    if selection_closed_at(event) is not None:
        raise ValidationError({"verdict": [_l("La sélection est close : rouvrez-la d'abord.")]})


def decide(proposal: Proposal, data: dict, now: datetime) -> Decision | None:
    """Record (or clear, with an empty verdict) the selection's verdict on a proposal."""
    event = proposal.table.event
    _selection_open(event)
    decision = db.session.scalar(select(Decision).where(Decision.proposal_id == proposal.id))
    if not data["verdict"]:
        if decision is not None:
            db.session.delete(decision)
            decision = None
        if proposal.status in DECISIONS:
            proposal.status = "pitched"
    else:
        if decision is None:
            decision = Decision(proposal=proposal)
            db.session.add(decision)
        decision.verdict = data["verdict"]
        decision.comment = data.get("comment", "")
        decision.decided_at = now
        proposal.status = data["verdict"]
    event.bump_seq()
    db.session.commit()
    return decision


def close_selection(event: Event, by: str, now: datetime) -> SelectionLog:
    """Freeze the selection; verdicts cannot change until it is reopened."""
    _selection_open(event)
    entry = SelectionLog(event_id=event.id, action="closed", by=by, at=now)
    db.session.add(entry)
    event.bump_seq()
    db.session.commit()
    return entry


def reopen_selection(event: Event, by: str, data: dict, now: datetime) -> SelectionLog:
    """Reopen a closed selection, saying who and why: the log keeps both."""
    if selection_closed_at(event) is None:
        raise ValidationError({"reason": [_l("La sélection est déjà ouverte.")]})
    entry = SelectionLog(event_id=event.id, action="reopened", by=by, reason=data["reason"],
                         at=now)
    db.session.add(entry)
    event.bump_seq()
    db.session.commit()
    return entry


def set_sponsor(proposal: Proposal, data: dict) -> Sponsor:
    """Name the sponsor of a prototype (only prototypes are sponsored)."""
    if proposal.status != "prototype":
        raise ValidationError(
            {"name": [_l("Seuls les prototypes ont un parrain ou une marraine.")]})
    sponsor = db.session.scalar(select(Sponsor).where(Sponsor.proposal_id == proposal.id))
    if sponsor is None:
        sponsor = Sponsor(proposal=proposal)
        db.session.add(sponsor)
    sponsor.name, sponsor.team = data["name"], data["team"]
    sponsor.contact = data.get("contact", "")
    db.session.commit()
    return sponsor


def add_follow_up(sponsor: Sponsor, data: dict) -> FollowUpNote:
    """A dated note on the prototype's follow-up; its status becomes the prototype's."""
    note = FollowUpNote(sponsor=sponsor, noted_on=data["noted_on"], status=data["status"],
                        text=data.get("text", ""))
    sponsor.status = data["status"]
    db.session.add(note)
    db.session.commit()
    return note


def create_event_from(source: Event, data: dict) -> Event:
    """The next edition: a new event (its own themes and tables) with the old one's phase
    instructions, countdowns and pitch length."""
    event = create_event(data)
    for step in db.session.scalars(select(PhaseStep).where(PhaseStep.event_id == source.id)):
        db.session.add(PhaseStep(event_id=event.id, phase=step.phase,
                                 instruction=step.instruction, minutes=step.minutes))
    old_stage = db.session.scalar(select(Stage).where(Stage.event_id == source.id))
    if old_stage is not None:
        db.session.add(Stage(event_id=event.id, pitch_seconds=old_stage.pitch_seconds))
    db.session.commit()
    return event
