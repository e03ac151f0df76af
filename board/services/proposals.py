"""The proposal card (fiche projet): one per table, co-written field by field.

Every field has a version (the number of its latest revision); a save names the version it
was typed over, and the unique (card, field, version) makes two saves over one version
collide in the database: the second is told, never applied silently. Writes to a card take
its row first, then the table's number (writing.py): one order, no deadlock, and each
reads the latest revision once the previous writer has committed.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError

from ..card import (
    BY_NAME,
    EDITABLE_STATUSES,
    REQUIRED_CARD_FIELDS,
    STATUS_FLOW,
    card_value,
    empty_card_fields,
    is_empty,
)
from ..extensions import db
from ..fields import BAD_REQUEST
from ..models import Connection, Note, Participant, PriorityAxis, Proposal, ProposalRevision, Table, utcnow
from .writing import writing

# One person's burst of typing in one field is one revision of the history, not one per
# debounced save: a later save by the same person within this pause extends it.
BURST_PAUSE = timedelta(seconds=60)
BURST_MAX = timedelta(minutes=5)


class StaleWrite(Exception):
    """A write typed over a version of the field that someone else has replaced since."""

    def __init__(self, field: str, mine, theirs: ProposalRevision | None):
        super().__init__(field)
        self.field, self.mine, self.theirs = field, mine, theirs


class Behind(Exception):
    """A write that re-sends, unchanged, the version it was typed over (a field let go just
    after its last save), while someone has saved since: nothing new to keep, theirs stands."""


# Typing in the card is the afternoon's busiest write: its two reads are statements built
# once, whose compiled form and cache key SQLAlchemy then reuses.
_CARD = select(Proposal).where(Proposal.table_id == bindparam("table_id"))
_LATEST = (select(ProposalRevision).where(ProposalRevision.proposal_id == bindparam("card"),
                                          ProposalRevision.field == bindparam("field"))
           .order_by(ProposalRevision.version.desc()).limit(1))


def proposal_for(table: Table) -> Proposal:
    """The table's card (every table has one from its creation: see organizer.equip_tables)."""
    return db.session.scalars(_CARD, {"table_id": table.id}).one()


def latest_revision(proposal: Proposal, field: str) -> ProposalRevision | None:
    return db.session.scalar(_LATEST, {"card": proposal.id, "field": field})


def _held_at(proposal: Proposal, field: str, version: int, value) -> bool:
    """Whether the field held `value` at `version`, as far as the record tells (a burst of
    one person's typing moves its revision forward: then it cannot tell, and says no)."""
    if version == 0:
        return is_empty(value)
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
    if field == "pitcher_id" and value is not None:
        person = db.session.get(Participant, value)
        if person is None or person.table_id != proposal.table_id:
            raise ValidationError({"value": [_l("Choisissez une personne de votre table.")]})
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
    """Take the card's row (SQLite has a single writer anyway)."""
    db.session.refresh(proposal, with_for_update=True)


def update_field(proposal: Proposal, field: str, data: dict, participant: Participant, *,
                 restored_from: int | None = None) -> tuple[int, bool]:
    """Save one field typed over `data["version"]` (or `data["over"]`, chosen in a conflict).

    Returns the field's version now, and whether anything changed. Raises StaleWrite
    when the field moved on since that version, Behind when an unchanged text comes back
    late, and ValidationError for a card no longer editable or a value from elsewhere.
    """
    _lock(proposal)
    try:
        if proposal.status not in EDITABLE_STATUSES:
            raise ValidationError({"value": [_l("La fiche a été présentée. Elle ne change "
                                                "plus.")]})
        value = _checked_value(proposal, field, data["value"])
        last = latest_revision(proposal, field)
        current = last.version if last else 0
        base = data["over"] if data.get("over") is not None else data["version"]
        if card_value(proposal, field) != value:
            if base > current:
                raise ValidationError({"version": [BAD_REQUEST]})
            if base != current:
                if _held_at(proposal, field, base, value):
                    raise Behind(field)
                raise StaleWrite(field, value, last)
    except BaseException:
        db.session.rollback()
        raise
    if card_value(proposal, field) == value:
        db.session.commit()  # nothing new (a repeated save, or both wrote the same thing)
        return current, False
    with writing(proposal.table):
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
        if proposal.status == "ready" and field in REQUIRED_CARD_FIELDS and is_empty(value):
            set_status(proposal, "draft", participant)
        proposal.updated_at = now
        try:
            db.session.flush()
        except IntegrityError:
            # Another write took this version between our read and our insert.
            db.session.rollback()
            raise StaleWrite(field, value, latest_revision(proposal, field)) from None
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


def set_status(proposal: Proposal, status: str, by: Participant | None = None) -> None:
    """Every change of a card's status goes through here, inside its caller's transaction:
    the flow is checked (a card is ready only once its required fields are filled) and
    the change is kept in the card's history, with who made it (None: the organizer)."""
    if status == proposal.status:
        return
    if status not in STATUS_FLOW[proposal.status]:
        raise ValidationError({"status": [_l("Ce changement d'état n'est pas possible.")]})
    if status == "ready":
        missing = empty_card_fields(proposal, REQUIRED_CARD_FIELDS)
        if missing:
            names = ", ".join(str(BY_NAME[f].label) for f in missing)
            raise ValidationError({"status": [_l("Il manque encore : %(fields)s.",
                                                 fields=names)]})
    last = latest_revision(proposal, "status")
    _record(proposal, "status", (last.version if last else 0) + 1, status, by)
    proposal.status = status


def change_status(proposal: Proposal, status: str, by: Participant | None = None) -> Proposal:
    """Move the card along its flow in a transaction of its own (the captain's « prête »)."""
    _lock(proposal)
    with writing(proposal.table):
        set_status(proposal, status, by)
    return proposal


def set_editing(sid: str, participant: Participant, field: str | None) -> set[str]:
    """Presence: which card field this tablet's socket has focus in. Returns the fields
    whose « who writes here » changed (the one left and the one entered)."""
    connection = db.session.get(Connection, sid)
    if connection is None or connection.participant_id != participant.id:
        return set()
    previous = connection.editing_field
    if previous == field:
        return set()
    with writing():
        connection.editing_field = field
    return {f for f in (previous, field) if f}


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
