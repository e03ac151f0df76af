"""No loss, no duplicate: retried creates, concurrent edits, presence across processes,
catch-up ticks, and the names purged after the day. Runs on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest
from sqlalchemy.orm import Session

from board import db, realtime, services, socketio
from board.models import Connection, Event, Note, Participant, utcnow

from .conftest import csrf_token, pushes, signed_in_organizer


def test_the_same_note_key_three_times_makes_one_note_and_one_push(app, event, tablet):
    awa = tablet(event.tables[0])
    socket = awa.socket()
    socket.get_received()
    answers = [awa.post_note("Trop de décrochage", key="cle-unique") for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert db.session.scalars(db.select(Note.text)).all() == ["Trop de décrochage"]
    assert [p["seq"] for p in pushes(socket)] == [1]


def test_a_racing_copy_of_the_same_note_returns_the_first(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("Premier", key="course")
    me = db.session.scalars(db.select(Participant)).one()
    # The copy did not see the first one (it looked before it was committed).
    note, created = services.add_once(
        Note(table=me.table, author=me, theme=event.themes[0], text="Copie",
             idempotency_key="course"), Note, "course", participant_id=me.id)
    assert (created, note.text) == (False, "Premier")
    assert db.session.scalars(db.select(Note.text)).all() == ["Premier"]


def test_a_new_form_after_a_save_carries_a_new_key(app, event, tablet):
    import re

    awa = tablet(event.tables[0])
    page = awa.get("/table").get_data(as_text=True)
    first = re.search(r'name="idempotency_key" value="(\w+)"', page)[1]
    answer = awa.post_note("Un constat", key=first).get_data(as_text=True)
    second = re.search(r'name="idempotency_key" value="(\w+)"', answer)[1]
    assert first != second
    refused = awa.post("/constats/", {"text": "", "theme_id": event.themes[0].id,
                                      "idempotency_key": second}).get_data(as_text=True)
    assert f'name="idempotency_key" value="{second}"' in refused  # a retry keeps its key


def test_a_double_tap_on_join_seats_the_person_once(client, event):
    token = csrf_token(client)
    data = {"code": event.tables[0].join_code, "name": "Awa", "csrf_token": token,
            "idempotency_key": "rejoindre-1"}
    assert [client.post("/rejoindre", data=data).status_code for _ in range(3)] == [302] * 3
    assert db.session.scalars(db.select(Participant.name)).all() == ["Awa"]
    # The same key at another table is another person (the key is only trusted per table).
    data["code"] = event.tables[1].join_code
    client.post("/rejoindre", data=data)
    assert len(db.session.scalars(db.select(Participant)).all()) == 2


def test_a_double_submit_of_a_new_event_makes_one_event(app, client):
    signed_in_organizer(client)
    token = csrf_token(client, "/organisation/evenements/nouveau")
    data = {"name": "Forum", "table_count": "2", "theme-0-name": "Santé",
            "theme-0-colour": "#1d70b8", "csrf_token": token, "idempotency_key": "evt-1"}
    answers = [client.post("/organisation/evenements/nouveau", data=data) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert db.session.scalars(db.select(Event.name)).all() == ["Forum"]


def open_edit(tablet_, note):
    return tablet_.get(f"/constats/{note.id}/modifier", htmx=True).get_data(as_text=True)


def test_a_stale_edit_is_refused_with_both_texts_and_keeps_mine(app, event, tablet):
    table = event.tables[0]
    awa, cap = tablet(table, "Awa"), tablet(table, "Cap", captain=True)
    awa.post_note("Premier jet")
    note = db.session.scalars(db.select(Note)).one()
    assert 'name="version" value="1"' in open_edit(awa, note)
    assert 'name="version" value="1"' in open_edit(cap, note)
    theme = event.themes[0].id
    saved = cap.post(f"/constats/{note.id}/modifier",
                     {"text": "Version de la capitaine", "theme_id": theme, "version": 1})
    assert saved.status_code == 200
    socket = awa.socket()
    socket.get_received()
    late = awa.post(f"/constats/{note.id}/modifier",
                    {"text": "Version d'Awa", "theme_id": theme, "version": 1})
    html = late.get_data(as_text=True)
    assert late.status_code == 409
    # Like the card's conflict: who saved first, both texts, keep mine or take theirs.
    assert "Cap a modifié ce constat pendant que vous écriviez." in html.replace("&#39;", "'")
    assert 'data-version="theirs">Version de la capitaine<' in html
    assert 'data-version="mine">Version d&#39;Awa<' in html
    assert "Garder ma version" in html and "Prendre sa version" in html
    assert "Version d&#39;Awa</textarea>" in html  # mine, kept in the form
    assert 'name="version" value="2"' in html  # saving again now is a deliberate choice
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "Version de la capitaine"
    assert pushes(socket) == []
    again = awa.post(f"/constats/{note.id}/modifier",
                     {"text": "Version d'Awa", "theme_id": theme, "version": 2})
    assert again.status_code == 200
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "Version d'Awa"


def test_two_saves_racing_on_the_database_cannot_both_win(app, event, tablet):
    """The version is checked by the UPDATE itself, not only by the form."""
    awa = tablet(event.tables[0])
    awa.post_note("Premier jet")
    note = db.session.scalars(db.select(Note)).one()
    with Session(db.engine) as other:
        theirs = other.get(Note, note.id)
        theirs.text = "L'autre a gagné"
        other.commit()
    # This session still holds version 1 and the form says 1: only the UPDATE can tell.
    with pytest.raises(services.StaleEdit) as stale:
        services.update_note(note, {"text": "Perdu", "theme_id": note.theme_id, "version": 1})
    assert stale.value.current.text == "L'autre a gagné"
    db.session.expire_all()
    assert db.session.get(Note, note.id).text == "L'autre a gagné"
    assert db.session.get(Note, note.id).version == 2


def test_a_delete_wins_over_a_concurrent_edit(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("Premier jet")
    note = db.session.scalars(db.select(Note)).one()
    with Session(db.engine) as other:
        other.get(Note, note.id).text = "Modifié ailleurs"
        other.commit()
    services.delete_note(note)
    db.session.expire_all()
    assert db.session.get(Note, note.id).deleted_at is not None


def test_presence_rows_carry_their_process_and_a_dead_process_is_swept(app, event, tablet):
    awa = tablet(event.tables[0], "Awa")
    socket = awa.socket()
    assert socket.is_connected()
    [row] = db.session.scalars(db.select(Connection)).all()
    assert row.server_id == realtime.server_id()
    # A crashed process left a row behind: nobody vouches for it any more.
    bob = Participant(table=event.tables[0], name="Bob")
    db.session.add(bob)
    db.session.flush()
    db.session.add(Connection(sid="ghost", participant_id=bob.id, table_id=event.tables[0].id,
                              server_id="dead", seen_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    wall = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})
    wall.get_received()
    with app.test_request_context():
        realtime.housekeeping(presence_timeout=60)
    assert db.session.scalars(db.select(Connection.sid)).all() == [row.sid]
    cards = [p["html"] for p in pushes(wall)]
    # One person here: Awa, not the ghost of Bob.
    assert any(">1 présent·e<" in c for c in cards)
    assert not any("présent·e·s<" in c for c in cards)


def test_housekeeping_keeps_live_rows_fresh(app, event, tablet):
    awa = tablet(event.tables[0], "Awa")
    awa.socket()
    old = utcnow() - timedelta(minutes=10)
    db.session.execute(db.update(Connection).values(seen_at=old))
    db.session.commit()
    with app.test_request_context():
        realtime.housekeeping(presence_timeout=60)
    db.session.expire_all()
    [row] = db.session.scalars(db.select(Connection)).all()
    assert row.seen_at > old


def test_ticks_tell_each_room_its_numbers_and_nothing_else(app, event, tablet):
    t1, t2 = event.tables[0], event.tables[1]
    awa, zoe = tablet(t1, "Awa"), tablet(t2, "Zoé")
    awa.post_note("un")
    awa.post_note("deux")
    s1, s2 = awa.socket(), zoe.socket()
    wall = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})
    for s in (s1, s2, wall):
        s.get_received()
    with app.test_request_context():
        realtime.housekeeping(presence_timeout=60)
    assert pushes(s1, "tick") == [{"seq": 2, "event_seq": 0}]
    assert pushes(s2, "tick") == [{"seq": 0, "event_seq": 0}]
    [wall_tick] = pushes(wall, "tick")
    page = app.test_client().get(f"/pleniere/{event.plenary_token}/mur").get_data(as_text=True)
    assert f'data-wall="{wall_tick["wall"]}"' in page
    awa.post_note("trois")
    with app.test_request_context():
        realtime.housekeeping(presence_timeout=60)
    [later] = pushes(wall, "tick")
    assert later["wall"] != wall_tick["wall"]


def test_the_round_lets_others_run_between_its_steps_and_every_few_rooms(
        app, tablet, monkeypatch):
    """With a thousand sockets a round is tens of milliseconds: it gives the loop back
    between its steps and every TICKS_AT_ONCE table rooms, and still ticks every room."""
    from bench.wall import make_event

    event = make_event(realtime.TICKS_AT_ONCE * 2 + 5)
    sockets = [tablet(table, "Awa").socket() for table in event.tables]
    for socket in sockets:
        socket.get_received()
    moments = []
    ticked = []
    real_emit = socketio.emit

    def emit(name, data, **kwargs):
        if name == "tick":
            ticked.append(kwargs["to"])
        return real_emit(name, data, **kwargs)

    monkeypatch.setattr(socketio, "emit", emit)
    monkeypatch.setattr(socketio, "sleep", lambda seconds: moments.append(len(ticked)))
    with app.test_request_context():
        realtime.housekeeping(presence_timeout=60)
    assert all(pushes(s, "tick") for s in sockets)
    table_ticks = [m for m in moments if m > 0]
    assert table_ticks == [realtime.TICKS_AT_ONCE, realtime.TICKS_AT_ONCE * 2]
    assert moments[0] == 0  # before the ticks: after the rows were refreshed


def test_purge_names_keeps_the_work_and_numbers_the_authors(app, event, tablet, runner):
    event.date = date.today() - timedelta(days=1)
    db.session.commit()
    awa, bob = tablet(event.tables[0], "Awa"), tablet(event.tables[1], "Bob")
    awa.post_note("Le constat d'Awa")
    bob.post_note("Le constat de Bob")
    other = services.create_event({"name": "Autre", "table_count": 1,
                                   "themes": [{"name": "Santé", "colour": "#aa0000"}]})
    carl = tablet(other.tables[0], "Carl")
    result = runner.invoke(args=["event", "purge-names", str(event.id)])
    assert result.exit_code == 0, result.output
    assert "2 prénom(s) effacé(s)" in result.output
    db.session.expire_all()
    names = db.session.scalars(db.select(Participant.name).order_by(Participant.id)).all()
    assert names == ["Participant·e 1", "Participant·e 2", "Carl"]
    assert len(db.session.scalars(db.select(Note)).all()) == 2
    board = awa.get("/table").get_data(as_text=True)
    assert "Le constat d&#39;Awa" in board and "Participant·e 1" in board and ">Awa<" not in board
    assert carl.get("/table").status_code == 200
    again = runner.invoke(args=["event", "purge-names", str(event.id)])
    assert "0 prénom(s)" in again.output


@pytest.mark.parametrize("day", [None, 0, 1])
def test_purge_names_waits_for_the_day_to_be_over_unless_forced(app, event, tablet, runner, day):
    event.date = None if day is None else date.today() + timedelta(days=day)
    db.session.commit()
    tablet(event.tables[0], "Awa")
    refused = runner.invoke(args=["event", "purge-names", str(event.id)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert db.session.scalars(db.select(Participant.name)).all() == ["Awa"]
    forced = runner.invoke(args=["event", "purge-names", str(event.id), "--force"])
    assert forced.exit_code == 0
    db.session.expire_all()
    assert db.session.scalars(db.select(Participant.name)).all() == ["Participant·e 1"]


def test_purge_names_of_an_unknown_event_says_so(app, runner):
    result = runner.invoke(args=["event", "purge-names", "999"])
    assert result.exit_code != 0 and "Aucun événement" in result.output


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(app, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_the_purge_reaches_every_place_a_first_name_is_kept(app, event, tablet, runner, console):
    """After the purge, no text column of any table holds a purged first name: the people,
    the card's history (who wrote each version), anything a later change might add."""
    from sqlalchemy import JSON, String, Text

    names = ("Zébulonne", "Barnabéric", "Capucinette")
    table = event.tables[0]
    zeb, bar = tablet(table, names[0]), tablet(table, names[1])
    cap = tablet(table, names[2], captain=True)
    url = f"/tables/{table.id}/fiche/need"
    assert zeb.post(url, {"value": "Des bus le soir", "version": 0}).status_code == 200
    assert bar.post(url, {"value": "Un local ouvert", "version": 1}).status_code == 200
    assert cap.post(url + "/historique/1").status_code == 200  # a captain's restore
    zeb.post_note("Le soir, plus rien ne passe")
    zeb.socket().emit("presence", {"field": "need"})
    history = cap.get(url + "/historique", htmx=True).get_data(as_text=True)
    assert names[0] in history and names[2] in history  # the history shows who, until…
    result = runner.invoke(args=["event", "purge-names", str(event.id), "--force"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    found = []
    for db_table in db.metadata.sorted_tables:
        columns = [c for c in db_table.columns if isinstance(c.type, String | Text | JSON)]
        if not columns:
            continue
        for row in db.session.execute(db.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if any(name in str(value) for name in names):
                    found.append((db_table.name, column.name, value))
    assert found == []
    # …and now it shows numbers: the work and its order stay.
    history = cap.get(url + "/historique", htmx=True).get_data(as_text=True)
    assert "Participant·e 1" in history and "Participant·e 3" in history
    assert not any(name in history for name in names)
    exported = console.get(f"/organisation/evenements/{event.id}/export.json")
    assert exported.status_code == 200
    assert "Participant·e 2" in exported.get_data(as_text=True)
    assert not any(name in exported.get_data(as_text=True) for name in names)
