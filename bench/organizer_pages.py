"""The organizer's pages at 210 tables: how heavy each is and how long it takes to make.

    .venv/bin/python -m bench.organizer_pages [--tables 210]

Builds a day in a throwaway SQLite database (every table with five people, twenty notes,
five axes named the way tables name them, dots and a filled card), signs an organizer in
and reads the régie, its live region (what a reconnecting régie refetches), the progress
page, the consolidation page (first view: hints computed; second: kept) and its region,
the selection and the plenary. Prints bytes (uncompressed) and milliseconds per page.
"""

import argparse
import random
import tempfile
import time
from pathlib import Path

AXIS_NAMES = [
    "crèche", "crèches", "garde d'enfants", "bus", "bus le soir", "transports", "transport en "
    "commun", "pistes cyclables", "vélo", "emploi des jeunes", "stages", "décrochage scolaire",
    "les décrocheurs", "accès aux soins", "médecins", "logement social", "logements sociaux",
    "culture", "sport pour les filles", "sécurité", "éclairage public", "propreté", "déchets",
    "commerces de proximité", "numérique", "seniors isolés", "aide aux devoirs", "parentalité",
]
WORDS = ("manque", "quartier", "soir", "jeunes", "parents", "école", "bus", "horaires",
         "accès", "places", "attente", "mairie", "association", "gratuit", "centre")


def build(app, tables: int) -> int:
    from board import db, services
    from board.models import Axis, Note, Participant, Vote

    rng = random.Random(16)
    event = services.create_event({
        "name": "Grand jour", "table_count": tables,
        "themes": [{"name": n, "colour": c} for n, c in (
            ("Emploi", "#0072b2"), ("Mobilité", "#e69f00"), ("Famille", "#009e73"))]})
    themes = event.themes
    for table in event.tables:
        people = [Participant(table=table, name=f"P{i}") for i in range(5)]
        db.session.add_all(people)
        axes = [Axis(table=table, name=rng.choice(AXIS_NAMES), theme_id=themes[i % 3].id,
                     position=i) for i in range(5)]
        db.session.add_all(axes)
        db.session.flush()
        for i in range(20):
            axis = axes[i % 5] if i < 15 else None
            db.session.add(Note(table=table, participant_id=people[i % 5].id,
                                theme_id=(axis.theme_id if axis else themes[i % 3].id),
                                text=" ".join(rng.choice(WORDS) for _ in range(8)),
                                axis_id=axis.id if axis else None, position=i))
        for person in people:
            for _ in range(3):
                db.session.add(Vote(axis_id=rng.choice(axes).id, participant_id=person.id))
        card = services.proposal_for(table)
        card.title, card.need = f"Projet de la {table.label}", "Un besoin " * 20
        card.objective, card.city, card.budget_amount = "Un objectif " * 20, "Sarcelles", 5000
        card.budget_purpose, card.partners, card.skills = "Du matériel", ["CAF"], ["Animation"]
    db.session.commit()
    return event.id


def measure(client, path: str) -> tuple[int, float, float]:
    """Bytes, wall and CPU milliseconds: on a shared machine the CPU time is the page's own
    cost, the wall time that and whatever else had the core."""
    started, cpu = time.perf_counter(), time.thread_time()
    response = client.get(path, headers={"HX-Request": "true"} if path.endswith("direct")
                          or "avancement" in path else {})
    elapsed, cpu = (time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return len(response.get_data()), elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=210)
    args = parser.parse_args()

    from sqlalchemy import select

    from board import create_app, db
    from board.models import Axis, Event, Organizer, Table
    from board.screens.consolidation import NAMES_COMMON
    from board.similarity import similar_groups

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                          "TESTING": True, "WTF_CSRF_ENABLED": False,
                          "RATELIMIT_ENABLED": False, "PLENARY_CARD_DELAY": 0})
        with app.app_context():
            db.create_all()
            event_id = build(app, args.tables)
            organizer = Organizer(username="bench")
            organizer.set_password("bench")
            db.session.add(organizer)
            db.session.commit()
            token = db.session.get(Event, event_id).plenary_token
            client = app.test_client()
            with client.session_transaction() as session:
                session["organizer_id"] = organizer.id
            base = f"/organisation/evenements/{event_id}"
            pages = [("régie", f"{base}/regie"), ("régie region (reconnection)",
                                                  f"{base}/regie/direct"),
                     ("régie progress page", f"{base}/regie/avancement?page=2"),
                     ("consolidation, first view", f"{base}/consolidation"),
                     ("consolidation, again", f"{base}/consolidation"),
                     ("consolidation region", f"{base}/consolidation/direct"),
                     ("selection", f"{base}/selection"),
                     ("plenary", f"/pleniere/{token}")]
            print(f"{args.tables} tables")
            # The first read of a page also compiles its templates: the second is the cost
            # of every later one (the consolidation's "first view" computes the hints).
            print(f"{'page':32} {'KB':>8} {'ms':>8} {'CPU ms':>8} {'again':>8}")
            for name, path in pages:
                size, ms, cpu = measure(client, path)
                again = "" if "first view" in name else f"{measure(client, path)[2]:8.0f}"
                print(f"{name:32} {size / 1000:8.1f} {ms:8.0f} {cpu:8.0f} {again}")
            axes = db.session.scalars(select(Axis).join(Table).where(
                Table.event_id == event_id)).all()
            for count in (len(axes) // 4, len(axes)):
                started = time.process_time()
                similar_groups([(a.id, a.name, a.table_id) for a in axes[:count]],
                               common=NAMES_COMMON)
                ms = (time.process_time() - started) * 1000
                print(f"{f'hints over {count} axis names':32} {'':8} {ms:8.0f} (CPU)")


if __name__ == "__main__":
    main()
