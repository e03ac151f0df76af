"""Venue-grade in a real browser: a tablet cut off for 15 seconds catches up without a
reload, what it typed offline is saved once, a server restart under two tablets, edit
conflicts, and hostile text shown inert."""

import time

from playwright.sync_api import expect

from board import db
from board.models import Note

from .conftest import join, wait_online
from .test_live_board import open_menu

CUT_SECONDS = 15


def post_note(page, text, theme="Éducation"):
    page.get_by_label("Votre constat").fill(text)
    page.get_by_label(theme).check()
    page.get_by_role("button", name="Publier").click()


def server_notes(table):
    """The table's notes as the database holds them: (DOM id, text), in board order."""
    db.session.expire_all()
    notes = db.session.scalars(db.select(Note).where(
        Note.table_id == table.id, Note.deleted_at.is_(None)).order_by(Note.id)).all()
    return [(f"note-{n.id}", n.text) for n in notes]


def shown_notes(page):
    return page.locator("#notes .note").evaluate_all(
        "notes => notes.map(n => [n.id, n.querySelector('.note-text').textContent])")


def test_a_tablet_cut_off_for_15_seconds_catches_up_and_saves_what_it_typed_once(
        open_page, live, live_event, proxy):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    cap = join(open_page, live, table, "Capucine", captain=True)
    cleo = join(open_page, live, table, "Cléo", base=proxy.url)
    post_note(awa, "Le bus 12 ne passe plus après 20 h")
    post_note(cap, "Pas de local pour les associations")
    expect(cleo.locator("#notes .note")).to_have_count(2)
    cleo.evaluate("window.sameDocument = true")

    proxy.cut()
    started = time.monotonic()
    expect(cleo.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(cleo.locator("#connection")).to_have_text("reconnexion…")

    # Meanwhile the others post, edit and delete.
    post_note(awa, "Les jeunes décrochent dès la 4e", "Emploi")
    expect(cap.locator("#notes .note")).to_have_count(3)
    first = cap.locator("#notes .note", has_text="Le bus 12")
    open_menu(first).get_by_role("button", name="Modifier").click()
    cap.get_by_label("Constat", exact=True).fill("Le bus 12 s'arrête à 20 h, même le samedi")
    cap.get_by_role("button", name="Enregistrer").click()
    cap.once("dialog", lambda dialog: dialog.accept())
    open_menu(cap.locator("#notes .note", has_text="associations")).get_by_role(
        "button", name="Supprimer").click()
    expect(awa.locator("#notes .note")).to_have_count(2)
    expect(awa.locator("#notes")).to_contain_text("même le samedi")

    # Cléo writes while cut off: the post fails, the text stays, she is told.
    cleo.get_by_label("Votre constat").fill("Écrit sans réseau")
    cleo.get_by_role("button", name="Publier").click()
    expect(cleo.locator("#toasts")).to_contain_text("Pas de réseau")
    expect(cleo.locator("#note-form")).to_have_attribute("data-pending", "")
    expect(cleo.get_by_label("Votre constat")).to_have_value("Écrit sans réseau")

    time.sleep(max(0, CUT_SECONDS - (time.monotonic() - started)))
    expect(cleo.locator("#notes")).to_contain_text("Pas de local")  # still the old state
    proxy.restore()

    wait_online(cleo)
    expect(cleo.get_by_label("Votre constat")).to_have_value("", timeout=10_000)
    expect(cleo.locator("#notes .note")).to_have_count(3, timeout=10_000)
    expect(awa.locator("#notes .note")).to_have_count(3)
    assert shown_notes(cleo) == [list(n) for n in server_notes(table)]
    assert shown_notes(awa) == shown_notes(cleo)
    assert [text for _id, text in server_notes(table)].count("Écrit sans réseau") == 1
    assert cleo.evaluate("window.sameDocument") is True  # caught up without a reload


def test_a_server_restart_under_two_tablets_loses_nothing_and_they_resume(
        open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    post_note(awa, "Avant le redémarrage")
    expect(bob.locator("#notes")).to_contain_text("Avant le redémarrage")
    for page in (awa, bob):
        page.evaluate("window.sameDocument = true")

    live.restart()

    for page in (awa, bob):
        wait_online(page)
    post_note(awa, "Après, par Awa")
    expect(bob.locator("#notes")).to_contain_text("Après, par Awa")
    post_note(bob, "Après, par Bob")
    expect(awa.locator("#notes")).to_contain_text("Après, par Bob")
    for page in (awa, bob):
        expect(page.locator("#notes .note")).to_have_count(3)
        assert page.evaluate("window.sameDocument") is True


def test_two_people_saving_one_note_the_second_sees_both_texts_and_keeps_theirs(
        open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    cap = join(open_page, live, table, "Capucine", captain=True)
    post_note(awa, "Premier jet")
    expect(cap.locator("#notes .note")).to_have_count(1)
    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Modifier").click()
    open_menu(cap.locator("#notes .note")).get_by_role("button", name="Modifier").click()
    cap.get_by_label("Constat", exact=True).fill("Version de Capucine")
    cap.get_by_role("button", name="Enregistrer").click()
    expect(cap.locator("#notes .note-text")).to_have_text("Version de Capucine")

    awa.get_by_label("Constat", exact=True).fill("Version d'Awa")
    awa.get_by_role("button", name="Enregistrer").click()
    conflict = awa.get_by_role("alert").filter(has_text="pendant que vous écriviez")
    expect(conflict).to_contain_text("Capucine a modifié ce constat")
    expect(conflict.locator('[data-version="theirs"]')).to_have_text("Version de Capucine")
    expect(conflict.locator('[data-version="mine"]')).to_have_text("Version d'Awa")
    expect(awa.get_by_label("Constat", exact=True)).to_have_value("Version d'Awa")
    expect(cap.locator("#notes .note-text")).to_have_text("Version de Capucine")
    # Keeping one's own version is now a deliberate choice, and it goes through.
    conflict.get_by_role("button", name="Garder ma version").click()
    expect(cap.locator("#notes .note-text")).to_have_text("Version d'Awa")


HOSTILE = [
    ('<img src=x onerror="document.title=\'pwned\'">', '<img src=x onerror="document.title=\'pwned\'">'),
    ("<script>document.title='pwned'</script>", "<script>document.title='pwned'</script>"),
    ('"><svg onload=alert(1)>', '"><svg onload=alert(1)>'),
    ("'; DROP TABLE note; --", "'; DROP TABLE note; --"),
    ("abc\u202edef\u2066ghi", "abcdefghi"),
    ("مرحبا 👩\u200d👩\u200d👧 {{ 7*7 }}", "مرحبا 👩\u200d👩\u200d👧 {{ 7*7 }}"),
]


def test_hostile_text_is_shown_inert_on_tablets_and_the_wall(open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}",
                     viewport={"width": 1920, "height": 1080})
    wait_online(wall)
    dialogs = []
    for page in (awa, bob, wall):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for typed, _shown in HOSTILE:
        post_note(awa, typed)
        expect(awa.get_by_label("Votre constat")).to_have_value("")
    expect(bob.locator("#notes .note")).to_have_count(len(HOSTILE))
    assert bob.locator("#notes .note-text").all_text_contents() == [s for _t, s in HOSTILE]
    for page in (awa, bob, wall):
        assert page.locator("#main img, #main svg:not([aria-hidden]), #main script").count() == 0
        assert page.title() != "pwned"
    # The wall's tile shows the table's latest note, as typed.
    expect(wall.locator(f"#plenary-table-{table.id} .latest")).to_have_text(HOSTILE[-1][1])
    assert dialogs == []

    too_long = "🔥" * 300
    awa.get_by_label("Votre constat").fill(too_long)
    awa.get_by_role("button", name="Publier").click()
    expect(awa.locator("#note-text-error")).to_contain_text("300 caractères")
    expect(awa.get_by_label("Votre constat")).to_have_value(too_long)


def test_a_note_being_typed_survives_a_reload_until_it_is_saved(open_page, live, live_event):
    awa = join(open_page, live, live_event.tables[0], "Awa")
    awa.get_by_label("Votre constat").fill("Tapé avant que la tablette ne se mette en veille")
    awa.reload()
    wait_online(awa)
    expect(awa.get_by_label("Votre constat")).to_have_value(
        "Tapé avant que la tablette ne se mette en veille")
    awa.get_by_role("button", name="Publier").click()
    expect(awa.locator("#notes .note")).to_have_count(1)
    expect(awa.get_by_label("Votre constat")).to_have_value("")
    awa.reload()
    wait_online(awa)
    expect(awa.get_by_label("Votre constat")).to_have_value("")
    expect(awa.locator("#notes .note")).to_have_count(1)
