import html
import re

import pytest

from bench.wall import fill_day, make_event
from board import db, socketio
from board.models import Axis, Event, Participant, Table

from .conftest import another_greenlet, csrf_token, made_in_turns


def test_password_is_stored_hashed(organizer):
    assert "un mot de passe" not in organizer.password_hash
    assert organizer.check_password("un mot de passe")
    assert not organizer.check_password("autre chose")


def test_wrong_password_is_refused_and_keeps_the_username(client, organizer):
    token = csrf_token(client, "/organisation/connexion")
    response = client.post("/organisation/connexion", data={
        "username": "orga", "password": "faux", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Identifiant ou mot de passe incorrect." in page
    assert 'value="orga"' in page and "faux" not in page
    assert client.get("/organisation/").status_code == 302


def test_console_pages_need_an_organizer(client, event):
    for url in ("/organisation/", "/organisation/evenements/nouveau",
                f"/organisation/evenements/{event.id}", f"/organisation/evenements/{event.id}/qr"):
        response = client.get(url)
        assert response.status_code == 302 and "/organisation/connexion" in response.headers["Location"]


def test_a_participant_cannot_regenerate_codes(app, event, tablet):
    captain = tablet(event.tables[0], captain=True)
    table = event.tables[0]
    old = table.join_code
    response = captain.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes")
    assert response.status_code == 401
    assert table.join_code == old


def test_create_an_event_with_themes_and_tables(console):
    response = console.post("/organisation/evenements/nouveau", data={
        "name": "Hackathon santé", "date": "2026-03-14", "place": "Lille", "table_count": "4",
        "theme-0-name": "Accès aux soins", "theme-0-colour": "#1D70B8",
        "theme-1-name": "Prévention", "theme-1-colour": "#00703c",
        "theme-2-name": "  ", "theme-2-colour": "#000000",
        "csrf_token": console.csrf})
    assert response.status_code == 302
    event = db.session.scalars(db.select(Event)).one()
    assert [(t.name, t.colour) for t in event.themes] == [("Accès aux soins", "#1d70b8"),
                                                          ("Prévention", "#00703c")]
    assert [t.number for t in event.tables] == [1, 2, 3, 4]
    codes = {t.join_code for t in event.tables} | {t.captain_code for t in event.tables}
    assert len(codes) == 8
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    for table in event.tables:
        assert table.join_code in page and table.captain_code in page
    assert event.plenary_token in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Ce champ est obligatoire."),
    ({"table_count": "0"}, "Entre 1 et 500 tables."),
    ({"table_count": "501"}, "Entre 1 et 500 tables."),
    ({"table_count": "vingt"}, "Saisissez un nombre de tables."),
    ({"date": "16 décembre"}, "Saisissez une date"),
    ({"theme-0-name": ""}, "Donnez au moins une thématique"),
    ({"theme-0-colour": "rouge"}, "Choisissez une couleur"),
])
def test_bad_event_is_refused_and_keeps_the_form(console, changes, message):
    data = {"name": "Hackathon", "date": "2026-03-14", "place": "Lille", "table_count": "4",
            "theme-0-name": "Santé", "theme-0-colour": "#1d70b8", "csrf_token": console.csrf}
    data.update(changes)
    response = console.post("/organisation/evenements/nouveau", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Lille"' in page
    assert db.session.scalars(db.select(Event)).all() == []


def test_regenerate_codes(console, event):
    table = event.tables[0]
    old = (table.join_code, table.captain_code)
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            headers={"X-CSRFToken": console.csrf, "HX-Request": "true"})
    assert response.status_code == 200
    assert (table.join_code, table.captain_code) != old
    assert table.join_code in response.get_data(as_text=True)


