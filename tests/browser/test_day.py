import io
import re
import unicodedata
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from board import db
from board.models import Organizer, Proposal

from .conftest import PROJECTOR, TABLET, join, wait_online
from .test_live_board import post_note

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def console_page(open_page, live, live_app):
    """Open an organizer page, signing in through the login form first."""
    if db.session.scalar(db.select(Organizer).where(Organizer.username == "regie")) is None:
        organizer = Organizer(username="regie")
        organizer.set_password("mot de passe")
        db.session.add(organizer)
        db.session.commit()

    def open_(path, viewport=TABLET):
        page = open_page(f"{live.url}/organisation/connexion?next={path}", viewport)
        page.get_by_label("Identifiant").fill("regie")
        page.get_by_label("Mot de passe").fill("mot de passe")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{live.url}{path}")
        return page

    return open_


def synced(page):
    """Wait until the page has caught up with the server after (re)connecting."""
    wait_online(page)
    page.evaluate("window.tablee.refetch()")


def cards(event, *titles):
    for table, title in zip(event.tables, titles, strict=False):
        card = db.session.scalars(db.select(Proposal).filter_by(table_id=table.id)).one()
        card.title, card.city, card.department = title, "Sarcelles", "95"
        card.need, card.status = f"Besoin de {title}", "ready"
    db.session.commit()


def ticking(page, where="#step"):
    """The countdown's time once the page's script has counted it (it marks its offset)."""
    return page.locator(f"{where} .countdown[data-offset] .countdown-time")


def seconds_shown(locator):
    minutes, seconds = locator.inner_text().strip().split(":")
    return int(minutes) * 60 + int(seconds)


