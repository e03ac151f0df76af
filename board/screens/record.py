"""The day's record: its figures (the report, the JSON, the console) and the public page of
its results after the day."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..card import REQUIRED_CARD_FIELDS, card_value, is_empty
from ..extensions import db
from ..models import (
    Axis,
    Decision,
    Event,
    Note,
    Participant,
    PriorityAxis,
    Proposal,
    Sponsor,
    Table,
    Vote,
)

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

# The statuses a citizen reads on the public page: where each proposal stands after the day.
PUBLIC_STATUS_LABELS = {
    "pitched": _l("Présentée"),
    "prototype": _l("Prototype"), "to_study": _l("À étudier"),
    "not_retained": _l("Non retenue"),
}
FOLLOW_UP_STATUS_LABELS = {
    "to_start": _l("À lancer"), "experimenting": _l("En expérimentation"),
    "evaluated": _l("Évalué"), "extended": _l("Étendu"), "stopped": _l("Arrêté"),
}
PUBLIC_FORMAT = "tablee-results"


def public_results(event: Event) -> dict:
    """The day's results as the public page and its JSON show them: the priority axes, each
    proposal with its status, sponsor and dated follow-up. No participant's name is in it
    (not the authors, not who pitched), nor any contact."""
    cards = db.session.scalars(
        select(Proposal).join(Table).where(Table.event_id == event.id)
        .order_by(Table.number)).all()
    decisions = {d.proposal_id: d for d in db.session.scalars(
        select(Decision).where(Decision.proposal_id.in_([c.id for c in cards])))}
    sponsors = {s.proposal_id: s for s in db.session.scalars(
        select(Sponsor).where(Sponsor.proposal_id.in_([c.id for c in cards])))}
    order = {"prototype": 0, "to_study": 1, "pitched": 2, "not_retained": 3}
    proposals = []
    for card in sorted(cards, key=lambda c: (order.get(c.status, 4), c.table.number)):
        if card.status in ("draft", "ready"):
            continue  # only what was pitched to the room is a result
        sponsor, decision = sponsors.get(card.id), decisions.get(card.id)
        proposals.append({
            "table": card.table.number,
            "title": card.title,
            "priority_axis": card.priority_axis.title if card.priority_axis else None,
            "need": card.need, "objective": card.objective, "summary": card.summary,
            "place": {"neighbourhood": card.neighbourhood, "city": card.city,
                      "department": card.department},
            "budget_euros": card.budget_amount,
            "status": card.status,
            "status_label": str(PUBLIC_STATUS_LABELS[card.status]),
            "decided_on": decision.decided_at.date().isoformat() if decision else None,
            "decision_comment": decision.comment if decision else "",
            "sponsor": None if sponsor is None else {
                "name": sponsor.name, "team": sponsor.team, "status": sponsor.status,
                "status_label": str(FOLLOW_UP_STATUS_LABELS[sponsor.status]),
                "follow_up": [{"date": note.noted_on.isoformat(), "status": note.status,
                               "status_label": str(FOLLOW_UP_STATUS_LABELS[note.status]),
                               "text": note.text} for note in sponsor.notes]},
        })
    axes = db.session.scalars(select(PriorityAxis).where(PriorityAxis.event_id == event.id)
                              .order_by(PriorityAxis.position, PriorityAxis.id)).all()
    return {
        "format": PUBLIC_FORMAT, "version": 1,
        "event": {"name": event.name,
                  "date": event.date.isoformat() if event.date else None,
                  "place": event.place},
        "figures": figures(event),
        "priority_axes": [{"rank": i, "theme": a.theme.name, "title": a.title}
                          for i, a in enumerate(axes, 1)],
        "proposals": proposals,
    }
