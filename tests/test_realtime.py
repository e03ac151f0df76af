import pytest

from board import db, socketio
from board.models import Connection, Note, Organizer, Participant

from .conftest import pushes


def awa_id(tablet):
    return db.session.scalars(db.select(Participant.id).where(Participant.name == "Awa")).one()


def plenary_socket(app, event, token=None):
    return socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": token or event.plenary_token})


def test_a_note_reaches_its_table_and_the_plenary_and_no_other_table(app, event, tablet):
    t1, t2 = event.tables[0], event.tables[1]
    awa, bob, zoe = tablet(t1, "Awa"), tablet(t1, "Bob"), tablet(t2, "Zoé")
    sockets = {name: who.socket() for name, who in (("awa", awa), ("bob", bob), ("zoe", zoe))}
    wall = plenary_socket(app, event)
    for s in (*sockets.values(), wall):
        s.get_received()

    awa.post_note("Les jeunes décrochent en 4e")

    for name in ("awa", "bob"):
        [push] = pushes(sockets[name])
        assert push["seq"] == 1
        assert "Les jeunes décrochent en 4e" in push["html"]
        assert 'hx-swap-oob="beforeend:#notes"' in push["html"]
    assert sockets["zoe"].get_received() == []
    [card] = pushes(wall)
    assert f'id="plenary-table-{t1.id}"' in card["html"]
    assert "Les jeunes décrochent en 4e" in card["html"]
    assert "seq" not in card


def test_plenary_cards_changed_together_reach_the_screens_in_one_push(app, event, tablet):
    app.config["PLENARY_CARD_DELAY"] = 0.05
    t1, t2 = event.tables[0], event.tables[1]
    awa, zoe = tablet(t1, "Awa"), tablet(t2, "Zoé")
    awa_socket = awa.socket()
    wall = plenary_socket(app, event)
    socketio.sleep(0.2)  # the cards of Awa's arrival
    wall.get_received()

    awa.post_note("Les jeunes décrochent en 4e")
    zoe.post_note("Pas de crèche le samedi")
    awa.post_note("Le bus passe trop tôt")
    # The tablets do not wait: their push came with the write.
    assert [p["seq"] for p in pushes(awa_socket)] == [1, 2]
    assert pushes(wall) == []  # the screens' cards are on their way…

    socketio.sleep(0.2)
    [push] = pushes(wall)  # …together, each table's card once, as it stands now
    assert push["html"].count(f'id="plenary-table-{t1.id}"') == 1
    assert push["html"].count(f'id="plenary-table-{t2.id}"') == 1
    assert "Le bus passe trop tôt" in push["html"] and "Pas de crèche le samedi" in push["html"]
    assert f'id="plenary-table-{t1.id}" data-seq="2"' in push["html"]

    awa_socket.disconnect()  # presence changes are sent the same way
    socketio.sleep(0.2)
    [push] = pushes(wall)
    assert "Awa" not in push["html"] and f'id="plenary-table-{t1.id}"' in push["html"]


def test_edit_and_delete_push_in_sequence(app, event, tablet):
    awa = tablet(event.tables[0])
    socket = awa.socket()
    awa.post_note("Premier jet")
    note_id = db.session.scalars(db.select(Note.id)).one()
    awa.post(f"/constats/{note_id}/modifier", {"text": "Revu", "theme_id": event.themes[0].id})
    awa.post(f"/constats/{note_id}/supprimer")
    seqs_and_html = [(p["seq"], p["html"]) for p in pushes(socket)]
    assert [s for s, _ in seqs_and_html] == [1, 2, 3]
    assert f'id="note-{note_id}"' in seqs_and_html[1][1] and 'hx-swap-oob="true"' in seqs_and_html[1][1]
    assert 'hx-swap-oob="delete"' in seqs_and_html[2][1]


