from playwright.sync_api import expect

from board import db
from board.models import Event

from .conftest import PROJECTOR, join, serious_violations, wait_online
from .test_live_board import open_menu
from .test_live_board import post_note as write_note


def post_note(page, text, theme="Éducation"):
    """Post a note and wait for it on this tablet (the form is replaced after each post)."""
    write_note(page, text, theme)
    expect(page.locator("#board .note-text", has_text=text)).to_be_visible()


def touch_drag(page, handle, target, steps=12, scroll=True):
    """Drag with one finger: real touch events, as a tablet's screen sends them.

    The page is scrolled first (unless `scroll` is false) so that the grip sits near the top
    of the screen and the target below it on the same screen, as a person would before
    dragging. The finger never waits at the screen's edge for the page to scroll."""
    if scroll:
        handle.scroll_into_view_if_needed()
        page.evaluate("y => window.scrollBy(0, y - 120)", handle.bounding_box()["y"])
    cdp = page.context.new_cdp_session(page)
    start, end = handle.bounding_box(), target.bounding_box()
    viewport = page.viewport_size
    assert 0 <= start["y"] and end["y"] + end["height"] / 2 <= viewport["height"], \
        "the grip and the target do not fit on one screen"
    x0, y0 = start["x"] + start["width"] / 2, start["y"] + start["height"] / 2
    x1, y1 = end["x"] + end["width"] / 2, end["y"] + end["height"] / 2
    def touch(kind, *points):
        cdp.send("Input.dispatchTouchEvent", {
            "type": kind, "touchPoints": [{"x": x, "y": y} for x, y in points]})

    touch("touchStart", (x0, y0))
    for i in range(1, steps + 1):
        touch("touchMove", (x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps))
    touch("touchEnd")
    cdp.detach()


def show_view(page, tab):
    """Open a view of the board by its tab (the board shows one step at a time)."""
    page.get_by_role("link", name=tab).click()
    expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")


def create_axis(page, name, theme="Éducation"):
    tools = page.locator(".axis-tools")
    if not tools.is_visible():
        show_view(page, "Axes et gommettes")
    if tools.get_attribute("open") is None:
        tools.locator("summary").click()
    page.get_by_label("Nom du nouvel axe").fill(name)
    page.get_by_label("Thématique de l'axe").select_option(label=theme)
    page.get_by_role("button", name="Créer l'axe").click()
    expect(page.locator("#axes .axis-title", has_text=name)).to_be_visible()
    return page.locator("#axes .axis", has_text=name)


def note(page, text):
    return page.locator("#board .note", has_text=text)


