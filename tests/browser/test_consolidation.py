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


def test_a_renamed_then_undone_priority_axis_follows_on_the_tablets_that_chose_it(
        open_page, live, live_event, organizer_page):
    """The captain chose « Mobilité » on the card; the organizer renames it, then undoes
    it. The captain's list keeps it chosen under its new name, a teammate reads the new
    name, then both see the card without an axis: no reload."""
    event = live_event
    axis = services.create_axis(event.tables[0], {"name": "bus", "theme_id": event.themes[0].id})
    priority = services.gather_axes(event, {"axis_ids": [axis.id], "title": "Mobilité"})
    event.phase = "drafting"
    db.session.commit()
    captain = join(open_page, live, event.tables[0], "Awa", captain=True)
    mate = join(open_page, live, event.tables[0], "Bob")
    captain.get_by_label("Axe prioritaire").select_option(label="Mobilité")
    expect(mate.locator(".axis-chosen")).to_have_text("Mobilité", timeout=5000)

    page = organizer_page
    page.goto(f"{live.url}/organisation/evenements/{event.id}/consolidation")
    gathering = priority.sources[0].gathering

    def organizer_posts(path, data):
        status = page.evaluate("""([path, data]) => {
            const body = new URLSearchParams(data);
            body.set("csrf_token", document.querySelector("input[name=csrf_token]").value);
            return fetch(path, {method: "POST", body}).then(r => r.status);
        }""", [f"/organisation/evenements/{event.id}{path}", data])
        assert status == 200, status

    organizer_posts(f"/axes-prioritaires/{priority.id}/renommer", {"title": "Se déplacer le soir"})
    expect(mate.locator(".axis-chosen")).to_have_text("Se déplacer le soir", timeout=5000)
    choice = captain.get_by_label("Axe prioritaire")
    expect(choice.locator("option:checked")).to_have_text("Se déplacer le soir")

    organizer_posts(f"/axes-prioritaires/{priority.id}/regroupements/{gathering}/defaire", {})
    expect(mate.locator(".axis-chosen")).to_have_text("Le ou la capitaine choisit l'axe.",
                                                      timeout=5000)
    expect(choice.locator("option")).to_have_count(1)  # « — choisir un axe prioritaire — »
    expect(choice).to_have_value("")
