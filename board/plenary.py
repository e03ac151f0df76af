"""The plenary screen: the whole room at projector size, read-only, behind its own token.

The wall is rendered in the event's language, like every fragment pushed to it: one
screen in one language, whatever the browser of the laptop that drives the projector
prefers."""

import time
from collections import OrderedDict

from flask import Blueprint, current_app
from flask_babel import gettext as _
from sqlalchemy import select

from .auth import Gone
from .extensions import db
from .models import Event
from .realtime import rendering_for_room
from .screens.wall import wall_context, wall_mark
from .slices import OneAtATime, Slices

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
    slices = Slices()
    with rendering_for_room():
        return slices.render("plenary/show.html", token=token,
                             page_seconds=current_app.config["WALL_PAGE_SECONDS"],
                             **wall_context(event, slices))


# The screens of an event refetch the wall together, at the tick after it moved: the first
# renders it (tens of milliseconds at 200 tables, in slices between which the process
# serves the others), the others take that render if the wall has not moved since. Kept a
# second only: its countdowns carry the server's time, which the page counts from.
_rendered: OrderedDict = OrderedDict()
RENDER_KEPT_SECONDS = 1.0
# One render at a time: a screen asking while the wall is being rendered waits for that
# render, rather than making its own.
_rendering = OneAtATime()


@bp.get("/<token>/mur")
def region(token):
    """The wall alone, refetched when the screen (re)connects, or when a tick says it moved."""
    event = _event(token)
    with _rendering:
        # The token names one event once and for all (ids come back in a new database).
        key, moment = (event.plenary_token, wall_mark(event)), time.monotonic()
        kept = _rendered.get(key)
        if kept is not None and 0 <= moment - kept[0] < RENDER_KEPT_SECONDS:
            return kept[1]
        slices = Slices()
        with rendering_for_room():
            html = slices.render("plenary/_wall.html", **wall_context(event, slices))
        _rendered[key] = (moment, html)
        _rendered.move_to_end(key)
        while len(_rendered) > 16 or next(iter(_rendered.values()))[0] < moment - RENDER_KEPT_SECONDS:
            _rendered.popitem(last=False)
    return html
