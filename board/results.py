"""The public page of the day's results, after the day: at the unguessable address the
organizer publishes (and may withdraw) from the exports page; the same as JSON."""

from datetime import date

from flask import Blueprint, abort, jsonify, render_template
from sqlalchemy import select

from .extensions import db
from .models import Event
from .screens.record import FIGURE_LABELS, public_results

bp = Blueprint("results", __name__, url_prefix="/resultats")


def _published(token) -> Event:
    event = db.session.scalar(select(Event).where(Event.results_token == token))
    if event is None or len(token) > 64:
        abort(404)
    return event


@bp.get("/<token>")
def show(token):
    """The results as citizens read them: on a phone, printed, with a screen reader."""
    event = _published(token)
    return render_template("results/show.html", event=event, results=public_results(event),
                           figure_labels=FIGURE_LABELS, parse_date=date.fromisoformat)


@bp.get("/<token>.json")
def data(token):
    """The same results as stable JSON, for an open-data portal (README: « Public results »)."""
    response = jsonify(public_results(_published(token)))
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
