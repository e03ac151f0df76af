"""Held off: who may call what (every endpoint, every socket event), CSRF, cookies,
headers and rate limits.

ACCESS lists every (endpoint, method) of the app with the roles it lets through; a new
endpoint that is not listed fails `test_every_endpoint_is_in_the_matrix`. Roles are those
of conftest.ROLES. A URL's variables come from `World.args` (an object of table 1); a
`<token>` is the real plenary token only for the plenary screen and the organizer.
"""

import shutil

import pytest
from flask import g

from board import db, socketio
from board.models import (
    Axis,
    Countdown,
    Decision,
    Event,
    FollowUpNote,
    Note,
    Participant,
    PhaseStep,
    Pitch,
    PriorityAxis,
    PrioritySource,
    Proposal,
    ProposalRevision,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    Vote,
)

from .conftest import COMPILED_TEMPLATES, ROLES, csrf_token, pushes


@pytest.fixture
def database_url(tmp_path, sqlite_schema):
    """Who may do what does not depend on the database: the matrix runs on SQLite alone
    (every service and view it calls also runs on PostgreSQL in the other test files)."""
    path = tmp_path / "test.sqlite"
    shutil.copyfile(sqlite_schema, path)
    return f"sqlite:///{path}"

EVERYONE = frozenset(ROLES)
SEATED = frozenset({"participant_t1", "participant_t2", "captain_t1"})
TABLE_1 = frozenset({"participant_t1", "captain_t1"})
ORGANIZER = frozenset({"organizer"})
SCREEN = frozenset({"plenary", "organizer"})
CAPTAIN_1 = frozenset({"captain_t1"})
NOBODY = frozenset()

