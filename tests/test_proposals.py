import html
import re

import pytest
from flask import render_template
from marshmallow import ValidationError

from board import db, services, socketio
from board.models import Note, Participant, PriorityAxis, Proposal, ProposalRevision, utcnow

from .conftest import pushes

FIELDS_AT_ONCE = ("title", "need", "objective", "budget_purpose", "summary")


def field_url(table, field):
    return f"/tables/{table.id}/fiche/{field}"


def version_in(response, field):
    return int(re.search(rf'id="version-{field}" name="version" value="(\d+)"',
                         response.get_data(as_text=True)).group(1))


def value_in(fragment, field):
    """What a pushed field shows in its input or textarea."""
    form = re.search(rf'<form id="field-{field}".*?</form>', fragment, re.S).group(0)
    found = (re.search(rf'<textarea id="card-{field}"[^>]*>(.*?)</textarea>', form, re.S)
             or re.search(rf'<input id="card-{field}" name="value" value="([^"]*)"', form))
    return html.unescape(found.group(1))


def spaces(text):
    return re.sub(r"[\u00a0\u202f]", " ", text)


def card(table):
    db.session.expire_all()
    return db.session.scalars(db.select(Proposal).where(Proposal.table_id == table.id)).one()


def plenary_socket(app, event):
    return socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})


@pytest.fixture
def axis(event):
    axis = PriorityAxis(event_id=event.id, theme_id=event.themes[0].id,
                        title="Mobilité des jeunes")
    db.session.add(axis)
    db.session.commit()
    return axis


def test_five_tablets_typing_five_fields_at_once_lose_no_character(app, event, tablet):
    table, elsewhere = event.tables[0], event.tables[1]
    event.phase = "drafting"  # the wall shows the cards being written
    db.session.commit()
    names = ("Awa", "Bob", "Chloé", "Dan", "Émile")
    tablets = [tablet(table, name) for name in names]
    sockets = [t.socket() for t in tablets]
    wall, other = plenary_socket(app, event), tablet(elsewhere, "Zoé").socket()
    texts = {field: f"{name} écrit « {field} » lettre à lettre, même les accents"
             for field, name in zip(FIELDS_AT_ONCE, names, strict=True)}
    for s in (*sockets, wall, other):
        s.get_received()

    # Every tablet types its own field one character at a time, all interleaved: each save
    # is based on the version that tablet's previous save returned.
    versions = dict.fromkeys(FIELDS_AT_ONCE, 0)
    for length in range(1, max(map(len, texts.values())) + 1):
        for who, field in zip(tablets, FIELDS_AT_ONCE, strict=True):
            if length <= len(texts[field]):
                response = who.post(field_url(table, field),
                                    {"value": texts[field][:length], "version": versions[field]})
                assert response.status_code == 200, response.get_data(as_text=True)
                versions[field] = version_in(response, field)

    proposal = card(table)
    for field, text in texts.items():
        assert getattr(proposal, field) == text
    # A character that changes nothing once trimmed (a trailing space) is not pushed.
    changes = sum(sum(t[:n].strip() != t[:n - 1].strip() for n in range(1, len(t) + 1))
                  for t in texts.values())
    for s in sockets:
        received = pushes(s)
        # Numbered without a gap: a tablet applying them in order ends where the database is.
        assert [p["seq"] for p in received] == list(range(1, len(received) + 1))
        assert len(received) == changes
        for push in received:
            # Only the whole field swaps: its version or presence never on their own, or a
            # tablet typing in it would silently take the new version.
            form = re.search(r'<form id="field-.*?</form>', push["html"], re.S).group(0)
            assert form.count("hx-swap-oob") == 1
        for field, text in texts.items():
            last = [p["html"] for p in received if f'id="field-{field}"' in p["html"]][-1]
            assert value_in(last, field) == text
    # The wall shows the card's title as typed and how much of it is written.
    last_wall = html.unescape(pushes(wall)[-1]["html"])
    assert texts["title"] in last_wall and "5/14" in last_wall
    assert other.get_received() == []


