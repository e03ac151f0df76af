"""The organizer's day: phases and their countdowns, the pitch queue, the selection, sponsors.

The console (``/organisation/evenements/<id>/regie``) drives it from a laptop or a phone;
every change is pushed at once to the tablets (the banner: phase, instruction, countdown,
whose turn it is), to the plenary (the banner and the stage: a pitch or the results) and
to the other consoles of the event.
"""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select

from . import realtime, services
from .auth import current_organizer, organizer_required
from .extensions import db
from .limits import write_limit
from .models import PHASES, Event, Pitch, Proposal, Sponsor
from .schemas import (
    close_selection_schema,
    countdown_schema,
    decision_schema,
    follow_up_schema,
    phase_schema,
    phase_step_schema,
    queue_move_schema,
    reopen_schema,
    sponsor_schema,
    spotlight_schema,
    stage_schema,
)
from .screens.day import (
    console_context,
    day_state,
    default_instruction,
    follow_up_context,
    now,
    phase_change,
    pitch_seconds,
    progress_context,
    queue_context,
    selection_context,
)
from .slices import Slices
from .web import wants_fragment

bp = Blueprint("day", __name__, url_prefix="/organisation/evenements/<int:event_id>")


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
    return render_template("day/console.html", error=message, **console_context(event),
                           progress=progress_context(event)), 422


@bp.get("/regie")
@organizer_required
def console(event_id):
    """The organizer's console for the day: phase, countdown, pitches, progress (phone-ready).
    Made in slices (see board/slices.py), like the other pages that read every table."""
    event = db.get_or_404(Event, event_id)
    slices = Slices()
    context = console_context(event)
    slices()
    progress = progress_context(event, request.args.get("page", 1, int), slices)
    return slices.render("day/console.html", error=None, **context, progress=progress)


@bp.get("/regie/avancement")
@organizer_required
def progress(event_id):
    """One page of the tables' progress, with the event's totals (refreshes itself)."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/_progress_tables.html",
                           **progress_context(event, request.args.get("page", 1, int)))


@bp.get("/regie/ordre")
@organizer_required
def queue(event_id):
    """The whole pitch order, to reorder it or start any table out of turn."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/queue.html", event=event, d=day_state(event),
                           **queue_context(event, services.pitch_queue(event)))


@bp.get("/regie/etape/<phase>")
@organizer_required
def confirm_phase(event_id, phase):
    """What moving to `phase` will show the room, and the button that does it: in a dialog
    over the régie, or as its own page without JavaScript. Reading it changes nothing."""
    event = db.get_or_404(Event, event_id)
    if phase not in PHASES:
        abort(404)
    template = "day/_phase_confirm.html" if wants_fragment() else "day/confirm_phase.html"
    return render_template(template, **phase_change(event, phase))


@bp.get("/regie/direct")
@organizer_required
def region(event_id):
    """The console's live region alone, refetched when its socket (re)connects."""
    event = db.get_or_404(Event, event_id)
    return render_template("day/_console_board.html", **console_context(event))


@bp.post("/etape")
@organizer_required
@write_limit
def set_phase(event_id):
    """Move the whole event to another phase."""
    event = db.get_or_404(Event, event_id)
    try:
        data = phase_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    services.set_phase(event, data["phase"], now())
    realtime.day_changed(event)
    if wants_fragment():
        return ""
    return redirect(url_for(".console", event_id=event.id))


@bp.post("/etapes/<phase>")
@organizer_required
@write_limit
def set_phase_step(event_id, phase):
    """Edit a phase's instruction and usual countdown."""
    event = db.get_or_404(Event, event_id)
    if phase not in PHASES:
        abort(404)
    try:
        data = phase_step_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    if data["instruction"] == default_instruction(phase, pitch_seconds(event)):
        data["instruction"] = ""  # the default stays built from the settings it quotes
    services.set_phase_step(event, phase, data)
    realtime.day_changed(event)
    return _done(event)


@bp.post("/compte-a-rebours/<kind>")
@organizer_required
@write_limit
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
    realtime.day_changed(event)
    return _done(event)


def _pitch(event, pitch_id) -> Pitch:
    pitch = db.session.get(Pitch, pitch_id)
    if pitch is None or pitch.event_id != event.id:
        abort(404)
    return pitch


@bp.post("/pitchs/<int:pitch_id>/deplacer")
@organizer_required
@write_limit
def move_pitch(event_id, pitch_id):
    """Move a table up or down the pitch queue."""
    event = db.get_or_404(Event, event_id)
    pitch = _pitch(event, pitch_id)
    try:
        data = queue_move_schema.load(request.form.to_dict())
    except ValidationError as error:
        return _refused(event, error.messages)
    services.move_pitch(event, pitch, data["offset"])
    realtime.day_changed(event)
    return _done(event)


