"""Joining a table from its QR code, and the table's board on the tablets."""

from flask import Blueprint, redirect, render_template, request, session, url_for
from marshmallow import ValidationError

from . import services
from .auth import current_participant, participant_required, sign_in_participant, was_unseated
from .limits import join_per_address, join_per_code
from .schemas import join_schema
from .screens.board import board_context, shown_view
from .services.tables import UNKNOWN_CODE
from .slices import Slices
from .web import new_key, wants_fragment

bp = Blueprint("tables", __name__)


@bp.get("/")
def index():
    """The join page: a code, a first name, one button."""
    if current_participant() is not None and not request.args.get("changer"):
        return redirect(url_for("tables.show"))
    return render_template("tables/join.html", values={"idempotency_key": new_key()}, errors={},
                           unseated=was_unseated())


@bp.get("/j/<code>")
def scan(code):
    """Where a table's QR code leads: the join page with the code filled in."""
    return render_template("tables/join.html",
                           values={"code": code[:20], "idempotency_key": new_key()}, errors={})


@bp.post("/rejoindre")
@join_per_address
@join_per_code
def join():
    """Seat the person at a table and remember them on this tablet."""
    form = request.form.to_dict()
    try:
        participant = services.join_table(join_schema.load(form))
    except ValidationError as error:
        errors = dict(error.messages)
        # A name to fix and a mistyped code are both said at once, not one round each.
        code = join_schema.normalise_code(form).get("code")
        if "code" not in errors and isinstance(code, str) and services.table_for_code(code)[0] is None:
            errors["code"] = [str(UNKNOWN_CODE)]
        return render_template("tables/join.html", values=form, errors=errors), 422
    sign_in_participant(participant)
    return redirect(url_for("tables.show"))


@bp.get("/table")
@participant_required
def show():
    """The table's board, live, on the current step's view (or the one a tab asked for)."""
    me = current_participant()
    return Slices().render("tables/show.html", table=me.table, **board_context(me),
                           view=shown_view(me.table.event.phase, request.args.get("vue")))


@bp.get("/table/tableau")
@participant_required
def region():
    """The live region alone, refetched by a tablet after a (re)connection, a gap or a new
    step; the step's header comes with it, out of band. Made in turns (board/slices.py):
    a table of the axes step draws tens of axes and notes, while a thousand tablets wait
    on the process, and a hundred tablets reconnecting after a venue's Wi-Fi drop each
    ask for theirs."""
    me = current_participant()
    return Slices().render("tables/_board.html", table=me.table, **board_context(me),
                           step_oob=True)


@bp.post("/quitter")
def leave():
    """Forget the table on this tablet (to hand it to someone else)."""
    session.pop("participant_id", None)
    if wants_fragment():
        return "", 204, {"HX-Redirect": url_for("tables.index")}
    return redirect(url_for("tables.index"))
