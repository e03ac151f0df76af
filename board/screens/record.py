"""The day's record: its figures (the report, the JSON, the console) and the public page of
its results after the day."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..card import REQUIRED_CARD_FIELDS, card_value, is_empty
from ..extensions import db
from ..models import Axis, Event, Note, Participant, PriorityAxis, Proposal, Table, Vote

# In the order the report states them; each key is also the JSON's.
FIGURE_LABELS = {
    "participants": _l("participant·es"),
    "tables": _l("tables"),
    "notes_posted": _l("constats écrits"),
    "notes_kept": _l("constats gardés"),
    "axes": _l("axes des tables"),
    "dots": _l("gommettes"),
    "priority_axes": _l("axes prioritaires"),
    "complete_cards": _l("fiches complètes"),
    "prototypes": _l("prototypes"),
    "to_study": _l("à étudier"),
}


def _count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def figures(event: Event) -> dict[str, int]:
    """The day in numbers. Constats written: every note someone typed (a merge writes none);
    kept: those still on a board (a merged note counts once); axes: those not deleted;
    complete cards: every field a card needs to be declared ready is filled."""
    tables = select(Table.id).where(Table.event_id == event.id)
    cards = db.session.scalars(select(Proposal).where(Proposal.table_id.in_(tables))).all()
    return {
        "participants": _count(select(Participant.id).where(Participant.table_id.in_(tables))),
        "tables": _count(tables),
        "notes_posted": _count(select(Note.id).where(Note.table_id.in_(tables),
                                                     Note.participant_id.is_not(None))),
        "notes_kept": _count(select(Note.id).where(Note.table_id.in_(tables),
                                                   Note.deleted_at.is_(None))),
        "axes": _count(select(Axis.id).where(Axis.table_id.in_(tables),
                                             Axis.deleted_at.is_(None))),
        "dots": _count(select(Vote.id).join(Axis).where(Axis.table_id.in_(tables),
                                                        Axis.deleted_at.is_(None))),
        "priority_axes": _count(select(PriorityAxis.id).where(PriorityAxis.event_id == event.id)),
        "complete_cards": sum(1 for card in cards if not any(
            is_empty(card_value(card, f)) for f in REQUIRED_CARD_FIELDS)),
        "prototypes": sum(1 for card in cards if card.status == "prototype"),
        "to_study": sum(1 for card in cards if card.status == "to_study"),
    }
