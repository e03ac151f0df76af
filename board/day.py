"""The organizer's day: phases and their countdowns, the pitch queue, the selection, sponsors.

The console (``/organisation/evenements/<id>/regie``) drives it from a laptop or a phone;
every change is pushed at once to the tablets (the banner: phase, instruction, countdown,
whose turn it is), to the plenary (the banner and the stage: a pitch or the results) and
to the other consoles of the event.
"""

from datetime import UTC, date, datetime

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from . import db, realtime, services
from .auth import current_organizer, organizer_required
from .models import (
    CARD_FIELDS,
    DECISIONS,
    FOLLOW_UP_STATUSES,
    PHASES,
    PITCH_WARNING_SECONDS,
    Countdown,
    Decision,
    Event,
    PhaseStep,
    Pitch,
    Proposal,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    empty_card_fields,
    utcnow,
)
from .schemas import (
    countdown_schema,
    decision_schema,
    follow_up_schema,
    phase_schema,
    phase_step_schema,
    queue_move_schema,
    reopen_schema,
    sponsor_schema,
    stage_schema,
)
from .web import wants_fragment

bp = Blueprint("day", __name__, url_prefix="/organisation/evenements/<int:event_id>")

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
VERDICT_LABELS = {"prototype": _l("Prototype"), "to_study": _l("À étudier"),
                  "not_retained": _l("Non retenu")}
FOLLOW_UP_LABELS = {"to_start": _l("À lancer"), "experimenting": _l("En expérimentation"),
                    "evaluated": _l("Évalué"), "extended": _l("Étendu"), "stopped": _l("Arrêté")}


def now() -> datetime:
    """The server's clock (naive UTC); tests put a controlled one in config["CLOCK"]."""
    return current_app.config.get("CLOCK", utcnow)()


def epoch_ms(moment: datetime) -> int:
    return int(moment.replace(tzinfo=UTC).timestamp() * 1000)


# ---- What the pages show -------------------------------------------------------------

def card_completeness(proposal: Proposal | None) -> tuple[int, int]:
    """How many of the card's fields are filled in, out of how many (as its meter counts)."""
    total = len(CARD_FIELDS)
    if proposal is None:
        return 0, total
    return total - len(empty_card_fields(proposal, CARD_FIELDS)), total


def _existing(model, event_id, **kwargs):
    return db.session.scalar(select(model).filter_by(event_id=event_id, **kwargs))


@bp.app_template_global()
def day_state(event: Event) -> dict:
    """Everything the banner and the stage need, read without writing anything."""
    stage = _existing(Stage, event.id) or Stage(screen="wall", pitch_seconds=180)
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
            "closed_at": services.selection_closed_at(event),
            "sponsors": sponsors_of(event)}


