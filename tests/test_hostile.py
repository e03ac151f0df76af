"""Hostile input, over HTTP and the socket: refused with a message, or stored and shown
inert; never a 500, never markup that runs, nothing else changed.

TEXT_FIELDS lists every text a person can type, one line each: the role that types it,
the endpoint, the field, and the rest of a valid form (built from the World of conftest;
a key of the rest that is a variable of the endpoint's URL, such as a card's `field`, goes
in the URL instead).
"""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from board import db, fields, schemas, socketio
from board.models import Connection, Note, Participant, Table

from .conftest import ROLES

HOSTILE = [
    "<script>document.title='pwned'</script>",
    '<img src=x onerror="document.title=\'pwned\'">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "{{ 7 * 7 }} {% raw %}",
    "'; DROP TABLE note; --",
    "Robert'); DELETE FROM participant WHERE ('1'='1",
    "\u202eevil\u202c reversed \u2066isolated\u2069",
    "nul\u0000 bell\u0007 escape\u001b[31m",
    "zero\u200bwidth\ufeff",
    "مرحبا بالجميع",
    "👩‍👩‍👧 🔥 ✨ 🇫🇷",
    "x" * 10_000,
    "é" * 300,
    "   ",
    "line\r\nbreak\rmac",
    "%00%27%22",
    "../../../etc/passwd",
    "Ｆｕｌｌｗｉｄｔｈ",
]

# (role, endpoint, field, the rest of a valid form for that role)
TEXT_FIELDS = [
    ("participant_t1", "notes.create", "text", lambda w: {"theme_id": w.event.themes[0].id}),
    ("participant_t1", "notes.update", "text",
     lambda w: {"theme_id": w.event.themes[0].id, "version": w.note_t1.version}),
    ("participant_t1", "proposals.update", "value", lambda w: {"version": "1"}),
    ("participant_t1", "proposals.update", "value", lambda w: {"field": "need", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "objective", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "neighbourhood", "version": "0"}),
    ("participant_t1", "proposals.update", "value", lambda w: {"field": "city", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "department", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "budget_amount", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "budget_purpose", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "partners", "version": "0"}),
    ("participant_t1", "proposals.update", "value", lambda w: {"field": "skills", "version": "0"}),
    ("participant_t1", "proposals.update", "value",
     lambda w: {"field": "summary", "version": "0"}),
    ("participant_t1", "axes.create", "name", lambda w: {"theme_id": w.event.themes[0].id}),
    ("participant_t1", "axes.update", "name", lambda w: {"theme_id": w.event.themes[0].id}),
    ("organizer", "consolidation.gather", "title",
     lambda w: {"axis_ids": [w.new_axis()], "form": f"gather-{w.event.themes[0].id}"}),
    ("organizer", "consolidation.split", "title",
     lambda w: {"source_ids": [w.priority.sources[0].id]}),
    ("organizer", "day.set_phase_step", "instruction", lambda w: {"minutes": ""}),
    ("organizer", "day.decide", "comment", lambda w: {"verdict": "to_study"}),
    ("organizer", "day.reopen_selection", "reason", lambda w: w.closed()),
    ("organizer", "day.set_sponsor", "name", lambda w: {**w.prototype(), "team": "Voirie"}),
    ("organizer", "day.set_sponsor", "team", lambda w: {**w.prototype(), "name": "Awa"}),
    ("organizer", "day.set_sponsor", "contact",
     lambda w: {**w.prototype(), "name": "Awa", "team": "Voirie"}),
    ("organizer", "day.add_follow_up", "text",
     lambda w: {**w.prototype(), "noted_on": "2017-12-16", "status": "experimenting"}),
    ("anonymous", "tables.join", "name", lambda w: {"code": w.t1.join_code}),
    ("anonymous", "tables.join", "code", lambda w: {"name": "Awa"}),
    ("anonymous", "organizer.login", "username", lambda w: {"password": "x"}),
    ("anonymous", "organizer.login", "password", lambda w: {"username": "x"}),
    ("organizer", "organizer.create", "name",
     lambda w: {"table_count": "1", "theme-0-name": "Santé", "theme-0-colour": "#1d70b8"}),
    ("organizer", "organizer.create", "place",
     lambda w: {"name": "Forum", "table_count": "1", "theme-0-name": "Santé",
                "theme-0-colour": "#1d70b8"}),
    ("organizer", "organizer.create", "theme-0-name",
     lambda w: {"name": "Forum", "table_count": "1", "theme-0-colour": "#1d70b8"}),
    ("organizer", "organizer.create", "theme-0-colour",
     lambda w: {"name": "Forum", "table_count": "1", "theme-0-name": "Santé"}),
    ("organizer", "organizer.create", "table_count",
     lambda w: {"name": "Forum", "theme-0-name": "Santé", "theme-0-colour": "#1d70b8"}),
    ("organizer", "organizer.create", "date",
     lambda w: {"name": "Forum", "table_count": "1", "theme-0-name": "Santé",
                "theme-0-colour": "#1d70b8"}),
]

