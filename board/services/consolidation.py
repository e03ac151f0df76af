"""The organizer's consolidation: the dots' settings, and the event's priority axes
gathered from the tables' axes, with where each came from."""

import uuid

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import func, select

from ..extensions import db
from ..models import Axis, Event, PriorityAxis, PrioritySource, Table
from .axes import axis_notes
from .writing import fresh, theme_of, writing


def update_vote_settings(event: Event, data: dict) -> Event:
    with writing(event):
        event.dots_per_participant = data["dots_per_participant"]
        event.dots_stack = data["dots_stack"]
        event.votes_live = data["votes_live"]
    return event


def _event_axes(event: Event, axis_ids: list[int]) -> list[Axis]:
    ids = sorted(set(axis_ids))
    axes = fresh(select(Axis).join(Table).where(
        Axis.id.in_(ids), Table.event_id == event.id, Axis.deleted_at.is_(None))
        .order_by(Axis.id))
    if not ids or len(axes) != len(ids):
        raise ValidationError({"axis_ids": [_l("Cochez des axes de tables de cet événement.")]})
    return axes


def _priority_axis_of(event: Event, priority_axis_id: int) -> PriorityAxis:
    priority = db.session.get(PriorityAxis, priority_axis_id, populate_existing=True)
    if priority is None or priority.event_id != event.id:
        raise ValidationError({"priority_axis_id": [_l("Cet axe prioritaire n'existe plus.")]})
    return priority


def _next_priority_position(event: Event) -> int:
    last = db.session.scalar(select(func.max(PriorityAxis.position))
                             .where(PriorityAxis.event_id == event.id))
    return 0 if last is None else last + 1


def gather_axes(event: Event, data: dict) -> PriorityAxis:
    """Gather table axes into a priority axis (a new one, or one that exists), keeping which
    axes and which notes it came from."""
    with writing(event):
        axes = _event_axes(event, data["axis_ids"])
        taken = db.session.scalars(select(PrioritySource).where(
            PrioritySource.axis_id.in_([a.id for a in axes]))).first()
        if taken is not None:
            raise ValidationError({"axis_ids": [_l(
                "« %(axis)s » est déjà dans l'axe prioritaire « %(priority)s ».",
                axis=taken.axis.name, priority=taken.priority_axis.title)]})
        if data.get("priority_axis_id"):
            priority = _priority_axis_of(event, data["priority_axis_id"])
        else:
            if not data.get("title"):
                raise ValidationError({"title": [_l("Donnez un titre à l'axe prioritaire.")]})
            theme = theme_of(event.id, data.get("theme_id") or axes[0].theme_id)
            priority = PriorityAxis(event=event, theme=theme, title=data["title"],
                                    position=_next_priority_position(event))
            db.session.add(priority)
        gathering = uuid.uuid4().hex
        for axis in axes:
            priority.sources.append(PrioritySource(
                axis=axis, gathering=gathering,
                note_ids=[n.id for n in fresh(axis_notes(axis.id))]))
    return priority


def create_priority_axis(event: Event, data: dict) -> PriorityAxis:
    """A priority axis the organizer names before any table axis joins it (an idea heard
    in the room, say)."""
    with writing(event):
        if not data.get("theme_id"):
            raise ValidationError({"theme_id": [_l("Choisissez une des thématiques proposées.")]})
        priority = PriorityAxis(event=event, theme=theme_of(event.id, data["theme_id"]),
                                title=data["title"], position=_next_priority_position(event))
        db.session.add(priority)
    return priority


def rename_priority_axis(priority: PriorityAxis, data: dict) -> PriorityAxis:
    with writing(priority.event):
        priority.title = data["title"]
    return priority


def undo_gathering(priority: PriorityAxis, gathering: str) -> PriorityAxis | None:
    """Take back one gathering; a priority axis left with no source goes too."""
    event = priority.event
    with writing(event):
        sources = fresh(select(PrioritySource).where(
            PrioritySource.priority_axis_id == priority.id))
        undone = [s for s in sources if s.gathering == gathering]
        if not undone:
            raise ValidationError({"gathering": [_l("Ce regroupement a déjà été défait.")]})
        for source in undone:
            priority.sources.remove(source)
        if len(undone) == len(sources):
            db.session.delete(priority)
            priority = None
    return priority


def split_priority_axis(priority: PriorityAxis, data: dict) -> PriorityAxis:
    """Move some of a priority axis's sources, provenance and all, to a new priority axis."""
    event = priority.event
    with writing(event):
        sources = fresh(select(PrioritySource).where(
            PrioritySource.priority_axis_id == priority.id))
        moving = [s for s in sources if s.id in set(data["source_ids"])]
        if not moving or len(moving) == len(sources):
            raise ValidationError({"source_ids": [_l(
                "Cochez une partie des axes d'origine (au moins un, pas tous).")]})
        new = PriorityAxis(event=event, theme=priority.theme, title=data["title"],
                           position=_next_priority_position(event))
        db.session.add(new)
        for source in moving:
            source.priority_axis = new
    return new
