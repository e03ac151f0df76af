"""The organizer's consolidation page: every table's axes by theme, ranked by their dots,
the similarity hints, and the priority axes being built with their total dots.

At 200 tables a theme holds hundreds of axes: each theme shows its most voted ones first
and the rest on demand, and an axis's notes load when it is opened. The hints are
computed once per state of a theme's axes (see `axis_hints`), not at every page view.
"""

import threading
from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Axis, Note, PriorityAxis, PrioritySource, Table
from ..services import axes as axes_services
from ..similarity import similar_groups
from ..slices import Slices, no_pause
from .wall import priority_groups

AXES_SHOWN = 25
HINTS_SHOWN = 8  # per theme, the largest groups first; the theme's own view shows them all
HINTS_KEPT = 64  # states of a theme's axes whose hints are kept (a few events, a few themes)
# A word in more axis names than this links none of them (« projet »…). The pairs walked
# stay bounded by this number times the axes, so the hints grow linearly with them.
NAMES_COMMON = 400

_hints: OrderedDict = OrderedDict()
_hints_lock = threading.Lock()


def axis_hints(axes: list[Axis]) -> list:
    """Groups of close axis names from different tables, by their names alone (a name is
    what the table chose to say; notes would only blur it and cost far more). Kept per
    state of the axes, so that reloading the page or another organizer's view costs
    nothing; a rename, a new axis or a gathering makes a new state."""
    key = tuple((a.id, a.name, a.table_id) for a in axes)
    with _hints_lock:
        if key in _hints:
            _hints.move_to_end(key)
            return _hints[key]
    # A thousand names take tens of milliseconds: the other requests, pushes and pings of
    # the process go on meanwhile, in turns.
    hints = similar_groups([(a.id, a.name, a.table_id) for a in axes], common=NAMES_COMMON,
                           pause=Slices())
    with _hints_lock:
        _hints[key] = hints
        while len(_hints) > HINTS_KEPT:
            _hints.popitem(last=False)
    return hints


def consolidation_context(event, open_theme: int | None = None, pause=no_pause) -> dict:
    """`open_theme`: the theme whose every axis is listed (the others show their first);
    `pause` is called between its queries and its themes (see board/slices.py)."""
    axes = db.session.scalars(
        select(Axis).join(Table).where(Table.event_id == event.id, Axis.deleted_at.is_(None))
        .options(joinedload(Axis.table)).order_by(Table.number, Axis.position, Axis.id)).all()
    pause()
    counts = dict(db.session.execute(
        select(Note.axis_id, func.count()).join(Table)
        .where(Table.event_id == event.id, Note.deleted_at.is_(None), Note.axis_id.is_not(None))
        .group_by(Note.axis_id)).all())
    pause()
    votes = axes_services.vote_counts(event_id=event.id)
    pause()
    gathered = {s.axis_id: s.priority_axis for s in db.session.scalars(
        select(PrioritySource).join(PriorityAxis).where(PriorityAxis.event_id == event.id)
        .options(joinedload(PrioritySource.priority_axis)))}
    pause()
    groups = priority_groups(event)
    for group in groups:
        for item in group["items"]:
            item["votes"] = sum(votes.get(s.axis_id, 0) for s in item["priority"].sources)
        group["items"].sort(key=lambda item: -item["votes"])
    themes = []
    for theme in event.themes:
        pause()
        theme_axes = [a for a in axes if a.theme_id == theme.id]
        ranked = sorted(theme_axes, key=lambda a: (-votes.get(a.id, 0), a.table.number, a.id))
        open_axes = {a.id: a for a in theme_axes if a.id not in gathered}
        everything = open_theme == theme.id
        # Over every axis of the theme, then what is left open: a gathering (every few
        # seconds while the organizer works) leaves the names as they were, so the hints
        # are not computed again for it; only a new or renamed axis makes a new state.
        hints = [h for h in axis_hints(theme_axes) if _still_open(h, open_axes)]
        themes.append({
            "theme": theme, "total": len(ranked),
            "axes": [{"axis": a, "votes": votes.get(a.id, 0), "notes": counts.get(a.id, 0),
                      "priority": gathered.get(a.id)}
                     for a in (ranked if everything else ranked[:AXES_SHOWN])],
            "axis_hints": [_hint_view(h, open_axes) for h in hints[:None if everything
                                                                             else HINTS_SHOWN]],
            "hints_total": len(hints),
        })
    return {"event": event, "themes": themes, "priority_groups": groups}


def _still_open(hint, axes: dict) -> bool:
    """Whether a hint still links axes of two tables once the gathered ones are left out."""
    return len({axes[k].table_id for k in hint.keys if k in axes}) >= 2


def _hint_view(hint, axes: dict) -> dict:
    """A hint as the page lists it: each name once, with the tables that chose it (many
    tables often name one idea alike); the axes already gathered are left out."""
    members = [axes[k] for k in hint.keys if k in axes]
    names = {}
    for axis in sorted(members, key=lambda a: a.table.number):
        names.setdefault(axis.name, []).append(axis.table.label)
    return {"hint": hint, "axes": members, "first": members[0].name,
            "names": sorted(names.items(), key=lambda kv: -len(kv[1]))}


def axis_notes(event, axis_id: int) -> tuple[Axis, list[Note]] | None:
    """One table axis of the event and its notes, loaded when the organizer opens it."""
    axis = db.session.get(Axis, axis_id)
    if axis is None or axis.table.event_id != event.id:
        return None
    return axis, db.session.scalars(axes_services.axis_notes(axis.id)).all()
