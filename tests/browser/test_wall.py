"""The plenary wall on a projector: nothing below the fold, readable from ten metres, every
table seen once per round of pages, live while it pages."""

import pytest
from playwright.sync_api import expect

from bench.wall import fill_day, make_event
from board import db

from .conftest import PROJECTOR, join, serious_violations, wait_online

SMALL_PROJECTOR = {"width": 1280, "height": 720}
# Other screens a venue may have: a 4:3 projector, a laptop's own screen.
SQUARER = [{"width": 1024, "height": 768}, {"width": 1366, "height": 768}]

# Every tile on screen, with its bottom and right edges, and whether the page can scroll.
FOLD = """() => {
  const tiles = [...document.querySelectorAll('.wall-table, .priority-axis, .overview-theme')]
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


def scaled(sizes, ratio):
    return {kind: [round(size * ratio, 1) for size in values] for kind, values in sizes.items()}


@pytest.mark.parametrize("phase", ["diagnostic", "axes", "drafting", "selection"])
def test_21_tables_fit_one_screen_readable_from_ten_metres(open_page, live, live_app, phase):
    event = day(live_app, 21, phase)
    wall = open_page(wall_url(live, event), viewport=PROJECTOR)
    wait_online(wall)
    fold = wall.evaluate(FOLD)
    assert len(fold["shown"]) == 21  # every table at once: no page to turn
    assert not fold["scrolls"] and fold["bottom"] <= 1080 and fold["right"] <= 1920
    expect(wall.locator("#wall-pager")).to_be_hidden()
    expect(wall.locator("#wall-overview")).to_be_hidden()  # a day on one screen needs none
    sizes = wall.evaluate(FONTS)
    assert sizes["names"] and min(sizes["names"]) >= 32
    assert sizes["other"] and min(sizes["other"]) >= 24
    assert min(sizes["figures"] or [32]) >= 32  # the key figures larger still

    # A 1280×720 projector throws the same picture: the same tiles, every size in proportion.
    small = open_page(wall_url(live, event), viewport=SMALL_PROJECTOR)
    wait_online(small)
    fold = small.evaluate(FOLD)
    assert not fold["scrolls"] and fold["bottom"] <= 720 and fold["right"] <= 1280
    assert fold["shown"] == wall.evaluate(FOLD)["shown"]
    expect(small.locator("#wall-pager")).to_be_hidden()
    assert scaled(small.evaluate(FONTS), 1.5) == scaled(sizes, 1)

    for viewport in SQUARER:  # squarer screens: the width decides, nothing below the fold
        other = open_page(wall_url(live, event), viewport=viewport)
        wait_online(other)
        fold = other.evaluate(FOLD)
        assert not fold["scrolls"] and fold["bottom"] <= viewport["height"]
        assert fold["right"] <= viewport["width"] and len(fold["shown"]) == 21


# Each page the wall turns to, with the tiles it shows, as the page itself saw it.
RECORD = """() => { window.turned = [];
  const shown = (selector) => [...document.querySelectorAll(selector)]
    .filter(t => t.getClientRects().length);
  document.body.addEventListener('tablee:paged', (e) => window.turned.push({
    page: e.detail.page, pages: e.detail.pages, overview: e.detail.overview,
    pager: document.getElementById('wall-pager').textContent,
    shown: shown('.wall-table').map(t => t.id),
    themes: shown('.overview-theme').length,
    bottom: Math.max(0, ...shown('.wall-table, .overview-theme, #wall-overview > *')
      .map(t => t.getBoundingClientRect().bottom))}));
}"""


@pytest.mark.parametrize(("phase", "viewport", "pages"), [
    ("drafting", PROJECTOR, 10), ("drafting", SMALL_PROJECTOR, 10),
    ("diagnostic", SMALL_PROJECTOR, 8),
])
def test_210_tables_page_by_themselves_after_the_room_by_theme_every_table_seen_each_round(
        open_page, live, live_app, phase, viewport, pages):
    event = day(live_app, 210, phase)
    ids = {f"plenary-table-{t.id}" for t in event.tables}
    wall = open_page(wall_url(live, event, seconds=0.5), viewport=viewport)
    wall.evaluate(RECORD)
    wait_online(wall)
    # From the overview that opens a round, one whole round and back to it.
    wall.wait_for_function("""() => { const o = window.turned.map(t => t.overview);
        const i = o.indexOf(true); return i >= 0 && o.lastIndexOf(true) > i; }""",
                           timeout=60_000)
    turns = wall.evaluate("window.turned")
    first = [t["overview"] for t in turns].index(True)
    last = [t["overview"] for t in turns].index(True, first + 1)
    opening, round_ = turns[first], turns[first + 1:last]
    assert opening["shown"] == [] and opening["themes"] == 3  # the room by theme, alone
    assert opening["pager"] == "Toute la salle"
    assert [t["page"] for t in round_] == list(range(1, pages + 1))  # then the pages in order
    assert {t["pages"] for t in round_} == {pages}
    assert [t["pager"] for t in round_] == [f"Page {n} / {pages}" for n in range(1, pages + 1)]
    assert set().union(*(t["shown"] for t in round_)) == ids  # every table seen
    assert max(t["bottom"] for t in turns[first:last]) <= viewport["height"]  # none below
    assert not wall.evaluate(FOLD)["scrolls"]


def test_the_room_by_theme_reads_from_ten_metres_and_follows_the_tables(
        open_page, live, live_app):
    event = day(live_app, 210, "diagnostic")
    wall = open_page(wall_url(live, event), viewport=PROJECTOR)
    wait_online(wall)
    overview = wall.locator("#wall-overview")
    expect(overview).to_be_visible()  # a round opens with it
    expect(wall.locator(".wall-grid")).to_be_hidden()
    expect(wall.locator("#wall-pager")).to_have_text("Toute la salle")
    education = overview.locator(".overview-theme").first
    expect(education.locator("h3")).to_have_text("Éducation")
    expect(education.locator(".overview-figures")).to_contain_text("420 constats")
    # Every piece of text the overview shows, with its size (once it is laid out).
    sizes = wall.wait_for_function("""() => { const sizes = [...document.querySelectorAll(
          '#wall-overview *')]
        .filter(e => e.getClientRects().length && !e.closest('.visually-hidden')
                && [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
        .map(e => [e.tagName, parseFloat(getComputedStyle(e).fontSize)]);
        return sizes.length ? sizes : null; }""").json_value()
    assert min(size for tag, size in sizes) >= 24
    assert min(size for tag, size in sizes if tag in ("H2", "H3")) >= 32
    assert min(size for tag, size in sizes if tag == "STRONG") >= 64  # the figures
    assert wall.evaluate(FOLD)["bottom"] <= 1080
    assert serious_violations(wall) == []  # contrast, names, landmarks (WCAG 2.1 AA)

    tablet = join(open_page, live, event.tables[-1], "Awa")
    tablet.get_by_label("Votre constat").fill("Le dernier bus part à 20 h")
    tablet.get_by_label("Éducation").check()
    tablet.get_by_role("button", name="Publier").click()
    expect(education.locator(".overview-figures")).to_contain_text("421 constats",
                                                                    timeout=10_000)
    expect(education.locator(".latest").first).to_have_text("Le dernier bus part à 20 h")


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
    # On a 1280×720 projector too, the whole card shows, nothing cut at the bottom.
    small = open_page(wall_url(live, event), viewport=SMALL_PROJECTOR)
    wait_online(small)
    card = small.locator("#spotlight-card")
    expect(card).to_contain_text("Un lieu pour découvrir les métiers, quartier 7")
    cut = card.evaluate("""el => ({bottom: el.getBoundingClientRect().bottom,
        hidden: el.scrollHeight - el.clientHeight,
        region: el.closest('.spotlight').scrollHeight - el.closest('.spotlight').clientHeight})""")
    assert cut["bottom"] <= 720 and cut["hidden"] <= 1 and cut["region"] <= 1
    assert not small.evaluate(FOLD)["scrolls"]

    regie.get_by_role("button", name="Revenir à toutes les tables").click()
    expect(wall.locator(".wall-grid")).to_be_visible(timeout=5000)
    expect(spotlight).to_be_hidden()
    assert len(wall.evaluate(FOLD)["shown"]) == 21