def test_a_stale_write_is_shown_both_versions_and_nothing_is_lost(app, event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    bob_socket = bob.socket()
    assert awa.post(field_url(table, "need"), {"value": "Des bus le soir",
                                               "version": 0}).status_code == 200
    bob_socket.get_received()

    conflict = bob.post(field_url(table, "need"), {"value": "Un local pour les jeunes",
                                                   "version": 0})

    assert conflict.status_code == 409
    page = conflict.get_data(as_text=True)
    assert 'id="feedback-need"' in page and "data-conflict" in page
    assert "Awa a modifié ce champ" in page
    assert "Des bus le soir" in page and "Un local pour les jeunes" in page
    assert card(table).need == "Des bus le soir"
    assert pushes(bob_socket) == []  # nothing was applied, so nothing was pushed

    # Bob chooses his version, knowing Awa's (version 1): saved, and Awa's stays in history.
    kept = bob.post(field_url(table, "need"), {"value": "Un local pour les jeunes",
                                               "version": 0, "over": 1})
    assert kept.status_code == 200
    assert card(table).need == "Un local pour les jeunes"
    history = bob.get(field_url(table, "need") + "/historique", htmx=True).get_data(as_text=True)
    assert history.index("Un local pour les jeunes") < history.index("Des bus le soir")

    # Writing over a version nobody has is not a conflict but a forged request.
    assert bob.post(field_url(table, "need"), {"value": "x", "version": 9}).status_code == 422


def test_resending_unchanged_text_after_someone_saved_takes_theirs_without_a_conflict(
        event, tablet):
    # Awa's field sends her text again as she leaves it (a blur after her last save) just
    # after Bob saved over her version: she typed nothing new, so Bob's text stands and her
    # tablet gets the field as it is now, with its version, instead of a conflict.
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    assert awa.post(field_url(table, "need"), {"value": "Des bus le soir",
                                               "version": 0}).status_code == 200
    assert bob.post(field_url(table, "need"), {"value": "Un local pour les jeunes",
                                               "version": 0, "over": 1}).status_code == 200

    again = awa.post(field_url(table, "need"), {"value": "Des bus le soir", "version": 1})

    assert again.status_code == 200
    page = again.get_data(as_text=True)
    assert 'id="field-need"' in page and 'hx-swap-oob="true"' in page
    assert "Un local pour les jeunes" in page and "data-conflict" not in page
    assert version_in(again, "need") == 2
    assert card(table).need == "Un local pour les jeunes"
    # Text she did change is still hers to keep or drop: that one is a conflict.
    changed = awa.post(field_url(table, "need"), {"value": "Des bus la nuit", "version": 1})
    assert changed.status_code == 409 and "data-conflict" in changed.get_data(as_text=True)
    # The same holds from the blank card: an empty field re-sent is not a conflict either.
    assert awa.post(field_url(table, "city"), {"value": "Lyon", "version": 0}).status_code == 200
    assert bob.post(field_url(table, "city"), {"value": "", "version": 0}).status_code == 200
    assert card(table).city == "Lyon"


def test_two_identical_writes_from_one_version_are_not_a_conflict(event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    assert awa.post(field_url(table, "city"), {"value": "Lyon", "version": 0}).status_code == 200
    same = bob.post(field_url(table, "city"), {"value": "Lyon", "version": 0})
    assert same.status_code == 200 and version_in(same, "city") == 1


LONG = "é" * 2001


@pytest.mark.parametrize(("field", "value", "message"), [
    ("budget_amount", "-1500", "Le budget ne peut pas être négatif."),
    ("budget_amount", "−20", "Le budget ne peut pas être négatif."),
    ("budget_amount", "beaucoup", "Saisissez un montant en euros, par exemple 15 000."),
    ("budget_amount", "12,50", "Arrondissez à l'euro près"),
    ("budget_amount", "999999999999", "Au plus 100"),
    ("title", "T" * 201, "Ce texte a 201 caractères. C'est 1 de trop. Au plus 200."),
    ("need", LONG, "Ce texte a 2001 caractères. C'est 1 de trop. Au plus 2000."),
    ("summary", "r" * 1300, "1300 caractères. C'est 100 de trop."),
    ("department", "d" * 101, "Au plus 100."),
    ("partners", "Mairie\n" + "p" * 121, "121 caractères, au plus 120 par ligne"),
    ("skills", "\n".join(f"compétence {n}" for n in range(21)), "Au plus 20 lignes."),
])
def test_bad_input_is_refused_beside_the_field_and_the_text_kept(event, tablet, field, value,
                                                                 message):
    table = event.tables[0]
    awa = tablet(table, "Awa", captain=True)

    response = awa.post(field_url(table, field), {"value": value, "version": 0})
    assert response.status_code == 422
    fragment = html.unescape(response.get_data(as_text=True))
    assert f'id="feedback-{field}"' in fragment and f'id="card-{field}-error"' in fragment
    assert message in fragment
    assert getattr(card(table), field) in ("", None, [])

    # Without JavaScript: the whole page, the message beside the field, the text as typed.
    page = awa.post(field_url(table, field), {"value": value, "version": 0}, htmx=False)
    assert page.status_code == 422
    body = html.unescape(page.get_data(as_text=True))
    assert message in body
    assert value_in(body, field) == value
    control = re.search(rf'id="card-{field}"[^>]*>', body).group(0)
    assert 'aria-invalid="true"' in control and f'aria-describedby="card-{field}-error"' in control


def test_a_forged_table_is_refused_beside_the_field(event, tablet):
    mine, theirs = event.tables[0], event.tables[1]
    awa = tablet(mine, "Awa", captain=True)
    zoe = tablet(theirs, "Zoé")
    zoe.post(field_url(theirs, "need"), {"value": "Leur besoin", "version": 0})

    response = awa.post(field_url(theirs, "need"), {"value": "Piraté", "version": 1})
    assert response.status_code == 403
    assert "Vous n'êtes pas à cette table" in html.unescape(response.get_data(as_text=True))
    assert 'id="feedback-need"' in response.get_data(as_text=True)
    assert card(theirs).need == "Leur besoin"
    assert awa.get(field_url(theirs, "need") + "/historique").status_code == 404
    assert awa.post(f"/tables/{theirs.id}/fiche/etat", {"status": "ready"}).status_code == 403


def test_the_captain_chooses_an_axis_of_the_event_only(app, event, tablet, axis):
    table = event.tables[0]
    other_event = services.create_event({
        "name": "Autre", "date": None, "place": "", "table_count": 1,
        "themes": [{"name": "Santé", "colour": "#aa0000"}]})
    foreign = PriorityAxis(event_id=other_event.id, theme_id=other_event.themes[0].id,
                           title="Ailleurs")
    db.session.add(foreign)
    db.session.commit()
    captain, awa = tablet(table, "Cap", captain=True), tablet(table, "Awa")

    refused = captain.post(field_url(table, "priority_axis_id"),
                           {"value": foreign.id, "version": 0})
    assert refused.status_code == 422
    assert "Choisissez un des axes prioritaires de l'événement." in html.unescape(
        refused.get_data(as_text=True))
    not_captain = awa.post(field_url(table, "priority_axis_id"), {"value": axis.id, "version": 0})
    assert not_captain.status_code == 403
    assert "capitaine" in not_captain.get_data(as_text=True)
    assert card(table).priority_axis_id is None

    assert captain.post(field_url(table, "priority_axis_id"),
                        {"value": axis.id, "version": 0}).status_code == 200
    assert card(table).priority_axis_id == axis.id


def test_notes_linked_to_the_card_are_the_tables_own(event, tablet):
    table, other = event.tables[0], event.tables[1]
    awa, zoe = tablet(table, "Awa"), tablet(other, "Zoé")
    awa.post_note("Pas de bus le soir")
    zoe.post_note("Pas de crèche")
    mine, theirs = db.session.scalars(db.select(db.text("id FROM note ORDER BY id"))).all()
    refused = awa.post(field_url(table, "notes"), {"value": [mine, theirs], "version": 0})
    assert refused.status_code == 422
    assert awa.post(field_url(table, "notes"), {"value": [mine], "version": 0}).status_code == 200
    assert [n.text for n in card(table).notes] == ["Pas de bus le soir"]


def fill_required(who, table, axis):
    values = {"title": "Un bus de nuit", "need": "Rentrer le soir", "objective": "Une ligne",
              "city": "Montreuil", "budget_amount": "12 500", "budget_purpose": "Deux navettes",
              "partners": "RATP\nMairie", "skills": "Chauffeur", "summary": "On roule."}
    for field, value in values.items():
        assert who.post(field_url(table, field), {"value": value, "version": 0}).status_code == 200
    assert who.post(field_url(table, "priority_axis_id"),
                    {"value": axis.id, "version": 0}).status_code == 200


def test_a_card_missing_fields_cannot_be_declared_ready_and_says_which(app, event, tablet, axis):
    table = event.tables[0]
    captain, awa = tablet(table, "Cap", captain=True), tablet(table, "Awa")
    captain.post(field_url(table, "title"), {"value": "Un bus de nuit", "version": 0})

    refused = captain.post(f"/tables/{table.id}/fiche/etat", {"status": "ready"})
    assert refused.status_code == 422
    message = re.search(r'id="card-status-error">(.*?)</p>',
                        refused.get_data(as_text=True)).group(1)
    assert "Il manque encore" in message and "Besoin" in message and "Budget" in message
    assert "Titre" not in message
    assert card(table).status == "draft"

    fill_required(captain, table, axis)
    assert awa.post(f"/tables/{table.id}/fiche/etat", {"status": "ready"}).status_code == 403
    socket = awa.socket()
    socket.get_received()
    ready = captain.post(f"/tables/{table.id}/fiche/etat", {"status": "ready"})
    assert ready.status_code == 200
    assert card(table).status == "ready"
    [push] = pushes(socket)
    assert 'id="card-progress"' in push["html"] and "Prête" in push["html"]

    # Emptying a required field takes the card back to draft.
    version = card(table) and services.field_versions(card(table))["summary"]
    awa.post(field_url(table, "summary"), {"value": "", "version": version})
    assert card(table).status == "draft"
    statuses = db.session.scalars(db.select(ProposalRevision.value).where(
        ProposalRevision.field == "status").order_by(ProposalRevision.version)).all()
    assert statuses == ["ready", "draft"]


def test_the_status_flow_leaves_room_for_the_organizers_decisions(event, tablet, axis):
    table = event.tables[0]
    captain = tablet(table, "Cap", captain=True)
    fill_required(captain, table, axis)
    proposal = card(table)
    with pytest.raises(ValidationError) as refused:
        services.change_status(proposal, "prototype")
    assert list(refused.value.messages) == ["status"]
    for status in ("ready", "pitched", "to_study", "prototype"):
        services.change_status(proposal, status)
    assert card(table).status == "prototype"
    # A pitched card no longer changes under the organizer's eyes.
    refused = captain.post(field_url(table, "title"), {"value": "Autre", "version": 1})
    assert refused.status_code == 422
    assert card(table).title == "Un bus de nuit"


def test_history_keeps_who_and_when_and_the_captain_restores(event, tablet):
    table = event.tables[0]
    captain, awa, bob = (tablet(table, "Cap", captain=True), tablet(table, "Awa"),
                         tablet(table, "Bob"))
    # Awa's burst of typing is one version of the history; Bob's is another.
    for length, text in enumerate(("D", "De", "Des bus"), start=0):
        assert awa.post(field_url(table, "need"), {"value": text, "version": length}
                        ).status_code == 200
    bob.post(field_url(table, "need"), {"value": "Un local", "version": 3})
    revisions = db.session.scalars(db.select(ProposalRevision).where(
        ProposalRevision.field == "need").order_by(ProposalRevision.version)).all()
    assert [(r.author_name, r.value, r.version) for r in revisions] == [
        ("Awa", "Des bus", 3), ("Bob", "Un local", 4)]

    history = captain.get(field_url(table, "need") + "/historique", htmx=True)
    assert history.status_code == 200
    text = history.get_data(as_text=True)
    assert "Awa" in text and "Bob" in text and "Restaurer cette version" in text

    assert awa.post(field_url(table, "need") + "/historique/3").status_code == 403
    socket = bob.socket()
    socket.get_received()
    restored = captain.post(field_url(table, "need") + "/historique/3")
    assert restored.status_code == 200
    assert card(table).need == "Des bus"
    [push] = pushes(socket)
    assert value_in(push["html"], "need") == "Des bus"
    latest = services.latest_revision(card(table), "need")
    assert (latest.author_name, latest.restored_from, latest.version) == ("Cap", 3, 5)
    assert captain.post(field_url(table, "need") + "/historique/99").status_code == 404

    # Without JavaScript, the history is a page of its own.
    page = captain.get(field_url(table, "need") + "/historique")
    assert page.status_code == 200 and "<html" in page.get_data(as_text=True)


def test_the_budget_is_written_and_shown_the_french_way(app, event, tablet):
    table = event.tables[0]
    awa = tablet(table, "Awa")
    wall = plenary_socket(app, event)
    wall.get_received()
    awa.post(field_url(table, "budget_amount"), {"value": "12500 €", "version": 0})
    awa.post(field_url(table, "budget_purpose"), {"value": "Deux navettes", "version": 0})
    assert card(table).budget_amount == 12500
    assert pushes(wall)  # the wall's tile follows the card
    with app.test_request_context():
        shown = spaces(render_template("day/_card.html", proposal=card(table)))
    assert "12 500 € : Deux navettes" in shown  # as the pitch, the selection and the report read
    board = spaces(awa.get("/table").get_data(as_text=True))
    assert 'id="card-budget_amount" name="value" value="12 500"' in board
    for typed in ("12 500", "12.500", "12\u202f500"):
        awa.post(field_url(table, "budget_amount"), {"value": typed, "version": 1})
        assert card(table).budget_amount == 12500


def test_a_field_saves_without_javascript(event, tablet):
    table = event.tables[0]
    awa = tablet(table, "Awa")
    response = awa.post(field_url(table, "objective"), {"value": "Une ligne", "version": 0},
                        htmx=False)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/table#field-objective")
    assert "Une ligne</textarea>" in awa.get("/table").get_data(as_text=True)


def test_presence_shows_who_writes_where_and_clears_when_they_leave(app, event, tablet):
    table = event.tables[0]
    awa, bob, zoe = tablet(table, "Awa"), tablet(table, "Bob"), tablet(event.tables[1], "Zoé")
    awa_socket, bob_socket, zoe_socket = awa.socket(), bob.socket(), zoe.socket()
    wall = plenary_socket(app, event)
    for s in (awa_socket, bob_socket, zoe_socket, wall):
        s.get_received()

    awa_socket.emit("presence", {"field": "need"})
    [push] = pushes(bob_socket)
    need = re.search(r'<span id="presence-need".*?</span>\s*</span>', push["html"], re.S).group(0)
    assert "Awa" in need
    # Only the field whose « who writes here » changed, not every field of the card.
    assert re.findall(r'id="(presence-[a-z_]+)"', push["html"]) == ["presence-need"]
    assert "Awa" in bob.get("/table").get_data(as_text=True).split('id="presence-need"')[1][:200]
    assert zoe_socket.get_received() == [] and wall.get_received() == []

    awa_socket.emit("presence", {"field": "need"})  # no change, no push
    assert pushes(bob_socket) == []
    awa_socket.emit("presence", {"field": None})
    [push] = pushes(bob_socket)
    assert "Awa" not in push["html"]

    awa_socket.emit("presence", {"field": "objective"})
    bob_socket.get_received()
    awa_socket.disconnect()
    cleared = [p["html"] for p in pushes(bob_socket)]
    assert cleared and "Awa" not in cleared[-1]


@pytest.mark.parametrize("payload", [None, "need", {"field": "password"}, {"field": 3},
                                     {"field": "x" * 5000}])
def test_malformed_presence_is_ignored(event, tablet, payload):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    awa_socket, bob_socket = awa.socket(), bob.socket()
    bob_socket.get_received()
    awa_socket.emit("presence", payload)
    assert pushes(bob_socket) == []


def test_the_plenary_screen_cannot_claim_presence(app, event, tablet):
    bob_socket = tablet(event.tables[0], "Bob").socket()
    bob_socket.get_received()
    plenary_socket(app, event).emit("presence", {"field": "need"})
    assert pushes(bob_socket) == []


def test_the_cards_list_of_notes_follows_the_notes_posted_edited_and_deleted(event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    bob_socket = bob.socket()
    bob_socket.get_received()

    awa.post_note("Pas de bus le soir")
    note_id = db.session.scalar(db.select(Note.id))
    [push] = pushes(bob_socket)
    # Posted: one choice appended to the open card's list, not linked yet.
    assert re.search(r'<div hx-swap-oob="beforeend:#card-note-choices">\s*<label id="card-note-'
                     rf'{note_id}"[^>]*><input type="checkbox" name="value" value="{note_id}"\s*>'
                     r'\s*<span>Pas de bus le soir', push["html"])

    assert awa.post(field_url(table, "notes"), {"value": [note_id], "version": 0}).status_code == 200
    bob_socket.get_received()
    version = db.session.get(Note, note_id).version
    assert awa.post(f"/constats/{note_id}/modifier", {"text": "Plus de bus après 21 h",
                                                      "theme_id": event.themes[0].id,
                                                      "version": version}).status_code == 200
    [push] = pushes(bob_socket)
    # Edited: the choice replaced in place, still ticked since the card links it.
    assert re.search(rf'<label id="card-note-{note_id}"[^>]*hx-swap-oob="true"><input type="checkbox" '
                     rf'name="value" value="{note_id}" checked>\s*<span>Plus de bus après 21 h',
                     push["html"])

    assert awa.post(f"/constats/{note_id}/supprimer").status_code == 200
    [push] = pushes(bob_socket)
    assert f'<label id="card-note-{note_id}" hx-swap-oob="delete"></label>' in push["html"]
    # A tablet that loads the card afresh agrees: no note left to link.
    page = bob.get("/table").get_data(as_text=True)
    assert not re.search(r'id="card-note-\d', page)
    assert "Les constats de la table apparaîtront ici." in page


def test_the_card_speaks_plain_french_when_it_refuses(event, tablet):
    from .test_i18n import assert_plain_french

    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob", captain=True)
    awa.post(field_url(table, "need"), {"value": "Des bus", "version": 0})
    for response in (
        awa.get("/table"),
        awa.post(field_url(table, "budget_amount"), {"value": "abc", "version": 0}),
        awa.post(field_url(table, "budget_amount"), {"value": "-4", "version": "x"}),
        awa.post(field_url(table, "title"), {"version": 0}, htmx=False),
        bob.post(field_url(table, "need"), {"value": "Un local", "version": 0}),
        bob.post(field_url(table, "need"), {"value": "Un local", "version": 0}, htmx=False),
        bob.post(field_url(table, "priority_axis_id"), {"value": "zz", "version": 0}),
        bob.post(f"/tables/{table.id}/fiche/etat", {"status": "ready"}),
        bob.get(field_url(table, "need") + "/historique"),
    ):
        assert response.status_code < 500
        assert_plain_french(response)


def _in_threads(jobs):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    start = Barrier(len(jobs))

    def run(job):
        start.wait()
        return job()

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_truly_simultaneous_writers_on_postgresql(app, event, tablet, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("one SQLite writer at a time: a gevent process never interleaves them")
    table = event.tables[0]
    names = ("Awa", "Bob", "Chloé", "Dan", "Émile")
    tablets = [tablet(table, name) for name in names]
    watcher = tablets[0].socket()
    watcher.get_received()
    texts = {field: f"{name} écrit {field}" for field, name in
             zip(FIELDS_AT_ONCE, names, strict=True)}
    db.session.commit()

    def typist(who, field):
        def type_all():
            version, statuses = 0, []
            for length in range(1, len(texts[field]) + 1):
                response = who.post(field_url(table, field),
                                    {"value": texts[field][:length], "version": version})
                statuses.append(response.status_code)
                version = version_in(response, field)
            return statuses
        return type_all

    results = _in_threads([typist(w, f) for w, f in zip(tablets, FIELDS_AT_ONCE, strict=True)])
    assert all(status == 200 for statuses in results for status in statuses)
    proposal = card(table)
    for field, text in texts.items():
        assert getattr(proposal, field) == text
    received = pushes(watcher)
    assert sorted(p["seq"] for p in received) == list(range(1, len(received) + 1))
    for field, text in texts.items():
        last = max((p for p in received if f'id="field-{field}"' in p["html"]),
                   key=lambda p: p["seq"])
        assert value_in(last["html"], field) == text

    # Two writers over the same version at the same instant: one saves, one is told.
    db.session.commit()
    awa, bob = tablets[0], tablets[1]
    version = services.field_versions(card(table))["need"]
    db.session.commit()
    answers = _in_threads([
        lambda: awa.post(field_url(table, "need"), {"value": "Version d'Awa", "version": version}),
        lambda: bob.post(field_url(table, "need"), {"value": "Version de Bob", "version": version}),
    ])
    assert sorted(a.status_code for a in answers) == [200, 409]
    loser = next(a for a in answers if a.status_code == 409).get_data(as_text=True)
    assert "Version d'Awa" in html.unescape(loser) and "Version de Bob" in html.unescape(loser)
    assert card(table).need in ("Version d'Awa", "Version de Bob")


def test_a_flood_of_presence_is_one_push_per_person_per_interval(app, event, tablet):
    """Within PRESENCE_INTERVAL a person's presence goes out once; what they say meanwhile
    waits (no database write, no push) and the latest goes out at the end of it."""
    from board import realtime
    from board.models import Connection

    app.config["PRESENCE_INTERVAL"] = 60  # the end of the interval is called by hand below
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    awa_socket, bob_socket = awa.socket(), bob.socket()
    bob_socket.get_received()
    fields = ["need", "objective", "summary", "title"]
    for n in range(200):
        assert awa_socket.emit("presence", {"field": fields[n % 4]}, callback=True) == {"ok": True}
    [first] = pushes(bob_socket)
    assert re.findall(r'id="(presence-[a-z_]+)"', first["html"]) == ["presence-need"]
    assert db.session.scalars(db.select(Connection.editing_field).where(
        Connection.participant_id != None)).all().count("need") == 1  # noqa: E711
    # Meanwhile, her saves and everyone's are not held up.
    assert awa.post_note("Pendant ce temps").status_code == 201
    bob_socket.get_received()
    me = db.session.scalar(db.select(Participant).where(Participant.name == "Awa"))
    with app.test_request_context():  # as the timer's background task runs it
        realtime.send_waiting_presence(me.id)
    [latest] = pushes(bob_socket)
    shown = re.findall(r'id="(presence-[a-z_]+)"', latest["html"])
    assert sorted(shown) == ["presence-need", "presence-title"]  # left one, entered the other
    db.session.expire_all()
    assert db.session.scalar(db.select(Connection.editing_field).join(Participant).where(
        Participant.name == "Awa")) == "title"
    # Nothing else waits: the next interval starts from here.
    with app.test_request_context():
        realtime.send_waiting_presence(me.id)
    assert pushes(bob_socket) == []


def test_the_card_names_who_pitches_one_of_the_tables_participants(app, console, event, tablet):
    table, other = event.tables[0], event.tables[1]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    tablet(other, "Zoé")
    people = {p.name: p.id for p in db.session.scalars(db.select(Participant))}
    page = awa.get("/table").get_data(as_text=True)
    assert f'<option value="{people["Bob"]}">Bob</option>' in page
    assert "Zoé" not in page
    response = awa.post(field_url(table, "pitcher_id"), {"value": people["Bob"], "version": 0})
    assert response.status_code == 200
    assert card(table).pitcher_id == people["Bob"]
    # Someone of another table cannot pitch for this one.
    refused = bob.post(field_url(table, "pitcher_id"), {"value": people["Zoé"], "version": 1})
    assert refused.status_code == 422
    assert "Choisissez une personne de votre table." in refused.get_data(as_text=True)
    assert card(table).pitcher_id == people["Bob"]
    # The pitch screen names them, and so does the export.
    card(table).title = "Un lieu"
    db.session.commit()
    services.set_phase(event, "pitches", utcnow())
    services.step_pitch(event, 1, utcnow())
    wall = console.get(f"/pleniere/{event.plenary_token}").get_data(as_text=True)
    assert "par Bob" in wall
    csv_text = console.get(f"/organisation/evenements/{event.id}/exports/proposals.csv"
                           ).data.decode("utf-8-sig")
    header, first = csv_text.split("\r\n")[:2]
    assert "orateur ou oratrice" in header and ";Bob;" in first


def test_a_typed_save_reads_only_what_its_field_shows(app, event, tablet):
    """The afternoon's busiest write: a debounced save of one text field. Its push (the
    field, the card's progress) needs neither the table's notes, its people nor the event's
    priority axes; the choice fields that show them still get them."""
    from sqlalchemy import event as sa_event

    awa = tablet(event.tables[0])
    awa.socket()
    db.session.expunge_all()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = awa.post(field_url(event.tables[0], "need"),
                            {"value": "Des bus le soir", "version": 0})
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    assert response.status_code == 200
    reads = [s for s in statements if s.startswith("SELECT")]
    assert not any(s.startswith("SELECT priority_axis.") for s in reads), "\n".join(reads)
    assert not any(s.startswith("SELECT participant.") and "participant.table_id = ?" in s
                   for s in reads), "\n".join(reads)  # the table's people
    assert not any(s.startswith("SELECT note.id") and "proposal_note" not in s
                   for s in reads), "\n".join(reads)  # the table's list of notes
    # The person; the card, its row taken, the field's last revision; the sequence, the
    # revision, the card; then the push (the card, who types where, its
    # linked notes) and the plenary card with the tables that changed meanwhile.
    assert len(statements) <= 19, "\n".join(statements)
    choice = awa.get(f"/tables/{event.tables[0].id}/fiche/pitcher_id",
                     htmx=True).get_data(as_text=True)
    assert ">Awa</option>" in choice