def format_left(seconds: float | None) -> str:
    if seconds is None:
        return ""
    seconds = max(0, int(-(-seconds // 1)))  # whole seconds, rounded up
    return f"{seconds // 60:d}:{seconds % 60:02d}"


@bp.app_template_global()
def countdown_view(countdown: Countdown | None, at: datetime) -> dict | None:
    """A countdown as the page renders it; the script keeps it ticking from the server's time."""
    if countdown is None or countdown.stopped:
        return None
    left = countdown.left(at)
    return {"server_now": epoch_ms(at), "ends_at": epoch_ms(countdown.ends_at)
            if countdown.running else "", "remaining": "" if countdown.running else left,
            "text": format_left(left), "over": left <= 0, "paused": countdown.paused}


def console_context(event: Event, with_cards: bool = True) -> dict:
    """What the console shows; the tables' cards are left out of the pushed controls."""
    from .plenary import table_cards

    return {"event": event, "phases": PHASES, "labels": PHASE_LABELS,
            "queue": services.pitch_queue(event),
            "steps": {s.phase: s for s in db.session.scalars(
                select(PhaseStep).where(PhaseStep.event_id == event.id))},
            "defaults": DEFAULT_INSTRUCTIONS,
            "cards": table_cards(event.tables) if with_cards else [],
            "proposals": {p.table_id: p for p in proposals_of(event)}}


# ---- Pushing -------------------------------------------------------------------------

def push_day(event: Event) -> None:
    """After an event-wide change: the banner to the tablets, banner and stage to the
    screens, the controls to the consoles."""
    with realtime.rendering_for_room():
        banner = render_template("day/_banner.html", event=event, oob=True)
        stage = render_template("day/_stage.html", event=event, oob=True)
        controls = render_template("day/_controls.html", oob=True,
                                   **console_context(event, with_cards=False))
    realtime.event_changed(event, tablets_html=banner, wall_html=banner + stage,
                           console_html=controls)


# ---- Views ---------------------------------------------------------------------------


def _done(event):
    """The answer to a console form: htmx gets nothing (it clears the alert line; the push
    brings the change), a plain form post goes back to the page it came from."""
    if wants_fragment():
        return ""
    return redirect(request.referrer or url_for(".console", event_id=event.id))


def _refused(event, errors):
    """A refused console action: 422 with the message in the console's alert line (the
    form stays as typed)."""
    message = " ".join(str(m) for messages in errors.values() for m in messages)
    if wants_fragment():
        return render_template("_flash.html", message=message, level="error"), 422
    return render_template("day/console.html", error=message, **console_context(event)), 422


@bp.get("/regie")
@organizer_required
def console(event_id):
    """The organizer's console for the day: phase, countdown, pitches, progress (phone-ready)."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/console.html", error=None, **console_context(event))


@bp.get("/regie/direct")
@organizer_required
def region(event_id):
    """The console's live region alone, refetched when its socket (re)connects."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/_console_board.html", **console_context(event))


@bp.post("/etape")
@organizer_required
def set_phase(event_id):
    """Move the whole event to another phase."""
    event = db.get_or_404(Event, event_id)
    try:
        data = phase_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    services.set_phase(event, data["phase"], now())
    push_day(event)
    return _done(event)


@bp.post("/etapes/<phase>")
@organizer_required
def set_phase_step(event_id, phase):
    """Edit a phase's instruction and usual countdown."""
    event = db.get_or_404(Event, event_id)
    if phase not in PHASES:
        abort(404)
    try:
        data = phase_step_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    services.set_phase_step(event, phase, data)
    push_day(event)
    return _done(event)


@bp.post("/compte-a-rebours/<kind>")
@organizer_required
def control_countdown(event_id, kind):
    """Start, pause, resume, extend or stop the phase's or the pitch's countdown."""
    event = db.get_or_404(Event, event_id)
    if kind not in ("phase", "pitch"):
        abort(404)
    try:
        services.control_countdown(event, kind, countdown_schema.load(request.form.to_dict()),
                                   now())
    except ValidationError as error:
        return _refused(event, error.messages)
    push_day(event)
    return _done(event)


def _pitch(event, pitch_id) -> Pitch:
    pitch = db.session.get(Pitch, pitch_id)
    if pitch is None or pitch.event_id != event.id:
        abort(404)
    return pitch


@bp.post("/pitchs/<int:pitch_id>/deplacer")
@organizer_required
def move_pitch(event_id, pitch_id):
    """Move a table up or down the pitch queue."""
    event = db.get_or_404(Event, event_id)
    pitch = _pitch(event, pitch_id)
    try:
        data = queue_move_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    services.move_pitch(event, pitch, data["offset"])
    push_day(event)
    return _done(event)


@bp.post("/pitchs/<int:pitch_id>/lancer")
@organizer_required
def start_pitch(event_id, pitch_id):
    """Put this table's card on the plenary and start its countdown."""
    event = db.get_or_404(Event, event_id)
    services.start_pitch(event, _pitch(event, pitch_id), now())
    push_day(event)
    return _done(event)


STEPS = {"suivant": 1, "precedent": -1}


@bp.post("/pitchs/<direction>")
@organizer_required
def step_pitch(event_id, direction):
    """The next or previous table in the queue; `fin` goes back to the wall."""
    event = db.get_or_404(Event, event_id)
    if direction == "fin":
        services.start_pitch(event, None, now())
    elif direction in STEPS:
        services.step_pitch(event, STEPS[direction], now())
    else:
        abort(404)
    push_day(event)
    return _done(event)


@bp.post("/pleniere")
@organizer_required
def set_stage(event_id):
    """What the plenary shows, and how long a pitch lasts."""
    event = db.get_or_404(Event, event_id)
    try:
        services.set_stage(event, stage_schema.load(request.form.to_dict()))
    except ValidationError as error:
        return _refused(event, error.messages)
    push_day(event)
    return _done(event)


# ---- Selection and follow-up ---------------------------------------------------------

def selection_context(event: Event) -> dict:
    log = db.session.scalars(select(SelectionLog).where(SelectionLog.event_id == event.id)
                             .order_by(SelectionLog.id)).all()
    return {"event": event, "proposals": proposals_of(event), "decisions": decisions_of(event),
            "closed_at": services.selection_closed_at(event), "log": log,
            "verdicts": DECISIONS, "labels": VERDICT_LABELS, "values": {}, "errors": {}}


def _proposal(event, proposal_id) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.table.event_id != event.id:
        abort(404)
    return proposal


@bp.get("/selection")
@organizer_required
def selection(event_id):
    """Every proposal with its verdict and comment; closing and reopening the selection."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/selection.html", **selection_context(event))


@bp.post("/selection/<int:proposal_id>")
@organizer_required
def decide(event_id, proposal_id):
    """Record the verdict on one proposal (prototype, to study, not retained)."""
    event = db.get_or_404(Event, event_id)
    proposal = _proposal(event, proposal_id)
    form = request.form.to_dict()
    context = selection_context(event)
    try:
        services.decide(proposal, decision_schema.load(form), now())
    except ValidationError as error:
        context.update(values=form, errors=error.messages)
        if wants_fragment():
            return render_template("day/_decision.html", proposal=proposal, **context), 422
        return render_template("day/selection.html", **context), 422
    push_day(event)
    if wants_fragment():
        context = selection_context(event)
        return render_template("day/_decision.html", proposal=proposal, **context)
    return redirect(url_for(".selection", event_id=event.id))


@bp.post("/selection/cloture")
@organizer_required
def close_selection(event_id):
    """Freeze the selection, with the time it was closed."""
    event = db.get_or_404(Event, event_id)
    try:
        services.close_selection(event, current_organizer().username, now())
    except ValidationError:
        pass  # already closed: nothing to do
    push_day(event)
    return redirect(url_for(".selection", event_id=event.id))


@bp.post("/selection/reouverture")
@organizer_required
def reopen_selection(event_id):
    """Reopen the selection: an explicit action, logged with who and why."""
    event = db.get_or_404(Event, event_id)
    form = request.form.to_dict()
    try:
        services.reopen_selection(event, current_organizer().username,
                                  reopen_schema.load(form), now())
    except ValidationError as error:
        context = selection_context(event)
        context.update(values=form, errors=error.messages)
        return render_template("day/selection.html", **context), 422
    push_day(event)
    return redirect(url_for(".selection", event_id=event.id))


def follow_up_context(event: Event) -> dict:
    return {"event": event, "results": results(event), "statuses": FOLLOW_UP_STATUSES,
            "labels": FOLLOW_UP_LABELS, "today": date.today(), "values": {}, "errors": {},
            "target": None}


@bp.get("/suivi")
@organizer_required
def follow_up(event_id):
    """The prototypes, their sponsors and the dated notes of their follow-up."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/follow_up.html", **follow_up_context(event))


def _follow_up_refused(event, target, form, error):
    context = follow_up_context(event)
    context.update(values=form, errors=error.messages, target=target)
    return render_template("day/follow_up.html", **context), 422


@bp.post("/suivi/<int:proposal_id>/parrain")
@organizer_required
def set_sponsor(event_id, proposal_id):
    """Name (or rename) the sponsor of a prototype."""
    event = db.get_or_404(Event, event_id)
    proposal = _proposal(event, proposal_id)
    form = request.form.to_dict()
    try:
        services.set_sponsor(proposal, sponsor_schema.load(form))
    except ValidationError as error:
        return _follow_up_refused(event, f"sponsor-{proposal.id}", form, error)
    return redirect(url_for(".follow_up", event_id=event.id) + f"#prototype-{proposal.id}")


@bp.post("/suivi/<int:proposal_id>/notes")
@organizer_required
def add_follow_up(event_id, proposal_id):
    """Add a dated note (and the status it reports) to a prototype's follow-up."""
    event = db.get_or_404(Event, event_id)
    proposal = _proposal(event, proposal_id)
    sponsor = db.session.scalar(select(Sponsor).where(Sponsor.proposal_id == proposal.id))
    if sponsor is None:
        abort(404)
    form = request.form.to_dict()
    try:
        services.add_follow_up(sponsor, follow_up_schema.load(form))
    except ValidationError as error:
        return _follow_up_refused(event, f"note-{proposal.id}", form, error)
    return redirect(url_for(".follow_up", event_id=event.id) + f"#prototype-{proposal.id}")


# ---- The console's remote, over its socket -------------------------------------------

REMOTE = {
    "next": lambda event, at: services.step_pitch(event, 1, at),
    "previous": lambda event, at: services.step_pitch(event, -1, at),
    "pause": lambda event, at: services.control_countdown(event, "pitch", {"action": "pause"}, at),
    "resume": lambda event, at: services.control_countdown(event, "pitch", {"action": "resume"},
                                                           at),
    "extend": lambda event, at: services.control_countdown(
        event, "pitch", {"action": "extend", "seconds": 30}, at),
    "stop": lambda event, at: services.start_pitch(event, None, at),
}


def remote(event: Event, action: str) -> dict | None:
    """Run a remote button's action (the socket handler has checked the organizer);
    returns the refusal's messages, if any."""
    try:
        REMOTE[action](event, now())
    except ValidationError as error:
        return error.messages
    push_day(event)
    return None
