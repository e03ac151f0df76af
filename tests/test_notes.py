import gevent
import pytest
from gevent.event import Event as Signal
from sqlalchemy import event as sa_event

from board import db, services
from board.models import Note


def live_notes():
    return db.session.scalars(db.select(Note).where(Note.deleted_at.is_(None))).all()


def test_posting_a_note_saves_it_and_returns_a_fresh_form(app, event, tablet):
    awa = tablet(event.tables[0])
    theme = event.themes[1]
    response = awa.post_note("  Pas assez de bus\r\nle soir  ", theme)
    assert response.status_code == 201
    [note] = live_notes()
    assert (note.text, note.theme_id, note.table_id) == ("Pas assez de bus\nle soir", theme.id,
                                                         event.tables[0].id)
    form = response.get_data(as_text=True)
    assert 'id="note-form"' in form and "Pas assez de bus" not in form
    assert f'value="{theme.id}" required\n             checked' in form  # keeps the theme


def test_the_same_idempotency_key_three_times_makes_one_note(app, event, tablet):
    awa = tablet(event.tables[0])
    for _ in range(3):
        assert awa.post_note("Trop de décrochage", key="k-123").status_code == 201
    assert len(live_notes()) == 1
    assert event.tables[0].seq == 1


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"text": "", "theme_id": "THEME"}, "text", "Ce champ est obligatoire."),
    ({"text": "  \n ", "theme_id": "THEME"}, "text", "Ce champ est obligatoire."),
    ({"text": "x" * 281, "theme_id": "THEME"}, "text", "Ce texte a 281 caractères"),
    ({"text": "Constat", "theme_id": ""}, "theme_id", "Choix inconnu."),
    ({"text": "Constat"}, "theme_id", "Faites un choix."),
    ({"text": "Constat", "theme_id": "abc"}, "theme_id", "Choix inconnu."),
    ({"text": "Constat", "theme_id": "999999"}, "theme_id", "Choisissez une des thématiques"),
    ({"text": "Constat", "theme_id": "OTHER_EVENT"}, "theme_id", "Choisissez une des thématiques"),
])
def test_bad_notes_are_refused_beside_the_field_and_keep_the_text(
        app, event, tablet, data, field, message):
    from board import services

    other = services.create_event({"name": "Autre", "table_count": 1,
                                   "themes": [{"name": "Santé", "colour": "#aa0000"}]})
    data = dict(data)
    if data.get("theme_id") == "THEME":
        data["theme_id"] = event.themes[0].id
    if data.get("theme_id") == "OTHER_EVENT":
        data["theme_id"] = other.themes[0].id
    awa = tablet(event.tables[0])
    response = awa.post("/constats/", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'aria-invalid="true"' in page or 'aria-describedby="note-theme-error"' in page
    if data.get("text", "").strip():
        assert data["text"] in page
    assert live_notes() == []
    assert event.tables[0].seq == 0


def test_note_text_is_shown_as_text_never_as_markup(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note('<script>alert(1)</script><img src=x onerror="alert(2)">')
    page = awa.get("/table").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=" in page


def test_control_and_bidi_characters_are_stripped(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("abc\u202edef\u0000 ghi 👩\u200d👩\u200d👧")
    assert live_notes()[0].text == "abcdef ghi 👩\u200d👩\u200d👧"


def test_author_edits_and_deletes_their_note(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("Premier jet")
    note = live_notes()[0]
    assert awa.get(f"/constats/{note.id}/modifier", htmx=True).status_code == 200
    response = awa.post(f"/constats/{note.id}/modifier",
                        {"text": "Version revue", "theme_id": event.themes[1].id})
    assert response.status_code == 200 and "Version revue" in response.get_data(as_text=True)
    assert (note.text, note.theme_id) == ("Version revue", event.themes[1].id)
    assert awa.post(f"/constats/{note.id}/supprimer").status_code == 200
    assert live_notes() == []
    assert db.session.get(Note, note.id).deleted_at is not None  # kept for undo and export


def test_bad_edit_keeps_the_text_and_changes_nothing(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("Premier jet")
    note = live_notes()[0]
    response = awa.post(f"/constats/{note.id}/modifier",
                        {"text": "y" * 300, "theme_id": event.themes[0].id})
    assert response.status_code == 422
    assert "y" * 300 in response.get_data(as_text=True)
    assert note.text == "Premier jet"


def test_others_at_the_table_cannot_edit_or_delete_but_the_captain_can(app, event, tablet):
    table = event.tables[0]
    awa, bob, cap = tablet(table, "Awa"), tablet(table, "Bob"), tablet(table, "Cap", captain=True)
    awa.post_note("Le constat d'Awa")
    note = live_notes()[0]
    data = {"text": "Réécrit par Bob", "theme_id": event.themes[0].id}
    assert bob.post(f"/constats/{note.id}/modifier", data).status_code == 403
    assert bob.post(f"/constats/{note.id}/supprimer").status_code == 403
    assert bob.get(f"/constats/{note.id}/modifier").status_code == 403
    assert note.text == "Le constat d'Awa"
    data["text"] = "Reformulé par la capitaine"
    assert cap.post(f"/constats/{note.id}/modifier", data).status_code == 200
    assert cap.post(f"/constats/{note.id}/supprimer").status_code == 200
    assert live_notes() == []


def test_another_table_cannot_touch_a_note_even_its_captain(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("Chez nous")
    note = live_notes()[0]
    other_captain = tablet(event.tables[1], "Zoé", captain=True)
    data = {"text": "Piraté", "theme_id": event.themes[0].id}
    assert other_captain.post(f"/constats/{note.id}/modifier", data).status_code == 403
    assert other_captain.post(f"/constats/{note.id}/supprimer").status_code == 403
    assert other_captain.get(f"/constats/{note.id}").status_code == 404
    assert note.text == "Chez nous" and note.deleted_at is None


def test_anonymous_writes_are_refused(app, event, client):
    from .conftest import csrf_token

    token = csrf_token(client)
    response = client.post("/constats/", data={"text": "x", "theme_id": event.themes[0].id},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 401
    assert "Rejoignez d" in response.get_data(as_text=True)
    assert live_notes() == []


def test_without_javascript_a_post_redirects_to_the_board(app, event, tablet):
    awa = tablet(event.tables[0])
    response = awa.post("/constats/", {"text": "Sans JS", "theme_id": event.themes[0].id},
                        htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == "/table"
    assert "Sans JS" in awa.get("/table").get_data(as_text=True)


def test_the_board_region_carries_the_sequence_number(app, event, tablet):
    awa = tablet(event.tables[0])
    awa.post_note("un")
    awa.post_note("deux")
    region = awa.get("/table/tableau", htmx=True).get_data(as_text=True)
    assert 'data-seq="2"' in region
    assert region.index("un") < region.index("deux")


def test_a_post_costs_a_bounded_number_of_queries(app, event, tablet):
    # A fresh request starts with an empty session: count what a tablet's post really costs.
    # One for the person with table, event and themes; the insert; the sequence. The card's
    # list of notes takes the new note as it is; the plenary card is read with the other
    # cards that changed meanwhile (here at once: PLENARY_CARD_DELAY is 0 in the tests):
    # the table, who is here, the notes, the axes, the dots, the card and its linked notes;
    # with them the room's count per theme (the wall's legend in the morning) and which
    # table is on the whole wall, if one is.
    awa = tablet(event.tables[0])
    awa.socket()
    theme = event.themes[0]
    db.session.expunge_all()
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert awa.post_note("Un constat compté", theme, key="k-1").status_code == 201
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    writes = [s for s in statements if not s.startswith("SELECT")]
    assert len(writes) == 2, "\n".join(writes)  # the note, the table's sequence
    assert len(statements) <= 12, "\n".join(statements)


def test_past_capacity_a_write_is_answered_at_once_with_a_message_and_nothing_saved(
        app, event, tablet, monkeypatch):
    """Past WRITES_IN_FLIGHT writes being served at once, the next is refused straight away
    (503, Retry-After, the message in the toasts, the form as typed), not queued; once
    a write finishes, the next one goes through."""
    app.config["WRITES_IN_FLIGHT"] = 1
    awa, bob = tablet(event.tables[0], "Awa"), tablet(event.tables[1], "Bob")
    release, create_note = Signal(), services.create_note

    def stuck_then_saved(*args):  # a write slowed down behind the others
        release.wait()
        return create_note(*args)

    monkeypatch.setattr(services, "create_note", stuck_then_saved)
    first = gevent.spawn(awa.post_note, "La première")
    gevent.sleep(0.05)
    refused = bob.post_note("La seconde")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "2"
    assert refused.headers["HX-Retarget"] == "#toasts"
    assert "Beaucoup de personnes écrivent en même temps" in refused.get_data(as_text=True)
    release.set()
    assert first.get(timeout=10).status_code == 201
    assert bob.post_note("La seconde").status_code == 201
    assert sorted(n.text for n in live_notes()) == ["La première", "La seconde"]
