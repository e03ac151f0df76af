import html
import re

import pytest

from board import db
from board.models import Axis, Note, Vote

from .conftest import made_in_turns, pushes


def text(response):
    return html.unescape(response.get_data(as_text=True))


def make_axis(who, name="Décrochage scolaire", theme=None):
    theme = theme or who.table.event.themes[0]
    response = who.post("/axes/", {"name": name, "theme_id": theme.id})
    assert response.status_code == 201, text(response)
    return db.session.scalars(db.select(Axis).where(Axis.name == name)).one()


def make_note(who, text):
    assert who.post_note(text).status_code == 201
    return db.session.scalars(db.select(Note).where(Note.text == text)).one()


def move(who, note, axis=None, index=""):
    return who.post(f"/axes/constats/{note.id}/deplacer",
                    {"axis_id": axis.id if axis else "", "index": index})


def column(axis):
    return [n.text for n in db.session.scalars(
        db.select(Note).where(Note.axis_id == axis.id, Note.deleted_at.is_(None))
        .order_by(Note.position, Note.id))]


def test_an_axis_created_at_a_table_is_pushed_to_that_table_only(app, event, tablet):
    t1, t2 = event.tables[0], event.tables[1]
    awa, zoe = tablet(t1, "Awa"), tablet(t2, "Zoé")
    mine, theirs = awa.socket(), zoe.socket()
    mine.get_received(), theirs.get_received()
    make_axis(awa, "Décrochage scolaire")
    [push] = pushes(mine)
    assert push["seq"] == 1
    assert 'id="columns"' in push["html"] and 'hx-swap-oob="true"' in push["html"]
    assert "Décrochage scolaire" in push["html"]
    # One render for the whole room: nobody's CSRF token in it (htmx sends each page's own).
    assert "csrf_token" not in push["html"]
    assert pushes(theirs) == []


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"name": "", "theme_id": "THEME"}, "name", "Ce champ est obligatoire."),
    ({"name": "x" * 121, "theme_id": "THEME"}, "name", "121 caractères. C'est 1 de trop. Au plus 120."),
    ({"name": "Emploi"}, "theme_id", "Faites un choix."),
    ({"name": "Emploi", "theme_id": "999999"}, "theme_id", "Choisissez une des thématiques"),
])
def test_bad_axes_are_refused_beside_the_field_and_keep_the_text(
        app, event, tablet, data, field, message):
    awa = tablet(event.tables[0])
    data = {k: (event.themes[0].id if v == "THEME" else v) for k, v in data.items()}
    response = awa.post("/axes/", data)
    page = text(response)
    assert response.status_code == 422
    assert message in page and f'aria-describedby="axis-{field.replace("_id", "")}-error"' in page
    assert data["name"] in page
    assert db.session.scalars(db.select(Axis)).all() == []
    assert event.tables[0].seq == 0


def test_notes_move_into_axes_keep_their_order_and_come_back_out(app, event, tablet):
    awa = tablet(event.tables[0])
    one, two, three = (make_note(awa, t) for t in ("un", "deux", "trois"))
    axis = make_axis(awa)
    for note in (one, two):
        assert move(awa, note, axis).status_code == 204
    assert column(axis) == ["un", "deux"]
    move(awa, three, axis, index=0)
    assert column(axis) == ["trois", "un", "deux"]
    move(awa, one, axis, index=99)  # past the end: at the end
    assert column(axis) == ["trois", "deux", "un"]
    move(awa, two)
    assert column(axis) == ["trois", "un"] and two.axis_id is None
    region = text(awa.get("/table/tableau", htmx=True))
    unsorted, axes = region.split('class="empty-hint')[0].split('id="axes"')
    assert "deux" in unsorted and "trois" in axes and "deux" not in axes
    assert axes.index("trois") < axes.index(">un<")


