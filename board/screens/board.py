"""A table's board on its tablets: the notes and axes, the person's own dots, the card."""

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..card import BY_NAME, CARD_FIELDS, card_value
from ..extensions import db
from ..models import PHASES, Axis, Note, Participant, Proposal, Vote, live_notes, proposal_note
from ..services import axes as axes_services
from ..services import proposals as proposal_services

TRASH_SHOWN = 5

# The tablet shows one step at a time: each phase of the day opens one view of the board
# (the others stay one tab away). The views, in the order of their tabs:
VIEWS = ("notes", "axes", "card", "pitch")
VIEW_LABELS = {"notes": _l("Constats"), "axes": _l("Axes et gommettes"),
               "card": _l("Fiche projet"), "pitch": _l("Présentation")}
STEP_VIEWS = {"setup": "notes", "diagnostic": "notes", "axes": "axes", "consolidation": "axes",
              "drafting": "card", "pitches": "pitch", "selection": "card", "follow_up": "card"}
STEP_NUMBERS = {phase: number for number, phase in enumerate(PHASES, 1)}


def shown_view(phase: str, asked: str | None) -> str:
    """The view a tablet opens: the one asked for (a tab's link), else the step's own."""
    return asked if asked in VIEWS else STEP_VIEWS.get(phase, "notes")


def board_context(me: Participant) -> dict:
    """The board as the person asking sees it: the table's columns, their own dots, the card."""
    table = me.table
    return {"themes": table.event.themes, **columns_context(table), **dots_context(me),
            **card_context(table)}


def columns_context(table) -> dict:
    """What ``axes/_columns.html`` needs: the unsorted notes, each axis with its notes."""
    fresh = {"populate_existing": True}
    axes = db.session.scalars(axes_services.live_axes(table.id).options(joinedload(Axis.theme))
                              .execution_options(**fresh)).all()
    notes = db.session.scalars(live_notes(table.id).options(
        joinedload(Note.author), joinedload(Note.theme),
        selectinload(Note.sources).joinedload(Note.author)).execution_options(**fresh)).all()
    by_axis = {axis.id: [] for axis in axes}
    unsorted = []
    for note in notes:
        by_axis.get(note.axis_id, unsorted).append(note)
    counts = axes_services.vote_counts(table.id)
    trash = db.session.scalars(select(Axis).where(
        Axis.table_id == table.id, Axis.deleted_at.is_not(None))
        .order_by(Axis.deleted_at.desc()).limit(TRASH_SHOWN)).all()
    return {
        "unsorted": unsorted,
        "table_axes": [{"axis": axis, "votes": counts.get(axis.id, 0), "index": index,
                        "notes": sorted(by_axis[axis.id], key=lambda n: (n.position, n.id))}
                       for index, axis in enumerate(axes)],
        "axes_count": len(axes),
        "show_counts": table.event.votes_live or table.votes_revealed,
        "voting": table.event.phase == "axes" and not table.vote_closed,
        "trash": trash,
    }


def unsorted_notes(table) -> list[Note]:
    """The table's notes in no axis, as the unsorted column shows them."""
    return db.session.scalars(live_notes(table.id).where(Note.axis_id.is_(None)).options(
        joinedload(Note.author), joinedload(Note.theme),
        selectinload(Note.sources).joinedload(Note.author))
        .execution_options(populate_existing=True)).all()


def axis_context(axis: Axis) -> dict:
    """What ``axes/_axis.html`` needs for one axis alone (renamed, or just added): its notes,
    its dots and its place, without reading or drawing the table's other axes."""
    return axes_context(axis.table, [axis])[0]


