"""The tablet, one step at a time, as a person who rarely uses one holds it: by touch, in
portrait (768×1024) and in landscape (1024×768)."""

import json

import pytest
from playwright.sync_api import expect

from board import db, services
from board.models import utcnow
from board.screens.board import STEP_NUMBERS

from .conftest import join, serious_violations, wait_online
from .test_axes import create_axis, post_note, touch_drag
from .test_day import console_page, synced  # noqa: F401 - the fixture is used by name
from .test_live_board import open_menu

PORTRAIT = {"width": 768, "height": 1024}
LANDSCAPE = {"width": 1024, "height": 768}
PHASE_LABELS = {"diagnostic": "Diagnostic", "axes": "Axes", "drafting": "Rédaction des fiches"}
SIZES = pytest.mark.parametrize("size", [PORTRAIT, LANDSCAPE], ids=["portrait", "landscape"])


def tablet(open_page, live, table, name, size, captain=False):
    page = join(open_page, live, table, name, captain=captain, touch=True)
    page.set_viewport_size(size)
    return page


def set_phase(console, phase):
    """The organizer moves the event to `phase` from the régie's timeline, and confirms."""
    number = STEP_NUMBERS[phase]
    label = PHASE_LABELS[phase]
    console.get_by_role("link", name=f"{number}. {label}").click()
    console.get_by_role("button", name=f"Oui, passer à « {label} »").click()
    expect(console.locator(".now-step")).to_contain_text(f"{number}. {label}", timeout=15_000)


def no_violations(page):
    """axe-core: no violation at all, whatever its impact; and every visible touch target
    at least 44 px high and wide."""
    assert serious_violations(page, impacts=None) == []
    assert small_targets(page) == []


def small_targets(page):
    """Visible links, buttons, menus and fields smaller than 44 × 44 px (a radio or a box
    counts by its label, which is what the finger presses)."""
    return page.evaluate("""() => {
        const targets = document.querySelectorAll(
            "#main a[href], #main button, #main summary, #main select, #main textarea, " +
            "#main input:not([type=hidden]):not([type=radio]):not([type=checkbox]), " +
            "#main label:has(> input[type=radio]), #main label:has(> input[type=checkbox]), " +
            ".topbar button");
        return Array.from(targets).filter(el => {
            const box = el.getBoundingClientRect();
            return box.width > 0 && box.height > 0 && (box.width < 43.5 || box.height < 43.5);
        }).map(el => el.outerHTML.slice(0, 80) + " " + Math.round(el.getBoundingClientRect().width)
                     + "×" + Math.round(el.getBoundingClientRect().height));
    }""")


@SIZES
def test_each_step_opens_its_own_view_and_the_others_are_one_tap_away(
        open_page, live, live_event, size):
    event = live_event
    awa = tablet(open_page, live, event.tables[0], "Awa", size)
    # Diagnostic: the step first, in one h1, then the note form and the table's notes.
    expect(awa.locator("h1")).to_have_count(1)
    expect(awa.locator("h1")).to_have_text("Diagnostic")
    expect(awa.get_by_label("Votre constat")).to_be_in_viewport()
    expect(awa.get_by_label("Nom du nouvel axe")).to_be_hidden()
    expect(awa.locator("#card")).to_be_hidden()
    post_note(awa, "Le bus ne passe plus après 20 h")
    no_violations(awa)

    # The card is one tap away, and back.
    awa.get_by_role("link", name="Fiche projet").tap()
    expect(awa.locator("#card")).to_be_visible()
    expect(awa.get_by_label("Votre constat")).to_be_hidden()
    expect(awa.get_by_role("link", name="Fiche projet")).to_have_attribute("aria-current", "page")
    no_violations(awa)
    awa.get_by_role("link", name="Axes et gommettes").tap()
    expect(awa.locator("#columns .note")).to_have_count(1)
    expect(awa.locator(".axis-tools summary")).to_have_text("Créer un axe")
    no_violations(awa)

    # A reload opens the step's own view again.
    for phase, shown, hidden in (("axes", "#my-dots", "#card"), ("drafting", "#card", "#note-form"),
                                 ("pitches", "#card", "#note-form"),
                                 ("diagnostic", "#note-form", "#card")):
        event.phase = phase
        db.session.commit()
        awa.goto(f"{live.url}/table")
        wait_online(awa)
        expect(awa.locator(shown)).to_be_visible()
        expect(awa.locator(hidden)).to_be_hidden()
        expect(awa.locator("#step")).to_have_attribute("data-phase", phase)
        if phase == "pitches":  # the card to read, with a tab of its own
            expect(awa.get_by_role("link", name="Présentation")).to_have_attribute(
                "aria-current", "page")
            expect(awa.locator("#card .history-link").first).to_be_hidden()
        no_violations(awa)