def test_regenerate_refuses_a_table_of_another_event(console, event):
    from board import services

    other = services.create_event({"name": "Autre", "table_count": 1,
                                   "themes": [{"name": "x", "colour": "#000000"}]})
    table = other.tables[0]
    old = table.join_code
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            headers={"X-CSRFToken": console.csrf})
    assert response.status_code == 404
    assert table.join_code == old


def test_qr_sheet_has_one_svg_qr_code_per_table_pointing_at_its_join_link(console, event):
    page = console.get(f"/organisation/evenements/{event.id}/qr").get_data(as_text=True)
    assert page.count("<svg") == len(event.tables)
    for table in event.tables:
        assert table.join_code in page
        assert table.captain_code not in page  # the captain code is handed over, not printed
    import segno

    # The drawn modules are exactly those of a QR code of the table's join link.
    drawn = re.findall(r'class="qrline"[^>]* d="([^"]+)"', page)
    for table, path in zip(event.tables, drawn, strict=True):
        expected = segno.make(f"http://localhost/j/{table.join_code}", error="m").svg_inline()
        assert f'd="{path}"' in expected


def _link_path(app, organizer):
    from board.organizer import sign_in_link

    with app.test_request_context():
        return re.sub(r"^https?://[^/]+", "", sign_in_link(organizer))


def _use_link(client, path):
    """Open the link's page, then press its button."""
    page = client.get(path)
    if page.status_code != 200:
        return page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))[1]
    return client.post(path, data={"csrf_token": token})


def test_sign_in_link_works_until_it_expires(app, client, organizer):
    path = _link_path(app, organizer)
    app.config["ORGANIZER_LINK_MAX_AGE"] = -1
    expired = _use_link(app.test_client(), path)
    assert expired.status_code == 400
    assert "a expiré ou a déjà servi" in expired.get_data(as_text=True)
    app.config["ORGANIZER_LINK_MAX_AGE"] = 3600
    assert _use_link(client, path).status_code == 302
    assert client.get("/organisation/").status_code == 200


def test_a_sign_in_link_works_once_and_opening_it_spends_nothing(app, client, organizer):
    path = _link_path(app, organizer)
    previewer = app.test_client()
    assert previewer.get(path).status_code == 200  # a link preview: the link still works
    assert previewer.get("/organisation/").status_code == 302  # …and signs nobody in
    assert _use_link(client, path).status_code == 302
    again = _use_link(app.test_client(), path)
    assert again.status_code == 400
    assert "a déjà servi" in again.get_data(as_text=True)
    # Even a copy of the button's form, posted straight away, is refused.
    thief = app.test_client()
    token = csrf_token(thief, "/organisation/connexion")
    assert thief.post(path, data={"csrf_token": token}).status_code == 400
    assert thief.get("/organisation/").status_code == 302


def test_a_new_password_kills_printed_links_and_every_session(app, runner, client, organizer):
    path = _link_path(app, organizer)
    signed_in = app.test_client()
    token = csrf_token(signed_in, "/organisation/connexion")
    assert signed_in.post("/organisation/connexion", data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token}).status_code == 302
    assert signed_in.get("/organisation/").status_code == 200
    result = runner.invoke(args=["organizer", "create", "orga"],
                           env={"TABLEE_ORGANIZER_PASSWORD": "un autre mot de passe"})
    assert result.exit_code == 0, result.output
    assert signed_in.get("/organisation/").status_code == 302  # back to the sign-in page
    assert _use_link(client, path).status_code == 400


