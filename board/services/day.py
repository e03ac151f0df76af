"""The organizer's day: phases and their countdowns, the pitch queue, the selection, sponsors.

Every function takes `now` from its caller, so that tests control the clock; a change the
screens show bumps the event's number in its transaction (writing.py).
"""

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from ..card import DECISIONS
from ..extensions import db
from ..models import (
    PITCH_SECONDS,
    Countdown,
    Decision,
    Event,
    FollowUpNote,
    PhaseStep,
    Pitch,
    Proposal,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
)
from .proposals import set_status
from .writing import writing

# The phases during which the plenary may show the selection's results.
RESULT_PHASES = ("selection", "follow_up")


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
    """Move the whole event to `phase`; its usual countdown starts, or the running one stops.

    The plenary follows the step: leaving the pitches ends the one on screen, and the
    results leave the wall in any step before the selection."""
    with writing(event):
        event.phase = phase
        stage = db.session.scalar(select(Stage).filter_by(event_id=event.id))
        if stage is not None:
            if phase != "pitches" and stage.current_pitch is not None:
                _end_pitches(event, stage, now)
            if stage.screen == "results" and phase not in RESULT_PHASES:
                stage.screen = "wall"
        step = db.session.scalar(select(PhaseStep).filter_by(event_id=event.id, phase=phase))
        countdown = countdown_of(event, "phase")
        if step is not None and step.minutes:
            _start(countdown, step.minutes * 60, now)
        else:
            countdown.ends_at = countdown.remaining = None
    return event


def set_phase_step(event: Event, phase: str, data: dict) -> PhaseStep:
    """The instruction the tablets show during `phase`, and its usual countdown in minutes."""
    with writing(event):
        step = _one(PhaseStep, event, {"instruction": ""}, phase=phase)
        step.instruction = data["instruction"]
        step.minutes = data.get("minutes")
    return step


def control_countdown(event: Event, kind: str, data: dict, now: datetime) -> Countdown:
    """Start, pause, resume, extend or stop one of the event's countdowns."""
    action, seconds = data["action"], data.get("seconds")
    existing = db.session.scalar(select(Countdown).filter_by(event_id=event.id, kind=kind))
    if action == "start" and not seconds:
        raise ValidationError({"seconds": [_l("Donnez une durée.")]})
    if action == "extend" and (existing is None or existing.stopped):
        raise ValidationError({"seconds": [_l("Aucun compte à rebours à prolonger.")]})
    with writing(event):
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
    return countdown


def pitch_queue(event: Event) -> list[Pitch]:
    """The pitch order: by table number until the organizer reorders it (every table has
    its place from its creation: see organizer.equip_tables)."""
    return list(db.session.scalars(select(Pitch).where(Pitch.event_id == event.id)
                                   .order_by(Pitch.position, Pitch.id)))


def move_pitch(event: Event, pitch: Pitch, offset: int) -> list[Pitch]:
    """Move a table up (-1) or down (+1) the pitch queue."""
    with writing(event):
        queue = pitch_queue(event)
        i = queue.index(pitch)
        j = min(max(i + offset, 0), len(queue) - 1)
        queue.insert(j, queue.pop(i))
        for position, p in enumerate(queue):
            p.position = position
    return queue


def _proposal_of(table_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.table_id == table_id))


def _end_pitches(event: Event, stage: Stage, now: datetime) -> None:
    current = stage.current_pitch
    if current is not None and current.ended_at is None:
        current.ended_at = now
    stage.current_pitch = None
    if stage.screen == "pitch":
        stage.screen = "wall"
    countdown = countdown_of(event, "pitch")
    countdown.ends_at = countdown.remaining = None


def _pitches_open(event: Event) -> None:
    if event.phase != "pitches":
        raise ValidationError({"phase": [_l(
            "Les présentations se lancent pendant l'étape « Présentations » : passez d'abord "
            "à cette étape.")]})


def start_pitch(event: Event, pitch: Pitch | None, now: datetime) -> Stage:
    """Put a table's card on the plenary with a fresh countdown; None ends the pitches.
    Only during the pitch step: a press of the remote in the morning starts nothing."""
    if pitch is not None:
        _pitches_open(event)
    with writing(event):
        stage = stage_of(event)
        if pitch is None:
            _end_pitches(event, stage, now)
        else:
            current = stage.current_pitch
            if current is not None and current.ended_at is None:
                current.ended_at = now
            countdown = countdown_of(event, "pitch")
            stage.current_pitch = pitch
            stage.screen = "pitch"
            pitch.started_at, pitch.ended_at = now, None
            proposal = _proposal_of(pitch.table_id)
            if proposal is not None and proposal.status in ("draft", "ready"):
                set_status(proposal, "pitched")
            _start(countdown, stage.pitch_seconds, now)
    return stage


