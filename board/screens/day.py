"""The day as the screens show it: the phase banner and its countdowns, the stage (a pitch,
the results), the organizer's console, the selection and the follow-up."""

from datetime import UTC, date, datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func, select

from ..card import CARD_FIELDS, DECISIONS, STATUS_LABELS, empty_card_fields
from ..extensions import db
from ..models import (
    FOLLOW_UP_STATUSES,
    PHASES,
    PITCH_SECONDS,
    PITCH_WARNING_SECONDS,
    Connection,
    Countdown,
    Decision,
    Event,
    Note,
    PhaseStep,
    Proposal,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    utcnow,
)
from ..services import day as day_services
from ..slices import no_pause
from .wall import table_cards

PHASE_LABELS = {
    "setup": _l("Préparation"),
    "diagnostic": _l("Diagnostic"),
    "axes": _l("Axes"),
    "consolidation": _l("Consolidation"),
    "drafting": _l("Rédaction des fiches"),
    "pitches": _l("Présentations"),
    "selection": _l("Sélection"),
    "follow_up": _l("Suivi"),
}
DEFAULT_INSTRUCTIONS = {
    "setup": _l("Installez-vous. Scannez le QR code de votre table."),
    "diagnostic": _l("Écrivez ce que vous voyez dans votre quartier. Une idée par constat."),
    "axes": _l("Rangez ensemble les constats qui vont ensemble : ce sont les axes. "
               "Puis votez avec vos gommettes."),
    "consolidation": _l("Regardez le grand écran. "
                        "Ensemble, nous choisissons les axes les plus importants."),
    "drafting": _l("Écrivez votre fiche projet ensemble. Le ou la capitaine choisit l'axe."),
    # "pitches" is built from the pitch length: see default_instruction.
    "selection": _l("Le jury choisit les prototypes et les projets à étudier."),
    "follow_up": _l("Merci ! Les résultats restent consultables."),
}
VERDICT_LABELS = {decision: STATUS_LABELS[decision] for decision in DECISIONS}
FOLLOW_UP_LABELS = {"to_start": _l("À lancer"), "experimenting": _l("En expérimentation"),
                    "evaluated": _l("Évalué"), "extended": _l("Étendu"), "stopped": _l("Arrêté")}


# What the room sees once the organizer moves to each phase (the confirmation says it).
PHASE_EFFECTS = {
    "setup": _l("Les tablettes invitent à scanner le QR code de la table."),
    "diagnostic": _l("Les tablettes ouvrent l'écriture des constats ; la plénière montre les "
                     "tables."),
    "axes": _l("Les tablettes passent aux axes : regrouper les constats et voter avec les "
               "gommettes."),
    "consolidation": _l("Les tablettes invitent à regarder la plénière, qui montre les axes "
                        "prioritaires retenus."),
    "drafting": _l("Les tablettes ouvrent la fiche projet de chaque table."),
    "pitches": _l("Aucune présentation ne démarre d'elle-même : vous lancerez la première "
                  "table depuis la régie."),
    "selection": _l("Le jury décide ; les résultats ne s'affichent que quand vous les "
                    "montrez."),
    "follow_up": _l("Les tablettes remercient la salle ; les résultats restent consultables."),
}
PROGRESS_PAGE = 30
SELECTION_PAGE = 12  # whole cards: a jury reads a dozen before moving on
QUEUE_SHOWN = 8


def duration_words(seconds: int) -> str:
    """A length as people say it: « 3 minutes », « 35 secondes », « 1 minute 30 »."""
    minutes, rest = divmod(int(seconds), 60)
    if not minutes:
        return ngettext("%(num)d seconde", "%(num)d secondes", rest)
    words = ngettext("%(num)d minute", "%(num)d minutes", minutes)
    return f"{words} {rest:02d}" if rest else words


def default_instruction(phase: str, pitch_seconds: int) -> str:
    """A phase's instruction when the organizer wrote none; the pitch one quotes the length
    set in the régie, so that changing the length changes what the tablets say."""
    if phase == "pitches":
        return _("Chaque table présente sa fiche en %(duration)s.",
                 duration=duration_words(pitch_seconds))
    return str(DEFAULT_INSTRUCTIONS.get(phase, ""))


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
        else default_instruction(event.phase, stage.pitch_seconds),
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
        .options(db.joinedload(Proposal.table), db.joinedload(Proposal.priority_axis),
                 # whether a card is empty asks for its linked notes: one query, not one each
                 db.selectinload(Proposal.notes).load_only(Note.id))).all()


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


def pitch_seconds(event: Event) -> int:
    stage = _existing(Stage, event.id)
    return stage.pitch_seconds if stage else PITCH_SECONDS


def next_phase(phase: str) -> str | None:
    i = PHASES.index(phase)
    return PHASES[i + 1] if i + 1 < len(PHASES) else None


def console_context(event: Event) -> dict:
    """What the régie's live region shows: the steps, the controls, the pitch queue. The
    tables' progress is not in it (see `progress_context`): at 200 tables it would weigh
    a megabyte at every reconnection."""
    seconds = pitch_seconds(event)
    queue = day_services.pitch_queue(event) if event.phase == "pitches" else []
    return {"event": event, "phases": PHASES, "labels": PHASE_LABELS,
            "next_phase": next_phase(event.phase), **queue_context(event, queue, QUEUE_SHOWN),
            "steps": {s.phase: s for s in db.session.scalars(
                select(PhaseStep).where(PhaseStep.event_id == event.id))},
            "defaults": {phase: default_instruction(phase, seconds) for phase in PHASES}}


