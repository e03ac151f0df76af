"""The day as the screens show it: the phase banner and its countdowns, the stage (a pitch,
the results), the organizer's console, the selection and the follow-up."""

from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..card import DECISIONS, STATUS_LABELS
from ..extensions import db
from ..models import (
    FOLLOW_UP_STATUSES,
    PHASES,
    PITCH_SECONDS,
    PITCH_WARNING_SECONDS,
    Countdown,
    Decision,
    Event,
    PhaseStep,
    Proposal,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    utcnow,
)
from ..services import day as day_services
from .wall import table_cards

PHASE_LABELS = {
    "setup": _l("Préparation"),
    "diagnostic": _l("Diagnostic"),
    "axes": _l("Axes"),
    "consolidation": _l("Consolidation"),
    "drafting": _l("Rédaction des fiches"),
    "pitches": _l("Pitchs"),
    "selection": _l("Sélection"),
    "follow_up": _l("Suivi"),
}
DEFAULT_INSTRUCTIONS = {
    "setup": _l("Installez-vous : scannez le QR code de votre table."),
    "diagnostic": _l("Écrivez vos constats, un par papillon, chacun avec sa thématique."),
    "axes": _l("Regroupez vos constats en axes, nommez-les, puis votez avec vos gommettes."),
    "consolidation": _l("Regardez la plénière : nous retenons ensemble les axes prioritaires."),
    "drafting": _l("Choisissez un axe prioritaire et rédigez votre fiche projet ensemble."),
    "pitches": _l("Chaque table présente sa fiche en trois minutes."),
    "selection": _l("Le jury choisit les prototypes et les projets à étudier."),
    "follow_up": _l("Merci ! Les résultats restent consultables."),
}
VERDICT_LABELS = {decision: STATUS_LABELS[decision] for decision in DECISIONS}
FOLLOW_UP_LABELS = {"to_start": _l("À lancer"), "experimenting": _l("En expérimentation"),
                    "evaluated": _l("Évalué"), "extended": _l("Étendu"), "stopped": _l("Arrêté")}


def now() -> datetime:
    """The server's clock (naive UTC); tests put a controlled one in config["CLOCK"]."""
    return current_app.config.get("CLOCK", utcnow)()


def epoch_ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


def _existing(model, event_id, **kwargs):
    return db.session.scalar(select(model).filter_by(event_id=event_id, **kwargs))


def day_state(event: Event) -> dict:
    """Everything the banner and the stage need, read without writing anything."""
    stage = _existing(Stage, event.id) or Stage(screen="wall", pitch_seconds=PITCH_SECONDS)
    countdowns = {kind: _existing(Countdown, event.id, kind=kind) for kind in ("phase", "pitch")}
    step = _existing(PhaseStep, event.id, phase=event.phase)
    pitch = stage.current_pitch
    proposal = None
    if pitch is not None:
        proposal = db.session.scalar(select(Proposal).where(Proposal.table_id == pitch.table_id))
    return {
        "now": now(),
        "phase": event.phase,
        "phase_label": PHASE_LABELS.get(event.phase, event.phase),
        "instruction": step.instruction if step and step.instruction
        else DEFAULT_INSTRUCTIONS.get(event.phase, ""),
        "stage": stage,
        "phase_countdown": countdowns["phase"],
        "pitch_countdown": countdowns["pitch"],
        "pitch": pitch,
        "proposal": proposal,
        "screen": stage.screen if (stage.screen != "pitch" or pitch) else "wall",
        "results": results(event) if stage.screen == "results" else None,
        "warning": PITCH_WARNING_SECONDS,
    }


def format_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(-(-seconds // 1)))  # whole seconds, rounded up
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def countdown_view(countdown: Countdown | None, at: datetime) -> dict | None:
    """A countdown as the page renders it; the script keeps it ticking from the server's time."""
    if countdown is None or countdown.stopped:
        return None
    left = countdown.left(at)
    return {"server_now": epoch_ms(at), "ends_at": epoch_ms(countdown.ends_at)
            if countdown.running else "", "remaining": "" if countdown.running else left,
            "text": format_left(left), "over": left <= 0, "paused": countdown.paused}


def proposals_of(event: Event) -> list[Proposal]:
    return db.session.scalars(
        select(Proposal).join(Table).where(Table.event_id == event.id).order_by(Table.number)
        .options(db.joinedload(Proposal.table), db.joinedload(Proposal.priority_axis))).all()


def decisions_of(event: Event) -> dict[int, Decision]:
    rows = db.session.scalars(select(Decision).join(Proposal).join(Table)
                              .where(Table.event_id == event.id))
    return {d.proposal_id: d for d in rows}


def sponsors_of(event: Event) -> dict[int, Sponsor]:
    rows = db.session.scalars(select(Sponsor).join(Proposal).join(Table)
                              .where(Table.event_id == event.id))
    return {s.proposal_id: s for s in rows}


def results(event: Event) -> dict:
    """The selection as the plenary and the report show it: prototypes first, then to study."""
    proposals = proposals_of(event)
    return {"prototypes": [p for p in proposals if p.status == "prototype"],
            "to_study": [p for p in proposals if p.status == "to_study"],
            "closed_at": day_services.selection_closed_at(event),
            "sponsors": sponsors_of(event)}


def console_context(event: Event, with_cards: bool = True) -> dict:
    """What the console shows; the tables' cards are left out of the pushed controls."""
    return {"event": event, "phases": PHASES, "labels": PHASE_LABELS,
            "queue": day_services.pitch_queue(event),
            "steps": {s.phase: s for s in db.session.scalars(
                select(PhaseStep).where(PhaseStep.event_id == event.id))},
            "defaults": DEFAULT_INSTRUCTIONS,
            "cards": table_cards(event.tables) if with_cards else [],
            "proposals": {p.table_id: p for p in proposals_of(event)}}


def selection_context(event: Event) -> dict:
    log = db.session.scalars(select(SelectionLog).where(SelectionLog.event_id == event.id)
                             .order_by(SelectionLog.id)).all()
    return {"event": event, "proposals": proposals_of(event), "decisions": decisions_of(event),
            "closed_at": day_services.selection_closed_at(event), "log": log,
            "verdicts": DECISIONS, "labels": VERDICT_LABELS, "values": {}, "errors": {}}


def follow_up_context(event: Event) -> dict:
    return {"event": event, "results": results(event), "statuses": FOLLOW_UP_STATUSES,
            "labels": FOLLOW_UP_LABELS, "today": date.today(), "values": {}, "errors": {},
            "target": None}
