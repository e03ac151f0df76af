import html

import pytest

from board import db, realtime, services, socketio
from board.models import PriorityAxis, PrioritySource, live_notes

from .conftest import made_in_turns, pushes


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
        assert axis.name in page and f"Table {number}" in page
        assert note.text not in page  # an axis's notes load when it is opened
        notes = console.get(f"{base(event)}/consolidation/axes/{axis.id}")
        assert note.text in html.unescape(notes.get_data(as_text=True))
    hints = page.split("Suggestions : axes proches")[1].split("Regrouper les axes cochés")[0]
    assert "« Décrochage scolaire »" in hints and "« Les décrocheurs de l'école »" in hints
    assert "Emploi des jeunes" not in hints
    assert "Mots en commun" in hints and "décrochage" in hints
    assert "Étape en cours : Diagnostic." in page  # the step's name, not its id
    assert "Actualiser" not in page


def test_axes_are_ranked_by_their_dots_and_priority_axes_add_theirs_up(
        app, event, console, morning):
    from board.models import Participant, Vote

    people = db.session.scalars(db.select(Participant).order_by(Participant.id)).all()
    for axis, dots in ((morning[1][0], 1), (morning[2][0], 2), (morning[3][0], 4)):
        for _ in range(dots):
            db.session.add(Vote(axis_id=axis.id, participant_id=people[0].id))
    db.session.commit()
    page = html.unescape(console.get(f"{base(event)}/consolidation").get_data(as_text=True))
    ranked = page.split('class="ranked-axes"')[1]
    assert ranked.index("Emploi des jeunes") < ranked.index("Les décrocheurs de l'école") \
        < ranked.index("Décrochage scolaire")
    assert "4 gommettes" in ranked
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [morning[1][0].id, morning[2][0].id], "title": "Raccrocher"})
    page = html.unescape(console.get(f"{base(event)}/consolidation").get_data(as_text=True))
    card = page.split('class="priority-card"')[1]
    assert "Raccrocher" in card and "3 gommettes" in card and "Table 1, Table 2" in card


def test_a_priority_axis_is_made_from_scratch_and_renamed(app, event, console, morning):
    wall = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                           "token": event.plenary_token})
    wall.get_received()
    theme = event.themes[1]
    response = post(console, f"{base(event)}/axes-prioritaires/nouveau",
                    {"title": "Bus le soir", "theme_id": theme.id})
    assert response.status_code == 302
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    assert (priority.title, priority.theme_id, priority.sources) == ("Bus le soir", theme.id, [])
    assert "Bus le soir" in pushes(wall)[0]["html"]
    response = post(console, f"{base(event)}/axes-prioritaires/{priority.id}/renommer",
                    {"title": "Des bus le soir et le dimanche"})
    assert response.status_code == 302
    db.session.refresh(priority)
    assert priority.title == "Des bus le soir et le dimanche"
    assert "le dimanche" in pushes(wall)[0]["html"]
    # A table axis then joins it like any other.
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [morning[3][0].id], "priority_axis_id": priority.id})
    assert len(provenance(priority)) == 1


@pytest.mark.parametrize(("path", "data", "form", "message"), [
    ("/axes-prioritaires/nouveau", {"title": " ", "theme_id": "THEME"}, "new-THEME",
     "Ce champ est obligatoire."),
    ("/axes-prioritaires/PRIORITY/renommer", {"title": ""}, "rename-PRIORITY",
     "Ce champ est obligatoire."),
])
def test_a_refused_priority_axis_says_why_beside_its_form(
        app, event, console, morning, path, data, form, message):
    post(console, f"{base(event)}/axes-prioritaires/nouveau",
         {"title": "Déjà là", "theme_id": event.themes[0].id})
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    ids = {"THEME": str(event.themes[0].id), "PRIORITY": str(priority.id)}
    for key, value in ids.items():
        path, form = path.replace(key, value), form.replace(key, value)
        data = {k: v.replace(key, value) for k, v in data.items()}
    response = post(console, f"{base(event)}{path}", data)
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    # The message sits in the form it is about; the region is what htmx swaps.
    assert message in page.split(f'id="{form}"')[1].split("</form>")[0]
    assert [p.title for p in db.session.scalars(db.select(PriorityAxis))] == ["Déjà là"]


def test_the_page_is_told_when_axes_change_and_refetches_its_region(
        app, event, console, tablet, morning):
    page = socketio.test_client(app, flask_test_client=console,
                                auth={"room": f"console-{event.id}"})
    page.get_received()
    cap = tablet(event.tables[0], "Cap", captain=True)
    cap.post("/axes/", {"name": "Crèches", "theme_id": event.themes[0].id})
    assert {"stale": "consolidation"} in [p for p in pushes(page)]
    region = console.get(f"{base(event)}/consolidation/direct", headers={"HX-Request": "true"})
    assert region.get_data(as_text=True).lstrip().startswith('<div id="board"')
    assert "Crèches" in region.get_data(as_text=True)


def test_many_axes_show_the_most_voted_first_and_the_rest_on_demand(app, event, console):
    theme = event.themes[0]
    for i in range(30):
        services.create_axis(event.tables[i % 3], {"name": f"Axe {i:02d}", "theme_id": theme.id})
    page = console.get(f"{base(event)}/consolidation").get_data(as_text=True)
    assert page.count('class="console-axis"') == 25
    assert "Voir les 30 axes" in html.unescape(page)
    page = console.get(f"{base(event)}/consolidation?theme={theme.id}").get_data(as_text=True)
    assert "Axe 29" in page


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