def queue_context(event: Event, queue: list, shown: int | None = None) -> dict:
    """The pitch queue with each table's card title; around the current table only when
    `shown` is given (the régie), all of it on the order page."""
    start = 0
    if shown is not None and queue:
        stage = _existing(Stage, event.id)
        current = next((i for i, p in enumerate(queue)
                        if stage is not None and p.id == stage.current_pitch_id), None)
        if current is None:
            current = next((i for i, p in enumerate(queue) if p.ended_at is None), 0)
        start = max(0, min(current - 1, len(queue) - shown))
    window = list(enumerate(queue))[start:start + shown if shown else None]
    ids = [p.table_id for _, p in window]
    titles = dict(db.session.execute(select(Proposal.table_id, Proposal.title).where(
        Proposal.table_id.in_(ids), Proposal.title != "")).all()) if ids else {}
    return {"queue": window, "queue_total": len(queue), "titles": titles}


def phase_change(event: Event, phase: str) -> dict:
    """What the confirmation of a step change says the room will see."""
    stage = _existing(Stage, event.id)
    step = _existing(PhaseStep, event.id, phase=phase)
    effects = [PHASE_EFFECTS[phase]]
    if step is not None and step.minutes:
        effects.append(_("Un compte à rebours de %(duration)s démarre.",
                         duration=duration_words(step.minutes * 60)))
    else:
        effects.append(_("Pas de compte à rebours pour cette étape."))
    if stage is not None and stage.current_pitch_id and phase != "pitches":
        effects.append(_("La présentation en cours s'arrête ; la plénière revient aux tables."))
    if stage is not None and stage.screen == "results" \
            and phase not in day_services.RESULT_PHASES:
        effects.append(_("Les résultats quittent la plénière ; elle revient aux tables."))
    back = PHASES.index(phase) < PHASES.index(event.phase)
    return {"event": event, "phase": phase, "label": PHASE_LABELS[phase], "back": back,
            "instruction": step.instruction if step and step.instruction
            else default_instruction(phase, pitch_seconds(event)), "effects": effects}


def progress_context(event: Event, page: int = 1, pause=no_pause) -> dict:
    """The tables' progress for the régie: totals for the whole event, and one page of
    tables, one line each; `pause` is called between its queries (see board/slices.py)."""
    count = len(event.tables)
    pages = max(1, -(-count // PROGRESS_PAGE))
    page = min(max(page, 1), pages)
    shown = event.tables[(page - 1) * PROGRESS_PAGE:page * PROGRESS_PAGE]
    tables = select(Table.id).where(Table.event_id == event.id)
    present = db.session.scalar(select(func.count(func.distinct(Connection.table_id)))
                                .where(Connection.table_id.in_(tables)))
    ready = db.session.scalar(select(func.count()).select_from(Proposal).where(
        Proposal.table_id.in_(tables), Proposal.status != "draft"))
    pause()
    return {"event": event, "rows": table_cards(shown, pause=pause), "page": page,
            "pages": pages,
            "totals": {"tables": count, "present": present, "ready": ready}}


def selection_context(event: Event, page: int = 1, showing: int | None = None,
                      pause=no_pause) -> dict:
    """The selection: one page of the cards to judge (`showing`: the page that holds that
    card), the empty ones apart, the decisions, the log; `pause` is called between its
    steps (see board/slices.py).

    Each card is shown in full: at 210 tables all of them made a 485 KB page that took
    the process a tenth of a second to render. The jury reads them a page at a time; the
    pager names the tables on each page so that any table is one tap away."""
    log = db.session.scalars(select(SelectionLog).where(SelectionLog.event_id == event.id)
                             .order_by(SelectionLog.id)).all()
    proposals = proposals_of(event)
    pause()
    # A card nobody wrote anything in is no candidate: it is listed apart, never judged.
    empty = [p for p in proposals if len(empty_card_fields(p)) == len(CARD_FIELDS)]
    to_judge = [p for p in proposals if p not in empty]
    pause()
    pages = [to_judge[i:i + SELECTION_PAGE] for i in range(0, len(to_judge), SELECTION_PAGE)]
    if showing is not None:
        page = next((n for n, cards in enumerate(pages, 1)
                     if any(p.id == showing for p in cards)), page)
    page = min(max(page, 1), max(len(pages), 1))
    decisions = decisions_of(event)
    pause()
    return {"event": event, "proposals": pages[page - 1] if pages else [],
            "to_judge": len(to_judge), "decided": sum(1 for p in to_judge if p.id in decisions),
            "page": page, "pages": [(cards[0].table, cards[-1].table) for cards in pages],
            "empty": empty, "decisions": decisions,
            "closed_at": day_services.selection_closed_at(event), "log": log,
            "verdicts": DECISIONS, "labels": VERDICT_LABELS, "values": {}, "errors": {}}


def follow_up_context(event: Event) -> dict:
    return {"event": event, "results": results(event), "statuses": FOLLOW_UP_STATUSES,
            "labels": FOLLOW_UP_LABELS, "today": date.today(), "values": {}, "errors": {},
            "target": None}