# (endpoint, method): the roles allowed, or (roles, the form a write sends, or a function
# of the World that makes it). One line per endpoint and method.
ACCESS = {
    ("static", "GET"): EVERYONE,
    ("web.set_language", "POST"): EVERYONE,
    ("web.themes_css", "GET"): EVERYONE,
    ("tables.index", "GET"): EVERYONE,
    ("tables.scan", "GET"): EVERYONE,
    ("tables.join", "POST"): EVERYONE,
    ("tables.show", "GET"): SEATED,
    ("tables.region", "GET"): SEATED,
    ("tables.leave", "POST"): EVERYONE,
    ("notes.create", "POST"): SEATED,  # always at the poster's own table
    ("notes.show", "GET"): TABLE_1,
    ("notes.edit", "GET"): TABLE_1,  # the author and the captain
    ("notes.update", "POST"): TABLE_1,
    ("notes.delete", "POST"): TABLE_1,
    ("organizer.login", "GET"): EVERYONE,
    ("organizer.login", "POST"): EVERYONE,
    ("organizer.link", "GET"): NOBODY,  # a forged sign-in token; the real one is in test_organizer
    ("organizer.use_link", "POST"): NOBODY,
    ("organizer.logout", "POST"): EVERYONE,
    ("organizer.index", "GET"): ORGANIZER,
    ("organizer.create", "GET"): ORGANIZER,
    ("organizer.create", "POST"): ORGANIZER,
    ("organizer.show", "GET"): ORGANIZER,
    ("organizer.regenerate", "POST"): ORGANIZER,
    ("organizer.seats", "GET"): ORGANIZER,
    ("organizer.unseat", "POST"): ORGANIZER,
    ("organizer.new_wall_link", "POST"): ORGANIZER,
    ("organizer.qr_sheet", "GET"): ORGANIZER,
    ("organizer.settings", "GET"): ORGANIZER,
    ("organizer.settings", "POST"): (ORGANIZER, lambda w: {
        "name": "Renommé", "table_count": str(len(w.event.tables)),
        **{f"theme-{i}-{k}": str(v) for i, t in enumerate(w.event.themes)
           for k, v in (("id", t.id), ("name", t.name), ("colour", t.colour))}}),
    ("plenary.show", "GET"): SCREEN,
    ("plenary.region", "GET"): SCREEN,
    ("proposals.field", "GET"): TABLE_1,
    ("proposals.update", "POST"): TABLE_1,
    ("proposals.status", "POST"): (CAPTAIN_1, {"status": "ready"}),
    ("proposals.history", "GET"): TABLE_1,
    ("proposals.restore", "POST"): CAPTAIN_1,
    # The morning at a table: an axis of table 1, a note of table 1; the captain's rights.
    ("axes.create", "POST"): SEATED,  # always at the poster's own table
    ("axes.show", "GET"): TABLE_1,
    ("axes.edit", "GET"): TABLE_1,
    ("axes.update", "POST"): (TABLE_1, lambda w: {"name": "Renommé",
                                                  "theme_id": w.event.themes[0].id}),
    ("axes.move", "POST"): (TABLE_1, {"index": "0"}),
    ("axes.delete", "POST"): CAPTAIN_1,
    ("axes.restore", "POST"): CAPTAIN_1,
    ("axes.move_note", "POST"): (TABLE_1, {"axis_id": ""}),
    ("axes.merge", "POST"): (CAPTAIN_1, lambda w: {"note_ids": [w.note_t1.id, w.merged.id]}),
    ("axes.unmerge", "POST"): CAPTAIN_1,
    ("axes.dots", "GET"): SEATED,  # my own dots
    ("axes.vote", "POST"): SEATED,  # on an axis of the voter's own table, or 422
    ("axes.withdraw", "POST"): SEATED,
    ("axes.vote_state", "POST"): (CAPTAIN_1, {"votes_revealed": "true"}),
    ("axes.sort", "POST"): SEATED,  # always the sorter's own table
    # The organizer's consolidation.
    ("consolidation.index", "GET"): ORGANIZER,
    ("consolidation.region", "GET"): ORGANIZER,
    ("consolidation.notes", "GET"): ORGANIZER,
    ("consolidation.create", "POST"): (ORGANIZER, lambda w: {
        "title": "Nouveau", "theme_id": w.event.themes[0].id}),
    ("consolidation.rename", "POST"): (ORGANIZER, {"title": "Renommé"}),
    ("consolidation.vote_settings", "POST"): (ORGANIZER, {"dots_per_participant": "5"}),
    ("consolidation.gather", "POST"): (ORGANIZER, lambda w: {
        "axis_ids": [w.axis.id], "title": "Encore"}),
    ("consolidation.undo", "POST"): ORGANIZER,
    ("consolidation.split", "POST"): (ORGANIZER, {"title": "Scindé"}),
    # The organizer's day: console, phases, countdowns, pitches, selection, follow-up.
    ("day.console", "GET"): ORGANIZER,
    ("day.region", "GET"): ORGANIZER,
    ("day.progress", "GET"): ORGANIZER,
    ("day.confirm_phase", "GET"): ORGANIZER,
    ("day.queue", "GET"): ORGANIZER,
    ("day.set_phase", "POST"): (ORGANIZER, {"phase": "axes"}),
    ("day.set_phase_step", "POST"): (ORGANIZER, {"instruction": "Votez", "minutes": "10"}),
    ("day.control_countdown", "POST"): (ORGANIZER, {"action": "start", "seconds": "60"}),
    ("day.move_pitch", "POST"): (ORGANIZER, {"offset": "1"}),
    ("day.start_pitch", "POST"): ORGANIZER,
    ("day.step_pitch", "POST"): ORGANIZER,
    ("day.set_stage", "POST"): (ORGANIZER, {"screen": "results"}),
    ("day.spotlight", "POST"): (ORGANIZER, {"number": "1"}),
    ("day.selection", "GET"): ORGANIZER,
    ("day.decide", "POST"): (ORGANIZER, {"verdict": "prototype", "comment": "Oui"}),
    ("day.close_selection", "POST"): (ORGANIZER, {"confirm": "oui"}),
    ("day.reopen_selection", "POST"): (ORGANIZER, {"reason": "Un oubli"}),
    ("day.follow_up", "GET"): ORGANIZER,
    ("day.set_sponsor", "POST"): (ORGANIZER, {"name": "Parrain", "team": "Voirie"}),
    ("day.add_follow_up", "POST"): (ORGANIZER, {"noted_on": "2017-12-16",
                                                "status": "experimenting"}),
    # Exports and the next edition.
    ("exports.index", "GET"): ORGANIZER,
    ("exports.csv_file", "GET"): ORGANIZER,
    ("exports.json_file", "GET"): ORGANIZER,
    ("exports.report", "GET"): ORGANIZER,
    ("exports.import_event", "GET"): ORGANIZER,
    ("exports.import_event", "POST"): ORGANIZER,
    ("exports.publish_results", "POST"): (ORGANIZER, {"publish": "true"}),
    # The public results: anyone holding the published address (World publishes them).
    ("results.show", "GET"): EVERYONE,
    ("results.data", "GET"): EVERYONE,
    ("organizer.new_edition", "GET"): ORGANIZER,
    ("organizer.new_edition", "POST"): ORGANIZER,
}