@SIZES
def test_the_organizer_changes_the_step_and_every_tablet_follows_voting_included(
        open_page, live, live_event, console_page, size):  # noqa: F811
    event = live_event
    table = event.tables[0]
    console = console_page(f"/organisation/evenements/{event.id}/regie")
    synced(console)
    cap = tablet(open_page, live, table, "Cap", size, captain=True)
    awa = tablet(open_page, live, table, "Awa", size)
    post_note(awa, "Pas de bus le soir")
    # Bob had opened the card's tab: he keeps it, and is told the step changed.
    bob = tablet(open_page, live, table, "Bob", size)
    bob.get_by_role("link", name="Fiche projet").tap()
    expect(bob.locator("#card")).to_be_visible()

    set_phase(console, "axes")
    for page in (awa, cap):
        expect(page.locator("h1")).to_have_text("Axes", timeout=10_000)
        expect(page.locator("#my-dots")).to_be_visible()
        expect(page.locator("#my-dots")).to_contain_text("Il vous reste 3 gommettes")
        expect(page.get_by_label("Votre constat")).to_be_hidden()
    expect(bob.locator("#card")).to_be_visible()
    expect(bob.locator("#step-notice")).to_be_visible()
    no_violations(bob)
    bob.get_by_role("link", name="Aller à l'étape en cours").tap()
    expect(bob.locator("#my-dots")).to_be_visible()
    expect(bob.locator("#step-notice")).to_be_hidden()

    # Voting is open without a reload: an axis shows its dot button, my dots are drawn on it.
    create_axis(cap, "Transports")
    vote = awa.get_by_role("button", name="+ Gommette")
    expect(vote).to_be_enabled()
    vote.tap()
    expect(awa.locator("#my-dots")).to_contain_text("Il vous reste 2 gommettes")
    expect(awa.locator(".axis .axis-my-dots .dot")).to_have_count(1)
    no_violations(awa)

    # The afternoon: the card comes first, everywhere.
    set_phase(console, "drafting")
    for page in (awa, bob, cap):
        expect(page.locator("#card")).to_be_visible(timeout=10_000)
        expect(page.locator("#my-dots")).to_be_hidden()
    expect(awa.get_by_role("button", name="+ Gommette")).to_have_count(0, timeout=10_000)


def axes_step(event):
    event.phase = "axes"
    db.session.commit()


