"""The plenary wall: what it shows in each phase, what reaches it at once, its language and
its weight."""

import gevent
import pytest

from bench.wall import fill_day, make_event
from board import db, realtime, slices
from board.realtime import cards_html
from board.screens.wall import wall_overview

from .conftest import made_in_turns, pushes
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


def overview_of(page):
    return page[page.index('id="wall-overview"'):page.index('class="wall-grid"')]


@pytest.mark.parametrize(("phase", "shown"), [
    # 4 tables of 6 notes, 2 per theme; the latest notes of the theme first.
    ("diagnostic", ["<strong class=\"overview-figure\">8</strong> constats", "de 4 tables",
                    "Les entreprises du quartier ne connaissent pas les jeunes diplômés (table 4)"]),
    # Tables naming an axis alike are one line, with their tables and dots together.
    ("axes", ["<strong class=\"overview-figure\">3</strong> axes",
              "<strong class=\"overview-figure\">10</strong> gommettes",
              "près de chez soi</span> <span class=\"overview-where\">3 tables"]),
    # Cards by the theme of their priority axis: tables 1, 2 ready, 3 started, 4 ready.
    ("drafting", ["<strong class=\"overview-figure\">1</strong> fiche prête",
                  "<strong class=\"overview-figure\">1</strong> en cours", "1/1 prêtes"]),
    ("selection", ["<strong class=\"overview-figure\">1</strong> prototype",
                   "Un lieu pour découvrir les métiers, quartier 1", "à étudier"]),
])
def test_a_large_day_sums_up_the_room_by_theme_for_the_step(app, client, phase, shown):
    app.config["WALL_OVERVIEW_TABLES"] = 4
    event = make_event(4)
    fill_day(event, phase)
    for table in event.tables:
        table.votes_revealed = True
    db.session.commit()
    overview = overview_of(wall(client, event))
    assert "Toute la salle, par thématique" in overview and " hidden" not in overview[:300]
    assert overview.count('class="overview-theme ') == 3  # one per theme
    for text in shown:
        assert text in overview, text


def test_a_day_that_fits_the_screen_or_a_step_without_a_summary_has_no_overview(app, client):
    app.config["WALL_OVERVIEW_TABLES"] = 4
    small = make_event(3)
    fill_day(small, "drafting")
    assert "overview-theme" not in overview_of(wall(client, small))
    large = make_event(4)
    fill_day(large, "consolidation")  # the priority axes are the room's summary then
    assert "overview-theme" not in overview_of(wall(client, large))


def test_the_overview_follows_each_change_at_once(app, tablet):
    app.config["WALL_OVERVIEW_TABLES"] = 4
    event = make_event(4)
    fill_day(event, "diagnostic")
    screen = plenary_socket(app, event)
    screen.get_received()
    tablet(event.tables[3], "Awa").post_note("Le dernier bus part à 20 h", theme=event.themes[0])
    [push] = [p["html"] for p in pushes(screen) if 'id="wall-overview"' in p["html"]]
    overview = push[push.index('id="wall-overview"'):]
    first, second = (overview.index(f'class="overview-theme theme-{t.id}"') for t in event.themes[:2])
    assert '<strong class="overview-figure">9</strong> constats' in overview[first:second]
    assert "Le dernier bus part à 20 h" in overview[first:second]


def test_the_overview_is_rebuilt_at_most_once_per_delay_however_many_changes(
        app, tablet, monkeypatch):
    app.config.update(WALL_OVERVIEW_TABLES=4, WALL_OVERVIEW_DELAY=3600)
    monkeypatch.setattr(realtime, "_overview_pushed", {})  # an earlier test's event had its id
    event = make_event(4)
    fill_day(event, "diagnostic")
    screen = plenary_socket(app, event)
    screen.get_received()
    awa = tablet(event.tables[0], "Awa")
    awa.post_note("Un")
    awa.post_note("Deux")
    html = "".join(p["html"] for p in pushes(screen))
    assert html.count('id="wall-overview"') == 1  # the first change; the rest at the tick
    assert html.count(f'id="plenary-table-{event.tables[0].id}"') == 2  # the tiles at once


def test_the_overview_counts_only_the_dots_the_tables_show(app):
    app.config["WALL_OVERVIEW_TABLES"] = 4
    event = make_event(4)
    fill_day(event, "axes")
    hidden = wall_overview(event)  # no table revealed its dots, the event's are not live
    assert [t["axes_count"] for t in hidden["themes"]] == [2, 3, 3]
    assert [t["dots"] for t in hidden["themes"]] == [0, 0, 0]
    event.tables[0].votes_revealed = True  # table 1: 4 dots on theme 2, 2 on theme 3
    db.session.commit()
    assert [t["dots"] for t in wall_overview(event)["themes"]] == [0, 4, 2]


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


@pytest.mark.parametrize(("phase", "unread"), [
    ("diagnostic", ("FROM proposal", "FROM axis", "FROM vote")),
    ("axes", ("FROM proposal",)),
    ("drafting", ("FROM note", "FROM axis", "FROM vote")),
])
def test_a_batch_of_wall_cards_reads_only_what_the_step_shows(app, phase, unread):
    """Cards are read several times a second at the day's busiest: the card's rows in the
    morning, or the notes' in the afternoon, would be read for nothing."""
    from sqlalchemy import event as sa_event

    event = make_event(4)
    fill_day(event, phase)
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        with app.test_request_context():
            html = cards_html(event.tables)[event.id]
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    for text in unread:
        assert not any(text in s and not s.startswith("SELECT \"table\"") for s in statements), text
    assert html.count('class="wall-table"') == 4


