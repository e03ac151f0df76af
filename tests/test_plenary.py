"""The plenary wall: what it shows in each phase, what reaches it at once, its language and
its weight."""

import pytest

from bench.wall import fill_day, make_event
from board import db
from board.realtime import cards_html

from .conftest import pushes
from .test_day import card, plenary_socket, post, url, wall


def test_a_verdict_reaches_the_wall_at_once_with_the_tables_new_status(app, event, console):
    event.phase = "selection"
    proposal = card(event, 1, title="Clause sociale", city="Sarcelles", status="pitched")
    screen = plenary_socket(app, event)
    screen.get_received()
    post(console, url(event, f"/selection/{proposal.id}"), {"verdict": "to_study"})
    html = "".join(p["html"] for p in pushes(screen))
    tile = html[html.index(f'id="plenary-table-{event.tables[1].id}"'):]
    assert "À étudier" in tile[:tile.index("</article>")]


@pytest.mark.parametrize(("phase", "shown", "not_shown"), [
    ("diagnostic", ["legend-count", "theme-counts", 'class="latest'], ["wall-axes", "wall-card"]),
    ("axes", ["wall-axes", 'class="dots"'], ["legend-count", "wall-card"]),
    ("drafting", ["wall-card", "Un lieu pour découvrir les métiers, quartier 1<"],
     ["legend-count", "wall-axes"]),
    ("selection", ["Prototype", "À étudier"], ["legend-count", "wall-axes"]),
])
def test_each_tile_shows_what_the_day_is_at(client, phase, shown, not_shown):
    event = make_event(8)
    fill_day(event, phase)
    for table in event.tables:
        table.votes_revealed = True
    db.session.commit()
    page = wall(client, event)
    grid = page[page.index('class="wall-grid"'):]
    for text in shown:
        assert text in page, text
    for text in not_shown:
        assert text not in grid, text
    assert f'class="wall phase-{phase}"' in page


def test_the_priority_axes_fill_the_wall_during_consolidation(client):
    event = make_event(6)
    fill_day(event, "consolidation")
    page = wall(client, event)
    priorities = page[page.index('id="priority-axes"'):page.index('class="wall-grid"')]
    assert priorities.count('class="priority-axis ') == 6
    assert "Les familles face au décrochage (1)" in priorities and "Vient de : Table" in priorities


def test_the_wall_and_its_pushes_speak_the_events_language(app, event, tablet):
    """A laptop whose browser prefers English shows the wall in the event's language: the
    same as every fragment pushed to it."""
    page = app.test_client().get(f"/pleniere/{event.plenary_token}",
                                 headers={"Accept-Language": "en-GB,en;q=0.9"})
    html = page.get_data(as_text=True)
    assert '<html lang="fr">' in html and "Étape" in html and "Les tables" in html
    screen = plenary_socket(app, event)
    screen.get_received()
    awa = tablet(event.tables[0], "Awa")
    awa.socket()
    [push] = pushes(screen)
    assert "1 présent·e" in push["html"]


def test_the_wall_at_210_tables_weighs_at_most_200_kb_and_a_push_a_few(app, client):
    app.config["PLENARY_CARD_DELAY"] = 0
    event = make_event(210)
    fill_day(event, "selection")
    page = client.get(f"/pleniere/{event.plenary_token}").get_data()
    region = client.get(f"/pleniere/{event.plenary_token}/mur").get_data()
    assert len(page) <= 200_000 and len(region) <= 200_000
    with app.test_request_context():
        push = cards_html([event.tables[0]])[event.id]
    assert len(push.encode()) <= 3_000


def test_the_organizer_puts_one_table_on_the_whole_wall_and_brings_the_wall_back(
        app, event, console, client):
    table = event.tables[1]
    screen = plenary_socket(app, event)
    screen.get_received()
    page = console.get(url(event, "/regie")).get_data(as_text=True)
    assert 'id="spotlight-control"' in page and "La plénière montre toutes les tables." in page

    response = post(console, url(event, "/pleniere/projecteur"), {"number": str(table.number)})
    assert response.status_code == 200
    [push] = [p for p in pushes(screen) if 'id="spotlight"' in p["html"]]
    assert 'class="spotlight is-on"' in push["html"] and f"<h2>{table.label}</h2>" in push["html"]
    page = wall(client, event)
    assert 'class="spotlight is-on"' in page and f"<h2>{table.label}</h2>" in page
    assert "Revenir à toutes les tables" in console.get(url(event, "/regie")).get_data(
        as_text=True)

    post(console, url(event, "/pleniere/projecteur"), {"number": ""})
    [push] = [p for p in pushes(screen) if 'id="spotlight"' in p["html"]]
    assert 'class="spotlight"' in push["html"] and "<h2>" not in push["html"]
    assert 'class="spotlight"' in wall(client, event)


def test_the_spotlight_takes_only_a_table_of_the_event(app, event, console, client):
    make_event(40, name="Un autre jour")  # its table 40 is not this event's
    response = post(console, url(event, "/pleniere/projecteur"), {"number": "40"})
    assert response.status_code == 422
    assert "Choisissez une table de l&#39;événement." in response.get_data(as_text=True)
    response = post(console, url(event, "/pleniere/projecteur"), {"number": "sept"})
    assert response.status_code == 422 and "Choix inconnu." in response.get_data(as_text=True)
    assert 'class="spotlight"' in wall(client, event)