@SIZES
def test_what_the_person_looks_at_stays_put_when_another_tablet_posts(
        open_page, live, live_event, size):
    event = live_event
    axes_step(event)
    table = event.tables[0]
    awa = tablet(open_page, live, table, "Awa", size)
    bob = tablet(open_page, live, table, "Bob", size)
    axis = create_axis(awa, "Transports")
    create_axis(awa, "Logement")
    bob.get_by_role("link", name="Constats", exact=True).tap()
    for i in range(3):
        post_note(bob, f"Constat numéro {i}")
    expect(awa.locator("#notes .note")).to_have_count(3)
    # Awa looks at the axis « Transports », touched, in the middle of her screen.
    title = axis.locator(".axis-title")
    title.scroll_into_view_if_needed()
    awa.evaluate("y => window.scrollBy(0, y - 300)", title.bounding_box()["y"])
    title.tap()
    before = title.bounding_box()["y"]
    for i in range(3, 6):
        post_note(bob, f"Un constat de plus, le numéro {i}, assez long pour prendre deux lignes")
        expect(awa.locator("#notes .note")).to_have_count(i + 1)
        awa.wait_for_timeout(300)  # past htmx's settling
        assert abs(title.bounding_box()["y"] - before) <= 1
    # A move pushes the whole region again: still in place.
    bob.get_by_role("link", name="Axes et gommettes").tap()
    bob.locator("#notes .note").first.get_by_role("button", name="Déplacer vers…").tap()
    bob.get_by_role("dialog").get_by_role("button", name="Logement").tap()
    expect(awa.locator("#notes .note")).to_have_count(5)
    assert abs(title.bounding_box()["y"] - before) <= 1


@SIZES
def test_dots_show_where_the_finger_is(open_page, live, live_event, size):
    event = live_event
    axes_step(event)
    table = event.tables[0]
    awa = tablet(open_page, live, table, "Awa", size)
    axis = create_axis(awa, "Transports")
    axis_id = axis.get_attribute("data-axis-id")
    vote = axis.get_by_role("button", name="+ Gommette")
    for left in (2, 1, 0):
        vote.tap()
        expect(awa.locator("#my-dots")).to_contain_text(f"Il vous reste {left} gommette")
        # The count stays in sight while voting, and my dots are drawn on the axis.
        expect(awa.locator("#my-dots")).to_be_in_viewport()
        expect(axis.locator(".axis-my-dots .dot")).to_have_count(3 - left)
    expect(vote).to_be_disabled()
    no_violations(awa)
    # A tablet that did not know yet (here: the button forced back on) is told beside it.
    awa.evaluate("document.querySelector('.vote-button').disabled = false")
    vote.tap()
    feedback = awa.locator(f"#vote-feedback-{axis_id}")
    expect(feedback).to_contain_text("Vous avez déjà posé vos 3 gommettes")
    expect(feedback).to_be_in_viewport()
    expect(awa.locator("#toasts")).to_contain_text("Vous avez déjà posé vos 3 gommettes")
    expect(vote).to_be_disabled()
    no_violations(awa)


@SIZES
def test_the_captain_ticks_two_notes_and_the_merge_bar_is_right_there(
        open_page, live, live_event, size):
    event = live_event
    axes_step(event)
    table = event.tables[0]
    cap = tablet(open_page, live, table, "Cap", size, captain=True)
    bob = tablet(open_page, live, table, "Bob", size)
    bob.get_by_role("link", name="Constats", exact=True).tap()
    post_note(bob, "Pas assez de bus le soir")
    post_note(bob, "Les bus s'arrêtent trop tôt")
    expect(cap.locator("#notes .note")).to_have_count(2)
    # At most two buttons on a note: « Déplacer vers… » and « ⋯ ».
    for page in (cap, bob):
        first = page.locator("#notes .note").first
        assert first.get_by_role("button").count() + first.locator("summary:visible").count() <= 2
    bar = cap.locator("#merge-form")
    open_menu(cap.locator(".note", has_text="Pas assez")).get_by_label(
        "Choisir pour fusionner").check()
    expect(bar).to_be_hidden()
    open_menu(cap.locator(".note", has_text="trop tôt")).get_by_label(
        "Choisir pour fusionner").check()
    expect(bar).to_be_visible()
    expect(bar).to_be_in_viewport()
    expect(bar).to_contain_text("2 constats choisis")
    no_violations(cap)
    bar.get_by_role("button", name="Fusionner les constats choisis").tap()
    expect(bob.locator("#notes .note")).to_have_count(1, timeout=5000)
    expect(bar).to_be_hidden()