# Socket.IO events coming in (besides connect/disconnect), each with a sample payload and
# the roles allowed. A handler answers with an acknowledgement: {"ok": true} when it acted,
# {"error": "…"} (or {"ok": false, "errors": {…}}) when it refused. Each role emits from
# the room it may follow (the organizer from its console).
SOCKET_EVENTS = {
    "presence": ({"field": "title"}, SEATED),  # always about the sender's own table
    # The console's remote: "next" puts table 1 on stage (its card becomes "pitched").
    "remote": (lambda w: {"event_id": w.event.id, "action": "next"}, ORGANIZER),
}

# The room each role's page follows, and whether the server lets it in.
ROOMS = {"table-1": TABLE_1, "table-2": frozenset({"participant_t2"}), "event": SCREEN,
         "console": ORGANIZER}

REFUSED = {400, 401, 403, 404, 405}


def _rules(app):
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_every_endpoint_is_in_the_matrix(app):
    found = {(rule.endpoint, method) for rule, method in _rules(app)}
    assert found - set(ACCESS) == set(), "add these endpoints to ACCESS"
    assert set(ACCESS) - found == set(), "these endpoints no longer exist"
    for entry in ACCESS.values():
        roles = entry[0] if isinstance(entry, tuple) else entry
        assert roles <= set(ROLES)


def test_every_socket_event_is_in_the_matrix(app):
    handled = set(socketio.server.handlers.get("/", {})) - {"connect", "disconnect"}
    assert handled == set(SOCKET_EVENTS)


