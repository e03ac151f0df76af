"""Setting an event up and closing it: events, their tables and codes, the next edition,
and the names purged after the day."""

from sqlalchemy import delete, select

from ..extensions import db
from ..models import (
    CAPTAIN_CODE_LENGTH,
    JOIN_CODE_LENGTH,
    Connection,
    Event,
    Participant,
    PhaseStep,
    Pitch,
    Proposal,
    Stage,
    Table,
    Theme,
    new_code,
)
from .writing import add_once, made_before, writing


def create_event(data: dict) -> Event:
    """A new event with its themes and tables; each table has its card and its place in
    the pitch queue from the start, so that no page has to make them when it is read."""
    key = data.get("idempotency_key")
    existing = made_before(Event, key)
    if existing is not None:
        return existing
    with writing():
        event = Event(name=data["name"], date=data.get("date"), place=data.get("place", ""),
                      idempotency_key=key)
        event.themes = [Theme(name=t["name"], colour=t["colour"].lower(), position=i)
                        for i, t in enumerate(data["themes"])]
        event.tables = [Table(number=n) for n in range(1, data["table_count"] + 1)]
        event, created = add_once(event, Event, key)
        if created:
            equip_tables(event)
    return event


def equip_tables(event: Event) -> None:
    """Give every table of the event that lacks them its card and its place in the pitch
    queue (after the tables already queued, in table order)."""
    have_card = set(db.session.scalars(select(Proposal.table_id).join(Table)
                                       .where(Table.event_id == event.id)))
    queued = set(db.session.scalars(select(Pitch.table_id).where(Pitch.event_id == event.id)))
    last = len(queued)
    for table in event.tables:
        if table.id not in have_card:
            db.session.add(Proposal(table=table))
        if table.id not in queued:
            db.session.add(Pitch(event_id=event.id, table=table, position=last))
            last += 1
    db.session.flush()


def regenerate_codes(table: Table) -> Table:
    """New join and captain codes: the old ones stop working at once."""
    with writing():
        table.join_code = new_code(JOIN_CODE_LENGTH)
        table.captain_code = new_code(CAPTAIN_CODE_LENGTH)
    return table


def create_event_from(source: Event, data: dict) -> Event:
    """The next edition: a new event (its own themes and tables) with the old one's phase
    instructions, countdowns and pitch length."""
    event = create_event(data)
    with writing():
        for step in db.session.scalars(select(PhaseStep).where(PhaseStep.event_id == source.id)):
            db.session.add(PhaseStep(event_id=event.id, phase=step.phase,
                                     instruction=step.instruction, minutes=step.minutes))
        old_stage = db.session.scalar(select(Stage).where(Stage.event_id == source.id))
        if old_stage is not None:
            db.session.add(Stage(event_id=event.id, pitch_seconds=old_stage.pitch_seconds))
    return event


def anonymous_name(number: int) -> str:
    return f"Participant·e {number}"


def purge_names(event: Event) -> int:
    """Replace the first names of an event's participants by « Participant·e n ».

    The work stays: notes keep their author, who is now a number within the event.
    Returns how many names were replaced.
    """
    with writing():
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
    return changed