def test_a_whole_pitch_from_the_phone_remote(open_page, live, live_event, console_page):
    event = live_event
    cards(event, "Un espace emploi avec les centres sociaux", "Une clause sociale")
    t1, t2 = event.tables[0], event.tables[1]
    wall = open_page(f"{live.url}/pleniere/{event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    awa = join(open_page, live, t1, "Awa")
    zoe = join(open_page, live, t2, "Zoé")
    remote = console_page(f"/organisation/evenements/{event.id}/regie", PHONE)
    synced(remote)

    # In the morning the phone's first screen holds the next step, and no pitch control.
    main = remote.get_by_role("link", name="Étape suivante : Axes →")
    expect(main).to_be_in_viewport(ratio=1)
    expect(remote.get_by_role("button", name=re.compile("Table suivante|Lancer"))).to_have_count(0)
    assert remote.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # Every step change asks first, saying what the room will see; cancelling changes nothing.
    main.click()
    dialog = remote.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Ce que la salle verra")
    expect(dialog.get_by_role("button", name="Oui, passer à « Axes »")).to_be_in_viewport()
    dialog.get_by_role("link", name="Annuler").click()
    expect(dialog).to_be_hidden()
    expect(wall.locator("#day-banner")).to_contain_text("Diagnostic")
    # The timeline jumps to any step, through the same confirmation.
    remote.get_by_role("link", name="6. Présentations").click()
    dialog.get_by_role("button", name="Oui, passer à « Présentations »").click()
    expect(dialog).to_be_hidden()
    expect(wall.locator("#day-banner")).to_contain_text("Présentations", timeout=3000)
    expect(wall.locator("#stage")).not_to_contain_text("Table 1")  # nothing started by itself
    start = remote.get_by_role("button", name="Lancer la première table ▶")
    expect(start).to_be_in_viewport(ratio=1)

    remote.locator("#phase-steps summary").click()
    remote.get_by_label("Durée d'une présentation (secondes)").fill("5")
    remote.get_by_role("button", name="Enregistrer : durée d'une présentation").click()
    expect(remote.locator("#console-error")).to_contain_text("Entre 10 secondes et une heure.")
    expect(remote.get_by_label("Durée d'une présentation (secondes)")).to_have_value("5")
    remote.get_by_label("Durée d'une présentation (secondes)").fill("10")
    remote.get_by_role("button", name="Enregistrer : durée d'une présentation").click()
    expect(remote.locator("#console-error")).to_be_empty()
    expect(remote.get_by_label("Durée d'une présentation (secondes)")).to_have_value("10")
    # The tablets' instruction quotes the length just set.
    expect(awa.locator("#step")).to_contain_text("en 10 secondes", timeout=3000)
    start.click()

    stage = wall.locator("#stage")
    expect(stage).to_contain_text("Un espace emploi avec les centres sociaux", timeout=3000)
    expect(stage).to_contain_text("Besoin de Un espace emploi")
    expect(wall.locator("#board .wall-grid")).to_be_hidden()
    timer = stage.locator(".countdown")
    expect(timer).to_have_class(re.compile(r"is-warning"))  # 10 s: within the last 30
    assert 1 <= seconds_shown(ticking(wall, "#stage")) <= 10
    expect(awa.get_by_text("C'est à vous !")).to_be_visible(timeout=3000)
    expect(zoe.locator("#step")).to_have_attribute("data-pitching", str(t1.id))
    expect(zoe.get_by_text("C'est à vous !")).to_be_hidden()
    expect(remote.locator(".remote-now")).to_contain_text("Table 1")

    # The short pitch runs out on the plenary and on the table's tablet.
    expect(timer).to_have_class(re.compile(r"is-over"), timeout=15_000)
    expect(timer).to_contain_text("Temps écoulé")
    expect(awa.locator(".pitch-turn .countdown")).to_contain_text("Temps écoulé")

    remote.get_by_role("button", name="Table suivante ▶").click()
    expect(stage).to_contain_text("Une clause sociale", timeout=3000)
    expect(stage.locator(".countdown")).not_to_have_class(re.compile(r"is-over"))
    expect(zoe.get_by_text("C'est à vous !")).to_be_visible(timeout=3000)
    expect(awa.get_by_text("C'est à vous !")).to_be_hidden()
    expect(remote.locator(".remote-now")).to_contain_text("Table 2")

    remote.get_by_role("button", name="◀ Table précédente").click()
    expect(stage).to_contain_text("Un espace emploi", timeout=3000)
    remote.get_by_role("button", name="Fin des présentations").click()
    expect(wall.locator("#board .wall-grid")).to_be_visible(timeout=3000)
    expect(awa.get_by_text("C'est à vous !")).to_be_hidden()


def test_a_tablet_with_a_wrong_clock_shows_the_servers_countdown(
        browser, open_page, live, live_event, console_page):
    event = live_event
    console = console_page(f"/organisation/evenements/{event.id}/regie")
    synced(console)
    normal = join(open_page, live, event.tables[0], "Awa")
    skewed = join(open_page, live, event.tables[1], "Bob")
    # Bob's tablet thinks it is three hours and a half later than it is.
    skewed.clock.install(time=datetime.now() + timedelta(hours=3, minutes=30))
    skewed.reload()
    wait_online(skewed)

    console.get_by_role("link", name="Étape suivante : Axes →").click()
    console.get_by_role("button", name="Oui, passer à « Axes »").click()
    expect(normal.locator("#step")).to_contain_text("Rangez ensemble les constats")
    expect(skewed.locator("#step")).to_contain_text("Axes")

    console.get_by_label("Minutes", exact=True).fill("10")
    console.get_by_role("button", name="Démarrer").click()
    timer = ticking(skewed)
    expect(timer).to_have_text(re.compile(r"^(10:00|9:5\d)$"), timeout=3000)
    expect(ticking(normal)).to_have_text(re.compile(r"^(10:00|9:5\d)$"))

    console.get_by_role("button", name="Pause").click()
    expect(skewed.locator("#step .countdown")).to_contain_text("en pause", timeout=3000)
    paused = seconds_shown(timer)
    skewed.clock.run_for(5000)  # the tablet's time runs; a paused countdown does not
    assert seconds_shown(timer) == paused

    console.get_by_role("button", name="+1 min").click()
    expect(ticking(skewed).filter(has_text=re.compile(r"^(11:00|10:5\d)$"))).to_have_count(
        1, timeout=3000)
    console.get_by_role("button", name="Reprendre").click()
    expect(skewed.locator("#step .countdown")).not_to_contain_text("en pause")
    expect(timer).to_have_text(re.compile(r"^(11:00|10:5\d)$"))

    skewed.reload()  # a reload shows the same time, whatever the tablet's clock says
    wait_online(skewed)
    expect(timer).to_have_text(re.compile(r"^(11:00|10:5\d)$"))
    assert abs(seconds_shown(timer) - seconds_shown(ticking(normal))) <= 2

    console.get_by_role("button", name="Arrêter").click()
    expect(skewed.locator("#step .countdown")).to_have_count(0, timeout=3000)


def test_the_printable_report_renders_every_card_into_a_pdf(open_page, live, live_event,
                                                           console_page):
    from pypdf import PdfReader

    titles = ["Un espace emploi avec les centres sociaux", "Une clause sociale dans les marchés",
              "Une cellule de soutien aux familles"]
    cards(live_event, *titles)
    page = console_page(f"/organisation/evenements/{live_event.id}/rapport")
    expect(page.locator(".report-card")).to_have_count(3)
    pdf = page.pdf(format="A4", print_background=True)
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))  # "ﬁ" ligatures too
    assert live_event.name in text
    for title in titles:
        assert title in text
    assert "Retour" not in text  # the screen-only bar is not printed
    assert len(reader.pages) >= 2