def snapshot():
    """What a refused request must leave untouched."""
    db.session.expire_all()
    return (
        db.session.execute(db.select(Note.id, Note.text, Note.theme_id, Note.deleted_at,
                                     Note.version).order_by(Note.id)).all(),
        db.session.execute(db.select(Table.id, Table.seq, Table.join_code, Table.captain_code)
                           .order_by(Table.id)).all(),
        db.session.execute(db.select(Event.id, Event.seq, Event.name)).all(),
        db.session.execute(db.select(Participant.id, Participant.name)).all(),
        db.session.execute(db.select(Proposal.id, Proposal.title, Proposal.status)).all(),
        db.session.execute(db.select(ProposalRevision.id)).all(),
        db.session.execute(db.select(Event.id, Event.phase, Event.dots_per_participant,
                                     Event.dots_stack, Event.votes_live)).all(),
        db.session.execute(db.select(Table.id, Table.votes_revealed, Table.vote_closed)
                           .order_by(Table.id)).all(),
        db.session.execute(db.select(Note.id, Note.axis_id, Note.position, Note.merged_into_id)
                           .order_by(Note.id)).all(),
        db.session.execute(db.select(Axis.id, Axis.name, Axis.theme_id, Axis.position,
                                     Axis.deleted_at).order_by(Axis.id)).all(),
        db.session.execute(db.select(Vote.id).order_by(Vote.id)).all(),
        db.session.execute(db.select(PriorityAxis.id, PriorityAxis.title)
                           .order_by(PriorityAxis.id)).all(),
        db.session.execute(db.select(PrioritySource.id, PrioritySource.priority_axis_id)
                           .order_by(PrioritySource.id)).all(),
        db.session.execute(db.select(PhaseStep.id, PhaseStep.instruction, PhaseStep.minutes)
                           .order_by(PhaseStep.id)).all(),
        db.session.execute(db.select(Countdown.id, Countdown.ends_at, Countdown.remaining)
                           .order_by(Countdown.id)).all(),
        db.session.execute(db.select(Stage.id, Stage.screen, Stage.current_pitch_id,
                                     Stage.pitch_seconds)).all(),
        db.session.execute(db.select(Pitch.id, Pitch.position, Pitch.started_at)
                           .order_by(Pitch.id)).all(),
        db.session.execute(db.select(Decision.id, Decision.verdict, Decision.comment)).all(),
        db.session.execute(db.select(SelectionLog.id)).all(),
        db.session.execute(db.select(Sponsor.id, Sponsor.name, Sponsor.team, Sponsor.status))
        .all(),
        db.session.execute(db.select(FollowUpNote.id)).all(),
    )


@pytest.mark.parametrize(("endpoint", "method"), sorted(ACCESS))
def test_authorisation_matrix(app, world, endpoint, method):
    [rule] = [r for r, m in _rules(app) if r.endpoint == endpoint and m == method][:1]
    entry = ACCESS[(endpoint, method)]
    allowed_roles = entry[0] if isinstance(entry, tuple) else entry
    # The refused roles first, on one world (a refusal changes nothing: checked below), then
    # each allowed role on a world of its own: what it did may change what the next sees.
    w, used = world(), False
    for role in sorted(ROLES, key=lambda r: r in allowed_roles):
        if used:
            w, used = world(), False
        client = w.clients[role]
        with app.test_request_context():
            from flask import url_for

            url = url_for(endpoint, **w.url_args(role, rule))
        headers = {"HX-Request": "true"}
        data = entry[1] if isinstance(entry, tuple) else {}
        data = data(w) if callable(data) else data
        before = snapshot()
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            headers["X-CSRFToken"] = w.csrf(role)
            response = client.open(url, method=method, data=data, headers=headers)
        status = response.status_code
        assert status < 500, (role, status)
        allowed = role in allowed_roles
        used = allowed and method != "GET"  # a page read changes nothing (test_no_get_writes)
        if allowed:
            assert status not in REFUSED, (role, status, response.get_data(as_text=True)[:300])
        else:
            assert status in REFUSED, (role, status)
            assert snapshot() == before, role


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_socket_rooms_matrix(app, world, room):
    w = world()
    name = {"table-1": f"table-{w.t1.id}", "table-2": f"table-{w.t2.id}",
            "event": f"event-{w.event.id}", "console": f"console-{w.event.id}"}[room]
    for role in ROLES:
        auth = {"room": name}
        if room in ("event", "console") and role == "plenary":
            auth["token"] = w.event.plenary_token  # it opens the wall, never the console
        socket = socketio.test_client(app, flask_test_client=w.clients[role], auth=auth)
        assert socket.is_connected() == (role in ROOMS[room]), role
        if socket.is_connected():
            socket.disconnect()


