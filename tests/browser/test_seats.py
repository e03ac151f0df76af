"""Seats in a real browser: the console lists who is seated and takes a seat back; the
tablet goes straight to the join page, which says why."""

import os

from playwright.sync_api import expect

from board import db
from board.models import Table

from .conftest import PROJECTOR, TABLET, join

SHOTS = os.environ.get("TABLEE_SHOTS")  # a folder: save what the screens look like there


def shot(page, name, viewport):
    if SHOTS:
        page.set_viewport_size(viewport)
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{viewport['width']}.png"),
                        full_page=True)


def test_the_console_takes_a_seat_back_and_the_tablet_is_told(open_page, live, live_event,
                                                              organizer_page):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    cap = join(open_page, live, table, "Capucine", captain=True)
    console = organizer_page
    console.goto(f"{live.url}/organisation/evenements/{live_event.id}")
    row = console.locator(f"#table-row-{table.id}")
    row.get_by_text("Qui est assis").click()
    seats = row.locator(".seated")
    expect(seats).to_contain_text("Awa")
    expect(seats).to_contain_text("Capucine")
    expect(seats).to_contain_text("connecté·e")
    for viewport in ({"width": 1024, "height": 768}, PROJECTOR):
        shot(console, "console-seats", viewport)
    console.once("dialog", lambda dialog: dialog.accept())
    seats.get_by_role("button", name="Retirer Awa").click()
    expect(seats).not_to_contain_text("Awa")
    # Awa's tablet hears it on its socket and shows the join page, saying why.
    notice = awa.locator(".flash-error")
    expect(notice).to_contain_text("Vous n'êtes plus à cette table")
    expect(awa.get_by_label("Code de la table")).to_be_visible()
    for viewport in (TABLET, {"width": 390, "height": 844}):
        shot(awa, "tablet-unseated", viewport)
    # New codes: the captain (old captain code) loses the seat too; the form says so.
    console.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Nouveaux codes").click()
    expect(cap.locator(".flash-error")).to_contain_text("Vous n'êtes plus à cette table")
    db.session.expire_all()
    fresh = db.session.get(Table, table.id)
    expect(console.locator(f"#table-row-{table.id}")).to_contain_text(fresh.captain_code)
    # Joining again with the new code works.
    cap.get_by_label("Code de la table").fill(fresh.captain_code)
    cap.get_by_label("Votre prénom").fill("Capucine")
    cap.get_by_role("button", name="Rejoindre la table").click()
    cap.wait_for_url(f"{live.url}/table")