def test_a_renamed_or_undone_priority_axis_reaches_the_cards_that_chose_it(
        app, event, console, morning, tablet):
    """Table 1's captain chose a priority axis on the card. Renamed, every tablet's list
    shows the new title, the captain's choice stays chosen, and the others at table 1 read
    it; undone, table 1's card has no axis any more, for everyone at the table at once,
    within the event's numbered push (no refetch), and on the wall."""
    (a1, _n1), (a2, _n2) = morning[1], morning[2]
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a1.id, a2.id], "title": "Raccrocher les décrocheurs"})
    priority = db.session.scalars(db.select(PriorityAxis)).one()
    captain = tablet(event.tables[0], "Awa", captain=True)
    assert captain.post(f"/tables/{event.tables[0].id}/fiche/priority_axis_id",
                        {"value": priority.id, "version": 0}).status_code == 200
    mate, elsewhere = tablet(event.tables[0], "Bob").socket(), tablet(event.tables[1], "Léa").socket()
    screen = socketio.test_client(app, auth={"room": f"event-{event.id}",
                                             "token": event.plenary_token})
    for socket in (mate, elsewhere, screen):
        socket.get_received()

    post(console, f"{base(event)}/axes-prioritaires/{priority.id}/renommer",
         {"title": "Ne laisser personne décrocher"})
    [ours], [theirs] = pushes(mate), pushes(elsewhere)
    assert ours["event_seq"] == theirs["event_seq"]
    rename = f'<div hx-swap-oob="innerHTML:#card-axis-{priority.id}">Ne laisser personne décrocher</div>'
    assert rename in ours["html"] and rename in theirs["html"]
    field = ours["html"][ours["html"].index('<form id="field-priority_axis_id"'):]
    assert f'value="{priority.id}" selected>Ne laisser personne décrocher' in field
    assert 'class="not-captain-only axis-chosen">Ne laisser personne décrocher' in field
    assert 'id="field-priority_axis_id"' not in theirs["html"]  # table 2 chose nothing
    assert any("Ne laisser personne décrocher" in p["html"] for p in pushes(screen))

    for source in list(priority.sources):
        post(console, f"{base(event)}/axes-prioritaires/{priority.id}/regroupements/"
                      f"{source.gathering}/defaire", {})
    last = pushes(mate)[-1]["html"]
    field = last[last.index('<form id="field-priority_axis_id"'):]
    assert "Ne laisser personne décrocher" not in field
    assert "Le ou la capitaine choisit l'axe." in html.unescape(field)
    assert services.proposal_for(event.tables[0]).priority_axis_id is None


def test_a_gathering_leaves_the_hints_as_computed_and_drops_its_axes_from_them(
        app, event, console, morning, monkeypatch):
    """The organizer gathers every few seconds: the hints are computed over the theme's
    names, which a gathering leaves as they were, so they are not computed again; the
    gathered axes leave them, and a hint left with one table goes."""
    from board.screens import consolidation as screen

    a1, _n1 = morning[1]
    computed = []
    real = screen.similar_groups
    monkeypatch.setattr(screen, "similar_groups",
                        lambda *args, **kwargs: computed.append(1) or real(*args, **kwargs))
    screen._hints.clear()
    page = html.unescape(console.get(f"{base(event)}/consolidation").get_data(as_text=True))
    assert "« Décrochage scolaire »" in page and "« Les décrocheurs de l'école »" in page
    first = len(computed)
    assert first >= 1
    post(console, f"{base(event)}/axes-prioritaires", {
        "axis_ids": [a1.id], "title": "Raccrocher les décrocheurs"})
    page = html.unescape(console.get(f"{base(event)}/consolidation").get_data(as_text=True))
    assert len(computed) == first  # the same names: the same hints, kept
    hints = page[page.index('class="hint-list'):] if 'class="hint-list' in page else ""
    assert "« Les décrocheurs de l'école »" not in hints  # alone now: no hint
    # A new axis name makes a new state of the theme: computed again.
    services.create_axis(event.tables[2], {"name": "Décrocheurs", "theme_id": event.themes[0].id})
    console.get(f"{base(event)}/consolidation")
    assert len(computed) > first


@pytest.mark.parametrize("path", ["/consolidation", "/consolidation/direct"])
def test_the_page_lets_the_process_serve_others_while_it_is_made(
        app, event, console, monkeypatch, path):
    """At 200 tables the page is tens of milliseconds of Python: made in slices, the other
    requests, pushes and pings of the process go on between them, and it comes out the same."""
    for i in range(40):
        services.create_axis(event.tables[i % 3], {"name": f"Axe {i:02d}",
                                                   "theme_id": event.themes[i % 2].id})
    path = f"{base(event)}{path}?theme={event.themes[0].id}"
    console.get(path)  # the hints, computed once (they take turns of their own)
    whole, sliced, held, turns = made_in_turns(
        monkeypatch, lambda: console.get(path).get_data(as_text=True))
    assert held == [] and len(turns) >= 10
    assert sliced == whole
    assert sliced.count('class="console-axis"') == 20 + 20