def test_hello_tells_a_reconnecting_tablet_how_far_the_table_is(app, event, tablet):
    awa, bob = tablet(event.tables[0], "Awa"), tablet(event.tables[0], "Bob")
    bob.post_note("un")
    bob.post_note("deux")
    socket = awa.socket()
    [hello] = [m["args"][0] for m in socket.get_received() if m["name"] == "hello"]
    assert hello == {"seq": 2, "event_seq": 0}


def test_presence_on_the_plenary_counts_people_not_first_names(app, event, tablet):
    wall = plenary_socket(app, event)
    wall.get_received()
    awa, other_awa = tablet(event.tables[0], "Awa"), tablet(event.tables[0], "Awa")
    socket = awa.socket()
    [card] = pushes(wall)
    assert "1 présent·e<" in card["html"] and "Awa" not in card["html"]
    other = other_awa.socket()
    [card] = pushes(wall)
    assert "2 présent·e·s" in card["html"]  # two people named Awa are two
    second_tablet = awa.socket()
    [card] = pushes(wall)
    assert "2 présent·e·s" in card["html"]  # one person with two tablets is one
    for s in (socket, other, second_tablet):
        s.disconnect()
    card = pushes(wall)[-1]
    assert "0 présent·e<" in card["html"]
    assert db.session.scalars(db.select(Connection)).all() == []


def test_a_tablet_cannot_follow_another_table(app, event, tablet):
    awa = tablet(event.tables[0])
    spy = socketio.test_client(app, flask_test_client=awa.client,
                               auth={"room": f"table-{event.tables[1].id}"})
    assert not spy.is_connected()
    assert awa.socket().is_connected()  # the same session still follows its own table


def test_a_tablet_cannot_follow_the_event_room(app, event, tablet):
    awa = tablet(event.tables[0])
    spy = socketio.test_client(app, flask_test_client=awa.client,
                               auth={"room": f"event-{event.id}"})
    assert not spy.is_connected()


@pytest.mark.parametrize("auth", [
    None,
    "table-1",
    [],
    {},
    {"room": 5},
    {"room": "table-"},
    {"room": "table-abc"},
    {"room": "lobby-1"},
    {"room": "table-1" + "0" * 5000},
    {"room": "event-1", "token": "not-the-token"},
    {"room": "event-1", "token": "x" * 10_000},
    {"room": "event-999", "token": "anything"},
])
def test_malformed_or_forged_socket_auth_is_refused_and_writes_nothing(app, event, auth):
    client = socketio.test_client(app, auth=auth)
    assert not client.is_connected()
    assert db.session.scalars(db.select(Connection)).all() == []


def test_the_plenary_token_follows_the_event_and_an_organizer_too(app, event, client):
    assert plenary_socket(app, event).is_connected()
    organizer = Organizer(username="orga")
    organizer.set_password("secret-123")
    db.session.add(organizer)
    db.session.commit()
    with client.session_transaction() as session:
        session["organizer_id"] = organizer.id
    console = socketio.test_client(app, flask_test_client=client,
                                   auth={"room": f"event-{event.id}"})
    assert console.is_connected()


def test_the_plenary_token_cannot_write(app, event, client):
    token = event.plenary_token
    page = client.get(f"/pleniere/{token}")
    assert page.status_code == 200
    from .conftest import csrf_token

    csrf = csrf_token(client)
    response = client.post("/constats/", data={"text": "x", "theme_id": event.themes[0].id},
                           headers={"X-CSRFToken": csrf, "HX-Request": "true"})
    assert response.status_code == 401
    assert client.post(f"/pleniere/{token}", headers={"X-CSRFToken": csrf}).status_code == 405


def test_a_write_answers_with_the_sequence_number_of_its_push(app, event, tablet):
    awa = tablet(event.tables[0])
    socket = awa.socket()
    wall = plenary_socket(app, event)
    wall.get_received()
    response = awa.post_note("Numéroté")
    [push] = pushes(socket)
    assert response.headers["X-Tablee-Seq"] == str(push["seq"]) == "1"
    [card] = pushes(wall)
    assert f'id="plenary-table-{event.tables[0].id}" data-seq="1"' in card["html"]
    assert "X-Tablee-Seq" not in awa.get("/table").headers
