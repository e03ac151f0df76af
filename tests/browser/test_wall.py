"""The plenary wall on a projector: nothing below the fold, readable from ten metres, every
table seen once per round of pages, live while it pages."""

import pytest
from playwright.sync_api import expect

from bench.wall import fill_day, make_event
from board import db

from .conftest import PROJECTOR, join, wait_online

SMALL_PROJECTOR = {"width": 1280, "height": 720}

# Every tile on screen, with its bottom and right edges, and whether the page can scroll.
FOLD = """() => {
  const tiles = [...document.querySelectorAll('.wall-table, .priority-axis')]
    .filter(t => t.getClientRects().length);
  return {
    scrolls: document.documentElement.scrollHeight > innerHeight
      || document.documentElement.scrollWidth > innerWidth,
    bottom: Math.max(0, ...tiles.map(t => t.getBoundingClientRect().bottom)),
    right: Math.max(0, ...tiles.map(t => t.getBoundingClientRect().right)),
    shown: tiles.map(t => t.id),
  };
}"""

# The font size of every piece of text a tile shows (text hidden for screen readers aside).
FONTS = """() => {
  const sizes = {names: [], other: [], figures: []};
  for (const tile of document.querySelectorAll('.wall-table')) {
    if (!tile.getClientRects().length) continue;
    const walker = document.createTreeWalker(tile, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const el = node.parentElement;
      if (!node.textContent.trim() || !el.getClientRects().length
          || el.closest('.visually-hidden')) continue;
      const size = parseFloat(getComputedStyle(el).fontSize);
      if (el.closest('h2')) sizes.names.push(size);
      else if (el.closest('.theme-counts, .dots, .axis-notes')) sizes.figures.push(size);
      else sizes.other.push(size);
    }
  }
  return sizes;
}"""


def wall_url(live, event, seconds=600):
    return f"{live.url}/pleniere/{event.plenary_token}?secondes={seconds}"


def day(live_app, tables, phase):
    with live_app[0].app_context():
        event = make_event(tables, name=f"Mur de {tables} tables")
        fill_day(event, phase)
        for table in event.tables:
            table.votes_revealed = True
        db.session.commit()
        return event


@pytest.mark.parametrize("phase", ["diagnostic", "axes", "drafting", "selection"])
def test_21_tables_fit_one_screen_readable_from_ten_metres(open_page, live, live_app, phase):
    event = day(live_app, 21, phase)
    wall = open_page(wall_url(live, event), viewport=PROJECTOR)
    wait_online(wall)
    fold = wall.evaluate(FOLD)
    assert len(fold["shown"]) == 21  # every table at once: no page to turn
    assert not fold["scrolls"] and fold["bottom"] <= 1080 and fold["right"] <= 1920
    expect(wall.locator("#wall-pager")).to_be_hidden()
    sizes = wall.evaluate(FONTS)
    assert sizes["names"] and min(sizes["names"]) >= 32
    assert sizes["other"] and min(sizes["other"]) >= 24
    assert min(sizes["figures"] or [32]) >= 32  # the key figures larger still

    small = open_page(wall_url(live, event), viewport=SMALL_PROJECTOR)
    fold = small.evaluate(FOLD)
    assert not fold["scrolls"] and fold["bottom"] <= 720 and fold["right"] <= 1280
    assert 0 < len(fold["shown"]) < 21
    expect(small.locator("#wall-pager")).to_have_text(
        f"Page 1 / {-(-21 // len(fold['shown']))}")


# Each page the wall turns to, with the tiles it shows, as the page itself saw it.
RECORD = """() => { window.turned = [];
  document.body.addEventListener('tablee:paged', (e) => window.turned.push({
    page: e.detail.page, pages: e.detail.pages,
    shown: [...document.querySelectorAll('.wall-table')].filter(t => t.getClientRects().length)
      .map(t => t.id),
    bottom: Math.max(...[...document.querySelectorAll('.wall-table')]
      .filter(t => t.getClientRects().length).map(t => t.getBoundingClientRect().bottom))}));
}"""