# What a page must never contain after hostile input: live markup or invisible controls.
# (A refused form gives the person back exactly what they typed, controls included, inside
# its own field: MARKUP is checked there, LIVE on every page that others read.)
MARKUP = re.compile(r"<script>document|<img src=x|<svg onload")
LIVE = re.compile(MARKUP.pattern + r"|[\u0000-\u0008\u000b\u000e-\u001f\u202a-\u202e\u2066-\u2069]")

FORGED_IDS = ["0", "-1", "abc", "1e9", "9" * 30, "2147483648", "1; DROP TABLE note", "", "1.5"]


def pages_seen(w):
    """Every page a role reads: the tablets, the captain's, the wall, the consoles, the
    report."""
    return [w.clients["participant_t1"].get("/table"),
            w.clients["captain_t1"].get("/table/tableau", headers={"HX-Request": "true"}),
            w.clients["plenary"].get(f"/pleniere/{w.event.plenary_token}"),
            w.clients["organizer"].get("/organisation/"),
            w.clients["organizer"].get(f"/organisation/evenements/{w.event.id}"),
            *(w.clients["organizer"].get(f"/organisation/evenements/{w.event.id}/{page}")
              for page in ("consolidation", "regie", "selection", "suivi", "rapport"))]


def untouched(w):
    """What hostile input at table 1 must leave alone: table 2 and its note."""
    db.session.expire_all()
    return (db.session.execute(db.select(Note.text, Note.deleted_at)
                               .where(Note.table_id == w.t2.id)).all(),
            db.session.get(Table, w.t2.id).seq,
            db.session.scalars(db.select(Participant.name).where(
                Participant.table_id == w.t2.id)).all())


@pytest.mark.parametrize(("role", "endpoint", "field", "rest"), TEXT_FIELDS,
                         ids=[f"{e}-{f}" for _r, e, f, _d in TEXT_FIELDS])
def test_hostile_text_is_refused_or_stored_inert(app, world, role, endpoint, field, rest):
    from flask import url_for

    w = world()
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint][:1]
    before = untouched(w)
    for value in HOSTILE:
        form = rest(w)
        in_url = {k: form.pop(k) for k in list(form) if k in rule.arguments}
        with app.test_request_context():
            url = url_for(endpoint, **{**w.url_args(role, rule), **in_url})
        data = {**form, field: value, "csrf_token": w.csrf(role)}
        if endpoint == "notes.update":
            data["version"] = db.session.get(Note, w.note_t1.id).version
        response = w.clients[role].post(url, data=data, headers={"HX-Request": "true"})
        assert response.status_code in (200, 201, 302, 409, 422), (value[:40], response.status_code)
        body = response.get_data(as_text=True)
        assert not (MARKUP if response.status_code == 422 else LIVE).search(body), value[:40]
        if response.status_code == 422:  # beside the field, or in the console's alert line
            assert 'class="field-error"' in body or 'role="alert"' in body, value[:40]
    for page in pages_seen(w):
        assert page.status_code == 200
        assert not LIVE.search(page.get_data(as_text=True))
    assert untouched(w) == before


def test_hostile_notes_are_stored_cleaned_and_pushed_escaped(app, world):
    w = world()
    awa = w.tablets["participant_t1"]
    socket = awa.socket()
    socket.get_received()
    for value in HOSTILE[:12]:
        assert awa.post_note(value).status_code in (201, 422)
    for note in db.session.scalars(db.select(Note).where(Note.table_id == w.t1.id)):
        assert not re.search(r"[\u0000-\u0008\u000b-\u001f\u202a-\u202e\u2066-\u2069\ufeff]",
                             note.text)
    for push in socket.get_received():
        assert not LIVE.search(str(push["args"]))
    assert "&lt;script&gt;document.title=" in awa.get("/table").get_data(as_text=True)


@pytest.mark.parametrize("forged", FORGED_IDS)
def test_forged_ids_in_forms_are_refused_with_a_message(app, world, forged):
    w = world()
    awa = w.tablets["participant_t1"]
    response = awa.post("/constats/", {"text": "Un constat", "theme_id": forged})
    assert response.status_code == 422
    assert "Choi" in response.get_data(as_text=True) or "Faites un choix" in response.get_data(
        as_text=True)
    edit = awa.post(f"/constats/{w.note_t1.id}/modifier",
                    {"text": "x", "theme_id": w.event.themes[0].id, "version": forged})
    assert edit.status_code in (200, 422)


@pytest.mark.parametrize("path", [
    "/constats/0", "/constats/-1", "/constats/99999999999999999999", "/constats/2147483648",
    "/constats/2147483647/modifier", "/evenements/99999999999999/themes.css",
    "/organisation/evenements/99999999999999999", "/pleniere/%00", "/pleniere/" + "x" * 5000,
    "/j/" + "<script>" * 100,
])
def test_forged_ids_in_urls_are_not_found(app, world, path):
    w = world()
    for role in ("participant_t1", "organizer", "anonymous"):
        response = w.clients[role].get(path, headers={"HX-Request": "true"})
        assert response.status_code in (200, 401, 404), (role, response.status_code)
        assert not LIVE.search(response.get_data(as_text=True))


