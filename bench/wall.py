"""The plenary wall's weight: its first load and a pushed card, at the day's real size (21
tables) and at ten times it (210), with everything a whole day leaves on it.

    python -m bench.wall [--tables 21 210]

`fill_day` also gives the browser tests and the screenshots a day up to a given phase.
"""

import argparse
import gzip
import itertools
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import select

from board import create_app, db, realtime, services
from board.models import (
    PHASES,
    Axis,
    Connection,
    Decision,
    Note,
    Participant,
    PriorityAxis,
    PrioritySource,
    Proposal,
    Vote,
)
from board.screens.wall import has_overview, wall_overview

THEMES = [{"name": "Éducation", "colour": "#0072B2"},
          {"name": "Formation professionnelle et orientation", "colour": "#E69F00"},
          {"name": "Développement économique et emploi", "colour": "#009E73"}]
# Two Awa at every table: presence counts people, not first names.
NAMES = ("Awa", "Awa", "Karim", "Léa", "Inès")
NOTES = ("Les familles ne savent pas à qui s'adresser quand un enfant décroche",
         "Peu de stages de 3e dans le quartier, les élèves prennent ce qu'ils trouvent",
         "Les entreprises du quartier ne connaissent pas les jeunes diplômés",
         "Pas de lieu pour découvrir les métiers près de chez nous",
         "Créer son entreprise : personne pour conseiller dans le quartier",
         "Les préjugés sur le quartier ferment des portes aux entretiens")
AXES = ("Les familles face au décrochage", "Découvrir les métiers près de chez soi",
        "Entreprendre dans le quartier")
PHASES_SHOWN = ("diagnostic", "axes", "consolidation", "drafting", "pitches", "selection")
VERDICTS = ("prototype", "to_study", "to_study", "to_study", "not_retained")


def _after(phase: str, then: str) -> bool:
    return PHASES.index(phase) >= PHASES.index(then)


def make_event(tables: int, name: str = "Hackathon de la politique de la ville"):
    return services.create_event({"name": name, "date": None, "place": "Paris",
                                  "table_count": tables, "themes": THEMES})


def fill_day(event, phase: str = "selection", present: bool = True) -> None:
    """What the day has left on the wall by `phase`: five people per table (two of them
    named Awa), six notes, then axes with dots, priority axes, cards, verdicts. Written
    straight to the database (the services' checks are tested elsewhere) so that 210
    tables fill in seconds. `present` opens a socket row for each person."""
    themes = event.themes
    for table in event.tables:
        people = [Participant(table=table, name=n, is_captain=i == 0) for i, n in enumerate(NAMES)]
        db.session.add_all(people)
        db.session.flush()
        if present:
            db.session.add_all(Connection(sid=uuid.uuid4().hex, participant_id=p.id,
                                          table_id=table.id) for p in people)
        notes = [Note(table=table, participant_id=people[i % 5].id,
                      theme_id=themes[i % len(themes)].id,
                      text=f"{NOTES[(i + table.number) % len(NOTES)]} (table {table.number})")
                 for i in range(6)]
        db.session.add_all(notes)
        db.session.flush()
        if not _after(phase, "axes"):
            continue
        for a in range(2):
            theme = themes[(table.number + a) % len(themes)]
            axis = Axis(table_id=table.id, theme_id=theme.id, position=a,
                        name=AXES[(table.number + a) % len(AXES)])
            db.session.add(axis)
            db.session.flush()
            for note in notes[a * 3:a * 3 + 2]:
                note.axis_id = axis.id
            db.session.add_all(Vote(axis_id=axis.id, participant_id=p.id)
                               for p in people[:4 - a * 2])
    db.session.commit()
    if _after(phase, "consolidation"):
        _priority_axes(event)
    if _after(phase, "drafting"):
        _cards(event, phase)
    event.phase = phase
    db.session.commit()


def _priority_axes(event) -> None:
    """Two priority axes per theme, each gathering the table axes of that theme."""
    axes = db.session.scalars(select(Axis).join(Axis.table).where(
        Axis.table.has(event_id=event.id))).all()
    for t, theme in enumerate(event.themes):
        mine = [a for a in axes if a.theme_id == theme.id]
        for half in range(2):
            priority = PriorityAxis(event=event, theme=theme, position=t * 2 + half,
                                    title=f"{AXES[t % len(AXES)]} ({half + 1})")
            db.session.add(priority)
            gathering = uuid.uuid4().hex
            for axis in mine[half::2][:12]:
                priority.sources.append(PrioritySource(axis=axis, gathering=gathering,
                                                       note_ids=[]))
    db.session.commit()


def _cards(event, phase: str) -> None:
    priorities = event.priority_axes
    verdicts = itertools.cycle(VERDICTS)  # each day starts the cycle afresh, whatever ran before
    for table in event.tables:
        card = db.session.scalar(select(Proposal).where(Proposal.table_id == table.id))
        n = table.number
        card.title = f"Un lieu pour découvrir les métiers, quartier {n}" if n % 4 else ""
        card.priority_axis_id = priorities[n % len(priorities)].id if priorities else None
        card.need = "Les jeunes du quartier ne voient pas les métiers qui existent près de chez eux."
        if n % 3:
            card.objective = "Deux cents jeunes rencontrent des professionnels chaque année."
            card.city = "Saint-Denis"
            card.budget_amount = 15000 + 1000 * n
            card.budget_purpose = "Un local, une animatrice à mi-temps"
            card.partners = ["Mission locale", "Collège Jean-Jaurès"]
            card.skills = ["Animation", "Réseau d'entreprises"]
            card.summary = "Un lieu ouvert le mercredi où les jeunes rencontrent des pros."
            card.status = "ready"
        if _after(phase, "pitches") and card.status == "ready" and n % 2:
            card.status = "pitched"
        if _after(phase, "selection") and card.status == "pitched":
            card.status = next(verdicts)
            db.session.add(Decision(proposal=card, verdict=card.status))
    db.session.commit()


def sizes(tables: int) -> dict:
    """Bytes of the wall's first load (raw, and gzipped as Flask-Compress sends it) and of
    one table's pushed card, in each phase of a day of `tables` tables."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'wall.sqlite'}",
                          "SECRET_KEY": "bench", "PLENARY_CARD_DELAY": 0})
        result = {}
        with app.app_context():
            db.create_all()
            for phase in PHASES_SHOWN:
                event = make_event(tables, name=f"Mur {phase}")
                fill_day(event, phase)
                page = app.test_client().get(f"/pleniere/{event.plenary_token}").get_data()
                with app.test_request_context():
                    first = event.tables[0]
                    push = (realtime.cards_html([first])[event.id]
                            + realtime.wall_extras_html(event, {first.id}))
                    overview = realtime.render("plenary/_overview.html", oob=True, event=event,
                                               overview=wall_overview(event))
                result[phase] = {"page": len(page), "page_gzip": len(gzip.compress(page)),
                                 "push": len(push.encode()),
                                 "overview": len(overview.encode()) if has_overview(event) else 0}
        return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tables", type=int, nargs="+", default=[21, 210])
    args = parser.parse_args(argv)
    for count in args.tables:
        result = sizes(count)
        for phase in PHASES_SHOWN:
            r = result[phase]
            print(f"{count:4d} tables, {phase:<11} first load {r['page'] / 1000:7.1f} KB "
                  f"({r['page_gzip'] / 1000:5.1f} KB gzipped), one card's push "
                  f"{r['push'] / 1000:4.1f} KB"
                  + (f", the overview's {r['overview'] / 1000:4.1f} KB" if r["overview"] else ""))


if __name__ == "__main__":
    main()