def test_210_tables_page_by_themselves_and_every_table_is_seen_in_one_round(
        open_page, live, live_app):
    event = day(live_app, 210, "drafting")
    ids = {f"plenary-table-{t.id}" for t in event.tables}
    wall = open_page(wall_url(live, event, seconds=1), viewport=PROJECTOR)
    wall.evaluate(RECORD)
    wait_online(wall)
    # From the first page that comes round, one whole round and back to it.
    wall.wait_for_function("""() => { const p = window.turned.filter(t => t)
        .map(t => t.page); const i = p.indexOf(1); return i >= 0 && p.lastIndexOf(1) > i; }""",
                           timeout=60_000)
    turns = wall.evaluate("window.turned")
    first = [t["page"] for t in turns].index(1)
    last = [t["page"] for t in turns].index(1, first + 1)
    round_ = turns[first:last]
    assert sorted({t["page"] for t in round_}) == list(range(1, 11))
    assert {t["pages"] for t in round_} == {10}
    assert set().union(*(t["shown"] for t in round_)) == ids  # every table seen
    assert max(t["bottom"] for t in round_) <= 1080  # and none below the fold
    assert not wall.evaluate(FOLD)["scrolls"]
    expect(wall.locator("#wall-pager")).to_contain_text(" / 10")


def test_a_change_reaches_its_tile_while_the_wall_pages_even_on_a_hidden_page(
        open_page, live, live_app):
    event = day(live_app, 60, "diagnostic")
    last = event.tables[-1]
    wall = open_page(wall_url(live, event, seconds=3), viewport=PROJECTOR)
    wait_online(wall)
    expect(wall.locator("#wall-pager")).to_contain_text(" / 3")
    tile = wall.locator(f"#plenary-table-{last.id}")
    tablet = join(open_page, live, last, "Awa")
    tablet.get_by_label("Votre constat").fill("Le dernier bus part à 20 h")
    tablet.get_by_label("Éducation").check()
    tablet.get_by_role("button", name="Publier").click()
    expect(tile.locator(".latest")).to_have_text("Le dernier bus part à 20 h", timeout=10_000)
    expect(tile.locator(".present")).to_contain_text("6 présent·e·s")
    # Replaced where it was: shown only if its page is the one on screen.
    state = wall.evaluate("""id => new Promise(done => requestAnimationFrame(() => done({
        hidden: document.getElementById(id).hidden,
        page: document.querySelector('.wall-grid').dataset.page})))""", f"plenary-table-{last.id}")
    assert state["hidden"] == (state["page"] != "3")
    expect(tile).to_be_visible(timeout=15_000)  # its page comes round
    expect(wall.locator("#wall-pager")).to_have_text("Page 3 / 3")
    assert wall.evaluate(FOLD)["bottom"] <= 1080
    expect(tile).to_be_hidden(timeout=10_000)  # and goes on


def test_the_regie_puts_one_table_on_the_whole_wall_and_brings_the_wall_back(
        open_page, live, live_app, organizer_page):
    event = day(live_app, 21, "drafting")
    seventh = event.tables[6]
    wall = open_page(wall_url(live, event), viewport=PROJECTOR)
    wait_online(wall)
    regie = organizer_page
    regie.goto(f"{live.url}/organisation/evenements/{event.id}/regie")
    regie.get_by_label("Table n°").fill("7")
    regie.get_by_role("button", name="Montrer cette table").click()
    spotlight = wall.locator("#spotlight")
    expect(spotlight.get_by_role("heading", name=seventh.label)).to_be_visible(timeout=5000)
    expect(spotlight).to_contain_text("Un lieu pour découvrir les métiers, quartier 7")
    expect(wall.locator(".wall-grid")).to_be_hidden()
    box = spotlight.bounding_box()
    assert box["y"] + box["height"] <= 1080 and not wall.evaluate(FOLD)["scrolls"]
    assert float(spotlight.locator(".spotlight-head h2").evaluate(
        "el => getComputedStyle(el).fontSize").removesuffix("px")) >= 48
    expect(regie.locator("#spotlight-control")).to_contain_text(seventh.label)

    regie.get_by_role("button", name="Revenir à toutes les tables").click()
    expect(wall.locator(".wall-grid")).to_be_visible(timeout=5000)
    expect(spotlight).to_be_hidden()
    assert len(wall.evaluate(FOLD)["shown"]) == 21
