"""The morning at a table: axes, moving and merging notes, dot votes.

A table's writers are serialised by its sequence number (see writing.py): what a change
reads after the bump is what the previous writer left, and two people moving the same note
end in the order the server received them.
"""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as _ln
from marshmallow import ValidationError
from sqlalchemy import case, func, select, update
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Axis, Note, Participant, Table, Vote, utcnow
from .writing import fresh, theme_of, writing


def live_axes(table_id: int):
    return (select(Axis).where(Axis.table_id == table_id, Axis.deleted_at.is_(None))
            .order_by(Axis.position, Axis.id))


def axis_notes(axis_id: int):
    return (select(Note).where(Note.axis_id == axis_id, Note.deleted_at.is_(None))
            .order_by(Note.position, Note.id))


def _renumber(items) -> None:
    for position, item in enumerate(items):
        item.position = position


def _inserted(items: list, item, index: int | None) -> list:
    """`items` with `item` at `index` (the end if none or past it), wherever it was."""
    items = [i for i in items if i != item]
    items.insert(len(items) if index is None else max(0, min(index, len(items))), item)
    return items


def _insert(items: list, item, index: int | None) -> None:
    _renumber(_inserted(items, item, index))


def _axis_of(table: Table, axis_id: int | None) -> Axis | None:
    if axis_id is None:
        return None
    axis = db.session.get(Axis, axis_id, populate_existing=True)
    if axis is None or axis.table_id != table.id or axis.deleted_at is not None:
        raise ValidationError({"axis_id": [_l("Cet axe n'est plus à votre table.")]})
    return axis


def create_axis(table: Table, data: dict) -> Axis:
    theme = theme_of(table.event_id, data["theme_id"])
    with writing(table):
        axes = fresh(live_axes(table.id))
        _room_for_an_axis(len(axes))
        axis = Axis(table=table, theme=theme, name=data["name"],
                    position=axes[-1].position + 1 if axes else 0)
        db.session.add(axis)
    return axis


def _room_for_an_axis(live: int) -> None:
    """A table holds at most AXES_PER_TABLE axes: every tablet of the table draws them all."""
    most = current_app.config["AXES_PER_TABLE"]
    if live >= most:
        raise ValidationError({"name": [_l(
            "Votre table a déjà %(most)s axes. C'est le maximum. Pour en créer un autre, "
            "supprimez un axe ou mettez deux axes ensemble.", most=most)]})


def update_axis(axis: Axis, data: dict) -> Axis:
    theme = theme_of(axis.table.event_id, data["theme_id"])
    with writing(axis.table):
        _axis_of(axis.table, axis.id)
        axis.name, axis.theme = data["name"], theme
    return axis


def move_axis(axis: Axis, index: int) -> Axis:
    """Put the axis at `index` among the table's axes."""
    with writing(axis.table):
        _axis_of(axis.table, axis.id)
        _insert(fresh(live_axes(axis.table_id)), axis, index)
    return axis


def move_note(note: Note, data: dict) -> Note:
    """Put the note in an axis at `index` (the end if none), or back in the unsorted column."""
    table = note.table
    with writing(table):
        db.session.refresh(note)
        if note.deleted_at is not None:
            raise ValidationError({"note_id": [_l("Ce constat n'est plus là. Il a été supprimé ou "
                                                 "fusionné.")]})
        axis = _axis_of(table, data.get("axis_id"))
        left = note.axis_id
        if axis is None:
            _place(None, [note.id])
        else:
            ids = db.session.scalars(_note_ids(axis.id)).all()
            _place(axis.id, _inserted(ids, note.id, data.get("index")))
        if left is not None and left != note.axis_id:
            _place(left, db.session.scalars(_note_ids(left)).all())  # the axis it left closes the gap
    return note


def _note_ids(axis_id: int):
    return axis_notes(axis_id).with_only_columns(Note.id)


def _place(axis_id: int | None, ids: list[int]) -> None:
    """Put these notes in that axis (None: the unsorted column, where order is the notes'
    own) in this order, in one statement. A note's place is not its words: its version,
    which guards its text against two editors, stays, so someone editing a note while
    another sorts the axis gets no conflict."""
    if not ids:
        return
    places = {ident: 0 if axis_id is None else place for place, ident in enumerate(ids)}
    db.session.execute(
        update(Note).where(Note.id.in_(ids))
        .values(axis_id=axis_id, position=case(places, value=Note.id))
        .execution_options(synchronize_session=False))
    for ident, place in places.items():  # the notes this session holds, as now saved
        note = db.session.identity_map.get(identity_key(Note, ident))
        if note is not None:
            set_committed_value(note, "axis_id", axis_id)
            set_committed_value(note, "position", place)


def delete_axis(axis: Axis) -> Axis:
    """The axis leaves the board and its notes go back to the unsorted column; undoable."""
    with writing(axis.table):
        _axis_of(axis.table, axis.id)
        notes = fresh(axis_notes(axis.id))
        axis.released = [[n.id, n.position] for n in notes]
        for note in notes:
            note.axis_id, note.position = None, 0
        axis.deleted_at = utcnow()
    return axis