@pytest.mark.parametrize("event_name", sorted(SOCKET_EVENTS))
def test_socket_events_matrix(app, world, event_name):
    payload, allowed = SOCKET_EVENTS[event_name]
    for role in ROLES:
        w = world()
        w.event.phase = "pitches"  # the remote starts pitches during the pitch step only
        db.session.commit()
        room = {"participant_t2": f"table-{w.t2.id}", "plenary": f"event-{w.event.id}",
                "organizer": f"console-{w.event.id}"}.get(role, f"table-{w.t1.id}")
        auth = {"room": room, "token": w.event.plenary_token if role == "plenary" else None}
        socket = socketio.test_client(app, flask_test_client=w.clients[role], auth=auth)
        if not socket.is_connected():
            assert role not in allowed
            continue
        before = snapshot()
        answer = socket.emit(event_name, payload(w) if callable(payload) else payload,
                             callback=True)
        refused = bool(answer) and ("error" in answer or answer.get("ok") is False)
        if role in allowed:
            assert answer and not refused, (role, answer)
        else:
            assert answer and refused, (role, answer)
            assert snapshot() == before, role


def test_every_post_needs_the_csrf_token(app, world):
    w = world()
    for rule, method in _rules(app):
        if method == "GET":
            continue
        for role in ("participant_t1", "organizer"):
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **w.url_args(role, rule))
            before = snapshot()
            response = w.clients[role].open(url, method=method, data={"text": "x"},
                                            headers={"HX-Request": "true"})
            assert response.status_code == 400, (rule.endpoint, role)
            assert "Cette page est trop ancienne" in response.get_data(as_text=True)
            assert snapshot() == before


def test_cookies_are_httponly_samesite_and_secure_in_production(tmp_path):
    from board import create_app

    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.sqlite"})
    response = app.test_client().get("/organisation/connexion")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_security_headers_on_pages_fragments_and_errors(client, world):
    w = world()
    responses = [client.get("/"), client.get("/nulle-part"),
                 w.clients["participant_t1"].get("/table/tableau", headers={"HX-Request": "true"}),
                 client.post("/rejoindre", data={})]
    for response in responses:
        csp = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_no_page_carries_an_inline_script_or_style(app, world):
    import re

    w = world()
    pages = [w.clients["anonymous"].get("/"), w.clients["participant_t1"].get("/table"),
             w.clients["captain_t1"].get("/table"),
             w.clients["plenary"].get(f"/pleniere/{w.event.plenary_token}"),
             w.clients["organizer"].get(f"/organisation/evenements/{w.event.id}"),
             w.clients["organizer"].get("/organisation/evenements/nouveau")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
        assert " style=" not in html and "<style" not in html
        assert re.findall(r"\son[a-z]+=", html) == []


def rate_limited_app(database_url, **limits):
    from board import create_app, limiter

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": database_url,
                      "ASSETS_CDN": False, "RATELIMIT_ENABLED": True, **limits})
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    limiter.reset()
    return app


def test_join_attempts_are_limited_per_address_with_a_french_message(app, event, database_url):
    limited = rate_limited_app(database_url, RATELIMIT_JOIN="3 per minute")
    client = limited.test_client()
    token = csrf_token(client)
    statuses = [client.post("/rejoindre", data={"code": f"ZZZZZ{c}", "name": "Awa",
                                                "csrf_token": token}).status_code
                for c in "ABCD"]
    assert statuses == [422, 422, 422, 429]
    last = client.post("/rejoindre", data={"code": event.tables[0].join_code, "name": "Awa",
                                           "csrf_token": token})
    assert last.status_code == 429
    assert "essais de code sur cette tablette" in last.get_data(as_text=True)
    assert db.session.scalars(db.select(Participant)).all() == []


def test_a_whole_venue_behind_one_address_can_join(app, event, database_url):
    limited = rate_limited_app(database_url, RATELIMIT_JOIN="3 per minute")
    for n in range(6):
        client = limited.test_client()
        response = client.post("/rejoindre", data={"code": event.tables[0].join_code,
                                                   "name": f"P{n}", "csrf_token": csrf_token(client)})
        assert response.status_code == 302