@SIZES
def test_a_note_conflict_names_who_shows_both_texts_and_lets_one_take_theirs(
        open_page, live, live_event, size):
    table = live_event.tables[0]
    awa = tablet(open_page, live, table, "Awa", size)
    cap = tablet(open_page, live, table, "Capucine", size, captain=True)
    post_note(awa, "Premier jet")
    expect(cap.locator("#notes .note")).to_have_count(1)
    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Modifier").tap()
    open_menu(cap.locator("#notes .note")).get_by_role("button", name="Modifier").tap()
    cap.get_by_label("Constat", exact=True).fill("Version de Capucine")
    cap.get_by_role("button", name="Enregistrer").tap()
    expect(cap.locator("#notes .note-text")).to_have_text("Version de Capucine")

    awa.get_by_label("Constat", exact=True).fill("Version d'Awa")
    awa.get_by_role("button", name="Enregistrer").tap()
    conflict = awa.locator(".conflict")
    expect(conflict).to_contain_text("Capucine a modifié ce constat pendant que vous écriviez.")
    expect(conflict.locator('[data-version="theirs"]')).to_have_text("Version de Capucine")
    expect(conflict.locator('[data-version="mine"]')).to_have_text("Version d'Awa")
    no_violations(awa)
    conflict.get_by_role("button", name="Prendre sa version").tap()
    expect(awa.locator("#notes .note-text")).to_have_text("Version de Capucine")
    expect(awa.locator("[data-editing]")).to_have_count(0)
    expect(cap.locator("#notes .note-text")).to_have_text("Version de Capucine")


def test_in_landscape_the_notes_to_sort_stay_beside_every_axis_for_a_drag(
        open_page, live, live_event):
    event = live_event
    axes_step(event)
    table = event.tables[0]
    awa = tablet(open_page, live, table, "Awa", LANDSCAPE)
    awa.get_by_role("link", name="Constats", exact=True).tap()
    for text in ("Pas de bus le soir", "Les trottoirs sont trop étroits"):
        post_note(awa, text)
    names = [f"Axe numéro {i}" for i in range(1, 7)]
    for name in names:
        create_axis(awa, name)
    # The last axis, far down the page, brought up level with the notes to sort: they are
    # still beside it, and the finger goes straight across.
    last = awa.locator("#axes .axis", has_text=names[-1])
    grip = awa.locator("#notes .note", has_text="Pas de bus").locator(".note-grip")
    last.scroll_into_view_if_needed()
    for _ in range(2):  # the notes to sort stick once the page has scrolled past them
        awa.evaluate("y => window.scrollBy(0, y)",
                     last.locator(".column-notes").bounding_box()["y"] - grip.bounding_box()["y"])
    expect(grip).to_be_in_viewport()
    assert abs(last.locator(".column-notes").bounding_box()["y"] - grip.bounding_box()["y"]) < 60
    touch_drag(awa, grip, last.locator(".column-notes"), scroll=False)
    expect(last.locator(".note")).to_have_count(1, timeout=5000)
    expect(last).to_contain_text("Pas de bus le soir")


def test_focus_stays_where_the_person_was_after_posting_and_moving(open_page, live, live_event):
    event = live_event
    axes_step(event)
    awa = tablet(open_page, live, event.tables[0], "Awa", PORTRAIT)
    awa.get_by_role("link", name="Constats", exact=True).tap()
    awa.get_by_label("Votre constat").fill("Un constat écrit au clavier")
    awa.get_by_role("button", name="Publier").focus()
    awa.keyboard.press("Enter")
    expect(awa.locator("#notes .note")).to_have_count(1)
    # The next constat is written in the same box, not from the top of the page.
    expect(awa.get_by_label("Votre constat")).to_be_focused()
    create_axis(awa, "Transports")
    awa.locator("#notes .note .move-open").focus()
    awa.keyboard.press("Enter")
    target = awa.get_by_role("dialog").get_by_role("button", name="Transports")
    target.focus()
    awa.keyboard.press("Enter")
    expect(awa.locator("#axes .note")).to_have_count(1, timeout=5000)
    expect(awa.locator("#axes .note .move-open")).to_be_focused()


