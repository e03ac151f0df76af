"""The organizer's consolidation page: every table's axes by theme with their dots and
notes, the similarity hints, and the priority axes being built."""

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Axis, Note, PriorityAxis, PrioritySource, Table
from ..services import axes as axes_services
from ..similarity import similar_groups
from .wall import priority_groups

NOTE_HINTS_SHOWN = 8


def consolidation_context(event) -> dict:
    axes = db.session.scalars(
        select(Axis).join(Table).where(Table.event_id == event.id, Axis.deleted_at.is_(None))
        .options(joinedload(Axis.table)).order_by(Table.number, Axis.position, Axis.id)).all()
    notes = db.session.scalars(
        select(Note).join(Table).where(Table.event_id == event.id, Note.deleted_at.is_(None))
        .order_by(Note.position, Note.id)).all()
    by_axis = defaultdict(list)
    for note in notes:
        by_axis[note.axis_id].append(note)
    votes = axes_services.vote_counts(event_id=event.id)
    gathered = {s.axis_id: s.priority_axis for s in db.session.scalars(
        select(PrioritySource).join(PriorityAxis).where(PriorityAxis.event_id == event.id))}
    themes = []
    for theme in event.themes:
        theme_axes = [a for a in axes if a.theme_id == theme.id]
        per_table = defaultdict(list)
        for axis in theme_axes:
            per_table[axis.table].append({"axis": axis, "notes": by_axis[axis.id],
                                          "votes": votes.get(axis.id, 0),
                                          "priority": gathered.get(axis.id)})
        open_axes = {a.id: a for a in theme_axes if a.id not in gathered}
        axis_hints = similar_groups([
            (a.id, " ".join([a.name, a.name] + [n.text for n in by_axis[a.id]]), a.table_id)
            for a in open_axes.values()])
        note_hints = similar_groups([
            (n.id, n.text, n.table_id) for n in notes if n.theme_id == theme.id])
        note_index = {n.id: n for n in notes}
        themes.append({
            "theme": theme,
            "tables": sorted(per_table.items(), key=lambda kv: kv[0].number),
            "axis_hints": [{"hint": h, "axes": [open_axes[k] for k in h.keys]}
                           for h in axis_hints],
            "note_hints": [{"hint": h, "notes": [note_index[k] for k in h.keys]}
                           for h in note_hints[:NOTE_HINTS_SHOWN]],
        })
    return {"event": event, "themes": themes, "priority_groups": priority_groups(event)}
