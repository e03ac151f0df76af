"""Screenshots of Tablée for the README, made from the demo event: `make screenshots`.

Starts its own server on a scratch database, loads the demo day, lets a few tablets work,
and saves PNGs under static/screenshots/ so that the README shows what the code does now.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.wall import fill_day, make_event
from board import create_app, db, demo, services
from board.models import Note, PriorityAxis, utcnow

from .conftest import CHROMIUM, CHROMIUM_ARGS, PROJECTOR, TABLET, LiveServer

OUT = Path(__file__).resolve().parents[2] / "static" / "screenshots"

# Illustrative diagnostics, written for the screenshots (the public account of the day
# lists its themes and retained axes, not the tables' notes).
NOTES = [
    (0, "Awa", "Les familles ne savent pas à qui s'adresser quand un enfant décroche", 0),
    (0, "Karim", "Les jeunes qui ont raccroché ne sont jamais mis en avant", 0),
    (0, "Léa", "Peu de stages de 3e dans le quartier, les élèves prennent ce qu'ils trouvent", 1),
    (0, "Awa", "Les entreprises du quartier ne connaissent pas les jeunes diplômés", 2),
    (1, "Inès", "Pas de lieu pour découvrir les métiers près de chez nous", 1),
    (1, "Tom", "Créer son entreprise : personne pour conseiller dans le quartier", 2),
    (2, "Yanis", "Les préjugés sur le quartier ferment des portes aux entretiens", 1),
]


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = LiveServer(Path(tmp))
        app = create_app({"SQLALCHEMY_DATABASE_URI": server.db_url, "SECRET_KEY": "screenshots"})
        with app.app_context():
            db.create_all()
            event, _created = demo.load()
            # A day ten times larger, while the cards are written: the wall's overview.
            large = make_event(210, name="Un jour dix fois plus grand")
            fill_day(large, "drafting")
            server.start()
            try:
                shoot(server, event, large)
            finally:
                server.stop()
    print(f"Screenshots written to {OUT}")


def shoot(server, event, large):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tablets = {}
        for table_index, name, text, theme_index in NOTES:
            table = event.tables[table_index]
            key = (table_index, name)
            if key not in tablets:
                page = browser.new_context(viewport=TABLET, locale="fr-FR").new_page()
                page.goto(f"{server.url}/j/{table.join_code}")
                page.get_by_label("Votre prénom").fill(name)
                page.get_by_role("button", name="Rejoindre la table").click()
                page.wait_for_url(f"{server.url}/table")
                tablets[key] = page
            page = tablets[key]
            page.get_by_label("Votre constat").fill(text)
            page.get_by_label(event.themes[theme_index].name).check()
            page.get_by_role("button", name="Publier").click()
            page.locator(".note", has_text=text).wait_for()
        tablets[(0, "Awa")].screenshot(path=OUT / "tablet-board.png")

        # The morning at table 1: an axis with its notes.
        table = event.tables[0]
        event.phase = "axes"
        axis = services.create_axis(table, {"name": "Les familles face au décrochage",
                                            "theme_id": event.themes[0].id})
        for note in db.session.scalars(db.select(Note).where(
                Note.table_id == table.id, Note.theme_id == event.themes[0].id)).all():
            services.move_note(note, {"axis_id": axis.id, "index": None})
        awa = tablets[(0, "Awa")]
        awa.reload()
        awa.locator('#connection[data-state="online"]').wait_for()
        awa.screenshot(path=OUT / "tablet-axes.png")

        # The afternoon: the room's priority axes (the six of the real day) and table 1's card,
        # the first prototype of the real day.
        for position, (theme, title) in enumerate(
                (t, title) for t, facts in zip(event.themes, demo.day()["themes"], strict=True)
                for title in facts["axes"]):
            db.session.add(PriorityAxis(event=event, theme=theme, title=title, position=position))
        services.set_phase(event, "drafting", utcnow())
        card = services.proposal_for(table)
        prototype = demo.day()["prototypes"][0]
        card.title, card.city, card.department = (prototype["title"], prototype["city"],
                                                  prototype["department"])
        card.priority_axis = event.priority_axes[4]
        card.need = "Les jeunes du quartier ne savent pas où chercher un emploi près de chez eux."
        card.objective = "Un lieu d'accueil emploi dans les centres sociaux, ouvert le soir."
        card.budget_amount, card.budget_purpose = 15000, "un animateur à mi-temps pendant un an"
        card.partners, card.skills = ["Centres sociaux", "Mission locale"], ["Animation", "Emploi"]
        db.session.commit()
        awa.reload()
        awa.locator('#connection[data-state="online"]').wait_for()
        awa.screenshot(path=OUT / "tablet-card.png", full_page=True)

        join = browser.new_context(viewport=TABLET, locale="fr-FR").new_page()
        join.goto(f"{server.url}/j/{event.tables[3].join_code}")
        join.screenshot(path=OUT / "join.png")

        wall = browser.new_context(viewport=PROJECTOR, locale="fr-FR").new_page()
        wall.goto(f"{server.url}/pleniere/{event.plenary_token}")
        wall.locator('#connection[data-state="online"]').wait_for()
        wall.screenshot(path=OUT / "plenary.png")
        # Each round of a large day's pages opens with the room by theme.
        wall.goto(f"{server.url}/pleniere/{large.plenary_token}")
        wall.locator('#connection[data-state="online"]').wait_for()
        wall.locator("#wall-overview").wait_for()
        wall.screenshot(path=OUT / "plenary-overview.png")
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