def axes_context(table, axes: list[Axis]) -> list[dict]:
    """The same for a few axes of one table (a move draws the axis a note left and the one
    it joined): read together, four queries whatever their number."""
    ids = [axis.id for axis in axes]
    places = db.session.scalars(select(Axis.id).where(
        Axis.table_id == table.id, Axis.deleted_at.is_(None))
        .order_by(Axis.position, Axis.id)).all()
    notes = {ident: [] for ident in ids}
    for note in db.session.scalars(
            select(Note).where(Note.axis_id.in_(ids), Note.deleted_at.is_(None))
            .order_by(Note.position, Note.id).options(
                joinedload(Note.author), joinedload(Note.theme),
                selectinload(Note.sources).joinedload(Note.author))
            .execution_options(populate_existing=True)):
        notes[note.axis_id].append(note)
    votes = dict(db.session.execute(select(Vote.axis_id, func.count()).where(
        Vote.axis_id.in_(ids)).group_by(Vote.axis_id)).all())
    shared = {"axes_count": len(places), "table": table,
              "show_counts": table.event.votes_live or table.votes_revealed,
              "voting": table.event.phase == "axes" and not table.vote_closed}
    return [{"item": {"axis": axis, "votes": votes.get(axis.id, 0), "notes": notes[axis.id],
                      "index": places.index(axis.id) if axis.id in places else -1}, **shared}
            for axis in axes]


def dots_context(me: Participant, error=None) -> dict:
    """My dots (gommettes): how many are left and where the others are."""
    event = me.table.event
    mine = axes_services.my_votes(me)
    per_axis = {}
    for vote in mine:
        per_axis.setdefault(vote.axis_id, [vote.axis, 0])[1] += 1
    return {"dots": {
        "open": event.phase == "axes" and not me.table.vote_closed,
        "closed": me.table.vote_closed,
        "budget": event.dots_per_participant,
        "left": max(0, event.dots_per_participant - len(mine)),
        "mine": list(per_axis.values()),
    }, "dots_error": error}


def card_context(table, fields=CARD_FIELDS, versions: dict | None = None,
                 proposal: Proposal | None = None) -> dict:
    """What the card needs to render on a tablet: the whole card, or only `fields` (a
    typed save pushes one text field, which needs neither the axes, the people nor the
    table's notes: three queries fewer on the busiest write of the afternoon). A save
    knows its field's new version, and holds the card as it saved it: `versions` and
    `proposal` spare reading them again."""
    if proposal is None:
        proposal = proposal_services.proposal_for(table)
    if versions is None:
        versions = proposal_services.field_versions(proposal)
    return {"proposal": proposal, "versions": versions,
            "editing": proposal_services.editing_at(table.id),
            "axes": table.event.priority_axes if "priority_axis_id" in fields else [],
            "people": table.participants if "pitcher_id" in fields else [],
            "table_notes": (db.session.scalars(live_notes(table.id)).all()
                            if "notes" in fields else []),
            "card_errors": {}, "card_values": {}, "conflicts": {}}


def linked_note_ids(table_id: int) -> set[int]:
    """The notes the table's card answers."""
    return set(db.session.scalars(
        select(proposal_note.c.note_id).join(Proposal, Proposal.id == proposal_note.c.proposal_id)
        .where(Proposal.table_id == table_id)))


def is_linked(note_id: int) -> bool:
    return db.session.scalar(select(proposal_note.c.note_id)
                             .where(proposal_note.c.note_id == note_id)) is not None


def euros(amount) -> str:
    """« 12 500 € »: grouped the way of the current language, whole euros."""
    return "" if amount is None else f"{format_decimal(amount)}\u00a0€"


def shown_value(proposal, field, value=None):
    """A field's value as its input shows it."""
    value = card_value(proposal, field) if value is None else value
    kind = BY_NAME[field].kind
    if kind == "list":
        return "\n".join(value or [])
    if kind == "euros":
        return "" if value is None else format_decimal(value)
    return "" if value is None else value


def shown_revision(proposal, field, value):
    """A saved value as people read it (an axis by its title, notes by their text)."""
    kind = BY_NAME[field].kind
    if kind == "axis":
        axis = next((a for a in proposal.table.event.priority_axes if a.id == value), None)
        return axis.title if axis else ""
    if kind == "person":
        person = next((p for p in proposal.table.participants if p.id == value), None)
        return person.name if person else ""
    if kind == "notes":
        return " · ".join(db.session.scalars(select(Note.text).where(Note.id.in_(value or []))))
    if kind == "euros":
        return euros(value)
    return shown_value(proposal, field, value)