def test_a_note_of_another_table_cannot_be_reached_by_forging_its_id(app, world):
    w = world()
    cap = w.tablets["captain_t1"]
    other = w.note_t2.id
    assert cap.post(f"/constats/{other}/modifier",
                    {"text": "Piraté", "theme_id": w.event.themes[0].id}).status_code == 403
    assert cap.post(f"/constats/{other}/supprimer").status_code == 403
    assert db.session.get(Note, other).text == "Le constat de la table 2"


@pytest.mark.parametrize("payload", [
    None, 1, "x", [], {}, {"room": None}, {"room": ["table-1"]}, {"room": {"$gt": ""}},
    {"room": "table-1", "token": {"a": 1}}, {"room": "table-99999999999"},
    {"room": "event-1", "token": "\u0000" * 100}, {"room": "x" * 100_000},
])
def test_malformed_socket_handshakes_are_refused_and_the_server_carries_on(app, world, payload):
    w = world()
    spy = socketio.test_client(app, flask_test_client=w.clients["anonymous"], auth=payload)
    assert not spy.is_connected()
    assert w.tablets["participant_t1"].socket().is_connected()


def test_unknown_and_oversized_socket_events_change_nothing(app, world):
    w = world()
    before = untouched(w)
    socket = w.tablets["participant_t2"].socket()
    connections = db.session.scalars(db.select(Connection.sid)).all()
    for name, payload in [("push", {"html": "<script>x</script>"}), ("hello", {"seq": -1}),
                          ("connect", {"room": f"table-{w.t1.id}"}), ("disconnect", None),
                          ("note", {"text": "x" * 1_000_000}), ("tick", [1, 2, 3])]:
        socket.emit(name, payload)
    assert socket.is_connected()
    assert untouched(w) == before
    # Forged "connect"/"disconnect" events neither joined table 1 nor dropped presence.
    assert db.session.scalars(db.select(Connection.sid)).all() == connections
    socket.get_received()
    w.tablets["participant_t1"].post_note("Secret de la table 1")
    assert socket.get_received() == []


# ---- property-based: every schema, whatever it is given ----


@pytest.fixture(scope="module")
def in_a_request():
    """French messages are lazy: rendering them needs a request (hypothesis wants no
    function-scoped fixture, so one request for the module)."""
    from board import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        yield

SCHEMAS = [schemas.join_schema, schemas.note_schema, schemas.note_update_schema,
           schemas.event_schema, schemas.login_schema, schemas.socket_auth_schema]

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children,
                                                                       max_size=3),
    max_leaves=8)


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: type(s).__name__)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.dictionaries(st.sampled_from(["text", "theme_id", "name", "code", "room",
                                             "token", "version", "idempotency_key", "username",
                                             "password", "date", "place", "table_count",
                                             "themes", "extra"]), anything))
def test_schemas_only_ever_accept_or_explain(in_a_request, schema, data):
    try:
        loaded = schema.load(data)
    except ValidationError as error:
        assert isinstance(error.messages, dict)
        for messages in error.messages.values():
            assert isinstance(messages, list | dict)
        return
    assert "extra" not in loaded


@settings(max_examples=300, deadline=None)
@given(text=st.text(), theme=st.integers())
def test_a_loaded_note_is_clean_and_within_its_limit(in_a_request, text, theme):
    try:
        loaded = schemas.note_schema.load({"text": text, "theme_id": theme})
    except ValidationError:
        return
    assert 0 < len(loaded["text"]) <= schemas.NOTE_MAX
    assert loaded["text"] == loaded["text"].strip()
    assert not re.search(r"[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]",
                         loaded["text"])
    assert 1 <= loaded["theme_id"] <= schemas.MAX_ID


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_cleaning_is_idempotent(text):
    once = fields.clean_text(text, multiline=True)
    assert fields.clean_text(once, multiline=True) == once
    flat = fields.clean_text(text)
    assert "\n" not in flat and fields.clean_text(flat) == flat


@settings(max_examples=200, deadline=None)
@given(code=st.text(max_size=30), name=st.text(max_size=60))
def test_a_loaded_join_has_a_well_formed_code(in_a_request, code, name):
    try:
        loaded = schemas.join_schema.load({"code": code, "name": name})
    except ValidationError:
        return
    assert loaded["code"] and set(loaded["code"]) <= set(schemas.CODE_ALPHABET)
    assert 0 < len(loaded["name"]) <= schemas.NAME_MAX


def test_every_role_is_covered_here_too():
    assert {r for r, _e, _f, _d in TEXT_FIELDS} <= set(ROLES)