def step_pitch(event: Event, step: int, now: datetime) -> Stage:
    """The next (+1) or previous (-1) table in the queue; past either end, back to the wall."""
    _pitches_open(event)
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
    if data.get("screen") == "results" and event.phase not in RESULT_PHASES:
        raise ValidationError({"screen": [_l(
            "Les résultats se montrent pendant la sélection ou le suivi : passez d'abord à "
            "l'étape « Sélection ».")]})
    if data.get("screen") == "pitch":
        _pitches_open(event)
    with writing(event):
        stage = stage_of(event)
        if data.get("screen"):
            stage.screen = data["screen"]
        if data.get("pitch_seconds"):
            stage.pitch_seconds = data["pitch_seconds"]
    return stage


def set_spotlight(event: Event, data: dict) -> Stage:
    """Put one of the event's tables on the whole plenary wall (« Montrer la table 7 »), or,
    with no table, bring the wall back."""
    table_id = None
    if data.get("number") is not None:
        table_id = db.session.scalar(select(Table.id).where(
            Table.number == data["number"], Table.event_id == event.id))
        if table_id is None:
            raise ValidationError({"number": [_l("Choisissez une table de l'événement.")]})
    with writing(event):
        stage = stage_of(event)
        stage.spotlight_table_id = table_id
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
    """Record (or clear, with an empty verdict) the selection's verdict on a proposal.

    A card decided on without its pitch having been started here was pitched all the same:
    its history says so before it says the verdict."""
    event = proposal.table.event
    _selection_open(event)
    with writing(event):
        decision = db.session.scalar(select(Decision).where(Decision.proposal_id == proposal.id))
        if not data["verdict"]:
            if decision is not None:
                db.session.delete(decision)
                decision = None
            if proposal.status in DECISIONS:
                set_status(proposal, "pitched")
        else:
            if decision is None:
                decision = Decision(proposal=proposal)
                db.session.add(decision)
            decision.verdict = data["verdict"]
            decision.comment = data.get("comment", "")
            decision.decided_at = now
            if proposal.status in ("draft", "ready"):
                set_status(proposal, "pitched")
            set_status(proposal, data["verdict"])
    return decision


def close_selection(event: Event, by: str, now: datetime) -> SelectionLog:
    """Freeze the selection; verdicts cannot change until it is reopened."""
    _selection_open(event)
    with writing(event):
        entry = SelectionLog(event_id=event.id, action="closed", by=by, at=now)
        db.session.add(entry)
    return entry


def reopen_selection(event: Event, by: str, data: dict, now: datetime) -> SelectionLog:
    """Reopen a closed selection, saying who and why: the log keeps both."""
    if selection_closed_at(event) is None:
        raise ValidationError({"reason": [_l("La sélection est déjà ouverte.")]})
    with writing(event):
        entry = SelectionLog(event_id=event.id, action="reopened", by=by, reason=data["reason"],
                             at=now)
        db.session.add(entry)
    return entry


def set_sponsor(proposal: Proposal, data: dict) -> Sponsor:
    """Name the sponsor of a prototype (only prototypes are sponsored)."""
    if proposal.status != "prototype":
        raise ValidationError(
            {"name": [_l("Seuls les prototypes ont un parrain ou une marraine.")]})
    with writing():
        sponsor = db.session.scalar(select(Sponsor).where(Sponsor.proposal_id == proposal.id))
        if sponsor is None:
            sponsor = Sponsor(proposal=proposal)
            db.session.add(sponsor)
        sponsor.name, sponsor.team = data["name"], data["team"]
        sponsor.contact = data.get("contact", "")
    return sponsor


def add_follow_up(sponsor: Sponsor, data: dict) -> FollowUpNote:
    """A dated note on the prototype's follow-up; its status becomes the prototype's."""
    with writing():
        note = FollowUpNote(sponsor=sponsor, noted_on=data["noted_on"], status=data["status"],
                            text=data.get("text", ""))
        sponsor.status = data["status"]
        db.session.add(note)
    return note