def test_the_selection_shows_the_results_on_the_plenary(open_page, live, live_event,
                                                        console_page):
    cards(live_event, "Un espace emploi", "Une clause sociale")
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    page = console_page(f"/organisation/evenements/{live_event.id}/selection")
    first, second = page.locator(".decision").nth(0), page.locator(".decision").nth(1)
    first.get_by_label("Prototype").check()
    first.get_by_label("Commentaire (facultatif)").fill("Le jury a adoré")
    first.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".decision").nth(0)).to_have_class(re.compile("verdict-prototype"))
    second.get_by_label("À étudier").check()
    second.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".decision").nth(1)).to_have_class(re.compile("verdict-to_study"))

    live_event.phase = "selection"  # the results show from the selection step on
    db.session.commit()
    console = console_page(f"/organisation/evenements/{live_event.id}/regie")
    console.get_by_role("button", name="Montrer les résultats").click()
    results = wall.locator("#stage .stage-results")
    expect(results).to_contain_text("Un espace emploi Sarcelles (95)", timeout=3000)
    expect(results.locator(".results-to-study")).to_contain_text("Une clause sociale")

    # Each card reads in full on the selection page.
    expect(first).to_contain_text("Besoin de Un espace emploi")
    page.get_by_role("button", name="Clore la sélection").click()
    expect(page.locator("#confirm-error")).to_contain_text("Cochez la case pour confirmer")
    page.get_by_label("Le jury a fini").check()
    page.get_by_role("button", name="Clore la sélection").click()
    expect(page.locator("#selection-state")).to_contain_text("Sélection close le")
    expect(page.locator(".decision").nth(0).get_by_label("Prototype")).to_be_disabled()
    expect(wall.locator("#stage")).to_contain_text("Sélection close le", timeout=3000)


def test_on_a_laptop_the_mornings_main_action_moves_the_step_after_a_confirmation(
        open_page, live, live_event, console_page):
    event = live_event
    wall = open_page(f"{live.url}/pleniere/{event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)
    console = console_page(f"/organisation/evenements/{event.id}/regie",
                           {"width": 1366, "height": 768})
    synced(console)
    main = console.get_by_role("link", name="Étape suivante : Axes →")
    expect(main).to_be_in_viewport(ratio=1)
    main.click()
    dialog = console.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Les tablettes passent aux axes")
    expect(wall.locator("#day-banner")).to_contain_text("Diagnostic")  # nothing yet
    dialog.get_by_role("button", name="Oui, passer à « Axes »").click()
    expect(wall.locator("#day-banner")).to_contain_text("Axes", timeout=3000)
    expect(wall.locator("#stage")).not_to_have_class(re.compile("stage-pitch"))
    expect(console.get_by_role("link", name="Étape suivante : Consolidation →")).to_be_visible()
    expect(console.locator(".timeline [aria-current=step]")).to_have_text("3. Axes")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, PHONE],
                         ids=["laptop", "phone"])