@bp.post("/pitchs/<int:pitch_id>/lancer")
@organizer_required
@write_limit
def start_pitch(event_id, pitch_id):
    """Put this table's card on the plenary and start its countdown."""
    event = db.get_or_404(Event, event_id)
    try:
        services.start_pitch(event, _pitch(event, pitch_id), now())
    except ValidationError as error:
        return _refused(event, error.messages)
    realtime.day_changed(event)
    return _done(event)


STEPS = {"suivant": 1, "precedent": -1}


@bp.post("/pitchs/<direction>")
@organizer_required
@write_limit
def step_pitch(event_id, direction):
    """The next or previous table in the queue; `fin` goes back to the wall."""
    event = db.get_or_404(Event, event_id)
    if direction not in STEPS and direction != "fin":
        abort(404)
    try:
        if direction == "fin":
            services.start_pitch(event, None, now())
        else:
            services.step_pitch(event, STEPS[direction], now())
    except ValidationError as error:
        return _refused(event, error.messages)
    realtime.day_changed(event)
    return _done(event)


@bp.post("/pleniere")
@organizer_required
@write_limit
def set_stage(event_id):
    """What the plenary shows, and how long a pitch lasts."""
    event = db.get_or_404(Event, event_id)
    try:
        services.set_stage(event, stage_schema.load(request.form.to_dict()))
    except ValidationError as error:
        return _refused(event, error.messages)
    realtime.day_changed(event)
    return _done(event)


@bp.post("/pleniere/projecteur")
@organizer_required
@write_limit
def spotlight(event_id):
    """Put one table on the whole plenary wall, or (no table) bring the wall back."""
    event = db.get_or_404(Event, event_id)
    try:
        services.set_spotlight(event, spotlight_schema.load(request.form.to_dict()))
    except ValidationError as error:
        return _refused(event, error.messages)
    realtime.spotlight_changed(event)
    return _done(event)


# ---- Selection and follow-up ---------------------------------------------------------

def _proposal(event, proposal_id) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.table.event_id != event.id:
        abort(404)
    return proposal


@bp.get("/selection")
@organizer_required
def selection(event_id):
    """Every proposal with its verdict and comment; closing and reopening the selection.
    Made in slices (see board/slices.py): it reads every table's card."""
    event = db.get_or_404(Event, event_id)
    slices = Slices()
    return slices.render("day/selection.html", **selection_context(
        event, request.args.get("page", 1, int), pause=slices))


@bp.post("/selection/<int:proposal_id>")
@organizer_required
@write_limit
def decide(event_id, proposal_id):
    """Record the verdict on one proposal (prototype, to study, not retained). The pushes
    and the selection read anew take turns (see board/slices.py): every card is read."""
    event = db.get_or_404(Event, event_id)
    slices = Slices()
    proposal = _proposal(event, proposal_id)
    form = request.form.to_dict()
    try:
        services.decide(proposal, decision_schema.load(form), now())
    except ValidationError as error:
        context = selection_context(event, showing=proposal.id)
        context.update(values=form, errors=error.messages)
        if wants_fragment():
            return render_template("day/_decision.html", proposal=proposal, **context), 422
        return render_template("day/selection.html", **context), 422
    slices()
    realtime.day_changed(event, proposal.table, pause=slices)
    context = selection_context(event, showing=proposal.id, pause=slices)
    if wants_fragment():
        return (render_template("day/_decision.html", proposal=proposal, **context)
                + render_template("day/_selection_count.html", oob=True, **context))
    return redirect(url_for(".selection", event_id=event.id, page=context["page"],
                            _anchor=f"decision-{proposal.id}"))


@bp.post("/selection/cloture")
@organizer_required
@write_limit
def close_selection(event_id):
    """Freeze the selection, with the time it was closed."""
    event = db.get_or_404(Event, event_id)
    form = request.form.to_dict()
    try:
        close_selection_schema.load(form)
    except ValidationError as error:
        context = selection_context(event)
        context.update(values=form, errors=error.messages)
        return render_template("day/selection.html", **context), 422
    try:
        services.close_selection(event, current_organizer().username, now())
    except ValidationError:
        pass  # already closed: nothing to do
    realtime.day_changed(event)
    return redirect(url_for(".selection", event_id=event.id))


@bp.post("/selection/reouverture")
@organizer_required
@write_limit
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
    realtime.day_changed(event)
    return redirect(url_for(".selection", event_id=event.id))


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
@write_limit
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
@write_limit
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
