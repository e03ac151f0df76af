"""Joining a table from its QR code, and the table's board on the tablets."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError

from . import db, limiter, services
from .auth import current_participant, participant_required, sign_in_participant
from .models import Note, live_notes
from .schemas import join_schema
from .web import wants_fragment

bp = Blueprint("tables", __name__)


def _join_limit():
    return current_app.config["RATELIMIT_JOIN"]


@bp.get("/")
def index():
    """The join page: a code, a first name, one button."""
    if current_participant() is not None and not request.args.get("changer"):
        return redirect(url_for("tables.show"))
    return render_template("tables/join.html", values={}, errors={})


@bp.get("/j/<code>")
def scan(code):
    """Where a table's QR code leads: the join page with the code filled in."""
    return render_template("tables/join.html", values={"code": code}, errors={})


@bp.post("/rejoindre")
@limiter.limit(_join_limit, methods=["POST"])
def join():
    """Seat the person at a table and remember them on this tablet."""
    form = request.form.to_dict()
    try:
        participant = services.join_table(join_schema.load(form))
    except ValidationError as error:
        return render_template("tables/join.html", values=form, errors=error.messages), 422
    sign_in_participant(participant)
    return redirect(url_for("tables.show"))


@bp.get("/table")
@participant_required
def show():
    """The table's board: the note form, the notes, live."""
    me = current_participant()
    return render_template("tables/show.html", table=me.table, **board_context(me.table))


@bp.get("/table/tableau")
@participant_required
def region():
    """The live region alone, refetched by a tablet after a (re)connection or a gap."""
    me = current_participant()
    return render_template("tables/_board.html", table=me.table, **board_context(me.table))


def board_context(table):
    notes = db.session.scalars(live_notes(table.id).options(
        db.joinedload(Note.author), db.joinedload(Note.theme))).all()
    from .proposals import card_context

    return {"notes": notes, "themes": table.event.themes, **card_context(table)}


@bp.post("/quitter")
def leave():
    """Forget the table on this tablet (to hand it to someone else)."""
    from flask import session

    session.pop("participant_id", None)
    if wants_fragment():
        return "", 204, {"HX-Redirect": url_for("tables.index")}
    return redirect(url_for("tables.index"))
