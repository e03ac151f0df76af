import re

import pytest
from playwright.sync_api import expect

from board import db
from board.models import PriorityAxis, Proposal

from .conftest import PROJECTOR, join, serious_violations, wait_online

NEED = "Les jeunes n'ont aucun lieu où se retrouver le soir après 19 h"
OBJECTIVE = "Ouvrir un local associatif trois soirs par semaine, géré par eux"


@pytest.fixture(autouse=True)
def drafting(live_event):
    """The afternoon: the tablets open on the card."""
    live_event.phase = "drafting"
    db.session.commit()


def chunks(text, n=5):
    size = -(-len(text) // n)
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_two_tablets_write_need_and_objective_at_once(open_page, live, live_event):
    table = live_event.tables[0]
    live_event.phase = "drafting"
    db.session.commit()
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    wall = open_page(f"{live.url}/pleniere/{live_event.plenary_token}", viewport=PROJECTOR)
    wait_online(wall)

    awa.get_by_label("Besoin").click()
    bob.get_by_label("Objectif").click()
    expect(bob.locator("#presence-need")).to_contain_text("Awa")
    expect(awa.locator("#presence-objective")).to_contain_text("Bob")
    expect(awa.locator("#presence-need .who")).to_be_hidden()  # not shown to oneself

    typed_need = typed_objective = ""
    for need_part, objective_part in zip(chunks(NEED), chunks(OBJECTIVE), strict=True):
        # The keyboard types wherever focus is: a push that took focus or wiped the field
        # would show up as missing or misplaced text.
        awa.keyboard.type(need_part, delay=15)
        bob.keyboard.type(objective_part, delay=15)
        typed_need += need_part
        typed_objective += objective_part
        # Each one's text reaches the other while the other is still typing.
        expect(bob.get_by_label("Besoin")).to_have_value(typed_need.strip(), timeout=5000)
        expect(awa.get_by_label("Objectif")).to_have_value(typed_objective.strip(), timeout=5000)

    expect(awa.get_by_label("Besoin")).to_be_focused()
    expect(awa.get_by_label("Besoin")).to_have_value(NEED)
    expect(bob.get_by_label("Objectif")).to_be_focused()
    expect(bob.get_by_label("Objectif")).to_have_value(OBJECTIVE)
    card = wall.locator(f"#wall-card-{table.id}")  # two fields of the card are written
    expect(card.locator(".wall-card-meter")).to_contain_text("2/14", timeout=5000)

    # Leaving the field clears the presence on the other tablet.
    bob.get_by_label("Titre").click()
    expect(awa.locator("#presence-objective")).not_to_contain_text("Bob")
    expect(awa.locator("#presence-title")).to_contain_text("Bob")
    bob.close()
    expect(awa.locator("#presence-title")).not_to_contain_text("Bob")
    db.session.expire_all()
    proposal = db.session.scalars(db.select(Proposal).where(Proposal.table_id == table.id)).one()
    assert (proposal.need, proposal.objective) == (NEED, OBJECTIVE)


def both_type_in(open_page, live, table, label, field, first, second):
    """Awa and Bob both have focus in one field; Awa's text saves first, Bob's conflicts."""
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    awa.get_by_label(label).click()
    bob.get_by_label(label).click()
    awa.keyboard.type(first)
    expect(awa.locator(f"#version-{field}")).to_have_value("1", timeout=5000)
    bob.keyboard.type(second)
    expect(bob.locator(f"#feedback-{field} .conflict")).to_be_visible(timeout=5000)
    return awa, bob


def test_same_field_conflict_shows_both_and_the_writer_chooses(open_page, live, live_event):
    table = live_event.tables[0]
    awa, bob = both_type_in(open_page, live, table, "Besoin", "need", "Plus de bus le soir",
                            "Un local pour les jeunes")
    conflict = bob.locator("#feedback-need .conflict")
    expect(conflict).to_contain_text("Awa a modifié ce champ")
    expect(conflict.locator('[data-version="theirs"]')).to_have_text("Plus de bus le soir")
    expect(conflict.locator('[data-version="mine"]')).to_have_text("Un local pour les jeunes")
    expect(bob.get_by_label("Besoin")).to_have_value("Un local pour les jeunes")
    assert serious_violations(bob) == []

    # Awa leaves the field; Bob keeps his version, and Awa's tablet catches up with it.
    awa.get_by_label("Titre").click()
    bob.get_by_role("button", name="Garder ma version").click()
    expect(bob.locator("#feedback-need .conflict")).to_have_count(0)
    expect(awa.get_by_label("Besoin")).to_have_value("Un local pour les jeunes", timeout=5000)

    # The captain finds Awa's text in the history and brings it back.
    captain = join(open_page, live, table, "Cap", captain=True)
    captain.get_by_role("link", name="Historique : Besoin").click()
    history = captain.locator("#card-history")
    expect(history).to_contain_text("Plus de bus le soir")
    expect(history).to_contain_text("Bob")
    assert serious_violations(captain) == []
    history.get_by_role("button", name="Restaurer cette version").click()
    expect(bob.get_by_label("Besoin")).to_have_value("Plus de bus le soir", timeout=5000)
    expect(awa.get_by_label("Besoin")).to_have_value("Plus de bus le soir", timeout=5000)


def test_bad_budget_says_why_beside_the_field_and_keeps_the_text(open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    budget = awa.get_by_label("Budget (en euros)")
    budget.click()
    awa.keyboard.type("-1500")
    expect(awa.locator("#card-budget_amount-error")).to_have_text(
        re.compile("Le budget ne peut pas être négatif"), timeout=5000)
    expect(budget).to_have_attribute("aria-invalid", "true")
    expect(budget).to_have_value("-1500")
    expect(budget).to_be_focused()
    assert serious_violations(awa) == []
    budget.fill("")
    awa.keyboard.type("12500")
    expect(awa.locator("#card-budget_amount-error")).to_have_count(0, timeout=5000)
    awa.get_by_label("Ville").click()
    expect(budget).to_have_value(re.compile(r"^12\s500$"), timeout=5000)


def test_the_captain_declares_the_card_ready_once_complete(open_page, live, live_event):
    table = live_event.tables[0]
    axis = PriorityAxis(event_id=live_event.id, theme_id=live_event.themes[0].id,
                        title="Des lieux pour les jeunes")
    db.session.add(axis)
    db.session.commit()
    captain = join(open_page, live, table, "Cap", captain=True)
    awa = join(open_page, live, table, "Awa")
    expect(awa.get_by_role("button", name="Déclarer la fiche prête")).to_be_hidden()

    captain.get_by_role("button", name="Déclarer la fiche prête").click()
    expect(captain.locator("#card-status-error")).to_contain_text("Il manque encore")
    expect(captain.locator("#card-status-error")).to_contain_text("Titre")
    assert serious_violations(captain) == []

    captain.get_by_label("Axe prioritaire").select_option(label="Des lieux pour les jeunes")
    for label, text in (("Titre", "Un local jeunes"), ("Besoin", "Un lieu"),
                        ("Objectif", "Ouvrir"), ("Ville", "Montreuil"),
                        ("Budget (en euros)", "12 500"),
                        ("Ce que paie le budget", "Loyer"), ("Partenaires", "Mairie\nMJC"),
                        ("Compétences nécessaires", "Animation"), ("Résumé du pitch", "Go")):
        captain.get_by_label(label).click()
        captain.keyboard.type(text)
    captain.get_by_label("Quartier").click()
    expect(awa.locator(".axis-chosen")).to_have_text("Des lieux pour les jeunes", timeout=5000)
    expect(awa.get_by_label("Résumé du pitch")).to_have_value("Go", timeout=5000)
    captain.get_by_role("button", name="Déclarer la fiche prête").click()
    expect(awa.locator("#card-progress .status-badge")).to_have_text("Prête", timeout=5000)


def test_presence_and_unsent_typing_survive_a_server_restart(open_page, live, live_event):
    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    awa.get_by_label("Besoin").click()
    expect(bob.locator("#presence-need")).to_contain_text("Awa")

    live.stop()
    awa.keyboard.type("Écrit pendant la coupure")
    expect(awa.locator("#connection")).not_to_have_attribute("data-state", "online")
    live.start()
    wait_online(awa)
    wait_online(bob)

    # What Awa typed while the server was away reaches the table once it is back.
    expect(bob.get_by_label("Besoin")).to_have_value("Écrit pendant la coupure", timeout=10_000)
    expect(awa.get_by_label("Besoin")).to_be_focused()
    # The stopped process's presence is gone; Awa's tablet said again where she writes.
    expect(bob.locator("#presence-need")).to_contain_text("Awa")
    awa.get_by_label("Titre").click()
    expect(bob.locator("#presence-need")).not_to_contain_text("Awa")
    expect(bob.locator("#presence-title")).to_contain_text("Awa")
    bob.reload()
    expect(bob.locator("#presence-need")).not_to_contain_text("Awa")
    expect(bob.locator("#presence-title")).to_contain_text("Awa")


def test_taking_the_other_version_ends_the_conflict(open_page, live, live_event):
    table = live_event.tables[0]
    awa, bob = both_type_in(open_page, live, table, "Titre", "title", "Un bus de nuit",
                            "Navette")

    bob.get_by_role("link", name="Prendre sa version").click()
    # The conflict ends once any save still on its way is answered and the field as it
    # stands is fetched: within a second alone, but a full run of the suite on two busy
    # cores once kept it on screen past five seconds.
    expect(bob.locator("#feedback-title .conflict")).to_have_count(0, timeout=15000)
    expect(bob.get_by_label("Titre")).to_have_value("Un bus de nuit", timeout=5000)
    # Bob's tablet is back in step: his next words save without a conflict.
    bob.get_by_label("Titre").click()
    bob.keyboard.press("End")
    bob.keyboard.type(" électrique")
    expect(awa.get_by_label("Titre")).to_have_value("Un bus de nuit", timeout=1000)
    awa.get_by_label("Besoin").click()
    expect(awa.get_by_label("Titre")).to_have_value("Un bus de nuit électrique", timeout=5000)
    expect(bob.locator("#feedback-title .conflict")).to_have_count(0)


def test_taking_the_other_version_survives_a_failed_fetch(open_page, live, live_event):
    """The field as it stands cannot be fetched at first (the Wi-Fi, a busy server): it is
    asked again, and the conflict still ends with their version."""
    table = live_event.tables[0]
    awa, bob = both_type_in(open_page, live, table, "Titre", "title", "Un bus de nuit",
                            "Navette")
    failed = []

    def fail_once(route):
        if route.request.method == "GET" and not failed:
            failed.append(route.request.url)
            route.abort("connectionrefused")  # as from a restarting server
        else:
            route.continue_()

    bob.route("**/fiche/title", fail_once)
    bob.get_by_role("link", name="Prendre sa version").click()
    expect(bob.get_by_label("Titre")).to_have_value("Un bus de nuit", timeout=15000)
    expect(bob.locator("#feedback-title .conflict")).to_have_count(0)
    assert len(failed) == 1


def test_the_cards_list_of_notes_follows_the_board_live(open_page, live, live_event):
    from .test_live_board import open_menu, post_note

    table = live_event.tables[0]
    awa = join(open_page, live, table, "Awa")
    bob = join(open_page, live, table, "Bob")
    bob.get_by_role("link", name="Fiche projet").click()
    choices = bob.locator("#card-note-choices")
    expect(choices.get_by_text("Les constats de la table apparaîtront ici.")).to_be_visible()

    awa.get_by_role("link", name="Constats", exact=True).click()
    post_note(awa, "Pas de bus après 21 h")
    choice = choices.get_by_label("Pas de bus après 21 h")
    expect(choice).to_be_visible(timeout=2000)
    expect(choices.get_by_text("Les constats de la table apparaîtront ici.")).to_be_hidden()
    choice.check()  # Bob links it to the card; Awa's card shows it linked
    expect(awa.locator("#card-note-choices").get_by_label("Pas de bus après 21 h")).to_be_checked()

    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Modifier").click()
    awa.get_by_label("Constat", exact=True).fill("Plus de bus après 21 h")
    awa.get_by_role("button", name="Enregistrer").click()
    # Bob has left his list (focus elsewhere): the edited note replaces its choice, still linked.
    bob.get_by_label("Titre").click()
    expect(choices.get_by_label("Plus de bus après 21 h")).to_be_checked(timeout=2000)
    expect(choices.locator(".card-note")).to_have_count(1)

    awa.once("dialog", lambda dialog: dialog.accept())
    open_menu(awa.locator("#notes .note")).get_by_role("button", name="Supprimer").click()
    expect(choices.locator(".card-note")).to_have_count(0, timeout=2000)
    expect(choices.get_by_text("Les constats de la table apparaîtront ici.")).to_be_visible()
