"""The plenary wall: each table's card (who is here, notes, axes, progress), the event's
priority axes, and the mark that says whether a screen has missed anything."""

from collections import Counter, defaultdict

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..card import card_completeness
from ..extensions import db
from ..models import (
    Axis,
    Connection,
    Note,
    PriorityAxis,
    PrioritySource,
    Proposal,
    Stage,
    Table,
    Vote,
)
from ..slices import no_pause

LATEST = 3


def wall_context(event, pause=no_pause) -> dict:
    """The whole wall, as the plenary page and its refetch render it; `pause` is called
    between its steps (see board/slices.py). The mark is read first: a change made
    meanwhile is then shown with an older mark, and the screen refetches at the next tick,
    rather than missed under a newer one."""
    mark = wall_mark(event)
    cards = table_cards(event.tables, event.phase, pause)
    context = {"event": event, "cards": cards, "totals": theme_totals(event), "mark": mark}
    pause()
    context.update(priority_groups=priority_groups(event))
    pause()
    context.update(spotlight=spotlight_card(event), overview=wall_overview(event, cards))
    pause()
    return context


def theme_totals(event) -> dict[int, int]:
    """How many notes the whole room has written on each theme."""
    return dict(db.session.execute(
        select(Note.theme_id, func.count(Note.id)).join(Table, Note.table_id == Table.id)
        .where(Table.event_id == event.id, Note.deleted_at.is_(None))
        .group_by(Note.theme_id)).all())


def spotlight_id(event) -> int | None:
    """The id of the table the organizer put on the whole wall, or None."""
    return db.session.scalar(select(Stage.spotlight_table_id).where(Stage.event_id == event.id))


def spotlight_card(event) -> dict | None:
    """The table the organizer put on the whole wall, with all it has made, or None."""
    table_id = spotlight_id(event)
    return table_cards([db.session.get(Table, table_id)])[0] if table_id is not None else None


def wall_mark(event) -> str:
    """Changes whenever anything on the wall does: its tables' and event's numbers, presence."""
    tables = select(Table.id).where(Table.event_id == event.id)
    changes = db.session.scalar(select(func.coalesce(func.sum(Table.seq), 0))
                                .where(Table.event_id == event.id))
    present = db.session.scalar(select(func.count()).select_from(Connection)
                                .where(Connection.table_id.in_(tables)))
    return f"{event.seq}.{changes}.{present}"


def table_card(table) -> dict:
    """What the plenary shows of one table (see `table_cards`)."""
    return table_cards([table])[0]


# What the wall shows of a table in each step (the tile and the room by theme): its notes in
# the morning, its axes and dots (and its count of notes) around them, its card after.
WALL_PARTS = {"setup": {"notes"}, "diagnostic": {"notes"}, "axes": {"notes", "axes"},
              "consolidation": {"notes", "axes"}}
ALL_PARTS = {"notes", "axes", "card"}


def table_cards(tables, phase: str | None = None, pause=no_pause) -> list[dict]:
    """What the plenary shows of each table: how many people are here, notes per theme, the
    latest notes, its axes with their dots, its card and its progress; for the wall in
    `phase`, only what it shows then (a batch of cards is read several times a second at
    the day's busiest: the card's queries in the morning, the notes' in the afternoon,
    would be read for nothing). `pause` is called between its queries and its tables.

    Rebuilt whenever a table changes, and for the whole wall on every screen's
    (re)connection: so in one query per kind of thing, whatever the number of tables, and
    as plain rows where no ORM object is needed.
    """
    parts = ALL_PARTS if phase is None else WALL_PARTS.get(phase, {"card"})
    ids = [t.id for t in tables]
    connections, notes = Connection.__table__, Note.__table__
    # People, not first names: two Awa at one table are two (a person with two tablets, one).
    present = dict(db.session.execute(
        select(connections.c.table_id, func.count(connections.c.participant_id.distinct()))
        .where(connections.c.table_id.in_(ids)).group_by(connections.c.table_id)).all())
    pause()
    live = defaultdict(list)  # newest first: a table has tens of notes, not thousands
    if "notes" in parts:
        for row in db.session.execute(
                select(notes.c.table_id, notes.c.id, notes.c.theme_id, notes.c.text)
                .where(notes.c.table_id.in_(ids), notes.c.deleted_at.is_(None))
                .order_by(notes.c.id.desc())):
            live[row.table_id].append(row)
        pause()
    axes = defaultdict(list)
    if "axes" in parts:
        dots = dict(db.session.execute(
            select(Vote.axis_id, func.count(Vote.id)).join(Axis, Vote.axis_id == Axis.id)
            .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None))
            .group_by(Vote.axis_id)).all())
        pause()
        for table_id, axis_id, *axis in db.session.execute(
                select(Axis.table_id, Axis.id, Axis.name, Axis.theme_id, func.count(Note.id))
                .outerjoin(Note, (Note.axis_id == Axis.id) & Note.deleted_at.is_(None))
                .where(Axis.table_id.in_(ids), Axis.deleted_at.is_(None))
                .group_by(Axis.id).order_by(Axis.position, Axis.id)):
            axes[table_id].append((*axis, dots.get(axis_id, 0)))
        pause()
    proposals = {}
    if "card" in parts:
        proposals = {p.table_id: p for p in db.session.scalars(
            select(Proposal).where(Proposal.table_id.in_(ids))
            .options(selectinload(Proposal.notes).load_only(Note.id),
                     joinedload(Proposal.priority_axis)))}
        pause()
    cards = []
    for table in tables:
        pause()
        table_notes, proposal = live[table.id], proposals.get(table.id)
        filled, total = card_completeness(proposal)
        cards.append({
            "table": table, "present": present.get(table.id, 0),
            "dots_shown": table.event.votes_live or table.votes_revealed,
            "counts": Counter(n.theme_id for n in table_notes), "latest": table_notes[:LATEST],
            "total": len(table_notes), "axes": axes[table.id], "proposal": proposal,
            "progress": {"notes": len(table_notes), "axes": len(axes[table.id]),
                         "votes": sum(a[3] for a in axes[table.id]), "card_filled": filled,
                         "card_total": total,
                         "card_ready": proposal is not None and proposal.status != "draft"}})
    return cards