def test_signing_out_ends_the_organizers_other_sessions(app, organizer, event):
    phone, laptop = app.test_client(), app.test_client()
    for device in (phone, laptop):
        token = csrf_token(device, "/organisation/connexion")
        assert device.post("/organisation/connexion", data={
            "username": "orga", "password": "un mot de passe",
            "csrf_token": token}).status_code == 302
    # What the laptop's cookie holds now: kept, to replay it after the sign-out.
    stolen = laptop.get_cookie("session").value
    before = socketio.test_client(app, flask_test_client=laptop,
                                  auth={"room": f"console-{event.id}"})
    assert before.is_connected()
    token = csrf_token(phone, "/organisation/evenements/nouveau")
    assert phone.post("/organisation/deconnexion", data={"csrf_token": token}).status_code == 302
    assert phone.get("/organisation/").status_code == 302
    assert laptop.get("/organisation/").status_code == 302
    # The laptop's open console was closed: it no longer receives what the event's consoles
    # are sent (a page hears ``gone`` first and reloads onto the sign-in page).
    assert not before.is_connected()
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/organisation/").status_code == 302
    # A socket opened with the old session is refused too.
    socket = socketio.test_client(app, flask_test_client=replay,
                                  auth={"room": f"console-{event.id}"})
    assert not socket.is_connected()
    # Signing in again works.
    token = csrf_token(laptop, "/organisation/connexion")
    assert laptop.post("/organisation/connexion", data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token}).status_code == 302
    assert laptop.get("/organisation/").status_code == 200


def test_an_unknown_username_costs_a_password_check_like_a_wrong_password(app, client,
                                                                          organizer, monkeypatch):
    """The answer's time must not tell which usernames exist: both paths check one hash
    made like a real one (counted here, not timed)."""
    from board import models

    checked = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash",
                        lambda stored, password: checked.append(stored.split(":")[0])
                        or real(stored, password))
    token = csrf_token(client, "/organisation/connexion")
    for username in ("orga", "personne"):
        response = client.post("/organisation/connexion", data={
            "username": username, "password": "pas le bon", "csrf_token": token})
        assert response.status_code == 422
        assert "Identifiant ou mot de passe incorrect" in response.get_data(as_text=True)
    assert len(checked) == 2
    # The stand-in hash is made the way new passwords are.
    fresh = models.generate_password_hash("x").split(":")[0]
    assert checked[1] == fresh


@pytest.mark.parametrize("username, password, status", [
    ("orga", "un mot de passe", 302), ("orga", "pas le bon", 422), ("personne", "x", 422)])
def test_the_sign_in_lets_the_process_serve_others_during_the_password_check(
        client, organizer, username, password, status):
    """A real hash check is slow on purpose (80 ms): it runs in a thread, and the process's
    other requests, pushes and pings go on meanwhile; the answer is the same."""
    token = csrf_token(client, "/organisation/connexion")
    with another_greenlet() as turns:
        response = client.post("/organisation/connexion", data={
            "username": username, "password": password, "csrf_token": token})
    assert response.status_code == status
    assert turns
    assert (client.get("/organisation/").status_code == 200) == (status == 302)


def test_table_ids_cannot_be_guessed_into_codes(app, event):
    alphabet = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    for table in db.session.scalars(db.select(Table)):
        assert len(table.join_code) == 7 and set(table.join_code) <= alphabet
        assert len(table.captain_code) == 8 and set(table.captain_code) <= alphabet


# ---- Set-up right the first time, and changeable afterwards ------------------------------

def settings_form(event, **changes):
    """The settings form as the page fills it, with `changes` on top."""
    form = {"name": event.name, "date": "", "place": event.place,
            "table_count": str(len(event.tables))}
    for i, theme in enumerate(event.themes):
        form.update({f"theme-{i}-id": str(theme.id), f"theme-{i}-name": theme.name,
                     f"theme-{i}-colour": theme.colour})
    form.update(changes)
    return form


def post_settings(console, event, form):
    return console.post(f"/organisation/evenements/{event.id}/reglages", data=form,
                        headers={"X-CSRFToken": console.csrf})


def test_new_themes_start_with_distinct_colour_blind_safe_colours(console):
    page = console.get("/organisation/evenements/nouveau").get_data(as_text=True)
    colours = re.findall(r'type="color" value="(#[0-9a-f]{6})"', page)
    assert colours[:6] == ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"]
    assert len(set(colours)) == len(colours)


