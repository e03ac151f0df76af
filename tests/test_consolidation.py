import html

import pytest

from board import db, realtime, services, socketio
from board.models import PriorityAxis, PrioritySource, live_notes

from .conftest import pushes


def base(event):
    return f"/organisation/evenements/{event.id}"


def post(console, url, data):
    return console.post(url, data=data, headers={"X-CSRFToken": console.csrf})


@pytest.fixture
def morning(event, tablet):
    """Three tables, each with an axis holding a note; table 3's is about jobs."""
    made = {}
    for table, (name, text) in zip(event.tables, [
            ("Décrochage scolaire", "Trop d'élèves décrochent en 4e"),
            ("Les décrocheurs de l'école", "Des décrocheurs sans solution"),
            ("Emploi des jeunes", "Pas de stage pour les jeunes")], strict=True):
        who = tablet(table, f"Capitaine {table.number}", captain=True)
        who.post_note(text)
        who.post("/axes/", {"name": name, "theme_id": event.themes[0].id})
        axis = db.session.scalars(services.live_axes(table.id)).one()
        note = db.session.scalars(live_notes(table.id)).one()
        who.post(f"/axes/constats/{note.id}/deplacer", {"axis_id": axis.id})
        made[table.number] = (axis, note)
    return made


def provenance(priority):
    db.session.expire_all()
    priority = db.session.get(PriorityAxis, priority.id)
    return sorted((s.axis.table.number, s.axis.name, tuple(s.note_ids)) for s in priority.sources)


def test_the_console_shows_every_table_axis_by_theme_with_hints(app, event, console, morning):
    page = html.unescape(console.get(f"{base(event)}/consolidation").get_data(as_text=True))
    for number, (axis, note) in morning.items():
        assert axis.name in page and note.text in page and f"Table {number}" in page
    hints = page.split("Suggestions : axes proches")[1].split("Regrouper les axes cochés")[0]
    assert "« Décrochage scolaire »" in hints and "« Les décrocheurs de l'école »" in hints
    assert "Emploi des jeunes" not in hints
    assert "Mots en commun" in hints and "décrochage" in hints


def test_gather_undo_and_split_keep_the_provenance(app, event, console, morning):
    (a1, n1), (a2, n2), (a3, _n3) = morning[1], morning[2], morning[3]
    wall = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})
    wall.get_received()

    response = post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a1.id, a2.id], "title": "Raccrocher les décrocheurs",
        "theme_id": event.themes[0].id})
    assert response.status_code == 302
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    assert provenance(priority) == [(1, "Décrochage scolaire", (n1.id,)),
                                    (2, "Les décrocheurs de l'école", (n2.id,))]
    [push] = pushes(wall)
    assert 'id="priority-axes"' in push["html"] and "Raccrocher les décrocheurs" in push["html"]
    assert "Table 1, Table 2" in push["html"]

    # A second gathering into the same priority axis, then undone: the first stays whole.
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a3.id], "priority_axis_id": priority.id})
    assert len(provenance(priority)) == 3
    third = db.session.scalars(db.select(PrioritySource).where(
        PrioritySource.axis_id == a3.id)).one()
    response = post(console, f"{base(event)}/axes-prioritaires/{priority.id}/regroupements/"
                             f"{third.gathering}/defaire", {})
    assert response.status_code == 302
    assert provenance(priority) == [(1, "Décrochage scolaire", (n1.id,)),
                                    (2, "Les décrocheurs de l'école", (n2.id,))]

    # Split table 2's axis off into its own priority axis: its notes go with it.
    source2 = db.session.scalars(db.select(PrioritySource).where(
        PrioritySource.axis_id == a2.id)).one()
    response = post(console, f"{base(event)}/axes-prioritaires/{priority.id}/scinder", {
        "source_ids": [source2.id], "title": "Les décrocheurs"})
    assert response.status_code == 302
    new = db.session.scalars(db.select(PriorityAxis).where(
        PriorityAxis.title == "Les décrocheurs")).one()
    assert provenance(priority) == [(1, "Décrochage scolaire", (n1.id,))]
    assert provenance(new) == [(2, "Les décrocheurs de l'école", (n2.id,))]
    assert new.theme_id == priority.theme_id

    # Undoing the first gathering removes the priority axis it created, and only it.
    first = db.session.scalars(db.select(PrioritySource).where(
        PrioritySource.axis_id == a1.id)).one()
    post(console, f"{base(event)}/axes-prioritaires/{priority.id}/regroupements/"
                  f"{first.gathering}/defaire", {})
    assert [p.title for p in db.session.scalars(db.select(PriorityAxis))] == ["Les décrocheurs"]
    wall_page = console.get(f"/pleniere/{event.plenary_token}").get_data(as_text=True)
    assert "Les décrocheurs" in wall_page and "Raccrocher" not in wall_page