def test_the_jury_reads_each_card_in_full_on_the_selection_page(live, live_event, console_page,
                                                                viewport):
    cards(live_event, "Un espace emploi")
    card = db.session.scalars(db.select(Proposal).filter_by(
        table_id=live_event.tables[0].id)).one()
    card.objective, card.neighbourhood = "Un accueil ouvert le soir", "Les Rosiers"
    card.budget_amount, card.budget_purpose = 15000, "Un animateur à mi-temps"
    card.partners, card.skills = ["Mission locale", "Centre social, Sarcelles"], ["Animation"]
    db.session.commit()
    page = console_page(f"/organisation/evenements/{live_event.id}/selection", viewport)
    decision = page.locator(".decision").first
    for text in ("Besoin de Un espace emploi", "Un accueil ouvert le soir", "Les Rosiers",
                 "Un animateur à mi-temps", "Mission locale", "Centre social, Sarcelles",
                 "Animation"):
        expect(decision).to_contain_text(text)
    expect(decision).to_contain_text(re.compile(r"15\s000"))
    expect(decision.locator(".proposal-list li")).to_have_text(
        ["Mission locale", "Centre social, Sarcelles", "Animation"])
    # Readable as it is: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # The untitled cards of the other tables are set apart, not offered to the jury.
    assert page.locator(".decision").count() == 1


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, PHONE],
                         ids=["laptop", "phone"])
def test_a_jury_of_thirty_tables_pages_through_the_selection(live, live_app, console_page,
                                                            viewport):
    """A dozen whole cards a page; the pager names the tables, the page says how far the
    jury has got, and a verdict saved in place moves that count without a reload."""
    from board import services

    event = services.create_event({"name": "Grand jour", "table_count": 30, "themes": [
        {"name": "Emploi", "colour": "#0072b2"}]})
    cards(event, *[f"Projet {n}" for n in range(1, 31)])
    page = console_page(f"/organisation/evenements/{event.id}/selection", viewport)
    expect(page.locator(".decision")).to_have_count(12)
    pager = page.get_by_role("navigation", name="Pages de la sélection", exact=True)
    expect(pager.get_by_role("link")).to_have_text(
        ["Tables 1 à 12", "Tables 13 à 24", "Tables 25 à 30"])
    pager.get_by_role("link", name="Tables 25 à 30").click()
    expect(page.locator(".decision")).to_have_count(6)
    expect(page.locator(".decision").first).to_contain_text("Projet 25")
    expect(pager.locator("[aria-current=page]")).to_have_text("Tables 25 à 30")
    expect(page.locator("#selection-count")).to_have_text("0 fiche décidée sur 30.")
    first = page.locator(".decision").first
    first.get_by_label("Prototype").check()
    first.get_by_role("button", name=re.compile("Enregistrer")).click()
    expect(page.locator("#selection-count")).to_have_text("1 fiche décidée sur 30.")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def test_a_theme_recoloured_in_the_settings_recolours_an_open_tablet_without_a_reload(
        open_page, live, live_event, console_page):
    event = live_event
    theme = event.themes[0]
    awa = join(open_page, live, event.tables[0], "Awa")
    post_note(awa, "Pas de bus après 21 h", theme.name)
    note = awa.locator(f"#notes .theme-{theme.id}").first
    expect(note).to_be_visible()

    def colour():
        return note.evaluate("el => getComputedStyle(el).getPropertyValue('--theme').trim()")

    assert colour() == theme.colour
    awa.evaluate("window.notReloaded = true")
    settings = console_page(f"/organisation/evenements/{event.id}/reglages")
    settings.locator("#theme-0-colour").fill("#d55e00")
    settings.get_by_role("button", name="Enregistrer les réglages").click()
    expect(settings).to_have_url(re.compile(rf"/evenements/{event.id}$"))
    expect(awa.locator("#themes-css")).to_have_attribute("href", re.compile("d55e00"))
    awa.wait_for_function(
        "(id) => getComputedStyle(document.querySelector('#notes .theme-' + id))"
        ".getPropertyValue('--theme').trim() === '#d55e00'", arg=theme.id)
    assert awa.evaluate("window.notReloaded") is True