# ---- « Écouter »: the tablet's own French voice -----------------------------------------
# Headless Chromium has no voice at all, so the page gets a stand-in speech synthesis before
# it loads: the voices it lists are the test's, and what it is asked to say is recorded.
SPEECH_STUB = """
(() => {
  let voices = %s;
  const synth = new EventTarget();
  const said = [];
  synth.getVoices = () => voices.slice();
  let current = null;  // what is being read, until it ends or is cancelled
  Object.defineProperty(synth, "speaking", {get: () => current !== null});
  synth.speak = (u) => {
    said.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
    current = u;
  };
  synth.cancel = () => { current = null; };
  synth.pause = () => {};
  synth.resume = () => {};
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ""; this.voice = null; this.rate = 1; }
  };
  window.speech = {
    said,
    // The device's voices change (installed, or loaded late as Chrome does): voiceschanged.
    arrive(list) { voices = list; synth.dispatchEvent(new Event("voiceschanged")); },
    end() { const u = current; current = null; if (u && u.onend) u.onend(new Event("end")); },
  };
})();
"""
FRENCH = {"name": "Amélie", "lang": "fr-FR", "localService": True, "default": False}
ENGLISH = {"name": "Samantha", "lang": "en-US", "localService": True, "default": True}


def with_voices(page, voices):
    """Reload the tablet with these voices on the device."""
    page.add_init_script(SPEECH_STUB % json.dumps(voices))
    page.reload()
    wait_online(page)
    return page


def said(page):
    return page.evaluate("window.speech.said")


def listen_buttons_shown(page):
    return page.locator(".listen:visible").count()


def test_listen_reads_the_instruction_a_constat_and_a_card_field_in_french(
        open_page, live, live_event):
    table = live_event.tables[0]
    awa = with_voices(tablet(open_page, live, table, "Awa", PORTRAIT), [ENGLISH, FRENCH])
    post_note(awa, "Le bus ne passe plus après 20 h")

    # The step's instruction, word for word, with the French voice.
    instruction = awa.locator("#step-instruction").inner_text().strip()
    assert instruction
    awa.locator("#step").get_by_role("button", name="Écouter").tap()
    assert said(awa) == [{"text": instruction, "lang": "fr-FR", "voice": "Amélie"}]
    # Pressed again while it reads, it stops; once the reading is over, it reads again.
    awa.locator("#step").get_by_role("button", name="Écouter").tap()
    assert awa.evaluate("window.speechSynthesis.speaking") is False
    assert len(said(awa)) == 1
    awa.locator("#step").get_by_role("button", name="Écouter").tap()
    awa.evaluate("window.speech.end()")
    awa.locator("#step").get_by_role("button", name="Écouter").tap()
    assert [s["text"] for s in said(awa)] == [instruction] * 3

    # A constat, from its « ⋯ » menu.
    note = awa.locator("#notes .note")
    open_menu(note).get_by_role("button", name="Écouter").tap()
    assert said(awa)[-1] == {"text": "Le bus ne passe plus après 20 h", "lang": "fr-FR",
                             "voice": "Amélie"}

    # A card field: its name, then what the table wrote in it.
    awa.get_by_role("link", name="Fiche projet").tap()
    title = awa.locator("#field-title")
    title.get_by_label("Titre").fill("Un bus de nuit")
    title.get_by_role("button", name="Écouter").tap()
    assert said(awa)[-1] == {"text": "Titre. Un bus de nuit", "lang": "fr-FR", "voice": "Amélie"}
    # The constats the card answers: their texts, never their numbers.
    notes = awa.locator("#field-notes")
    notes.get_by_label("Le bus ne passe plus après 20 h").check()
    notes.get_by_role("button", name="Écouter").tap()
    assert said(awa)[-1]["text"] == ("Constats auxquels la fiche répond. "
                                      "Le bus ne passe plus après 20 h")
    # The priority axis, as a participant sees it (the captain chooses it).
    axis = awa.locator("#field-priority_axis_id")
    axis.get_by_role("button", name="Écouter").tap()
    assert said(awa)[-1]["text"] == (
        "Axe prioritaire. " + axis.locator(".axis-chosen").inner_text().strip())
    # An empty field says so, rather than its name alone.
    need = awa.locator("#field-need")
    need.get_by_role("button", name="Écouter").tap()
    assert said(awa)[-1]["text"] == "Besoin. Rien n'est écrit pour l'instant."
    no_violations(awa)