@pytest.mark.parametrize(("data", "message"), [
    ({"axis_ids": [], "title": "X"}, "Cochez au moins un axe de table à regrouper."),
    ({"axis_ids": ["AXIS1"], "title": ""}, "Donnez un titre à l'axe prioritaire."),
    ({"axis_ids": ["999999"], "title": "X"}, "Cochez des axes de tables de cet événement."),
    ({"axis_ids": ["GATHERED"], "title": "X"}, "est déjà dans l'axe prioritaire « Déjà là »"),
])
def test_bad_gatherings_are_refused_with_a_message_and_change_nothing(
        app, event, console, morning, data, message):
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [morning[3][0].id], "title": "Déjà là"})
    ids = {"AXIS1": morning[1][0].id, "GATHERED": morning[3][0].id}
    data = {**data, "axis_ids": [ids.get(i, i) for i in data["axis_ids"]],
            "form": f"gather-{event.themes[0].id}"}
    seq = event.seq
    response = post(console, f"{base(event)}/axes-prioritaires", data)
    assert response.status_code == 422
    assert message in html.unescape(response.get_data(as_text=True))
    assert [p.title for p in db.session.scalars(db.select(PriorityAxis))] == ["Déjà là"]
    db.session.refresh(event)
    assert event.seq == seq


def test_a_split_must_leave_something_behind(app, event, console, morning):
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [morning[1][0].id, morning[2][0].id], "title": "Ensemble"})
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    everything = [s.id for s in priority.sources]
    response = post(console, f"{base(event)}/axes-prioritaires/{priority.id}/scinder", {
        "source_ids": everything, "title": "Tout"})
    assert response.status_code == 422
    assert "pas tous" in response.get_data(as_text=True)
    assert len(provenance(priority)) == 2


def test_the_console_and_its_writes_are_for_organizers_only(app, event, client, tablet, morning):
    cap = tablet(event.tables[0], "Cap", captain=True)
    assert client.get(f"{base(event)}/consolidation").status_code == 302
    response = cap.post(f"{base(event)}/axes-prioritaires", {
        "axis_ids": [morning[1][0].id], "title": "Piraté"})
    assert response.status_code == 401
    assert cap.post(f"{base(event)}/gommettes", {"dots_per_participant": 10}).status_code == 401
    assert db.session.scalars(db.select(PriorityAxis)).all() == []


def test_the_organizer_sets_the_dots_and_tablets_refetch_their_own(app, event, console, tablet):
    awa = tablet(event.tables[0])
    socket = awa.socket()
    socket.get_received()
    response = post(console, f"{base(event)}/gommettes",
                    {"dots_per_participant": "5", "votes_live": "true"})
    assert response.status_code == 302
    db.session.refresh(event)
    assert (event.dots_per_participant, event.dots_stack, event.votes_live) == (5, False, True)
    [push] = pushes(socket)
    assert push["event_seq"] == event.seq
    assert 'id="my-dots"' in push["html"] and 'hx-trigger="load"' in push["html"]
    event.phase = "axes"
    db.session.commit()
    assert "Il vous reste 5 gommettes" in awa.get("/axes/gommettes").get_data(as_text=True)


@pytest.mark.parametrize("value", ["0", "21", "abc", ""])
def test_bad_dot_settings_are_refused_beside_the_field(app, event, console, value):
    response = post(console, f"{base(event)}/gommettes", {"dots_per_participant": value})
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'aria-describedby="dots-error"' in page
    assert "gommettes" in page.split('id="dots-error"')[1][:120].lower()
    db.session.refresh(event)
    assert event.dots_per_participant == 3


def test_priority_axes_reach_every_tablet_with_the_events_number_so_none_refetches(
        app, event, console, morning, tablet):
    """A gathering changes what the captains can choose on their cards: every table gets it
    pushed, numbered, and a tablet that follows the numbers as the page does (static/js/
    tablee.js) never finds itself behind, at a push or at the next tick."""
    (a1, _n1), (a2, _n2), (a3, _n3) = morning[1], morning[2], morning[3]
    quiet = event.tables[2]  # its axis is not gathered: it hears of them all the same
    sockets = [tablet(table, "Zoé", captain=True).socket() for table in (event.tables[0], quiet)]
    last = [pushes(s, "hello")[0]["event_seq"] for s in sockets]

    def heard():
        """Each tablet's pushes, checked in order as the page does; their fragments."""
        fragments = []
        for i, socket in enumerate(sockets):
            for push in pushes(socket):
                if "event_seq" in push:
                    assert push["event_seq"] == last[i] + 1  # never a gap: no refetch
                    last[i] = push["event_seq"]
                    fragments.append(push["html"])
        return fragments

    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a1.id, a2.id], "title": "Raccrocher les décrocheurs"})
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    option = f'<option id="card-axis-{priority.id}" value="{priority.id}">Raccrocher les décrocheurs'
    fragments = heard()
    assert len(fragments) == 2 and all(option in f and 'hx-swap-oob="beforeend:#card-priority_axis_id"'
                                       in f for f in fragments)
    # The same option as a board rendered now: the push leaves the page as a refetch would.
    board = tablet(quiet, "Léa", captain=True).get("/table/tableau", htmx=True)
    assert option in board.get_data(as_text=True)

    # Into the same priority axis: nothing to show, the number all the same.
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a3.id], "priority_axis_id": priority.id})
    assert heard() == ["", ""]

    # Undone whole: the option goes.
    for source in list(priority.sources):
        post(console, f"{base(event)}/axes-prioritaires/{priority.id}/regroupements/"
                      f"{source.gathering}/defaire", {})
    fragments = heard()
    assert f'<option id="card-axis-{priority.id}" hx-swap-oob="delete">' in fragments[-1]

    with app.test_request_context():
        realtime.housekeeping(60)
    for i, socket in enumerate(sockets):
        [tick] = pushes(socket, "tick")
        assert tick["event_seq"] == last[i] == db.session.get(type(event), event.id).seq