def test_two_themes_of_one_colour_are_refused_with_a_message(console):
    response = console.post("/organisation/evenements/nouveau", data={
        "name": "Jour", "table_count": "3", "theme-0-name": "Emploi", "theme-0-colour": "#0072B2",
        "theme-1-name": "Mobilité", "theme-1-colour": "#0072b2"},
        headers={"X-CSRFToken": console.csrf})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ont la même couleur" in page and 'value="Mobilité"' in page
    assert db.session.scalars(db.select(Event).where(Event.name == "Jour")).all() == []


def test_themes_table_names_and_number_of_tables_change_after_creation(console, event):
    first, second = event.themes[0], event.themes[1]
    page = console.get(f"/organisation/evenements/{event.id}/reglages")
    assert f'value="{first.name}"' in page.get_data(as_text=True)
    response = post_settings(console, event, settings_form(
        event, **{"theme-0-name": "Éducation et jeunesse", "theme-1-colour": "#cc79a7",
                  f"theme-{len(event.themes)}-name": "Culture",
                  f"theme-{len(event.themes)}-colour": "#56b4e9",
                  f"table-{event.tables[0].id}-name": "Table Sarcelles", "table_count": "5"}))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert [t.name for t in event.themes][:1] == ["Éducation et jeunesse"]
    assert event.themes[0].id == first.id and event.themes[1].colour == "#cc79a7"
    assert event.themes[-1].name == "Culture"
    assert [t.label for t in event.tables] == ["Table Sarcelles", "Table 2", "Table 3",
                                              "Table 4", "Table 5"]
    from board import services

    assert len(services.pitch_queue(event)) == 5  # the new tables have their place and card
    assert second.id in [t.id for t in event.themes]


def test_a_change_that_would_lose_work_is_refused_and_says_why(console, event, tablet):
    awa = tablet(event.tables[2], "Awa")
    awa.post_note("Un constat de la table 3")
    response = post_settings(console, event, settings_form(event, table_count="2"))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Impossible de retirer Table 3" in page and 'value="2"' in page
    db.session.expire_all()
    assert len(db.session.get(Event, event.id).tables) == 3
    # A theme with notes stays (the note above is in the first one); an unused one can go.
    form = settings_form(event)
    form["theme-0-name"] = ""
    response = post_settings(console, event, form)
    assert response.status_code == 422 and "a déjà des constats" in response.get_data(
        as_text=True)
    form = settings_form(event)
    form[f"theme-{len(event.themes) - 1}-name"] = ""
    assert post_settings(console, event, form).status_code == 302


def test_empty_tables_can_be_removed(console, event):
    assert post_settings(console, event, settings_form(event, table_count="2")).status_code == 302
    db.session.expire_all()
    assert [t.number for t in db.session.get(Event, event.id).tables] == [1, 2]


@pytest.mark.parametrize(("host", "warned"), [("localhost:5000", True),
                                              ("192.168.1.20:5000", False)])
def test_the_console_and_the_qr_sheet_warn_when_tablets_cannot_reach_the_address(
        console, event, host, warned):
    for path in ("", "/qr"):
        page = console.get(f"/organisation/evenements/{event.id}{path}",
                           environ_overrides={"HTTP_HOST": host}).get_data(as_text=True)
        assert ("TABLEE_HOST=0.0.0.0 make run" in page) is warned


@pytest.mark.parametrize(("host", "unreachable"), [
    ("127.0.0.1:5000", True), ("127.0.1.1", True), ("localhost", True), ("[::1]:5000", True),
    ("192.168.1.20:5000", False), ("tablee.example.org", False), ("[fe80::1]:5000", False)])
def test_addresses_only_this_computer_can_open(host, unreachable):
    from board.organizer import unreachable_host

    assert unreachable_host(host) is unreachable


def _received(socket, name):
    """What the socket heard, even once it was closed."""
    return [m for m in socket.queue if m["name"] == name]