@pytest.mark.parametrize("voices", [[ENGLISH], []], ids=["english-only", "no-voice"])
def test_without_a_french_voice_no_listen_button_shows(open_page, live, live_event, voices):
    table = live_event.tables[0]
    awa = with_voices(tablet(open_page, live, table, "Awa", PORTRAIT), voices)
    post_note(awa, "Le bus ne passe plus après 20 h")
    assert awa.locator(".listen").count() >= 2
    # Not in the step, not in a note's menu, not on the card.
    assert listen_buttons_shown(awa) == 0
    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Modifier").wait_for()
    assert listen_buttons_shown(awa) == 0
    awa.get_by_role("link", name="Fiche projet").tap()
    expect(awa.locator("#card")).to_be_visible()
    assert awa.locator("#card .listen").count() > 0
    assert listen_buttons_shown(awa) == 0


def test_a_french_voice_arriving_late_shows_the_buttons_and_speaks(open_page, live, live_event):
    table = live_event.tables[0]
    # Chrome lists no voice at first and fires voiceschanged once they are loaded; Android
    # spells the language with an underscore.
    awa = with_voices(tablet(open_page, live, table, "Awa", PORTRAIT), [])
    post_note(awa, "Le bus ne passe plus après 20 h")
    assert listen_buttons_shown(awa) == 0
    late = {"name": "Thomas", "lang": "fr_FR", "localService": True, "default": False}
    awa.evaluate("voices => window.speech.arrive(voices)", [ENGLISH, late])
    button = awa.locator("#step").get_by_role("button", name="Écouter")
    expect(button).to_be_visible()
    button.tap()
    assert said(awa) == [{"text": awa.locator("#step-instruction").inner_text().strip(),
                          "lang": "fr-FR", "voice": "Thomas"}]
    open_menu(awa.locator("#notes .note"))
    expect(awa.locator("#notes .note").get_by_role("button", name="Écouter")).to_be_visible()
    # The French voice goes away (uninstalled): the buttons go with it, and nothing speaks.
    awa.evaluate("voices => window.speech.arrive(voices)", [ENGLISH])
    expect(button).to_be_hidden()
    assert listen_buttons_shown(awa) == 0
    awa.evaluate("document.querySelector('#step .listen').click()")
    assert len(said(awa)) == 1


# ---- Larger text, remembered by the tablet ----------------------------------------------
def font_size(locator):
    return float(locator.evaluate("el => getComputedStyle(el).fontSize").removesuffix("px"))


