from playwright.sync_api import expect

from board import db, services

from .conftest import join
from .test_axes import create_axis

LAPTOP = {"width": 1366, "height": 768}


def test_the_hints_pair_close_names_and_the_page_follows_the_tables(
        open_page, live, live_event, organizer_page):
    event = live_event
    event.phase = "axes"
    db.session.commit()
    theme = event.themes[0]
    for table, name in zip(event.tables, ["crèche", "crèches", "bus"], strict=True):
        services.create_axis(table, {"name": name, "theme_id": theme.id})
    page = organizer_page
    page.set_viewport_size(LAPTOP)
    page.goto(f"{live.url}/organisation/evenements/{event.id}/consolidation")
    expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    hints = page.locator(f"#hints-{theme.id}-title + .hint-list")
    expect(hints.locator(".hint-card")).to_have_count(1)
    expect(hints).to_contain_text("« crèche »")
    expect(hints).to_contain_text("« crèches »")
    expect(hints).not_to_contain_text("« bus »")

    # A table names a new axis on its tablet: the page shows it and its hint, no refresh.
    awa = join(open_page, live, event.tables[1], "Awa")
    create_axis(awa, "bus le soir", theme.name)
    expect(hints.locator(".hint-card")).to_have_count(2, timeout=8000)
    expect(hints).to_contain_text("« bus le soir »")

    # A refused gathering says why beside its own form, where the organizer is.
    gather = page.locator(f"#gather-{theme.id}")
    gather.get_by_role("button", name="Regrouper").click()
    expect(gather.locator(".field-error")).to_contain_text("Cochez au moins un axe")
    expect(gather).to_be_in_viewport()