def test_new_codes_unseat_whoever_came_with_the_old_captain_code(app, console, event, tablet):
    table = event.tables[0]
    cap, awa = tablet(table, "Cap", captain=True), tablet(table, "Awa")
    cap_socket, awa_socket = cap.socket(), awa.socket()
    assert cap_socket.is_connected() and awa_socket.is_connected()
    cap_socket.get_received(), awa_socket.get_received()
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            data={"csrf_token": console.csrf}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    # The captain's socket is told and closed; Awa's stays.
    assert _received(cap_socket, "gone") and not cap_socket.is_connected()
    assert awa_socket.is_connected() and not _received(awa_socket, "gone")
    # Over HTTP: the page says why and offers to join again; a write is refused, and sent
    # to that page.
    page = cap.get("/table")
    assert page.status_code == 403
    assert "Vous n'êtes plus à cette table" in html.unescape(page.get_data(as_text=True))
    assert 'action="/rejoindre"' in page.get_data(as_text=True)
    refused = cap.post("/axes/", {"name": "Un axe", "theme_id": event.themes[0].id})
    assert refused.status_code == 403 and refused.headers["HX-Redirect"] == "/"
    assert cap.post_note("Encore moi").status_code == 403
    assert db.session.scalars(db.select(Axis)).all() == []
    # Nor may it come back on a socket.
    again = cap.socket()
    assert not again.is_connected()
    # Awa goes on; the old captain joins again with the new code, as a new seat.
    assert awa.post_note("Toujours là").status_code == 201
    db.session.refresh(table)
    token = csrf_token(cap.client)
    assert cap.client.post("/rejoindre", data={"code": table.captain_code, "name": "Cap",
                                               "csrf_token": token}).status_code == 302
    assert cap.client.get("/table").status_code == 200


def test_new_codes_can_unseat_everyone_at_the_table(app, console, event, tablet):
    table, other = event.tables[0], event.tables[1]
    awa, zoe = tablet(table, "Awa"), tablet(other, "Zoé")
    awa_socket = awa.socket()
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            data={"csrf_token": console.csrf, "everyone": "1"})
    assert response.status_code == 302
    assert not awa_socket.is_connected()
    assert awa.get("/table").status_code == 403
    assert zoe.get("/table").status_code == 200  # another table is untouched


