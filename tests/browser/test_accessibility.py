"""axe-core on every page and state, at the sizes people use them; keyboard paths."""

from datetime import date

from playwright.sync_api import expect

from board import db, services
from board.models import utcnow

from .conftest import PROJECTOR, join, serious_violations, wait_online
from .test_live_board import open_menu


def test_join_page_empty_and_with_errors(open_page, live, live_event):
    page = open_page(f"{live.url}/")
    assert serious_violations(page) == []
    page.get_by_role("button", name="Rejoindre la table").click()
    expect(page.locator("#code-error")).to_be_visible()
    assert serious_violations(page) == []


def test_table_board_empty_with_notes_and_editing(open_page, live, live_event):
    table = live_event.tables[0]
    page = join(open_page, live, table, "Awa")
    assert serious_violations(page) == []
    page.get_by_label("Votre constat").fill("Le bus ne passe plus après 20 h")
    page.get_by_role("button", name="Publier").click()
    expect(page.locator("#notes .note")).to_have_count(1)
    page.get_by_role("button", name="Publier").click()  # empty: an error beside the field
    expect(page.locator("#note-text-error")).to_be_visible()
    assert serious_violations(page) == []
    open_menu(page.locator("#notes .note")).get_by_role("button", name="Modifier").click()
    expect(page.locator("[data-editing]")).to_have_count(1)
    assert serious_violations(page) == []


def test_captain_board(open_page, live, live_event):
    page = join(open_page, live, live_event.tables[1], "Cap", captain=True)
    assert serious_violations(page) == []


def test_plenary_at_projector_size(open_page, live, live_event):
    join(open_page, live, live_event.tables[0], "Awa")
    page = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(page)
    assert serious_violations(page) == []


def test_organizer_pages(organizer_page, live, live_event):
    page = organizer_page
    assert serious_violations(page) == []
    for path in (f"/organisation/evenements/{live_event.id}", "/organisation/evenements/nouveau",
                 f"/organisation/evenements/{live_event.id}/qr"):
        page.goto(live.url + path)
        assert serious_violations(page) == [], path
    page.goto(f"{live.url}/organisation/evenements/nouveau")
    page.get_by_role("button", name="Créer l'événement").click()
    expect(page.locator(".field-error").first).to_be_visible()
    assert serious_violations(page) == []


def test_a_note_can_be_posted_edited_and_deleted_with_the_keyboard_alone(open_page, live, live_event):
    page = join(open_page, live, live_event.tables[2], "Awa")
    page.get_by_label("Votre constat").focus()
    page.keyboard.type("Trop peu de places en crèche")
    page.keyboard.press("Tab")  # to the first theme; arrows choose, as in any radio group
    page.keyboard.press("ArrowRight")
    expect(page.get_by_label("Emploi")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Publier")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#notes .note")).to_have_count(1)
    expect(page.locator("#notes .note")).to_contain_text("Emploi")
    page.locator("#notes .note .note-more summary").focus()
    page.keyboard.press("Enter")  # the « ⋯ » menu opens
    page.get_by_role("button", name="Modifier").focus()
    page.keyboard.press("Enter")
    textarea = page.locator("[data-editing] textarea")
    expect(textarea).to_be_focused()
    textarea.press("Control+End")
    page.keyboard.type(" le matin")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Enregistrer")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#notes .note-text")).to_have_text("Trop peu de places en crèche le matin")
    page.once("dialog", lambda dialog: dialog.accept())
    open_menu(page.locator("#notes .note"))
    page.get_by_role("button", name="Supprimer").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#notes .note")).to_have_count(0)


def test_the_organizers_day_pages(organizer_page, live, live_event, open_page):
    """The régie (laptop and phone), selection, follow-up, exports, import, next edition,
    the report, and the plenary in pitch and results modes."""
    join(open_page, live, live_event.tables[0], "Awa")
    page = organizer_page
    base = f"{live.url}/organisation/evenements/{live_event.id}"
    for path in ("/regie", "/selection", "/suivi", "/exports", "/nouvelle-edition", "/rapport",
                 "/consolidation"):
        page.goto(base + path)
        assert serious_violations(page) == [], path
    page.goto(f"{live.url}/organisation/importer")
    assert serious_violations(page) == []
    phone = page.context.new_page()
    phone.set_viewport_size({"width": 390, "height": 844})
    phone.goto(base + "/regie")
    assert serious_violations(phone) == []
    # The step change's confirmation, then a pitch on the plenary.
    phone.get_by_role("link", name="6. Présentations").click()
    expect(phone.locator("#confirm-dialog")).to_be_visible()
    assert serious_violations(phone) == []
    phone.get_by_role("button", name="Oui, passer à « Présentations »").click()
    phone.get_by_role("button", name="Lancer la première table ▶").click()
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    expect(wall.locator("#stage")).to_contain_text("Présentation")
    assert serious_violations(wall) == []
    page.goto(base + "/reglages")
    assert serious_violations(page) == []


def test_public_results_on_a_phone_and_printed(open_page, live, live_event, tmp_path):
    table = live_event.tables[0]
    card = services.proposal_for(table)
    card.title, card.city, card.department = "Un espace emploi ouvert le soir", "Sarcelles", "95"
    card.summary, card.budget_amount = "Un lieu ouvert le soir pour les jeunes du quartier.", 45000
    db.session.commit()
    services.set_phase(live_event, "pitches", utcnow())
    services.step_pitch(live_event, 1, utcnow())
    services.set_phase(live_event, "selection", utcnow())
    services.decide(card, {"verdict": "prototype", "comment": "À tester dès janvier"}, utcnow())
    sponsor = services.set_sponsor(card, {"name": "Camille Martin", "team": "Préfecture",
                                          "contact": ""})
    services.add_follow_up(sponsor, {"noted_on": date(2018, 2, 1), "status": "experimenting",
                                     "text": "Premier atelier avec douze jeunes"})
    services.publish_results(live_event, True)
    page = open_page(f"{live.url}/resultats/{live_event.results_token}",
                     viewport={"width": 390, "height": 844})
    expect(page.get_by_role("heading", name="Un espace emploi ouvert le soir")).to_be_visible()
    assert serious_violations(page) == []
    # Nothing wider than the phone's screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(tmp_path / "results-phone.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.locator(".results-data").is_hidden()
    assert serious_violations(page) == []
