"""Setting an event up and closing it: events, their tables and codes, the next edition,
and the names purged after the day."""

import secrets

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import delete, func, select, update

from ..card import CARD_FIELDS, empty_card_fields
from ..extensions import db
from ..models import (
    CAPTAIN_CODE_LENGTH,
    JOIN_CODE_LENGTH,
    Axis,
    Connection,
    Event,
    Note,
    Organizer,
    Participant,
    PhaseStep,
    Pitch,
    PriorityAxis,
    Proposal,
    ProposalRevision,
    Stage,
    Table,
    Theme,
    new_code,
)
from .tables import seated, unseat
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


def _has_work(table: Table) -> bool:
    """Anything a table made or anyone sitting at it: removing it would lose that."""
    if db.session.scalar(select(func.count()).select_from(Participant)
                         .where(Participant.table_id == table.id)):
        return True
    if db.session.scalar(select(func.count()).select_from(Note).where(Note.table_id == table.id)):
        return True
    if db.session.scalar(select(func.count()).select_from(Axis).where(Axis.table_id == table.id)):
        return True
    card = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
    return card is not None and len(empty_card_fields(card)) < len(CARD_FIELDS)


def _theme_in_use(theme: Theme) -> bool:
    return any(db.session.scalar(select(func.count()).select_from(model).where(
        model.theme_id == theme.id)) for model in (Note, Axis, PriorityAxis))


def update_event(event: Event, data: dict) -> Event:
    """Change an event's set-up after its creation: its name, date and place, its themes
    (renamed, recoloured, added, or removed when nothing uses them), its tables' names and
    its number of tables (more at any time; fewer only while the tables removed are empty).
    Refused whole, with the reason, where a change would lose work."""
    with writing(event):
        event.name, event.date, event.place = data["name"], data.get("date"), data["place"]
        existing = {t.id: t for t in event.themes}
        kept = []
        for position, theme in enumerate(data["themes"]):
            row = existing.get(theme.get("id"))
            if row is None:
                row = Theme(event=event, name=theme["name"], colour=theme["colour"].lower())
                db.session.add(row)
            row.name, row.colour, row.position = theme["name"], theme["colour"].lower(), position
            kept.append(row)
        for row in existing.values():
            if row not in kept:
                if _theme_in_use(row):
                    raise ValidationError({"themes": [_l(
                        "La thématique « %(name)s » a déjà des constats ou des axes : gardez-la "
                        "(vous pouvez la renommer).", name=row.name)]})
                db.session.delete(row)
        names = {t["id"]: t["name"] for t in data.get("table_names", [])}
        for table in event.tables:
            if table.id in names:
                table.name = names[table.id]
        count, tables = data["table_count"], list(event.tables)
        if count > len(tables):
            last = max((t.number for t in tables), default=0)
            for number in range(last + 1, last + 1 + count - len(tables)):
                event.tables.append(Table(number=number))
            db.session.flush()
            equip_tables(event)
        elif count < len(tables):
            removed = tables[count:]
            busy = [t.label for t in removed if _has_work(t)]
            if busy:
                raise ValidationError({"table_count": [_l(
                    "Impossible de retirer %(tables)s : on y a déjà travaillé (personnes "
                    "inscrites, constats, axes ou fiche). Gardez au moins %(num)d tables.",
                    tables=", ".join(busy), num=max(t.number for t in removed
                                                      if t.label in busy))]})
            ids = [t.id for t in removed]
            stage = db.session.scalar(select(Stage).where(Stage.event_id == event.id))
            if stage is not None and stage.current_pitch is not None \
                    and stage.current_pitch.table_id in ids:
                stage.current_pitch = None
            db.session.execute(delete(Pitch).where(Pitch.table_id.in_(ids)))
            db.session.execute(delete(Proposal).where(Proposal.table_id.in_(ids)))
            for table in removed:
                event.tables.remove(table)
                db.session.delete(table)
    return event


def regenerate_codes(table: Table, everyone: bool = False) -> list[str]:
    """New join and captain codes: the old ones stop working at once, and whoever came in
    with the old captain code loses their seat (a leaked captain code ends with it); with
    `everyone`, every person seated at the table does. Returns the sockets to close."""
    with writing():
        table.join_code = new_code(JOIN_CODE_LENGTH)
        table.captain_code = new_code(CAPTAIN_CODE_LENGTH)
        return unseat([person for person in seated(table) if everyone or person.is_captain])


def end_sessions(organizer: Organizer) -> None:
    """Sign the organizer out everywhere: every session made before now ends."""
    with writing():
        db.session.execute(update(Organizer).where(Organizer.id == organizer.id)
                           .values(session_epoch=Organizer.session_epoch + 1))
    db.session.refresh(organizer)


def use_sign_in_link(organizer: Organizer, serial: int) -> bool:
    """Spend a sign-in link made at `serial`: true once, for the first to use it (the
    UPDATE only matches while the serial is unchanged, so two at once cannot both win)."""
    with writing():
        used = db.session.execute(update(Organizer).where(
            Organizer.id == organizer.id, Organizer.link_serial == serial)
            .values(link_serial=Organizer.link_serial + 1)).rowcount == 1
    db.session.refresh(organizer)
    return used


def new_plenary_token(event: Event) -> str:
    """A new link for the plenary screens: the old one stops working (a photographed or
    forwarded link). Returns the old token, for the caller to close its screens."""
    with writing():
        old, event.plenary_token = event.plenary_token, secrets.token_urlsafe(24)
    return old


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


def publish_results(event: Event, publish: bool) -> Event:
    """Open the public page of the day's results at a new unguessable address, or close it
    (a later publication gets another address: a withdrawn link stays dead)."""
    with writing():
        if not publish:
            event.results_token = None
        elif event.results_token is None:
            event.results_token = secrets.token_urlsafe(24)
    return event


def anonymous_name(number: int) -> str:
    return f"Participant·e {number}"


def purge_names(event: Event) -> int:
    """Replace the first names of an event's participants by « Participant·e n »,
    everywhere one is kept: the people, and each card revision's author (the history).

    The work stays: notes and revisions keep their author, who is now a number within the
    event. Returns how many people's names were replaced.
    """
    with writing():
        people = db.session.scalars(
            select(Participant).join(Table).where(Table.event_id == event.id)
            .order_by(Participant.id)).all()
        changed = 0
        numbered = {}
        for number, person in enumerate(people, start=1):
            numbered[person.id] = anonymous_name(number)
            if person.name != anonymous_name(number):
                person.name = anonymous_name(number)
                changed += 1
        revisions = db.session.scalars(select(ProposalRevision).join(Proposal).join(Table)
                                       .where(Table.event_id == event.id))
        for revision in revisions:
            # A revision whose author was deleted keeps no name either.
            name = numbered.get(revision.participant_id, "Participant·e")
            if revision.author_name and revision.author_name != name:
                revision.author_name = name
        db.session.execute(delete(Connection).where(
            Connection.table_id.in_(select(Table.id).where(Table.event_id == event.id))))
    return changed
