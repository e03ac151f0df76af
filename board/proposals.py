"""The proposal card (fiche projet): one per table, co-written by its tablets field by field."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from . import db, realtime, services
from .auth import current_participant, participant_required
from .models import (
    CARD_FIELDS,
    REQUIRED_CARD_FIELDS,
    Note,
    Proposal,
    ProposalRevision,
    card_value,
    empty_card_fields,
    live_notes,
    proposal_note,
)
from .schemas import card_field_schemas
from .web import wants_fragment

bp = Blueprint("proposals", __name__, url_prefix="/tables/<int:table_id>/fiche")

LABELS = {
    "title": _l("Titre"),
    "priority_axis_id": _l("Axe prioritaire"),
    "need": _l("Besoin"),
    "objective": _l("Objectif"),
    "neighbourhood": _l("Quartier"),
    "city": _l("Ville"),
    "department": _l("Département"),
    "budget_amount": _l("Budget (en euros)"),
    "budget_purpose": _l("Ce que paie le budget"),
    "partners": _l("Partenaires"),
    "skills": _l("Compétences nécessaires"),
    "summary": _l("Résumé du pitch"),
    "notes": _l("Constats auxquels la fiche répond"),
    "status": _l("État"),
}
KINDS = {"title": "line", "neighbourhood": "line", "city": "line", "department": "line",
         "need": "text", "objective": "text", "budget_purpose": "text", "summary": "text",
         "partners": "list", "skills": "list", "budget_amount": "euros",
         "priority_axis_id": "axis", "notes": "notes"}
HINTS = {
    "partners": _l("Un partenaire par ligne."),
    "skills": _l("Une compétence par ligne."),
    "budget_amount": _l("En euros, par exemple 15 000."),
    "summary": _l("Un paragraphe : ce que vous direz en trois minutes."),
}
STATUS_LABELS = {
    "draft": _l("Brouillon"), "ready": _l("Prête"), "pitched": _l("Présentée"),
    "prototype": _l("Prototype"), "to_study": _l("À étudier"),
    "not_retained": _l("Non retenue"),
}
# Phases in which the tablets show the card above the notes.
CARD_FIRST = ("drafting", "pitches", "selection", "follow_up")
FIELD = "<any(" + ", ".join(CARD_FIELDS) + "):field>"


@bp.app_template_filter("euros")
def euros(amount) -> str:
    """« 12 500 € »: grouped the way of the current language, whole euros."""
    return "" if amount is None else f"{format_decimal(amount)}\u00a0€"


def card_context(table) -> dict:
    """What the card needs to render on a tablet."""
    proposal = services.proposal_for(table)
    return {"proposal": proposal, "versions": services.field_versions(proposal),
            "editing": services.editing_at(table.id), "axes": table.event.priority_axes,
            "table_notes": db.session.scalars(live_notes(table.id)).all(),
            "card_errors": {}, "card_values": {}, "conflicts": {}}


@bp.app_context_processor
def card_globals() -> dict:
    """What any template showing a card uses (the plenary's and the pitch view's too)."""
    return {"FIELDS": CARD_FIELDS, "LABELS": LABELS, "KINDS": KINDS, "HINTS": HINTS,
            "STATUS_LABELS": STATUS_LABELS, "REQUIRED": REQUIRED_CARD_FIELDS,
            "empty_fields": empty_card_fields, "card_value": card_value,
            "shown_value": shown_value, "shown": shown_revision, "CARD_FIRST": CARD_FIRST}


@bp.app_template_filter("time_short")
def time_short(moment) -> str:
    return format_time(moment, "short")


def shown_value(proposal, field, value=None):
    """A field's value as its input shows it."""
    value = card_value(proposal, field) if value is None else value
    if KINDS[field] == "list":
        return "\n".join(value or [])
    if KINDS[field] == "euros":
        return "" if value is None else format_decimal(value)
    return "" if value is None else value


def _my_table(table_id):
    me = current_participant()
    return me, me.table_id == table_id


def _render_field(proposal, field, **extra):
    context = card_context(proposal.table)
    context.update(extra)
    return render_template("proposals/_field.html", name=field, **context)


def _push(proposal, *fields):
    """Tell the table (and the plenary, via its card) what changed on the card."""
    context = card_context(proposal.table)
    with realtime.rendering_for_room():
        html = "".join(render_template("proposals/_field.html", name=f, oob=True, **context)
                       for f in fields)
        html += render_template("proposals/_progress.html", oob=True, **context)
    realtime.table_changed(proposal.table, html)


_CHOICE_SWAPS = {"posted": "beforeend:#card-note-choices", "edited": "true", "deleted": "delete"}


def note_choice(note, change: str) -> str:
    """The card's list of notes to link, after `note` was "posted", "edited" or "deleted":
    a push of that one choice (the rest of the field, its version and who writes in it,
    has not changed)."""
    linked = change == "edited" and db.session.scalar(
        select(proposal_note.c.note_id).where(proposal_note.c.note_id == note.id)) is not None
    with realtime.rendering_for_room():
        return render_template("proposals/_note_choice.html", note=note, linked=linked,
                               oob=_CHOICE_SWAPS[change])


def note_choices(table) -> str:
    """The card's whole list of notes to link, after a change to several notes at once (a
    merge or its undoing)."""
    linked_ids = set(db.session.scalars(
        select(proposal_note.c.note_id).join(Proposal, Proposal.id == proposal_note.c.proposal_id)
        .where(Proposal.table_id == table.id)))
    with realtime.rendering_for_room():
        return render_template("proposals/_note_choices.html", oob=True, linked_ids=linked_ids,
                               table_notes=db.session.scalars(live_notes(table.id)).all())