def overflow(page):
    """How far the page is wider than the screen (0: nothing to scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def with_an_axis_and_a_constat(open_page, live, event, size, axis, text):
    """Awa at table 1 in the axes step, who made an axis and posted a constat."""
    axes_step(event)
    awa = tablet(open_page, live, event.tables[0], "Awa", size)
    create_axis(awa, axis)
    awa.get_by_role("link", name="Constats", exact=True).tap()
    post_note(awa, text)
    return awa


def test_larger_text_grows_is_remembered_and_fits_a_portrait_tablet(open_page, live, live_event):
    awa = with_an_axis_and_a_constat(open_page, live, live_event, PORTRAIT,
                                     "Transports et déplacements du soir",
                                     "Le bus ne passe plus après 20 h, et les jeunes rentrent à pied")
    instruction, note = awa.locator("#step-instruction"), awa.locator("#notes .note-text")
    before = font_size(instruction), font_size(note)

    switch = awa.get_by_role("button", name="Texte plus grand")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.tap()
    expect(switch).to_have_attribute("aria-pressed", "true")
    after = font_size(instruction), font_size(note)
    assert after[0] >= before[0] * 1.2 and after[1] >= before[1] * 1.2

    # The tablet remembers it: a reload (or the next person) keeps the larger text.
    awa.reload()
    wait_online(awa)
    expect(awa.get_by_role("button", name="Texte plus grand")).to_have_attribute(
        "aria-pressed", "true")
    assert font_size(awa.locator("#step-instruction")) == after[0]
    # Nothing wider than the screen, in any view.
    for view in ("notes", "axes", "card"):
        awa.locator(f'.step-tab[data-view="{view}"]').tap()
        assert overflow(awa) <= 0, view
    no_violations(awa)

    # And back to the usual size, remembered too.
    awa.get_by_role("button", name="Texte plus grand").tap()
    awa.reload()
    wait_online(awa)
    expect(awa.get_by_role("button", name="Texte plus grand")).to_have_attribute(
        "aria-pressed", "false")
    assert font_size(awa.locator("#step-instruction")) == before[0]


# ---- axe-core on the states not reached above ---------------------------------------------
@SIZES
def test_the_move_dialog_open_has_no_violation(open_page, live, live_event, size):
    awa = with_an_axis_and_a_constat(open_page, live, live_event, size, "Transports",
                                     "Le bus ne passe plus après 20 h")
    awa.locator('.step-tab[data-view="axes"]').tap()
    awa.locator("#notes .note").get_by_role("button", name="Déplacer vers…").tap()
    dialog = awa.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Transports")).to_be_visible()
    no_violations(awa)


@SIZES
def test_its_pitch_running_has_no_violation(open_page, live, live_event, size):
    event = live_event
    table = event.tables[0]
    services.set_phase(event, "pitches", utcnow())
    services.step_pitch(event, 1, utcnow())  # the first table in the queue: this one
    awa = tablet(open_page, live, table, "Awa", size)
    turn = awa.locator("#step .pitch-turn")
    expect(turn).to_be_visible()
    expect(turn).to_contain_text("C'est à vous !")
    expect(turn.locator(".countdown")).to_be_visible()
    left = turn.locator(".countdown").inner_text()
    expect(turn.locator(".countdown")).not_to_have_text(left, timeout=5000)  # it runs
    # The card is there to read: pitched, it takes no typing (the server would refuse it).
    expect(awa.get_by_label("Titre")).to_be_visible()
    expect(awa.get_by_label("Titre")).not_to_be_editable()
    no_violations(awa)


def test_when_its_pitch_starts_the_tablet_says_so_and_the_card_stops_taking_typing(
        open_page, live, live_event, console_page):  # noqa: F811
    event = live_event
    services.set_phase(event, "pitches", utcnow())
    console = console_page(f"/organisation/evenements/{event.id}/regie")
    synced(console)
    awa = tablet(open_page, live, event.tables[0], "Awa", PORTRAIT)
    title = awa.get_by_label("Titre")
    expect(title).to_be_editable()
    expect(awa.locator("#step .pitch-turn")).to_be_hidden()
    console.get_by_role("button", name="Lancer la première table ▶").click()
    expect(awa.locator("#step .pitch-turn")).to_contain_text("C'est à vous !", timeout=10_000)
    expect(title).not_to_be_editable(timeout=10_000)
    expect(awa.locator("#card-progress")).to_contain_text("Présentée")


def test_the_no_constat_yet_hint_goes_with_the_first_constat_in_every_view(
        open_page, live, live_event):
    awa = tablet(open_page, live, live_event.tables[0], "Awa", PORTRAIT)
    hint = awa.get_by_text("Pas encore de constat. Écrivez ce que vous voyez")
    expect(hint).to_be_visible()
    post_note(awa, "Le bus ne passe plus après 20 h")
    expect(hint).to_be_hidden()
    awa.locator('.step-tab[data-view="axes"]').tap()
    expect(awa.locator("#notes .note")).to_be_visible()
    expect(hint).to_be_hidden()