def restore_axis(axis: Axis) -> Axis:
    """Undo a delete: the axis comes back with the notes it had that are still unsorted."""
    with writing(axis.table):
        db.session.refresh(axis)
        if axis.deleted_at is None:
            raise ValidationError({"axis_id": [_l("Cet axe est déjà au tableau.")]})
        try:
            _room_for_an_axis(len(fresh(live_axes(axis.table_id))))
        except ValidationError as error:
            raise ValidationError({"axis_id": error.messages["name"]}) from None
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
        raise ValidationError({"note_ids": [_l("Choisissez au moins deux constats à fusionner.")]})
    with writing(table):
        notes = fresh(select(Note).where(Note.id.in_(ids)).order_by(Note.id))
        if len(notes) != len(ids) or any(n.table_id != table.id or n.deleted_at for n in notes):
            raise ValidationError({"note_ids": [_l("Un de ces constats n'est plus là. Il a été "
                                                   "supprimé ou fusionné.")]})
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
    with writing(merged.table):
        db.session.refresh(merged)
        originals = fresh(select(Note).where(Note.merged_into_id == merged.id)
                           .order_by(Note.id))
        if merged.deleted_at is not None or not originals:
            raise ValidationError({"note_id": [_l("Ce constat n'a pas été fusionné.")]})
        for note in originals:
            note.merged_into_id, note.deleted_at = None, None
            axis = db.session.get(Axis, note.axis_id) if note.axis_id else None
            if axis is not None and axis.deleted_at is not None:
                note.axis_id, note.position = None, 0
        merged.deleted_at = utcnow()
    return originals


def my_votes(participant: Participant) -> list[Vote]:
    """The participant's dots on axes still on the board, oldest first."""
    return fresh(select(Vote).join(Vote.axis).options(contains_eager(Vote.axis)).where(
        Vote.participant_id == participant.id, Axis.deleted_at.is_(None)).order_by(Vote.id))


def _voting(participant: Participant, axis_id: int) -> tuple[Axis, list[Vote]]:
    """The axis a dot goes on or comes off, if the table's vote takes it; and my dots."""
    table = participant.table
    db.session.refresh(table)
    axis = db.session.get(Axis, axis_id, populate_existing=True)
    if axis is None or axis.table_id != table.id or axis.deleted_at is not None:
        raise ValidationError({"axis_id": [_l("Cet axe n'est plus à votre table. Votre gommette "
                                             "n'est pas posée.")]})
    db.session.refresh(table.event)
    if table.event.phase != "axes":
        raise ValidationError({"axis_id": [_l("Le vote n'est pas ouvert. Vous voterez à l'étape "
                                             "des axes.")]})
    if table.vote_closed:
        raise ValidationError({"axis_id": [_l("Le vote de votre table est fermé. Les gommettes "
                                             "ne bougent plus.")]})
    return axis, my_votes(participant)


def cast_vote(participant: Participant, data: dict) -> Vote:
    """Put one of the participant's dots on an axis of their table, within the budget."""
    table = participant.table
    with writing(table):
        axis, mine = _voting(participant, data["axis_id"])
        budget = table.event.dots_per_participant
        if len(mine) >= budget:
            raise ValidationError({"axis_id": [_ln(
                "Vous avez déjà posé votre gommette.",
                "Vous avez déjà posé vos %(num)d gommettes. Pour voter ailleurs, reprenez-en une.",
                budget)]})
        if not table.event.dots_stack and any(v.axis_id == axis.id for v in mine):
            raise ValidationError({"axis_id": [_l("Vous avez déjà une gommette sur cet axe. Une "
                                                 "seule par axe.")]})
        vote = Vote(axis=axis, participant_id=participant.id)
        db.session.add(vote)
    return vote


def withdraw_vote(participant: Participant, data: dict) -> None:
    """Take back the participant's latest dot on that axis."""
    with writing(participant.table):
        axis, mine = _voting(participant, data["axis_id"])
        mine = [v for v in mine if v.axis_id == axis.id]
        if not mine:
            raise ValidationError({"axis_id": [_l("Vous n'avez pas de gommette sur cet axe.")]})
        db.session.delete(mine[-1])


def set_vote_state(table: Table, data: dict) -> Table:
    """The captain reveals or hides the counts, closes or reopens the table's vote."""
    with writing(table):
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
    with writing(table):
        db.session.refresh(table)
        if not (table.votes_revealed or table.event.votes_live):
            raise ValidationError(
                {"axis_id": [_l("Révélez d'abord les votes. Puis triez les axes.")]})
        counts = vote_counts(table.id)
        axes = fresh(live_axes(table.id))
        _renumber(sorted(axes, key=lambda a: -counts.get(a.id, 0)))
    return table