def priority_groups(event) -> list[dict]:
    """The priority axes by theme, each with its sources and the tables they came from."""
    priorities = db.session.scalars(
        select(PriorityAxis).where(PriorityAxis.event_id == event.id)
        .options(joinedload(PriorityAxis.sources).joinedload(PrioritySource.axis)
                 .joinedload(Axis.table))
        .order_by(PriorityAxis.position, PriorityAxis.id)
        .execution_options(populate_existing=True)).unique().all()
    note_ids = {i for p in priorities for s in p.sources for i in s.note_ids}
    notes = {n.id: n for n in db.session.scalars(select(Note).where(Note.id.in_(note_ids)))}
    groups = []
    for theme in event.themes:
        items = []
        for priority in (p for p in priorities if p.theme_id == theme.id):
            gatherings = defaultdict(list)
            for source in priority.sources:
                gatherings[source.gathering].append(
                    {"source": source, "notes": [notes[i] for i in source.note_ids if i in notes]})
            tables = sorted({s.axis.table for s in priority.sources}, key=lambda t: t.number)
            items.append({"priority": priority, "gatherings": list(gatherings.items()),
                          "tables": tables})
        groups.append({"theme": theme, "items": items})
    return groups


# The steps whose room the overview sums up; during consolidation the priority axes are
# already the room's summary, and a pitch or the results take the whole wall.
OVERVIEW_PHASES = ("diagnostic", "axes", "drafting", "pitches", "selection", "follow_up")


def has_overview(event) -> bool:
    """Whether the wall opens each round of pages with the room by theme: on a large day
    (WALL_OVERVIEW_TABLES tables, more than three screens of tiles) in the steps it sums up."""
    return (event.phase in OVERVIEW_PHASES
            and len(event.tables) >= current_app.config["WALL_OVERVIEW_TABLES"])


def wall_overview(event, cards=None, pause=no_pause) -> dict | None:
    """The room by theme, as a thousand people read it from the back in one look: what the
    step is making, in a few large figures per theme, and its freshest words.

    Diagnostic: notes per theme and the tables writing on it, with the latest notes. Axes:
    the axes and their dots per theme, with the most dotted. Drafting and pitches: the
    cards ready and started per theme of their priority axis. Selection: the prototypes
    (named) and the cards to study. Built from the tiles' own cards (`table_cards`)."""
    if not has_overview(event):
        return None
    cards = table_cards(event.tables, event.phase, pause) if cards is None else cards
    themes = {t.id: {"theme": t, "tables": set(), "notes": 0, "latest": [], "axes": {},
                     "axes_count": 0, "dots": 0, "ready": 0, "started": 0, "pitched": 0,
                     "priorities": {}, "prototypes": [], "to_study": 0} for t in event.themes}
    unplaced = 0  # cards whose table has not chosen its priority axis yet
    for card in cards:
        table = card["table"]
        if event.phase == "diagnostic":
            for theme_id, count in card["counts"].items():
                if theme_id in themes:
                    themes[theme_id]["notes"] += count
                    themes[theme_id]["tables"].add(table.id)
            for note in card["latest"]:
                if note.theme_id in themes:
                    themes[note.theme_id]["latest"].append(note)
        elif event.phase == "axes":
            for name, theme_id, _count, dots in card["axes"]:
                if theme_id not in themes:
                    continue
                theme = themes[theme_id]
                shown = dots if card["dots_shown"] else 0  # a table's hidden dots stay hidden
                theme["axes_count"] += 1
                theme["dots"] += shown
                theme["tables"].add(table.id)
                # Tables that name an axis alike are the room converging: one line for them.
                same = theme["axes"].setdefault(" ".join(name.casefold().split()),
                                                {"name": name, "tables": 0, "dots": 0})
                same["tables"] += 1
                same["dots"] += shown
        else:
            proposal = card["proposal"]
            axis = proposal.priority_axis if proposal is not None else None
            if axis is None or axis.theme_id not in themes:
                unplaced += 1
                continue
            theme = themes[axis.theme_id]
            theme["tables"].add(table.id)
            priority = theme["priorities"].setdefault(axis.id, {"title": axis.title, "tables": 0,
                                                                "ready": 0})
            priority["tables"] += 1
            if proposal.status == "draft":
                theme["started"] += card["progress"]["card_filled"] > 0
            else:
                theme["ready"] += 1
                priority["ready"] += 1
                theme["pitched"] += proposal.status != "ready"
            if proposal.status == "prototype":
                theme["prototypes"].append((proposal.title, table.label))
            theme["to_study"] += proposal.status == "to_study"
    for theme in themes.values():
        theme["tables"] = len(theme["tables"])
        theme["latest"] = [n.text for n in sorted(theme["latest"], key=lambda n: -n.id)[:3]]
        theme["axes"] = sorted(theme["axes"].values(),
                               key=lambda a: (-a["dots"], -a["tables"], a["name"]))[:3]
        theme["priorities"] = sorted(theme["priorities"].values(),
                                     key=lambda p: (-p["tables"], p["title"]))[:3]
    return {"themes": list(themes.values()), "unplaced": unplaced, "tables": len(cards)}