def test_one_code_tried_from_many_addresses_is_limited(app, event, database_url):
    limited = rate_limited_app(database_url, RATELIMIT_JOIN_CODE="2 per minute")
    code = event.tables[0].join_code
    statuses = []
    for n in range(3):
        client = limited.test_client()
        token = csrf_token(client)
        response = client.post("/rejoindre", data={"code": code, "name": "Awa",
                                                   "csrf_token": token},
                               environ_base={"REMOTE_ADDR": f"10.0.0.{n}"})
        statuses.append(response.status_code)
    assert statuses == [302, 302, 429]
    assert "essayé trop de fois" in response.get_data(as_text=True)


def test_writes_are_limited_per_participant_and_the_form_keeps_the_text(app, event, database_url):
    from .conftest import Tablet

    limited = rate_limited_app(database_url, RATELIMIT_WRITES="2 per minute",
                               RATELIMIT_JOIN="100 per minute")
    with limited.app_context():
        table = db.session.get(Table, event.tables[0].id)
        awa, bob = Tablet(limited, table, "Awa"), Tablet(limited, table, "Bob")
        socket = bob.socket()
        socket.get_received()
        assert awa.post_note("un").status_code == 201
        assert awa.post_note("deux").status_code == 201
        refused = awa.post_note("trois")
        assert refused.status_code == 429
        html = refused.get_data(as_text=True)
        assert "Vous allez très vite" in html
        # The message goes to the toasts, not in place of the form being typed in.
        assert refused.headers["HX-Retarget"] == "#toasts"
        assert len(pushes(socket)) == 2
        # Bob has his own budget.
        assert bob.post_note("quatre").status_code == 201
        texts = db.session.scalars(db.select(Note.text).order_by(Note.id)).all()
        assert texts == ["un", "deux", "quatre"]


def test_behind_a_proxy_limits_count_the_client_address(app, event, database_url):
    limited = rate_limited_app(database_url, RATELIMIT_JOIN="1 per minute", PROXY_COUNT=1)
    statuses = []
    for forwarded in ("203.0.113.1", "203.0.113.1", "203.0.113.2"):
        client = limited.test_client()
        response = client.post("/rejoindre", data={"code": "ZZZZZZZ", "name": "Awa",
                                                   "csrf_token": csrf_token(client)},
                               headers={"X-Forwarded-For": forwarded})
        statuses.append(response.status_code)
    assert statuses == [422, 429, 422]


# Writes that do not draw on the person's budget of writes, and why. Every other
# state-changing endpoint and socket event must (tested below).
WRITES_EXEMPT = {
    "web.set_language": "changes only the asker's own cookie",
    "tables.join": "limited on its own: wrong codes per address, any attempt per code",
    "tables.leave": "forgets the table on this tablet: nothing stored changes",
    "organizer.login": "limited on its own: ten attempts a minute per address",
    "organizer.logout": "ends the asker's own session",
    "organizer.use_link": "signing in: each link works once, and only a real one",
    "presence": "where the person's focus is, not their work: it must never use up the "
                "budget that their saves need",
}


def _spend(w, role):
    """One write by `role`, whatever its answer: its budget of one is then used up."""
    if role == "organizer":
        url = f"/organisation/evenements/{w.event.id}/gommettes"
        w.clients[role].post(url, data={"dots_per_participant": "3"},
                             headers={"X-CSRFToken": w.csrf(role), "HX-Request": "true"})
    else:
        w.tablets[role].post_note("Une dépense")