def test_sorting_an_axis_does_not_turn_an_edit_into_a_conflict(app, event, tablet):
    """A note's place is not its words: someone editing a note while the table sorts its
    axis (which renumbers every note there) saves their text without a conflict."""
    table = event.tables[0]
    awa, cap = tablet(table, "Awa"), tablet(table, "Cap", captain=True)
    one, two = make_note(awa, "un"), make_note(awa, "deux")
    axis = make_axis(awa)
    move(awa, one, axis)
    opened = awa.get(f"/constats/{one.id}/modifier", htmx=True).get_data(as_text=True)
    version = int(re.search(r'name="version" value="(\d+)"', opened).group(1))
    assert move(cap, two, axis, index=0).status_code == 204  # « un » moves down a place
    assert move(cap, one, axis, index=0).status_code == 204  # and back up
    assert column(axis) == ["un", "deux"]
    saved = awa.post(f"/constats/{one.id}/modifier", {
        "text": "un, en mieux", "theme_id": event.themes[0].id, "version": version})
    assert saved.status_code == 200
    db.session.expire_all()
    assert column(axis) == ["un, en mieux", "deux"]


def test_a_board_full_of_axes_lets_the_process_serve_others_while_it_is_made(
        app, event, tablet, monkeypatch):
    """A reconnecting tablet refetches its whole board: at a table of tens of axes and
    notes it is made in turns, and comes out the same."""
    awa = tablet(event.tables[0])
    notes = [make_note(awa, f"Constat {i}") for i in range(12)]
    for i in range(8):
        axis = make_axis(awa, f"Axe {i}")
        move(awa, notes[i], axis)
    whole, sliced, held, turns = made_in_turns(
        monkeypatch, lambda: awa.get("/table/tableau", htmx=True).get_data(as_text=True))
    assert held == [] and len(turns) >= 8
    assert sliced == whole and whole.count('class="axis ') == 8