def _refused(table_id, field, message, status):
    """Refuse a write beside the field it was typed in, keeping the text."""
    if not wants_fragment():
        abort(status)
    return render_template("proposals/_feedback.html", name=field, oob=True,
                           errors=[message], conflict=None), status


@bp.get("/" + FIELD)
@participant_required
def field(table_id, field):
    """One field as it stands, for a tablet that kept it while someone typed in it."""
    me, mine = _my_table(table_id)
    if not mine:
        abort(404)
    proposal = services.proposal_for(me.table)
    if not wants_fragment():
        return redirect(url_for("tables.show", _anchor=f"field-{field}"))
    return _render_field(proposal, field, oob=True)


@bp.post("/" + FIELD)
@participant_required
def update(table_id, field):
    """Save one field as it is typed (htmx, debounced) or posted (without JavaScript)."""
    me, mine = _my_table(table_id)
    if not mine:
        return _refused(table_id, field, _("Vous n'êtes pas à cette table : modification "
                                           "refusée."), 403)
    if field == "priority_axis_id" and not me.is_captain:
        return _refused(table_id, field, _("Seul·e le ou la capitaine choisit l'axe."), 403)
    proposal = services.proposal_for(me.table)
    form = request.form.to_dict()
    if KINDS[field] == "notes":
        form["value"] = request.form.getlist("value")
    try:
        version, changed = services.update_field(proposal, field,
                                                 card_field_schemas[field].load(form), me)
    except ValidationError as error:
        messages = error.messages.get("value") or error.messages.get("version") \
            or [_("Requête invalide.")]
        return _answer(proposal, field, form, 422, errors=messages)
    except services.StaleWrite as stale:
        return _answer(proposal, field, form, 409, conflict=stale)
    except services.Behind:
        # Nothing new was typed: the field as it stands now replaces the tablet's (once
        # the person has let go of it, like any push).
        if not wants_fragment():
            return redirect(url_for("tables.show", _anchor=f"field-{field}"))
        return _render_field(proposal, field, oob=True)
    if changed:
        _push(proposal, field)
    if not wants_fragment():
        return redirect(url_for("tables.show", _anchor=f"field-{field}"))
    return render_template("proposals/_saved.html", name=field, version=version,
                           proposal=proposal, errors=None, conflict=None)


def _answer(proposal, field, form, status, errors=None, conflict=None):
    """A refused or conflicting write: the message beside the field, the typed text kept."""
    if wants_fragment():
        return render_template("proposals/_feedback.html", name=field, oob=True,
                               errors=errors, conflict=conflict, proposal=proposal), status
    from .tables import board_context

    context = board_context(proposal.table)
    context["card_errors"] = {field: errors} if errors else {}
    context["card_values"] = {field: form.get("value")}
    context["conflicts"] = {field: conflict} if conflict else {}
    return render_template("tables/show.html", table=proposal.table, **context), status


@bp.post("/etat")
@participant_required
def status(table_id):
    """The captain declares the card ready, or reopens it."""
    me, mine = _my_table(table_id)
    if not mine or not me.is_captain:
        abort(403)
    proposal = services.proposal_for(me.table)
    wanted = request.form.get("status", "")
    if wanted not in ("ready", "draft"):
        abort(400)
    try:
        services.change_status(proposal, wanted, me, LABELS)
    except ValidationError as error:
        context = card_context(me.table)
        return render_template("proposals/_progress.html", status_errors=error.messages.get(
            "status"), **context), 422
    _push(proposal)
    if not wants_fragment():
        return redirect(url_for("tables.show", _anchor="card"))
    return render_template("proposals/_progress.html", **card_context(me.table))


def _revisions(proposal, field):
    return db.session.scalars(
        select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id,
                                       ProposalRevision.field == field)
        .order_by(ProposalRevision.version.desc())).all()


def _history(proposal, field, status=200):
    context = {"name": field, "revisions": _revisions(proposal, field), "proposal": proposal}
    if wants_fragment():
        return render_template("proposals/_history.html", **context), status
    return render_template("proposals/history.html", table=proposal.table, **context), status


def shown_revision(proposal, field, value):
    """A saved value as people read it (an axis by its title, notes by their text)."""
    if KINDS[field] == "axis":
        axis = next((a for a in proposal.table.event.priority_axes if a.id == value), None)
        return axis.title if axis else ""
    if KINDS[field] == "notes":
        return " · ".join(db.session.scalars(select(Note.text).where(Note.id.in_(value or []))))
    if KINDS[field] == "euros":
        return euros(value)
    return shown_value(proposal, field, value)


@bp.get("/" + FIELD + "/historique")
@participant_required
def history(table_id, field):
    """Every saved version of one field, newest first, with who and when."""
    me, mine = _my_table(table_id)
    if not mine:
        abort(404)
    return _history(services.proposal_for(me.table), field)


@bp.post("/" + FIELD + "/historique/<int:version>")
@participant_required
def restore(table_id, field, version):
    """The captain brings back an earlier version of a field."""
    me, mine = _my_table(table_id)
    if not mine or not me.is_captain:
        abort(403)
    proposal = services.proposal_for(me.table)
    revision = db.session.scalar(select(ProposalRevision).where(
        ProposalRevision.proposal_id == proposal.id, ProposalRevision.field == field,
        ProposalRevision.version == version))
    if revision is None:
        abort(404)
    try:
        _version, changed = services.restore_revision(proposal, revision, me)
    except (ValidationError, services.StaleWrite):
        # Someone saved this field meanwhile: show the fresh history, restore again from it.
        return _history(proposal, field, 409)
    if changed:
        _push(proposal, field)
    if not wants_fragment():
        return redirect(url_for("proposals.history", table_id=table_id, field=field))
    return _history(proposal, field)
