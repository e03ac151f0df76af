"""The demo event: the real day Tablée was shaped on (16 December 2017, 21 tables)."""

import json
from datetime import date
from importlib import resources

from sqlalchemy import select

from . import services
from .extensions import db
from .models import Event

# Okabe and Ito's palette, told apart by colour-blind people too; the wall adds a shape.
THEME_COLOURS = ("#0072B2", "#E69F00", "#009E73")


def day() -> dict:
    return json.loads(resources.files("board").joinpath(
        "data/hackathon-2017-12-16.json").read_text(encoding="utf-8"))


def load() -> tuple[Event, bool]:
    """Create the demo event unless it exists; return it and whether it was created now."""
    facts = day()["event"]
    existing = db.session.scalar(select(Event).where(Event.name == facts["name"]))
    if existing is not None:
        return existing, False
    themes = [{"name": t["name"], "colour": THEME_COLOURS[i % len(THEME_COLOURS)]}
              for i, t in enumerate(day()["themes"])]
    event = services.create_event({
        "name": facts["name"],
        "date": date.fromisoformat(facts["date"]),
        "place": facts["place"],
        "table_count": facts["tables"],
        "themes": themes,
    })
    return event, True