def test_two_people_moving_the_same_note_end_in_one_state_everyone_sees(app, event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    note = make_note(awa, "Pas de bus le soir")
    left, right = make_axis(awa, "Transports"), make_axis(awa, "Mobilité")
    sockets = [awa.socket(), bob.socket()]
    for s in sockets:
        s.get_received()
    # Both pick the note up from the same screen; the server applies them one after the other.
    assert move(awa, note, left).status_code == 204
    assert move(bob, note, right).status_code == 204
    assert column(left) == [] and column(right) == ["Pas de bus le soir"]
    for s in sockets:
        first, last = pushes(s)
        assert (first["seq"], last["seq"]) == (4, 5)
        final = last["html"]
        mobility = final.index(f'id="axis-{right.id}"')
        assert final.index(f'id="note-{note.id}"') > mobility
        assert final.count(f'id="note-{note.id}"') == 1


def test_a_note_or_axis_of_another_table_cannot_be_moved_or_targeted(app, event, tablet):
    awa, zoe = tablet(event.tables[0], "Awa"), tablet(event.tables[1], "Zoé")
    note = make_note(awa, "Chez nous")
    their_axis = make_axis(zoe, "Ailleurs")
    assert move(zoe, note, their_axis).status_code == 404
    response = move(awa, note, their_axis)
    assert response.status_code == 422
    assert "Cet axe n'est plus à votre table." in text(response)
    assert response.headers["HX-Retarget"] == "#toasts"
    assert note.axis_id is None and event.tables[0].seq == 1


def test_deleting_a_note_in_an_axis_updates_the_axis_for_everyone(app, event, tablet):
    awa = tablet(event.tables[0])
    note = make_note(awa, "Parti bientôt")
    axis = make_axis(awa)
    move(awa, note, axis)
    socket = awa.socket()
    socket.get_received()
    awa.post(f"/constats/{note.id}/supprimer")
    [push] = pushes(socket)
    assert 'id="columns"' in push["html"] and "0 constat" in push["html"]  # French: zero is singular
    assert "Parti bientôt" not in push["html"]


def test_a_deleted_note_cannot_be_moved(app, event, tablet):
    awa = tablet(event.tables[0])
    note = make_note(awa, "Bientôt parti")
    axis = make_axis(awa)
    awa.post(f"/constats/{note.id}/supprimer")
    response = move(awa, note, axis)
    assert response.status_code == 422 and "supprimé ou fusionné" in text(response)


def test_anyone_renames_and_reorders_axes(app, event, tablet):
    awa = tablet(event.tables[0])
    first, second = make_axis(awa, "Un"), make_axis(awa, "Deux")
    response = awa.post(f"/axes/{first.id}/modifier",
                        {"name": "Premier", "theme_id": event.themes[1].id})
    assert response.status_code == 200 and "Premier" in text(response)
    assert (first.name, first.theme_id) == ("Premier", event.themes[1].id)
    assert awa.post(f"/axes/{second.id}/deplacer", {"index": 0}).status_code == 204
    names = [a.name for a in db.session.scalars(db.select(Axis).order_by(Axis.position))]
    assert names == ["Deux", "Premier"]
    bad = awa.post(f"/axes/{first.id}/modifier", {"name": "", "theme_id": event.themes[1].id})
    assert bad.status_code == 422 and "Ce champ est obligatoire." in text(bad)


def snapshot(notes):
    return [(n.id, n.text, n.theme_id, n.participant_id, n.axis_id, n.position, n.deleted_at,
             n.merged_into_id) for n in notes]


def test_merge_keeps_every_author_and_text_and_undo_restores_exactly(app, event, tablet):
    table = event.tables[0]
    awa, bob = tablet(table, "Awa"), tablet(table, "Bob")
    cap = tablet(table, "Cap", captain=True)
    axis = make_axis(awa)
    first = make_note(awa, "Trop de décrochage au collège")
    second = make_note(bob, "Les élèves décrochent en 4e")
    other = make_note(bob, "Autre chose")
    move(awa, first, axis)
    move(bob, second, axis)
    move(bob, other, axis, index=0)
    before = snapshot([first, second, other])
    socket = awa.socket()
    socket.get_received()

    assert bob.post("/axes/fusion", {"note_ids": [first.id, second.id]}).status_code == 403
    assert cap.post("/axes/fusion", {"note_ids": [first.id, second.id]}).status_code == 204
    merged = db.session.scalars(db.select(Note).where(Note.deleted_at.is_(None),
                                                      Note.sources.any())).one()
    assert [a.name for a in merged.authors] == ["Awa", "Bob"]
    assert (merged.text, merged.axis_id) == ("Trop de décrochage au collège", axis.id)
    assert column(axis) == ["Autre chose", "Trop de décrochage au collège"]
    [push] = pushes(socket)
    assert "Les élèves décrochent en 4e" in push["html"]  # the original texts, on demand
    assert "Awa, Bob" in push["html"]
    # The card's list of notes to link follows: the merged note instead of its originals.
    choices = push["html"][push["html"].index('<div id="card-note-choices" hx-swap-oob="innerHTML">'):]
    assert re.findall(r'id="card-note-(\d+)"', choices) == [str(other.id), str(merged.id)]

    assert cap.post(f"/axes/constats/{merged.id}/defaire-fusion").status_code == 204
    [push] = pushes(socket)
    choices = push["html"][push["html"].index('<div id="card-note-choices" hx-swap-oob="innerHTML">'):]
    assert re.findall(r'id="card-note-(\d+)"', choices) == [str(first.id), str(second.id),
                                                             str(other.id)]
    db.session.expire_all()
    assert snapshot([db.session.get(Note, i) for i in (first.id, second.id, other.id)]) == before
    assert db.session.get(Note, merged.id).deleted_at is not None
    assert column(axis) == ["Autre chose", "Trop de décrochage au collège",
                            "Les élèves décrochent en 4e"]
    assert cap.post(f"/axes/constats/{merged.id}/defaire-fusion").status_code == 422


@pytest.mark.parametrize("ids", ["ONE", "NONE", "OTHER_TABLE", "GARBAGE"])
def test_bad_merges_are_refused_and_change_nothing(app, event, tablet, ids):
    table = event.tables[0]
    cap = tablet(table, "Cap", captain=True)
    zoe = tablet(event.tables[1], "Zoé")
    mine = make_note(cap, "Le mien")
    theirs = make_note(zoe, "Le leur")
    note_ids = {"ONE": [mine.id], "NONE": [], "OTHER_TABLE": [mine.id, theirs.id],
                "GARBAGE": ["abc", mine.id]}[ids]
    seq = table.seq
    response = cap.post("/axes/fusion", {"note_ids": note_ids})
    assert response.status_code == 422
    assert "constats" in text(response) or "Choix inconnu" in text(response)
    assert table.seq == seq
    assert mine.deleted_at is None and theirs.deleted_at is None


def test_deleting_an_axis_unsorts_its_notes_and_undo_puts_them_back(app, event, tablet):
    table = event.tables[0]
    awa, cap = tablet(table, "Awa"), tablet(table, "Cap", captain=True)
    axis = make_axis(awa)
    notes = [make_note(awa, t) for t in ("a", "b", "c")]
    for note in reversed(notes):
        move(awa, note, axis, index=0)
    assert column(axis) == ["a", "b", "c"]
    assert awa.post(f"/axes/{axis.id}/supprimer").status_code == 403
    assert cap.post(f"/axes/{axis.id}/supprimer").status_code == 204
    assert axis.deleted_at is not None and all(n.axis_id is None for n in notes)
    region = text(awa.get("/table/tableau", htmx=True))
    assert f'id="axis-{axis.id}"' not in region and "Axes supprimés" in region
    assert cap.post(f"/axes/{axis.id}/restaurer").status_code == 204
    assert axis.deleted_at is None and column(axis) == ["a", "b", "c"]
    assert cap.post(f"/axes/{axis.id}/restaurer").status_code == 422


# Dot votes

def open_vote(event, **settings):
    event.phase = "axes"
    for key, value in settings.items():
        setattr(event, key, value)
    db.session.commit()


def vote(who, axis):
    return who.post("/axes/gommettes", {"axis_id": axis.id})


def test_dots_are_counted_against_the_budget_and_shown_to_the_voter(app, event, tablet):
    open_vote(event)
    awa = tablet(event.tables[0])
    axis = make_axis(awa)
    response = vote(awa, axis)
    assert response.status_code == 200
    assert "Il vous reste 2 gommettes" in text(response)
    assert db.session.scalars(db.select(Vote)).one().axis_id == axis.id
    back = awa.post("/axes/gommettes/retirer", {"axis_id": axis.id})
    assert "Il vous reste 3 gommettes" in text(back)
    assert db.session.scalars(db.select(Vote)).all() == []


@pytest.mark.parametrize(("case", "message"), [
    ("over_budget", "Vous avez déjà posé vos 3 gommettes"),
    ("double", "Vous avez déjà une gommette sur cet axe"),
    ("forged_table", "Cet axe n'est plus à votre table"),
    ("after_close", "Le vote de votre table est fermé"),
    ("wrong_phase", "Le vote n'est pas ouvert"),
    ("deleted_axis", "Cet axe n'est plus à votre table"),
])
def test_refused_votes_say_why_and_change_nothing(app, event, tablet, case, message):
    open_vote(event, dots_stack=case != "double")
    table = event.tables[0]
    awa, cap = tablet(table, "Awa"), tablet(table, "Cap", captain=True)
    zoe = tablet(event.tables[1], "Zoé")
    axes = [make_axis(awa, name) for name in ("Un", "Deux", "Trois", "Quatre")]
    target = axes[3]
    if case == "over_budget":
        for axis in axes[:3]:
            assert vote(awa, axis).status_code == 200
    elif case == "double":
        assert vote(awa, target).status_code == 200
    elif case == "forged_table":
        target = make_axis(zoe, "Chez Zoé")
    elif case == "after_close":
        assert cap.post("/axes/vote", {"vote_closed": "true"}).status_code == 204
    elif case == "wrong_phase":
        event.phase = "diagnostic"
        db.session.commit()
    elif case == "deleted_axis":
        cap.post(f"/axes/{target.id}/supprimer")
    socket = awa.socket()
    socket.get_received()
    votes_before = [(v.id, v.axis_id) for v in db.session.scalars(db.select(Vote))]
    seq = table.seq

    response = vote(awa, target)

    assert response.status_code == 422
    page = text(response)
    assert message in page and 'id="my-dots"' in page and 'role="alert"' in page
    # Said beside the button that was pressed, and in the toast.
    assert response.headers["HX-Retarget"] == f"#vote-feedback-{target.id}"
    assert 'id="toasts"' in page and 'class="vote-refused"' in page
    assert [(v.id, v.axis_id) for v in db.session.scalars(db.select(Vote))] == votes_before
    db.session.refresh(table)
    assert table.seq == seq
    assert pushes(socket) == []
    # Dots travel over HTTP only: the same vote sent over the socket is not taken either.
    socket.emit("vote", {"axis_id": target.id})
    assert [(v.id, v.axis_id) for v in db.session.scalars(db.select(Vote))] == votes_before
    assert pushes(socket) == []


def test_counts_stay_hidden_until_the_captain_reveals_them_then_sort(app, event, tablet):
    open_vote(event)
    table = event.tables[0]
    awa, cap = tablet(table, "Awa"), tablet(table, "Cap", captain=True)
    make_axis(awa, "Peu")
    high = make_axis(awa, "Beaucoup")
    socket = awa.socket()
    socket.get_received()
    vote(awa, high)
    vote(cap, high)
    [_, push] = pushes(socket)
    assert "gommettes</strong>" not in push["html"] and "2 gommettes" not in push["html"]
    assert awa.post("/axes/trier").status_code == 422  # sorting would give the counts away
    assert awa.post("/axes/vote", {"votes_revealed": "true"}).status_code == 403
    assert cap.post("/axes/vote", {"votes_revealed": "true"}).status_code == 204
    [push] = pushes(socket)
    assert "2 gommettes" in push["html"]
    assert awa.post("/axes/trier").status_code == 204
    assert [a.name for a in db.session.scalars(db.select(Axis).order_by(Axis.position))] == [
        "Beaucoup", "Peu"]


def test_live_counts_show_without_a_reveal(app, event, tablet):
    open_vote(event, votes_live=True)
    awa = tablet(event.tables[0])
    axis = make_axis(awa)
    socket = awa.socket()
    socket.get_received()
    vote(awa, axis)
    [push] = pushes(socket)
    assert "1 gommette" in push["html"]


def test_a_budget_of_one_refuses_the_second_dot(app, event, tablet):
    open_vote(event, dots_per_participant=1)
    awa = tablet(event.tables[0])
    one, two = make_axis(awa, "Un"), make_axis(awa, "Deux")
    assert vote(awa, one).status_code == 200
    response = vote(awa, two)
    assert response.status_code == 422
    assert "Vous avez déjà posé votre gommette." in text(response)


def test_simultaneous_moves_are_applied_one_after_the_other(app, event, tablet):
    """Three tablets send a move at the same moment (threads, one database connection
    each): two move the same note to different axes, one puts another note at the top of
    an axis. All are applied in turn: the note sits in exactly one axis, the places in
    an axis stay distinct, and each change has its own sequence number, so every tablet
    ends on the last one."""
    import threading

    table = event.tables[0]
    awa, bob, cap = tablet(table, "Awa"), tablet(table, "Bob"), tablet(table, "Cap")
    note, other = make_note(awa, "Pas de bus le soir"), make_note(cap, "Trottoirs étroits")
    left, right = make_axis(awa, "Transports"), make_axis(awa, "Mobilité")
    seq = table.seq
    start, answers = threading.Barrier(3), []

    def send(who, what, axis):
        with app.app_context():
            start.wait()
            answers.append(move(who, what, axis, index=0).status_code)
            db.session.remove()

    threads = [threading.Thread(target=send, args=args)
               for args in ((awa, note, left), (bob, note, right), (cap, other, left))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [204, 204, 204]
    db.session.expire_all()
    assert db.session.get(type(table), table.id).seq == seq + 3
    texts = column(left) + column(right)
    assert sorted(texts) == ["Pas de bus le soir", "Trottoirs étroits"]
    positions = [n.position for n in db.session.scalars(db.select(Note).where(
        Note.axis_id == left.id).order_by(Note.position))]
    assert positions == list(range(len(positions)))


def test_a_table_has_at_most_so_many_axes(app, event, tablet):
    app.config["AXES_PER_TABLE"] = 3
    awa, cap = tablet(event.tables[0], "Awa"), tablet(event.tables[0], "Cap", captain=True)
    axes = [make_axis(awa, f"Axe {n}") for n in range(3)]
    refused = awa.post("/axes/", {"name": "Un de trop", "theme_id": event.themes[0].id})
    assert refused.status_code == 422
    page = text(refused)
    assert "Votre table a déjà 3 axes. C'est le maximum." in page
    assert 'value="Un de trop"' in page
    assert db.session.scalar(db.select(db.func.count()).select_from(Axis)) == 3
    # Another table has its own room.
    make_axis(tablet(event.tables[1], "Zoé"), "Ailleurs")
    # A deleted axis makes room; bringing it back past the cap is refused too.
    assert cap.post(f"/axes/{axes[0].id}/supprimer").status_code in (200, 204)
    make_axis(awa, "À sa place")
    back = cap.post(f"/axes/{axes[0].id}/restaurer")
    assert back.status_code == 422 and "C'est le maximum" in text(back)


def test_renaming_or_adding_an_axis_pushes_that_axis_not_every_axis(app, event, tablet):
    awa, bob = tablet(event.tables[0], "Awa"), tablet(event.tables[0], "Bob")
    _first, second = make_axis(awa, "Un"), make_axis(awa, "Deux")
    note = make_note(awa, "Un constat rangé")
    assert move(awa, note, second).status_code in (200, 204)
    socket = bob.socket()
    socket.get_received()
    assert awa.post(f"/axes/{second.id}/modifier",
                    {"name": "Deuxième", "theme_id": event.themes[1].id}).status_code == 200
    [push] = pushes(socket)
    assert 'id="columns"' not in push["html"]
    assert re.findall(r'<section id="(axis-\d+)"', push["html"]) == [f"axis-{second.id}"]
    assert 'hx-swap-oob="true"' in push["html"] and "Deuxième" in push["html"]
    assert "Un constat rangé" in push["html"]  # the axis with its notes
    assert "csrf_token" not in push["html"]
    third = make_axis(awa, "Trois")
    [push] = pushes(socket)
    assert 'id="columns"' not in push["html"]
    assert re.findall(r'<section id="(axis-\d+)"', push["html"]) == [f"axis-{third.id}"]
    assert 'hx-swap-oob="beforeend:#axes"' in push["html"]
    # The axis before it gains its « → »: its header comes along.
    head = re.search(rf'<header id="axis-{second.id}-head".*?</header>', push["html"], re.S)
    assert head and 'hx-swap-oob="true"' in head.group(0) and "→" in head.group(0)
    # What a tablet that refetches sees is the same board.
    board = text(bob.get("/table/tableau", htmx=True))
    assert board.index("Un") < board.index("Deuxième") < board.index("Trois")


def test_a_move_or_a_dot_pushes_the_columns_it_touched_not_every_axis(app, event, tablet):
    """Moves and dots are most of the axes step: a move pushes the column it left and the
    axis it joined, a dot its axis; each as a refetched board would draw it."""
    event.phase = "axes"
    db.session.commit()
    awa, bob = tablet(event.tables[0], "Awa"), tablet(event.tables[0], "Bob")
    first, second, third = make_axis(awa, "Un"), make_axis(awa, "Deux"), make_axis(awa, "Trois")
    note, other = make_note(awa, "Un constat rangé"), make_note(awa, "Un autre, à classer")
    socket = bob.socket()
    socket.get_received()

    def pushed_parts():
        [push] = pushes(socket)
        assert 'id="columns"' not in push["html"]
        parts = re.findall(r'<(?:section|div) id="(axis-\d+|notes)"[^>]*hx-swap-oob="true"',
                           push["html"])
        return parts, html.unescape(push["html"])

    # Out of the unsorted column (most of the table's notes when sorting starts): that
    # note leaves it, first, then its axis is drawn with it.
    assert move(awa, note, second).status_code == 204
    parts, fragment = pushed_parts()
    assert parts == [f"axis-{second.id}"]
    gone = f'<article id="note-{note.id}" hx-swap-oob="delete">'
    assert fragment.index(gone) < fragment.index(f'id="axis-{second.id}"')
    assert "Un autre, à classer" not in fragment
    assert "Un constat rangé" in fragment[fragment.index(f'id="axis-{second.id}"'):]

    assert move(awa, note, third, index=0).status_code == 204
    parts, fragment = pushed_parts()
    assert parts == [f"axis-{second.id}", f"axis-{third.id}"]
    assert "Un constat rangé" in fragment[fragment.index(f'id="axis-{third.id}"'):]

    # Back to the unsorted column: it is drawn whole, with the note in its place.
    assert move(awa, note).status_code == 204
    parts, fragment = pushed_parts()
    assert parts == [f"axis-{third.id}", "notes"]
    unsorted = fragment[fragment.index('id="notes"'):]
    assert "Un autre, à classer" in unsorted and "Un constat rangé" in unsorted
    assert move(awa, note, third).status_code == 204
    pushes(socket)

    assert bob.post("/axes/gommettes", {"axis_id": first.id}).status_code == 200
    parts, _fragment = pushed_parts()
    assert parts == [f"axis-{first.id}"]
    # What a tablet that refetches sees is the same board.
    board = text(bob.get("/table/tableau", htmx=True))
    assert board.index("Trois") < board.index("Un constat rangé")
    assert db.session.scalar(db.select(db.func.count(Vote.id))) == 1
    assert other.axis_id is None