def test_every_write_shares_the_budget_or_says_why_not(app, database_url):
    from flask import url_for

    from .conftest import World

    limited = rate_limited_app(database_url, RATELIMIT_WRITES="1000 per minute",
                               RATELIMIT_JOIN="1000 per minute",
                               RATELIMIT_JOIN_CODE="1000 per minute")
    with limited.app_context():
        w = World(limited, "budget")
        limited.config["RATELIMIT_WRITES"] = "1 per minute"  # a fresh counter, of one
        for role in ("participant_t1", "captain_t1", "organizer"):
            _spend(w, role)
        for name, (payload, allowed) in SOCKET_EVENTS.items():
            role = next(r for r in ("captain_t1", "organizer") if r in allowed)
            room = f"console-{w.event.id}" if role == "organizer" else f"table-{w.t1.id}"
            socket = socketio.test_client(limited, flask_test_client=w.clients[role],
                                          auth={"room": room})
            answer = socket.emit(name, payload(w) if callable(payload) else payload,
                                 callback=True)
            refused = answer.get("ok") is False and "très vite" in str(answer.get("errors"))
            assert refused == (name not in WRITES_EXEMPT), (name, answer)
            socket.disconnect()
        # The exempt ones last: leaving a table or signing out ends the session.
        for rule, method in sorted(_rules(limited), key=lambda rm: rm[0].endpoint in WRITES_EXEMPT):
            if method == "GET" or rule.endpoint == "static":
                continue
            entry = ACCESS[(rule.endpoint, method)]
            roles, data = entry if isinstance(entry, tuple) else (entry, {})
            role = next((r for r in ("captain_t1", "participant_t1", "organizer")
                         if r in roles), "anonymous")
            with limited.test_request_context():
                url = url_for(rule.endpoint, **w.url_args(role, rule))
            response = w.clients[role].open(
                url, method=method, data=data(w) if callable(data) else data,
                headers={"X-CSRFToken": w.csrf(role), "HX-Request": "true"})
            if rule.endpoint in WRITES_EXEMPT:
                assert response.status_code != 429, rule.endpoint
            else:
                assert response.status_code == 429, (rule.endpoint, response.status_code)


def test_no_get_writes(app, world):
    """Reading a page never changes the database, whoever reads it."""
    from flask import url_for
    from sqlalchemy import event as sa_event

    w = world()
    written = []

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            written.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", watch)
    try:
        for rule, method in _rules(app):
            if method != "GET":
                continue
            for role in ROLES:
                with app.test_request_context():
                    url = url_for(rule.endpoint, **w.url_args(role, rule))
                for headers in ({}, {"HX-Request": "true"}):
                    written.clear()
                    w.clients[role].get(url, headers=headers)
                    assert written == [], (rule.endpoint, role, written)
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", watch)


# Where a redirect might be sent by someone else's link: each must land on a page of the app.
HOSTILE_TARGETS = ["https://evil.example/", "//evil.example/", "/\\evil.example/",
                   "\\\\evil.example/", "/\t/evil.example/", "/\n/evil.example/",
                   "/%0d%0aSet-Cookie:x=1", "/table\r\nSet-Cookie: x=1", " //evil.example",
                   "/\x00", "javascript:alert(1)", "/nulle-part", "/\u2028//evil.example",
                   "///evil.example", "/./\\evil.example", "http:/evil.example", "", "x" * 3000]


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_the_language_switch_only_sends_back_to_a_page_of_the_app(app, client, target):
    response = client.post("/langue/en", data={"next": target, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_signing_in_only_sends_on_to_a_page_of_the_app(app, client, organizer, target):
    from urllib.parse import quote

    token = csrf_token(client, "/organisation/connexion")
    response = client.post(f"/organisation/connexion?next={quote(target, safe='')}", data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/organisation/"


@pytest.mark.parametrize("target", ["/table", "/organisation/evenements/1/regie?vue=1",
                                    "/organisation/"])
def test_a_page_of_the_app_is_where_one_goes_back(app, client, organizer, target):
    response = client.post("/langue/en", data={"next": target, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == target
    token = csrf_token(client, "/organisation/connexion")
    response = client.post("/organisation/connexion", query_string={"next": target}, data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token})
    assert response.headers["Location"] == target
