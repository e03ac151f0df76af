import html
import re

import pytest

from bench.wall import fill_day, make_event
from board import db, services, socketio
from board.models import (
    Countdown,
    Decision,
    Event,
    FollowUpNote,
    PhaseStep,
    Pitch,
    Proposal,
    SelectionLog,
    Sponsor,
    Stage,
)
from board.screens.wall import table_card

from .conftest import made_in_turns, pushes


def url(event, path=""):
    return f"/organisation/evenements/{event.id}{path}"


def post(console, path, data=None, htmx=True):
    headers = {"X-CSRFToken": console.csrf}
    if htmx:
        headers["HX-Request"] = "true"
    return console.post(path, data=data or {}, headers=headers)


def wall(client, event):
    return client.get(f"/pleniere/{event.plenary_token}").get_data(as_text=True)


def to_pitches(console, event):
    """Pitches start only during the pitch step."""
    assert post(console, url(event, "/etape"), {"phase": "pitches"}).status_code == 200


def countdown_text(html, container="day-banner"):
    """The text of the first countdown inside the element with id `container`."""
    part = html[html.index(f'id="{container}"'):]
    match = re.search(r'class="countdown-time">([^<]*)<', part)
    return match.group(1) if match else None


def card(event, table_index=0, **fields):
    """The table's card (a tablet that opened its board has one already), filled in."""
    proposal = services.proposal_for(event.tables[table_index])
    for name, value in fields.items():
        setattr(proposal, name, value)
    db.session.commit()
    return proposal


def console_socket(app, console, event):
    return socketio.test_client(app, flask_test_client=console,
                                auth={"room": f"console-{event.id}"})


def plenary_socket(app, event):
    return socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})


# ---- Phases -------------------------------------------------------------------------

def test_a_phase_change_reaches_every_tablet_the_plenary_and_the_consoles(
        app, event, tablet, console, clock):
    t1, t2 = event.tables[0], event.tables[1]
    awa = tablet(t1, "Awa")
    awa.post_note("Pas de bus le soir")
    sockets = [tablet(t, name).socket() for t, name in ((t1, "Bob"), (t2, "Zoé"))]
    screen = plenary_socket(app, event)
    remote = console_socket(app, console, event)
    for s in (*sockets, screen, remote):
        s.get_received()

    response = post(console, url(event, "/etape"), {"phase": "axes"})

    assert response.status_code == 200
    assert db.session.get(Event, event.id).phase == "axes"
    for s in sockets:
        [push] = pushes(s)
        assert push["event_seq"] == 1
        # The step's header, which opens its view: the axes, where voting opens.
        assert 'id="step"' in push["html"] and 'data-view="axes"' in push["html"]
        assert "Axes" in push["html"] and "Rangez ensemble les constats" in push["html"]
        assert 'id="console-controls"' not in push["html"]
    [shown] = pushes(screen)
    assert 'id="day-banner"' in shown["html"] and 'id="stage"' in shown["html"]
    assert 'id="console-controls"' not in shown["html"]
    html = "".join(p["html"] for p in pushes(remote))
    assert 'id="day-banner"' in html and 'id="console-controls"' in html
    # What the table made stays on its board whatever the phase.
    board = awa.get("/table").get_data(as_text=True)
    assert "Pas de bus le soir" in board and "Axes" in board


def test_the_organizer_can_go_back_a_phase(event, console, clock):
    post(console, url(event, "/etape"), {"phase": "pitches"})
    post(console, url(event, "/etape"), {"phase": "drafting"})
    assert db.session.get(Event, event.id).phase == "drafting"
    assert db.session.get(Event, event.id).seq == 2


def test_the_instruction_of_a_phase_is_editable_and_shown_on_the_tablets(
        event, tablet, console, clock):
    awa = tablet(event.tables[0])
    socket = awa.socket()
    socket.get_received()
    response = post(console, url(event, "/etapes/diagnostic"),
                    {"instruction": "Trois constats par personne, pas plus", "minutes": "20"})
    assert response.status_code == 200
    step = db.session.scalars(db.select(PhaseStep)).one()
    assert (step.phase, step.instruction, step.minutes) == (
        "diagnostic", "Trois constats par personne, pas plus", 20)
    [push] = pushes(socket)
    assert "Trois constats par personne, pas plus" in push["html"]
    assert "Trois constats par personne, pas plus" in awa.get("/table").get_data(as_text=True)