def test_a_touch_drag_and_a_tap_move_show_live_on_another_tablet_and_the_plenary(
        open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa", touch=True)
    bob = join(open_page, live, table, "Bob", touch=True)
    post_note(awa, "Trop d'élèves décrochent en 4e")
    post_note(awa, "Les décrocheurs n'ont pas de solution")
    # Then the axes step: the tablets open on the axes, the wall shows each table's axes.
    live_event.phase = "axes"
    db.session.commit()
    for page in (awa, bob):
        page.reload()
        wait_online(page)
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    expect(bob.locator("#notes .note")).to_have_count(2)
    axis = create_axis(awa, "Décrochage scolaire")
    axis_id = axis.get_attribute("data-axis-id")
    expect(bob.locator(f"#axis-{axis_id}")).to_be_visible()

    # A finger drags the first note by its grip into the axis.
    first = note(awa, "Trop d'élèves")
    touch_drag(awa, first.locator(".note-grip"), awa.locator(f"#axis-{axis_id}-notes"))
    expect(bob.locator(f"#axis-{axis_id}-notes .note")).to_have_count(1, timeout=5000)
    expect(bob.locator(f"#axis-{axis_id}-notes")).to_contain_text("Trop d'élèves")
    expect(bob.locator("#notes .note")).to_have_count(1)
    card = wall.locator(f"#plenary-table-{table.id}")
    expect(card.locator(".wall-axes li", has_text="Décrochage scolaire")).to_contain_text(
        "1 constat", timeout=5000)

    # The tap path: "Déplacer vers…", then the axis, for people who cannot drag.
    second = note(awa, "Les décrocheurs")
    second.get_by_role("button", name="Déplacer vers…").tap()
    dialog = awa.get_by_role("dialog", name="Déplacer vers…")
    expect(dialog).to_be_visible()
    assert serious_violations(awa) == []
    dialog.get_by_role("button", name="Décrochage scolaire").tap()
    expect(dialog).to_be_hidden()
    expect(bob.locator(f"#axis-{axis_id}-notes .note")).to_have_count(2, timeout=5000)
    expect(bob.locator(f"#axis-{axis_id}-notes .note-text")).to_have_text(
        ["Trop d'élèves décrochent en 4e", "Les décrocheurs n'ont pas de solution"])
    expect(card.locator(".wall-axes li", has_text="Décrochage scolaire")).to_contain_text(
        "2 constats", timeout=5000)
    expect(awa.locator(f"#axis-{axis_id}-notes .note")).to_have_count(2)

    # Order within the axis is kept, and changed from the keyboard too.
    moved = note(awa, "Les décrocheurs").get_by_role("button", name="Déplacer vers…")
    moved.focus()
    awa.keyboard.press("Enter")
    up = dialog.get_by_role("button", name="Monter d'une place")
    up.focus()
    awa.keyboard.press("Enter")
    expect(bob.locator(f"#axis-{axis_id}-notes .note-text")).to_have_text(
        ["Les décrocheurs n'ont pas de solution", "Trop d'élèves décrochent en 4e"], timeout=5000)
    bob.reload()
    expect(bob.locator(f"#axis-{axis_id}-notes .note-text")).to_have_text(
        ["Les décrocheurs n'ont pas de solution", "Trop d'élèves décrochent en 4e"])


def test_the_captain_merges_two_notes_and_undoes_it(open_page, live, live_event):
    table = live_event.tables[0]
    cap = join(open_page, live, table, "Cap", captain=True, touch=True)
    bob = join(open_page, live, table, "Bob", touch=True)
    post_note(cap, "Pas assez de bus le soir")
    post_note(bob, "Les bus s'arrêtent trop tôt")
    expect(cap.locator("#notes .note")).to_have_count(2)
    # Only the captain sees the merge tools, in each note's « ⋯ » menu.
    expect(note(bob, "Pas assez de bus").locator(".note-more")).to_be_hidden()
    expect(bob.locator("#columns").get_by_role("checkbox")).to_have_count(0)
    for text in ("Pas assez de bus", "Les bus s'arrêtent"):
        open_menu(note(cap, text)).get_by_label("Choisir pour fusionner").check()
    cap.get_by_role("button", name="Fusionner les constats choisis").tap()
    merged = bob.locator("#notes .note")
    expect(merged).to_have_count(1, timeout=5000)
    expect(merged).to_contain_text("Cap, Bob")
    merged.get_by_text("2 constats réunis").click()
    expect(merged).to_contain_text("« Les bus s'arrêtent trop tôt » — Bob")
    expect(cap.locator("#notes .note")).to_have_count(1)
    assert serious_violations(cap) == []
    open_menu(cap.locator("#notes .note")).get_by_role("button", name="Défaire la fusion").tap()
    expect(bob.locator("#notes .note-text")).to_have_text(
        ["Pas assez de bus le soir", "Les bus s'arrêtent trop tôt"], timeout=5000)


def test_dots_left_show_on_each_tablet_and_the_captain_reveals_the_counts(
        open_page, live, live_app, live_event):
    live_event.phase = "axes"
    db.session.commit()
    table = live_event.tables[0]
    cap = join(open_page, live, table, "Cap", captain=True, touch=True)
    awa = join(open_page, live, table, "Awa", touch=True)
    create_axis(cap, "Transports")
    expect(awa.locator("#my-dots")).to_contain_text("Il vous reste 3 gommettes")
    for left in ("2 gommettes", "1 gommette", "0 gommette"):
        awa.get_by_role("button", name="+ Gommette").tap()
        expect(awa.locator("#my-dots")).to_contain_text(f"Il vous reste {left}")
    expect(awa.get_by_role("button", name="+ Gommette")).to_be_disabled()
    assert serious_violations(awa) == []
    expect(cap.locator("#my-dots")).to_contain_text("Il vous reste 3 gommettes")
    expect(cap.locator(".axis-votes")).to_have_count(0)
    cap.get_by_role("button", name="Révéler les votes").tap()
    expect(awa.locator(".axis-votes")).to_contain_text("3 gommettes en tout", timeout=5000)
    expect(awa.locator(".axis-votes .dot")).to_have_count(3)
    # The axis goes: Awa's dots come back to her hand, on her tablet, without a reload.
    open_menu(cap.locator("#axes .axis")).get_by_role("button", name="Supprimer l'axe").tap()
    expect(awa.locator("#my-dots")).to_contain_text("Il vous reste 3 gommettes", timeout=5000)
    cap.get_by_role("button", name="Restaurer").tap()
    expect(awa.locator("#my-dots")).to_contain_text("Il vous reste 0 gommette", timeout=5000)


def test_the_organizer_gathers_axes_and_the_plenary_shows_them_live(
        open_page, live, live_event, organizer_page):
    t1, t2 = live_event.tables[0], live_event.tables[1]
    captains = []
    for table, name in ((t1, "Décrochage scolaire"), (t2, "Les décrocheurs de l'école")):
        page = join(open_page, live, table, f"Cap {table.number}", captain=True)
        create_axis(page, name)
        captains.append(page)
    # The captains' cards offer the priority axes as they come, pushed: no board refetched.
    cap = captains[0]
    refetches = []
    cap.on("request", lambda r: refetches.append(r.url) if "/table/tableau" in r.url else None)
    show_view(cap, "Fiche projet")
    choices = cap.locator("#card-priority_axis_id option[id]")
    expect(choices).to_have_count(0)
    expect(cap.locator(".no-priority-axes")).to_be_visible()
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    console = organizer_page
    console.goto(f"{live.url}/organisation/evenements/{live_event.id}/consolidation")
    hint = console.locator(".hint-card").first
    expect(hint).to_contain_text("décrochage")
    assert serious_violations(console) == []
    hint.get_by_label("Titre de l'axe prioritaire").fill("Raccrocher les décrocheurs")
    hint.get_by_role("button", name="Créer un axe prioritaire avec ce groupe").click()
    priority = wall.locator("#priority-axes")
    expect(priority).to_contain_text("Raccrocher les décrocheurs", timeout=5000)
    expect(priority).to_contain_text(f"{t1.label}, {t2.label}")
    assert serious_violations(wall) == []
    expect(choices).to_have_text(["Raccrocher les décrocheurs"])
    expect(cap.locator(".no-priority-axes")).to_be_hidden()
    console.reload()
    expect(console.locator(".priority-card")).to_contain_text("Raccrocher les décrocheurs")
    assert serious_violations(console) == []
    console.get_by_role("button", name="Défaire ce regroupement").click()
    expect(priority).not_to_contain_text("Raccrocher les décrocheurs", timeout=5000)
    expect(choices).to_have_count(0)
    expect(cap.locator(".no-priority-axes")).to_be_visible()
    assert refetches == []
    db.session.expire_all()
    assert db.session.get(Event, live_event.id).priority_axes == []
