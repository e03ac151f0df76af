from playwright.sync_api import expect

from .conftest import PROJECTOR, join, wait_online


def post_note(page, text, theme="Éducation"):
    page.get_by_label("Votre constat").fill(text)
    page.get_by_label(theme).check()
    page.get_by_role("button", name="Publier").click()


def test_a_note_appears_live_at_its_table_and_on_the_plenary_only(open_page, live, live_event):
    t1, t2 = live_event.tables[0], live_event.tables[1]
    awa = join(open_page, live, t1, "Awa")
    bob = join(open_page, live, t1, "Bob")
    zoe = join(open_page, live, t2, "Zoé")
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    expect(wall.locator(f"#plenary-table-{t1.id} .present")).to_contain_text("2 présent·e·s")

    post_note(awa, "Les jeunes décrochent dès la 4e", "Emploi")

    expect(awa.get_by_label("Votre constat")).to_have_value("")
    expect(bob.locator("#notes")).to_contain_text("Les jeunes décrochent dès la 4e", timeout=2000)
    expect(bob.locator("#notes .note")).to_have_count(1)
    expect(bob.locator("#notes .note")).to_contain_text("Emploi")
    expect(wall.locator(f"#plenary-table-{t1.id}")).to_contain_text(
        "Les jeunes décrochent dès la 4e", timeout=2000)

    # Table 2 is live too (its own note shows up), and never received table 1's.
    post_note(zoe, "Pas de crèche le samedi")
    expect(zoe.locator("#notes .note")).to_have_count(1)
    expect(zoe.locator("#notes")).not_to_contain_text("décrochent")
    expect(bob.locator("#notes")).not_to_contain_text("crèche")

    # A reload keeps the participant joined, and the board shows what was posted.
    bob.reload()
    expect(bob).to_have_url(f"{live.url}/table")
    expect(bob.locator(".topbar")).to_contain_text("Bob")
    expect(bob.locator("#notes")).to_contain_text("Les jeunes décrochent dès la 4e")


def test_bad_note_keeps_the_text_and_shows_why(open_page, live, live_event):
    awa = join(open_page, live, live_event.tables[0], "Awa")
    text = "x" * 290
    awa.get_by_label("Votre constat").fill(text)
    awa.get_by_role("button", name="Publier").click()
    expect(awa.locator("#note-text-error")).to_contain_text("290 caractères")
    expect(awa.get_by_label("Votre constat")).to_have_value(text)
    expect(awa.locator("#notes .note")).to_have_count(0)


def test_markup_in_a_note_is_shown_as_text(open_page, live, live_event):
    t1 = live_event.tables[0]
    awa = join(open_page, live, t1, "Awa")
    bob = join(open_page, live, t1, "Bob")
    post_note(awa, '<img src=x onerror="document.title=1">')
    expect(bob.locator("#notes .note-text")).to_have_text('<img src=x onerror="document.title=1">')
    assert bob.locator("#notes img").count() == 0


def open_menu(item):
    """Open the « ⋯ » menu of a note or an axis, where its rare actions are."""
    menu = item.locator(".note-more, .axis-more").first
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu


def test_author_edits_in_place_and_peers_see_it(open_page, live, live_event):
    t1 = live_event.tables[0]
    awa = join(open_page, live, t1, "Awa")
    bob = join(open_page, live, t1, "Bob")
    post_note(awa, "Premier jet")
    expect(bob.locator("#notes .note")).to_have_count(1)
    # Only the author sees the edit button (Bob, neither author nor captain, sees no menu).
    expect(bob.locator("#notes .note .note-more")).to_be_hidden()
    expect(bob.get_by_role("button", name="Modifier")).to_have_count(0)
    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Modifier").click()
    awa.get_by_label("Constat", exact=True).fill("Version revue")
    awa.get_by_role("button", name="Enregistrer").click()
    expect(bob.locator("#notes .note-text")).to_have_text("Version revue")
    expect(awa.locator("#notes .note-text")).to_have_text("Version revue")


def test_a_wrong_code_says_so_and_keeps_the_name(open_page, live, live_event):
    page = open_page(f"{live.url}/")
    page.get_by_label("Code de la table").fill("ZZZZZZ")
    page.get_by_label("Votre prénom").fill("Awa")
    page.get_by_role("button", name="Rejoindre la table").click()
    expect(page.locator("#code-error")).to_contain_text("Ce code n'existe pas")
    expect(page.get_by_label("Votre prénom")).to_have_value("Awa")
