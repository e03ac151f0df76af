"""The plenary screen: the whole room at projector size, read-only, behind its own token.

The wall is rendered in the event's language, like every fragment pushed to it: one
screen in one language, whatever the browser of the laptop that drives the projector
prefers."""

from flask import Blueprint, current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from .auth import Gone
from .extensions import db
from .models import Event
from .realtime import rendering_for_room
from .screens.wall import wall_context

bp = Blueprint("plenary", __name__, url_prefix="/pleniere")


def _event(token) -> Event:
    event = db.session.scalar(select(Event).where(Event.plenary_token == token))
    if event is None:
        # Also what an old link gets once the organizer gave the wall a new one.
        raise Gone(_("Ce lien d'écran de plénière n'est pas (ou plus) valide : l'organisation "
                     "a pu le renouveler. Ouvrez le lien de plénière affiché dans sa console."))
    return event


@bp.get("/<token>")
def show(token):
    """The live wall for the projector."""
    event = _event(token)
    with rendering_for_room():
        return render_template("plenary/show.html", token=token,
                               page_seconds=current_app.config["WALL_PAGE_SECONDS"],
                               **wall_context(event))


@bp.get("/<token>/mur")
def region(token):
    """The wall alone, refetched when the screen (re)connects."""
    event = _event(token)
    with rendering_for_room():
        return render_template("plenary/_wall.html", **wall_context(event))