def test_the_console_lists_who_is_seated_and_removes_one(app, console, event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awadé"), tablet(table, "Bobéric")
    awa_socket = awa.socket()
    # The console itself stays light: each table's list is loaded when opened.
    page = console.get(f"/organisation/evenements/{event.id}").get_data(as_text=True)
    assert "Awadé" not in page
    assert f"/organisation/evenements/{event.id}/tables/{table.id}/places" in page
    seats = console.get(f"/organisation/evenements/{event.id}/tables/{table.id}/places",
                        headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Awadé" in seats and "Bobéric" in seats and "connecté·e" in seats
    person = db.session.scalar(db.select(Participant).where(Participant.name == "Awadé"))
    url = (f"/organisation/evenements/{event.id}/tables/{table.id}/places/{person.id}"
           "/retirer")
    assert 'hx-confirm="Retirer Awadé de Table 1' in html.unescape(seats)
    response = console.post(url, data={"csrf_token": console.csrf},
                            headers={"HX-Request": "true"})
    assert response.status_code == 200
    listed = response.get_data(as_text=True)
    assert "Awadé" not in listed and "Bobéric" in listed
    assert not awa_socket.is_connected()
    assert awa.get("/table").status_code == 403
    assert bob.get("/table").status_code == 200
    # A person of another table is not reachable through this table's address.
    zoe = tablet(event.tables[1], "Zoé")
    other = db.session.scalar(db.select(Participant).where(Participant.name == "Zoé"))
    wrong = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/places/"
                         f"{other.id}/retirer", data={"csrf_token": console.csrf})
    assert wrong.status_code == 404
    assert zoe.get("/table").status_code == 200


def test_one_person_opens_only_a_few_sockets(app, event, tablet):
    awa = tablet(event.tables[0], "Awa")
    app.config["SOCKETS_PER_PERSON"] = 3
    sockets = [awa.socket() for _ in range(5)]
    assert [s.is_connected() for s in sockets] == [True, True, True, False, False]
    sockets[0].disconnect()
    assert awa.socket().is_connected()  # a closed one makes room
    # Someone else at the table is not counted with Awa.
    assert tablet(event.tables[0], "Bob").socket().is_connected()


def test_the_plenary_link_can_be_renewed(app, console, event):
    old = event.plenary_token
    wall = socketio.test_client(app, auth={"room": f"event-{event.id}", "token": old})
    desk = socketio.test_client(app, flask_test_client=console,
                                auth={"room": f"console-{event.id}"})
    assert wall.is_connected() and desk.is_connected()
    wall.get_received()
    response = console.post(f"/organisation/evenements/{event.id}/pleniere/jeton",
                            data={"csrf_token": console.csrf})
    assert response.status_code == 302
    db.session.refresh(event)
    assert event.plenary_token != old
    assert _received(wall, "gone") and not wall.is_connected()
    assert desk.is_connected()  # the organizer's console is not a wall
    stale = app.test_client().get(f"/pleniere/{old}")
    assert stale.status_code == 404
    assert "n'est pas (ou plus) valide" in html.unescape(stale.get_data(as_text=True))
    assert not socketio.test_client(app, auth={"room": f"event-{event.id}",
                                               "token": old}).is_connected()
    assert app.test_client().get(f"/pleniere/{event.plenary_token}").status_code == 200
    console_page = console.get(f"/organisation/evenements/{event.id}").get_data(as_text=True)
    assert event.plenary_token in console_page and old not in console_page


def test_a_recoloured_theme_and_a_renamed_table_reach_every_open_page_at_once(
        app, console, event, tablet):
    """Tablets and the wall take the new colours (their stylesheet's link, versioned by the
    colours) and the table's new name within the event's numbered push: no tablet is left
    behind to refetch its board at the next tick, no page waits for a reload."""
    from board import realtime

    from .conftest import pushes

    awa = tablet(event.tables[0]).socket()
    screen = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                             "token": event.plenary_token})
    seq = pushes(awa, "hello")[0]["event_seq"]
    screen.get_received()
    response = post_settings(console, event, settings_form(event, **{
        "theme-1-colour": "#cc79a7", f"table-{event.tables[0].id}-name": "Table Sarcelles"}))
    assert response.status_code == 302
    [push] = pushes(awa)
    assert push["event_seq"] == seq + 1
    link = re.search(r'<link id="themes-css"[^>]*>', push["html"])[0]
    assert "cc79a7" in link and 'hx-swap-oob="true"' in link
    wall = "".join(p["html"] for p in pushes(screen))
    assert link in wall and "Table Sarcelles" in wall
    with app.test_request_context():
        realtime.housekeeping(60)
    [tick] = pushes(awa, "tick")
    assert tick["event_seq"] == push["event_seq"]  # nothing missed: no refetch


def test_the_events_console_lets_the_process_serve_others_while_it_is_made(console,
                                                                            monkeypatch):
    """At 200 tables the rows of codes are tens of milliseconds of Python: made in slices,
    the process's other requests, pushes and pings go on between them, for the same page."""
    event = make_event(30)
    fill_day(event, "drafting")
    path = f"/organisation/evenements/{event.id}"
    whole, sliced, held, turns = made_in_turns(
        monkeypatch, lambda: console.get(path).get_data(as_text=True))
    assert held == [] and len(turns) >= 5
    assert sliced == whole
    assert sliced.count('class="regenerate"') == 30