def test_the_screens_refetching_together_share_one_render_of_an_unchanged_wall(
        app, client, monkeypatch):
    """At the tick after the wall moved, every screen of the event refetches it: the first
    renders it, the others take that render while nothing changed, for a second at most
    (its countdowns carry the server's time)."""
    from board import plenary

    event = make_event(4)
    fill_day(event, "diagnostic")
    renders = []
    real = plenary.wall_context
    monkeypatch.setattr(plenary, "wall_context", lambda *a: renders.append(1) or real(*a))
    clock = [1000.0]
    monkeypatch.setattr(plenary.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(plenary, "_rendered", type(plenary._rendered)())
    path = f"/pleniere/{event.plenary_token}/mur"
    first = client.get(path).get_data(as_text=True)
    assert [client.get(path).get_data(as_text=True) for _ in range(3)] == [first] * 3
    assert len(renders) == 1
    table = db.session.get(type(event), event.id).tables[0]
    table.seq += 1  # a change at a table moves the wall's mark
    db.session.commit()
    client.get(path)
    assert len(renders) == 2
    clock[0] += 1.5  # a second later: drawn again (the countdowns' server time)
    client.get(path)
    assert len(renders) == 3


@pytest.mark.parametrize("path", ["/pleniere/{token}/mur", "/pleniere/{token}"])
def test_the_wall_lets_the_process_serve_others_while_it_is_made(app, client, monkeypatch, path):
    """At 200 tables the wall is tens of milliseconds of Python: made in slices, the other
    requests, pushes and pings of the process go on between them, and it comes out the same."""
    from board import plenary

    event = make_event(30)
    fill_day(event, "axes")
    path = path.format(token=event.plenary_token)
    monkeypatch.setattr(plenary, "_rendered", type(plenary._rendered)())

    def made():
        plenary._rendered.clear()  # made, not the render kept from the first time
        return client.get(path).get_data(as_text=True)

    whole, sliced, held, turns = made_in_turns(monkeypatch, made)
    assert held == [] and len(turns) >= len(event.tables)  # one at each table's card
    assert sliced == whole


def test_the_room_by_theme_lets_the_process_serve_others_while_it_is_made(app, monkeypatch):
    """The overview a large day's wall receives sums up every table's card: pushed from the
    tables' changes, it is made in slices too, and comes out the same."""
    app.config["WALL_OVERVIEW_TABLES"] = 4
    event = make_event(30)
    fill_day(event, "axes")
    screen = plenary_socket(app, event)
    screen.get_received()

    def pushed():
        with app.test_request_context():
            realtime._push_overview(event.id)
        return [p["html"] for p in pushes(screen)]

    whole, sliced, held, turns = made_in_turns(monkeypatch, pushed)
    assert held == [] and len(turns) >= len(event.tables)
    assert sliced == whole and len(whole) == 1 and 'id="wall-overview"' in whole[0]


def test_a_batch_of_cards_takes_turns_and_the_next_batch_waits_for_it(app, monkeypatch):
    """At the day's busiest a batch holds tens of cards: it lets the process serve others
    between two, and the batch after it, which reads the tables later, does not reach the
    screens before it (the older cards would then stay on the wall)."""
    event = make_event(30)
    fill_day(event, "drafting")
    screen = plenary_socket(app, event)
    screen.get_received()
    ids = {table.id for table in event.tables}

    def pushed():
        with app.test_request_context():
            realtime._push_cards(ids)
        return [p["html"] for p in pushes(screen)]

    whole, sliced, held, turns = made_in_turns(monkeypatch, pushed)
    assert held == [] and len(turns) >= len(event.tables)
    assert sliced == whole and len(whole) == 1

    steps, real = [], realtime.cards_html

    def cards_html(tables, pause):
        steps.append("reads")
        html = real(tables, pause)
        steps.append("renders")
        return html

    monkeypatch.setattr(realtime, "cards_html", cards_html)

    def batch(table_ids):
        with app.test_request_context():
            realtime._push_cards(table_ids)

    both = [gevent.spawn(batch, ids), gevent.spawn(batch, {event.tables[0].id})]
    gevent.joinall(both, raise_error=True)
    assert steps == ["reads", "renders", "reads", "renders"]
    assert len(pushes(screen)) == 2


def test_a_screen_asking_while_the_wall_is_made_waits_for_that_render(app, client, monkeypatch):
    """While the first screen's render takes its turns, the other screens refetching at the
    same tick wait for it rather than each making the wall again."""
    from board import plenary

    event = make_event(8)
    fill_day(event, "diagnostic")
    renders = []
    real = plenary.wall_context
    monkeypatch.setattr(plenary, "wall_context", lambda *a: renders.append(1) or real(*a))
    monkeypatch.setattr(plenary, "_rendered", type(plenary._rendered)())
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0)
    path = f"/pleniere/{event.plenary_token}/mur"
    others = [gevent.spawn(app.test_client().get, path) for _ in range(3)]
    first = client.get(path).get_data(as_text=True)
    assert [o.get().get_data(as_text=True) for o in others] == [first] * 3
    assert len(renders) == 1
