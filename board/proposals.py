"""The proposal card (fiche projet): one per table, co-written by its tablets field by field."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select

from . import realtime, services
from .auth import current_participant, participant_required
from .card import BY_NAME, CARD_FIELDS
from .extensions import db
from .limits import write_limit
from .models import ProposalRevision
from .schemas import card_field_schemas, card_status_schema
from .screens.board import board_context, card_context
from .web import wants_fragment

bp = Blueprint("proposals", __name__, url_prefix="/tables/<int:table_id>/fiche")

FIELD = "<any(" + ", ".join(CARD_FIELDS) + "):field>"


def _my_table(table_id):
    me = current_participant()
    return me, me.table_id == table_id


def _render_field(proposal, field, **extra):
    context = card_context(proposal.table, [field])
    context.update(extra)
    return render_template("proposals/_field.html", name=field, **context)


def _refused(field, message, status):
    """Refuse a write beside the field it was typed in, keeping the text."""
    if not wants_fragment():
        abort(status)
    return render_template("proposals/_feedback.html", name=field, oob=True,
                           errors=[message], conflict=None), status


def _back_to(field):
    return redirect(url_for("tables.show", _anchor=f"field-{field}"))


@bp.get("/" + FIELD)
@participant_required
def field(table_id, field):
    """One field as it stands, for a tablet that kept it while someone typed in it."""
    me, mine = _my_table(table_id)
    if not mine:
        abort(404)
    if not wants_fragment():
        return _back_to(field)
    return _render_field(services.proposal_for(me.table), field, oob=True)


@bp.post("/" + FIELD)
@participant_required
@write_limit
def update(table_id, field):
    """Save one field as it is typed (htmx, debounced) or posted (without JavaScript)."""
    me, mine = _my_table(table_id)
    if not mine:
        return _refused(field, _("Vous n'êtes pas à cette table. Vous ne pouvez pas modifier sa fiche."), 403)
    if field == "priority_axis_id" and not me.is_captain:
        return _refused(field, _("Seul·e le ou la capitaine choisit l'axe."), 403)
    proposal = services.proposal_for(me.table)
    form = request.form.to_dict()
    if BY_NAME[field].kind == "notes":
        form["value"] = request.form.getlist("value")
    try:
        version, changed = services.update_field(proposal, field,
                                                 card_field_schemas[field].load(form), me)
    except ValidationError as error:
        messages = error.messages.get("value") or error.messages.get("version") \
            or [_("Cette demande n'a pas marché. Rechargez la page.")]
        return _answer(proposal, field, form, 422, errors=messages)
    except services.StaleWrite as stale:
        return _answer(proposal, field, form, 409, conflict=stale)
    except services.Behind:
        # Nothing new was typed: the field as it stands now replaces the tablet's (once
        # the person has let go of it, like any push).
        if not wants_fragment():
            return _back_to(field)
        return _render_field(proposal, field, oob=True)
    if changed:
        realtime.card_changed(proposal, field, versions={field: version})
    if not wants_fragment():
        return _back_to(field)
    return render_template("proposals/_saved.html", name=field, version=version,
                           proposal=proposal, errors=None, conflict=None)


def _answer(proposal, field, form, status, errors=None, conflict=None):
    """A refused or conflicting write: the message beside the field, the typed text kept."""
    if wants_fragment():
        return render_template("proposals/_feedback.html", name=field, oob=True,
                               errors=errors, conflict=conflict, proposal=proposal), status
    context = board_context(current_participant())
    context["card_errors"] = {field: errors} if errors else {}
    context["card_values"] = {field: form.get("value")}
    context["conflicts"] = {field: conflict} if conflict else {}
    return render_template("tables/show.html", table=proposal.table, **context), status


@bp.post("/etat")
@participant_required
@write_limit
def status(table_id):
    """The captain declares the card ready, or reopens it."""
    me, mine = _my_table(table_id)
    if not mine or not me.is_captain:
        abort(403)
    proposal = services.proposal_for(me.table)
    try:
        services.change_status(proposal, card_status_schema.load(request.form)["status"], me)
    except ValidationError as error:
        context = card_context(me.table)
        return render_template("proposals/_progress.html", status_errors=error.messages.get(
            "status"), **context), 422
    realtime.card_changed(proposal)
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
@write_limit
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
        realtime.card_changed(proposal, field)
    if not wants_fragment():
        return redirect(url_for("proposals.history", table_id=table_id, field=field))
    return _history(proposal, field)