@pytest.mark.parametrize(("path", "data", "message"), [
    ("/etape", {"phase": "lunch"}, "Choisissez une étape."),
    ("/etape", {}, "Choisissez une étape."),
    ("/etapes/diagnostic", {"instruction": "x" * 301}, "301 caractères"),
    ("/etapes/diagnostic", {"instruction": "ok", "minutes": "0"}, "Entre 1 et 600 minutes"),
    ("/etapes/diagnostic", {"instruction": "ok", "minutes": "dix"}, "Entre 1 et 600 minutes"),
    ("/compte-a-rebours/phase", {"action": "explode"}, "Action inconnue."),
    ("/compte-a-rebours/phase", {"action": "start"}, "Donnez une durée."),
    ("/compte-a-rebours/phase", {"action": "start", "minutes": "-3"}, "Entre 1 et 600 minutes."),
    ("/compte-a-rebours/phase", {"action": "extend"}, "Aucun compte à rebours à prolonger."),
    ("/pleniere", {"pitch_seconds": "5"}, "Entre 10 secondes et une heure."),
    ("/pleniere", {"screen": "disco"}, "Choisissez ce que montre la plénière."),
])
def test_bad_console_input_is_refused_with_a_message_and_changes_nothing(
        event, console, clock, path, data, message):
    response = post(console, url(event, path), data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.get(Event, event.id).phase == "diagnostic"
    assert db.session.get(Event, event.id).seq == 0
    assert db.session.scalars(db.select(PhaseStep)).all() == []


def test_unknown_phase_or_countdown_in_the_address_is_not_found(event, console):
    assert post(console, url(event, "/etapes/lunch"), {"instruction": "x"}).status_code == 404
    assert post(console, url(event, "/compte-a-rebours/lunch"),
                {"action": "stop"}).status_code == 404
    assert post(console, "/organisation/evenements/999/etape",
                {"phase": "axes"}).status_code == 404


# ---- Countdowns, on a controlled clock ------------------------------------------------

def test_a_phase_starts_its_usual_countdown_and_every_page_shows_the_servers_time(
        event, tablet, console, client, clock):
    post(console, url(event, "/etapes/axes"), {"instruction": "Regroupez", "minutes": "10"})
    post(console, url(event, "/etape"), {"phase": "axes"})
    awa = tablet(event.tables[0])

    assert countdown_text(wall(client, event)) == "10:00"
    clock.advance(90)
    page = wall(client, event)
    assert countdown_text(page) == "8:30"
    # The page carries the server's time and the end: the script counts from their offset.
    ends = re.search(r'data-server-now="(\d+)" data-ends-at="(\d+)"', page)
    assert int(ends.group(2)) - int(ends.group(1)) == 510_000
    # A reload on a tablet shows the same.
    assert countdown_text(awa.get("/table").get_data(as_text=True), "step") == "8:30"


def test_pause_resume_extend_and_stop_on_the_servers_clock(event, console, client, clock):
    def act(action, **more):
        response = post(console, url(event, "/compte-a-rebours/phase"), {"action": action, **more})
        assert response.status_code == 200
        return countdown_text(wall(client, event))

    assert act("start", minutes="5") == "5:00"
    clock.advance(60)
    assert act("pause") == "4:00"
    assert "en pause" in wall(client, event)
    clock.advance(600)  # paused: time passes, the countdown does not move
    assert countdown_text(wall(client, event)) == "4:00"
    assert act("resume") == "4:00"
    clock.advance(30)
    assert act("extend", seconds="60") == "4:30"
    clock.advance(300)
    assert countdown_text(wall(client, event)) == "Temps écoulé"
    assert 'class="countdown is-over"' in wall(client, event)
    # Extending a countdown that is over counts from now.
    assert act("extend", seconds="120") == "2:00"
    countdown = db.session.scalars(db.select(Countdown)).one()
    assert countdown.duration == 300 + 60 + 120
    assert act("stop") is None
    assert countdown.stopped


def test_a_paused_countdown_can_be_extended(event, console, client, clock):
    post(console, url(event, "/compte-a-rebours/phase"), {"action": "start", "seconds": "90"})
    post(console, url(event, "/compte-a-rebours/phase"), {"action": "pause"})
    post(console, url(event, "/compte-a-rebours/phase"), {"action": "extend", "seconds": "30"})
    clock.advance(1000)
    assert countdown_text(wall(client, event)) == "2:00"


def test_a_phase_without_a_usual_countdown_stops_the_running_one(event, console, client, clock):
    post(console, url(event, "/compte-a-rebours/phase"), {"action": "start", "minutes": "3"})
    post(console, url(event, "/etape"), {"phase": "axes"})
    assert countdown_text(wall(client, event)) is None


# ---- Pitches ------------------------------------------------------------------------

def queue_order(event):
    return [p.table.number for p in db.session.scalars(
        db.select(Pitch).order_by(Pitch.position))]


def test_the_pitch_queue_follows_table_numbers_until_reordered(event, console):
    page = console.get(url(event, "/regie")).get_data(as_text=True)
    assert queue_order(event) == [1, 2, 3]
    assert page.index("Table 1") < page.index("Table 2") < page.index("Table 3")
    pitch3 = db.session.scalars(db.select(Pitch).where(Pitch.table_id == event.tables[2].id)).one()
    post(console, url(event, f"/pitchs/{pitch3.id}/deplacer"), {"offset": "-1"})
    post(console, url(event, f"/pitchs/{pitch3.id}/deplacer"), {"offset": "-1"})
    post(console, url(event, f"/pitchs/{pitch3.id}/deplacer"), {"offset": "-1"})  # stays first
    assert queue_order(event) == [3, 1, 2]
    response = post(console, url(event, f"/pitchs/{pitch3.id}/deplacer"), {"offset": "7"})
    assert response.status_code == 422
    assert queue_order(event) == [3, 1, 2]


def test_a_pitch_puts_the_card_on_the_plenary_and_the_turn_on_its_tablets(
        app, event, tablet, console, client, clock):
    event.phase = "pitches"
    card(event, 0, title="Un espace emploi avec les centres sociaux", city="Villiers-le-Bel",
         department="95", need="Des jeunes sans emploi", status="ready")
    awa, zoe = tablet(event.tables[0], "Awa"), tablet(event.tables[1], "Zoé")
    sockets = {"awa": awa.socket(), "zoe": zoe.socket()}
    screen = plenary_socket(app, event)
    to_pitches(console, event)
    for s in (*sockets.values(), screen):
        s.get_received()

    post(console, url(event, "/pitchs/suivant"))

    page = wall(client, event)
    stage = page[page.index('id="stage"'):]
    assert "stage-pitch" in stage and "Un espace emploi avec les centres sociaux" in stage
    assert "Des jeunes sans emploi" in stage
    assert countdown_text(page, "stage") == "3:00"
    assert 'data-warn="30"' in stage
    pitched = db.session.scalars(db.select(Proposal).where(Proposal.table_id == event.tables[0].id))
    assert pitched.one().status == "pitched"
    # The banner says whose turn it is; each tablet's page shows it only at that table.
    for s in sockets.values():
        [push] = pushes(s)
        assert f'data-pitching="{event.tables[0].id}"' in push["html"]
    # The screens get the stage, and at once the pitching table's card, now « Présentée ».
    stage_push, card_push = pushes(screen)
    assert "Un espace emploi" in stage_push["html"]
    assert f'id="plenary-table-{event.tables[0].id}"' in card_push["html"]
    assert "Présentée" in card_push["html"]
    assert f'data-table="{event.tables[0].id}"' in awa.get("/table").get_data(as_text=True)
    assert f'data-table="{event.tables[1].id}"' in zoe.get("/table").get_data(as_text=True)

    clock.advance(151)
    assert countdown_text(wall(client, event), "stage") == "0:29"
    clock.advance(30)
    assert countdown_text(wall(client, event), "stage") == "Temps écoulé"

    post(console, url(event, "/pitchs/suivant"))
    page = wall(client, event)
    assert "Cette table n'a pas encore de fiche projet." in page
    assert f'data-pitching="{event.tables[1].id}"' in page
    assert countdown_text(page, "stage") == "3:00"
    pitches = db.session.scalars(db.select(Pitch).order_by(Pitch.position)).all()
    assert pitches[0].ended_at == clock.now and pitches[1].started_at == clock.now

    post(console, url(event, "/pitchs/precedent"))
    assert "Un espace emploi" in wall(client, event)
    post(console, url(event, "/pitchs/fin"))
    page = wall(client, event)
    assert "stage-pitch" not in page and 'data-pitching=""' in page


def test_past_the_last_table_the_plenary_goes_back_to_the_wall(event, console, client, clock):
    to_pitches(console, event)
    for _ in range(3):
        post(console, url(event, "/pitchs/suivant"))
    assert db.session.scalars(db.select(Stage)).one().current_pitch.table.number == 3
    post(console, url(event, "/pitchs/suivant"))
    stage = db.session.scalars(db.select(Stage)).one()
    assert stage.current_pitch is None and stage.screen == "wall"
    assert all(p.ended_at for p in db.session.scalars(db.select(Pitch)))


def test_the_pitch_length_is_configurable(event, console, client, clock):
    post(console, url(event, "/pleniere"), {"pitch_seconds": "90"})
    to_pitches(console, event)
    post(console, url(event, "/pitchs/suivant"))
    assert countdown_text(wall(client, event), "stage") == "1:30"


def test_a_pitch_can_be_started_out_of_order_and_paused(event, console, client, clock):
    to_pitches(console, event)
    console.get(url(event, "/regie"))
    pitch = db.session.scalars(db.select(Pitch).where(Pitch.table_id == event.tables[2].id)).one()
    post(console, url(event, f"/pitchs/{pitch.id}/lancer"))
    clock.advance(20)
    post(console, url(event, "/compte-a-rebours/pitch"), {"action": "pause"})
    clock.advance(100)
    page = wall(client, event)
    assert "Table 3" in page[page.index('id="stage"'):]
    assert countdown_text(page, "stage") == "2:40"


def test_the_console_shows_each_tables_progress(event, tablet, console):
    awa = tablet(event.tables[0])
    awa.post_note("un")
    awa.post_note("deux")
    card(event, 0, title="Titre", need="Besoin", city="Sarcelles", partners=["CAF"],
         status="ready")
    assert table_card(event.tables[0])["progress"] == {
        "notes": 2, "axes": 0, "votes": 0, "card_filled": 4, "card_total": 14, "card_ready": True}
    assert table_card(event.tables[1])["progress"] == {
        "notes": 0, "axes": 0, "votes": 0, "card_filled": 0, "card_total": 14, "card_ready": False}
    page = console.get(url(event, "/regie")).get_data(as_text=True)
    assert "2 constats" in page and "fiche 4/14" in page and "fiche prête" in page


# ---- Selection and follow-up ----------------------------------------------------------

def test_the_selection_shows_each_card_in_full_and_sets_empty_ones_apart(event, console):
    card(event, 0, title="Espace emploi", need="Des jeunes sans stage",
         objective="Cent stages par an", neighbourhood="Lochères", city="Sarcelles",
         budget_amount=12000, budget_purpose="Un animateur", partners=["CAF", "Mission locale"],
         skills=["Animation"])
    card(event, 1, need="Un besoin sans titre")
    page = html.unescape(console.get(url(event, "/selection")).get_data(as_text=True))
    judged = page.split("fiches à juger")[1].split('id="empty-title"')[0]
    for text in ("Des jeunes sans stage", "Cent stages par an", "Lochères, Sarcelles",
                 "12 000 € : Un animateur", "<li>CAF</li><li>Mission locale</li>", "Animation",
                 "Un besoin sans titre", "Fiche sans titre"):
        assert text in judged
    assert "Table 3" not in judged  # nothing written: set apart, not a candidate
    apart = page.split('id="empty-title"')[1]
    assert "Table 3" in apart and "fiche vide" in apart
    # The closing button comes after the cards, and is not the page's main action.
    assert page.index("Clore la sélection</button>") > page.index("Cent stages par an")
    assert 'class="button primary">Clore' not in page


def test_the_selection_pages_its_cards_and_a_verdict_keeps_the_jury_on_its_page(console):
    """At 210 tables every card in full made one 485 KB page. The jury reads twelve at a
    time; the pager names the tables of each page; a verdict saved without JavaScript comes
    back to the page of its card; the count of decided cards covers every page."""
    from bench.wall import make_event

    event = make_event(30)
    for index in range(30):
        if index != 4:  # table 5 writes nothing: set apart, on no page
            card(event, index, title=f"Projet de la table {index + 1}")
    first = html.unescape(console.get(url(event, "/selection")).get_data(as_text=True))
    assert first.count('class="decision ') == 12
    assert "Page 1 sur 3" in first and "Tables 1 à 13" in first and "Tables 26 à 30" in first
    assert "Projet de la table 13<" in first and "Projet de la table 14<" not in first
    assert "sur 29." in first.split('id="selection-count"')[1][:80]
    third = html.unescape(console.get(url(event, "/selection?page=3")).get_data(as_text=True))
    assert third.count('class="decision ') == 5
    assert "Projet de la table 30<" in third and "Projet de la table 1<" not in third
    assert 'aria-current="page">Tables 26 à 30' in third
    # A page past the end shows the last one; nonsense shows the first.
    assert "Projet de la table 30<" in console.get(url(event, "/selection?page=99")).get_data(
        as_text=True)
    target = services.proposal_for(event.tables[20])
    response = post(console, url(event, f"/selection/{target.id}"), {"verdict": "prototype"},
                    htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/selection?page=2#decision-{target.id}")
    fragment = post(console, url(event, f"/selection/{services.proposal_for(event.tables[0]).id}"),
                    {"verdict": "to_study"}).get_data(as_text=True)
    assert 'id="selection-count"' in fragment and "2 fiches décidées sur 29." in fragment


def test_selection_results_close_and_reopen(event, console, client, clock):
    a = card(event, 0, title="Espace emploi", city="Villiers-le-Bel", department="95")
    b = card(event, 1, title="Clause sociale", city="Sarcelles", department="95")
    c = card(event, 2, title="Cellule de soutien", city="Grigny", department="91")
    for proposal, verdict in ((a, "prototype"), (b, "to_study"), (c, "not_retained")):
        response = post(console, url(event, f"/selection/{proposal.id}"),
                        {"verdict": verdict, "comment": f"avis {proposal.id}"})
        assert response.status_code == 200
        assert f'id="decision-{proposal.id}"' in response.get_data(as_text=True)
    assert [p.status for p in (a, b, c)] == ["prototype", "to_study", "not_retained"]
    assert db.session.scalars(db.select(Decision).where(
        Decision.proposal_id == a.id)).one().comment == f"avis {a.id}"

    # The results show from the selection step on, not before.
    response = post(console, url(event, "/pleniere"), {"screen": "results"})
    assert response.status_code == 422 and "pendant la sélection" in response.get_data(as_text=True)
    post(console, url(event, "/etape"), {"phase": "selection"})
    post(console, url(event, "/pleniere"), {"screen": "results"})
    page = wall(client, event)
    results = page[page.index('id="stage"'):page.index('id="spotlight"')]
    assert results.index("Espace emploi") < results.index("Villiers-le-Bel (95)") \
        < results.index("À étudier") < results.index("Clause sociale")
    assert "Cellule de soutien" not in results

    # Closing is deliberate: without its confirmation box it is refused, and says why.
    response = post(console, url(event, "/selection/cloture"), htmx=False)
    assert response.status_code == 422
    assert "Cochez la case pour confirmer" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(SelectionLog)).all() == []
    response = post(console, url(event, "/selection/cloture"), {"confirm": "oui"}, htmx=False)
    assert response.status_code == 302
    [entry] = db.session.scalars(db.select(SelectionLog)).all()
    assert (entry.action, entry.by, entry.at) == ("closed", "orga", clock.now)
    assert "Sélection close le" in wall(client, event)

    clock.advance(60)
    response = post(console, url(event, f"/selection/{b.id}"), {"verdict": "prototype"})
    assert response.status_code == 422
    assert "La sélection est close" in response.get_data(as_text=True)
    assert b.status == "to_study"

    response = post(console, url(event, "/selection/reouverture"), {"reason": " "}, htmx=False)
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.get_data(as_text=True)
    post(console, url(event, "/selection/reouverture"),
         {"reason": "Le jury a changé d'avis"}, htmx=False)
    log = db.session.scalars(db.select(SelectionLog).order_by(SelectionLog.id)).all()
    assert [(e.action, e.reason) for e in log] == [("closed", ""),
                                                   ("reopened", "Le jury a changé d'avis")]
    page = console.get(url(event, "/selection")).get_data(as_text=True)
    assert "Le jury a changé d&#39;avis" in page
    assert post(console, url(event, f"/selection/{b.id}"),
                {"verdict": "prototype"}).status_code == 200
    assert b.status == "prototype"
    # Clearing a verdict puts the card back among the pitched ones.
    post(console, url(event, f"/selection/{c.id}"), {"verdict": ""})
    assert c.status == "pitched"
    assert db.session.scalars(db.select(Decision).where(Decision.proposal_id == c.id)).all() == []


@pytest.mark.parametrize(("data", "message"), [
    ({"verdict": "maybe"}, "Choisissez prototype, à étudier ou non retenu."),
    ({}, "Choisissez prototype, à étudier ou non retenu."),
    ({"verdict": "prototype", "comment": "x" * 2001}, "2001 caractères"),
])
def test_bad_decisions_are_refused_and_keep_the_comment(event, console, clock, data, message):
    proposal = card(event, 0, title="Espace emploi")
    response = post(console, url(event, f"/selection/{proposal.id}"), data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert data.get("comment", "") in page
    assert proposal.status == "draft"
    assert db.session.scalars(db.select(Decision)).all() == []


def test_a_prototype_gets_a_sponsor_and_a_dated_follow_up(event, console, clock):
    proposal = card(event, 0, title="Espace emploi", city="Villiers-le-Bel")
    post(console, url(event, f"/selection/{proposal.id}"), {"verdict": "prototype"})
    response = post(console, url(event, f"/suivi/{proposal.id}/parrain"),
                    {"name": "Camille Martin", "team": "Préfecture du Val-d'Oise",
                     "contact": "camille@example.org"}, htmx=False)
    assert response.status_code == 302
    for day, status, text in (("2018-01-15", "experimenting", "Premier atelier"),
                              ("2018-03-02", "evaluated", "Bilan positif")):
        response = post(console, url(event, f"/suivi/{proposal.id}/notes"),
                        {"noted_on": day, "status": status, "text": text}, htmx=False)
        assert response.status_code == 302
    sponsor = db.session.scalars(db.select(Sponsor)).one()
    assert (sponsor.name, sponsor.team, sponsor.status) == (
        "Camille Martin", "Préfecture du Val-d'Oise", "evaluated")
    assert [n.text for n in sponsor.notes] == ["Premier atelier", "Bilan positif"]
    page = console.get(url(event, "/suivi")).get_data(as_text=True)
    assert "Camille Martin" in page and "Bilan positif" in page and "Évalué" in page


@pytest.mark.parametrize(("path", "data", "message"), [
    ("parrain", {"name": "", "team": "Préfecture"}, "Ce champ est obligatoire."),
    ("parrain", {"name": "Camille", "team": "x" * 201}, "201 caractères"),
    ("notes", {"noted_on": "demain", "status": "evaluated"}, "Saisissez une date"),
    ("notes", {"noted_on": "2018-01-15", "status": "forgotten"},
     "Choisissez un état du suivi."),
])
def test_bad_sponsor_or_follow_up_is_refused_and_keeps_the_form(
        event, console, clock, path, data, message):
    proposal = card(event, 0, title="Espace emploi")
    post(console, url(event, f"/selection/{proposal.id}"), {"verdict": "prototype"})
    if path == "notes":
        post(console, url(event, f"/suivi/{proposal.id}/parrain"),
             {"name": "Camille", "team": "Préfecture"}, htmx=False)
    response = post(console, url(event, f"/suivi/{proposal.id}/{path}"), data, htmx=False)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'aria-invalid="true"' in page
    assert db.session.scalars(db.select(FollowUpNote)).all() == []


def test_only_prototypes_are_sponsored(event, console, clock):
    proposal = card(event, 0, title="À creuser")
    post(console, url(event, f"/selection/{proposal.id}"), {"verdict": "to_study"})
    response = post(console, url(event, f"/suivi/{proposal.id}/parrain"),
                    {"name": "Camille", "team": "Préfecture"}, htmx=False)
    assert response.status_code == 422
    assert db.session.scalars(db.select(Sponsor)).all() == []


# ---- Only the organizer drives the day ----------------------------------------------

WRITES = [
    ("/etape", {"phase": "axes"}),
    ("/etapes/axes", {"instruction": "Piraté"}),
    ("/compte-a-rebours/phase", {"action": "start", "minutes": "5"}),
    ("/compte-a-rebours/pitch", {"action": "start", "minutes": "5"}),
    ("/pitchs/suivant", {}),
    ("/pitchs/precedent", {}),
    ("/pitchs/fin", {}),
    ("/pitchs/{pitch}/deplacer", {"offset": "1"}),
    ("/pitchs/{pitch}/lancer", {}),
    ("/pleniere", {"screen": "results", "pitch_seconds": "20"}),
    ("/selection/{proposal}", {"verdict": "prototype"}),
    ("/selection/cloture", {}),
    ("/selection/reouverture", {"reason": "Piraté"}),
    ("/suivi/{proposal}/parrain", {"name": "Pirate", "team": "Pirates"}),
]


def _state(event):
    rows = []
    for model in (PhaseStep, Countdown, Stage, Decision, SelectionLog, Sponsor):
        rows.append(len(db.session.scalars(db.select(model)).all()))
    db.session.expire_all()
    ev = db.session.get(Event, event.id)
    return rows, ev.phase, ev.seq, queue_order(event), db.session.scalars(
        db.select(Proposal.status)).all()


@pytest.mark.parametrize(("path", "data"), WRITES)
@pytest.mark.parametrize("who", ["participant", "captain", "nobody"])
def test_only_the_organizer_changes_the_day_over_http(app, event, tablet, client, who, path,
                                                     data):
    from board import services

    proposal = card(event, 0, title="Espace emploi", status="pitched")
    pitch = services.pitch_queue(event)[0]
    before = _state(event)
    if who == "nobody":
        from .conftest import csrf_token

        token = csrf_token(client)
        response = client.post(url(event, path.format(pitch=pitch.id, proposal=proposal.id)),
                               data=data, headers={"X-CSRFToken": token, "HX-Request": "true"})
    else:
        someone = tablet(event.tables[0], captain=(who == "captain"))
        response = someone.post(url(event, path.format(pitch=pitch.id, proposal=proposal.id)),
                                data)
    assert response.status_code == 401
    assert _state(event) == before


def test_only_the_organizer_changes_the_day_over_the_socket(app, event, tablet, console, clock):
    to_pitches(console, event)
    console.get(url(event, "/regie"))
    awa = tablet(event.tables[0], captain=True)
    table_socket = awa.socket()
    screen = plenary_socket(app, event)
    before = _state(event)
    for s in (table_socket, screen):
        for action in ("next", "previous", "pause", "resume", "extend", "stop"):
            answer = s.emit("remote", {"event_id": event.id, "action": action}, callback=True)
            assert answer["ok"] is False
    assert _state(event) == before
    # A participant cannot even follow the consoles' room.
    spy = socketio.test_client(app, flask_test_client=awa.client,
                               auth={"room": f"console-{event.id}"})
    assert not spy.is_connected()

    remote = console_socket(app, console, event)
    remote.get_received()
    assert remote.emit("remote", {"event_id": event.id, "action": "next"},
                       callback=True) == {"ok": True}
    assert db.session.scalars(db.select(Stage)).one().current_pitch.table.number == 1
    html = "".join(p["html"] for p in pushes(remote))
    assert 'id="stage"' in html and 'id="console-controls"' in html
    assert remote.emit("remote", {"event_id": event.id, "action": "pause"},
                       callback=True) == {"ok": True}
    assert db.session.scalars(db.select(Countdown).where(Countdown.kind == "pitch")).one().paused
    remote.emit("remote", {"event_id": event.id, "action": "stop"}, callback=True)
    # Extending a countdown that is not running is refused with a reason, over the socket too.
    answer = remote.emit("remote", {"event_id": event.id, "action": "extend"}, callback=True)
    assert answer == {"ok": False,
                      "errors": {"seconds": ["Aucun compte à rebours à prolonger."]}}


@pytest.mark.parametrize("payload", [None, "next", {}, {"event_id": "x", "action": "next"},
                                     {"event_id": 1, "action": "explode"}, {"event_id": 999,
                                                                             "action": "next"}])
def test_malformed_remote_messages_are_refused(app, event, console, payload):
    remote = console_socket(app, console, event)
    answer = remote.emit("remote", payload, callback=True)
    assert answer["ok"] is False
    assert db.session.scalars(db.select(Stage)).all() == []


def test_console_pages_need_an_organizer(event, client, tablet):
    awa = tablet(event.tables[0], captain=True)
    for path in ("/regie", "/regie/direct", "/selection", "/suivi"):
        response = client.get(url(event, path))
        assert response.status_code == 302 and "/organisation/connexion" in response.headers[
            "Location"]
        assert awa.get(url(event, path), htmx=True).status_code == 401


def test_the_console_region_is_what_a_reconnecting_console_refetches(event, console, clock):
    post(console, url(event, "/etape"), {"phase": "pitches"})
    region = console.get(url(event, "/regie/direct"), headers={"HX-Request": "true"})
    html = region.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="board"')
    for part in ('id="day-banner"', 'id="stage"', 'id="console-controls"', "Présentations",
                 f'data-wall="{db.session.get(Event, event.id).seq}"'):
        assert part in html
    # The tables' cards are not in it: the régie pages their progress apart.
    assert "plenary-table-" not in html and "console-progress" not in html


def test_the_mornings_main_action_is_the_next_step_and_never_starts_a_pitch(
        app, event, console, client, clock):
    page = console.get(url(event, "/regie")).get_data(as_text=True)
    controls = page[page.index('id="console-controls"'):]
    assert "Étape suivante : Axes →" in controls
    assert "data-remote" not in controls and "Lancer" not in controls  # no pitch controls
    # The remote, by a stale page or over the socket, starts nothing in the morning.
    response = post(console, url(event, "/pitchs/suivant"))
    assert response.status_code == 422
    assert "pendant l'étape « Présentations »" in html.unescape(response.get_data(as_text=True))
    remote = console_socket(app, console, event)
    assert remote.emit("remote", {"event_id": event.id, "action": "next"},
                       callback=True)["ok"] is False
    assert db.session.scalars(db.select(Stage)).all() == []
    assert "stage-pitch" not in wall(client, event)


def test_a_step_change_is_confirmed_with_what_the_room_will_see(event, console):
    post(console, url(event, "/etapes/axes"), {"instruction": "Regroupez vos constats",
                                                "minutes": "20"})
    seq = db.session.get(Event, event.id).seq
    for htmx in (True, False):
        response = console.get(url(event, "/regie/etape/axes"),
                               headers={"HX-Request": "true"} if htmx else {})
        page = html.unescape(response.get_data(as_text=True))
        assert "Passer à l'étape « Axes » ?" in page
        assert "« Regroupez vos constats »" in page and "20 minutes démarre" in page
        assert 'name="phase" value="axes"' in page
        assert ("<html" in page) is not htmx  # a dialog's content, or a page without JS
    db.session.expire_all()
    assert db.session.get(Event, event.id).phase == "diagnostic"  # reading changes nothing
    assert db.session.get(Event, event.id).seq == seq
    assert console.get(url(event, "/regie/etape/lunch")).status_code == 404
    # Confirmed without JavaScript, the régie comes back.
    response = post(console, url(event, "/etape"), {"phase": "axes"}, htmx=False)
    assert response.status_code == 302 and response.headers["Location"].endswith("/regie")


def test_the_wall_follows_the_step(event, console, client, clock):
    to_pitches(console, event)
    post(console, url(event, "/pitchs/suivant"))
    page = html.unescape(console.get(url(event, "/regie/etape/diagnostic")).get_data(as_text=True))
    assert "Revenir à l'étape « Diagnostic » ?" in page
    assert "La présentation en cours s'arrête" in page
    post(console, url(event, "/etape"), {"phase": "diagnostic"})
    stage = db.session.scalars(db.select(Stage)).one()
    assert stage.current_pitch is None and stage.screen == "wall"
    assert "stage-pitch" not in wall(client, event)
    post(console, url(event, "/etape"), {"phase": "selection"})
    post(console, url(event, "/pleniere"), {"screen": "results"})
    assert "Les prototypes" in wall(client, event)
    post(console, url(event, "/etape"), {"phase": "diagnostic"})
    assert "Les prototypes" not in wall(client, event)


def test_the_pitch_instruction_quotes_the_pitch_length(event, console, tablet):
    awa = tablet(event.tables[0])
    post(console, url(event, "/pleniere"), {"pitch_seconds": "35"})
    to_pitches(console, event)
    assert "Chaque table présente sa fiche en 35 secondes." in awa.get("/table").get_data(
        as_text=True)
    post(console, url(event, "/pleniere"), {"pitch_seconds": "150"})
    assert "en 2 minutes 30." in awa.get("/table").get_data(as_text=True)
    # Saving the settings untouched keeps the instruction built from the length.
    post(console, url(event, "/etapes/pitches"),
         {"instruction": "Chaque table présente sa fiche en 2 minutes 30."})
    post(console, url(event, "/pleniere"), {"pitch_seconds": "60"})
    assert "en 1 minute." in awa.get("/table").get_data(as_text=True)


def test_the_regie_pages_the_tables_progress(app, console):
    event = services.create_event({"name": "Grand jour", "table_count": 70,
                                   "themes": [{"name": "Emploi", "colour": "#0072b2"}]})
    page = console.get(url(event, "/regie")).get_data(as_text=True)
    assert "70 tables" in page and "Page 1 sur 3" in page
    assert "Table 30<" in page and "Table 31<" not in page
    second = console.get(url(event, "/regie/avancement?page=2")).get_data(as_text=True)
    assert "Table 31<" in second and "Table 61<" not in second


@pytest.mark.parametrize("path", ["/regie", "/selection"])
def test_the_regie_and_the_selection_let_the_process_serve_others_while_they_are_made(
        console, monkeypatch, path):
    """At 200 tables these pages are tens of milliseconds of Python: made in slices, the
    other requests, pushes and pings of the process go on between them, and they come out
    the same."""
    event = make_event(30)
    fill_day(event, "selection")
    whole, sliced, held, turns = made_in_turns(
        monkeypatch, lambda: console.get(url(event, path)).get_data(as_text=True))
    assert held == [] and len(turns) >= 10
    assert sliced == whole


def test_a_verdict_lets_the_process_serve_others_while_it_and_its_pushes_are_made(
        app, console, clock, monkeypatch):
    """A verdict reads every card again and pushes the day to every room: in turns, for
    the same answer and the same pushes."""
    event = make_event(30)
    fill_day(event, "selection")
    remote = console_socket(app, console, event)
    path = url(event, f"/selection/{services.proposal_for(event.tables[7]).id}")

    def verdict():
        remote.get_received()
        answer = post(console, path, {"verdict": "to_study", "comment": "Avec la CAF"})
        assert answer.status_code == 200
        sent = [re.sub(r'data-wall="\d+"', "", p["html"]) for p in pushes(remote)]
        post(console, path, {"verdict": ""})  # undone, to be made again
        return answer.get_data(as_text=True), sent

    whole, sliced, held, turns = made_in_turns(monkeypatch, verdict)
    assert held == [] and len(turns) >= 5
    assert sliced == whole and 'id="selection-count"' in whole[0] and whole[1]
