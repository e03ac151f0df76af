import os
import re
import shutil
from contextlib import contextmanager
from datetime import datetime, timedelta

import gevent
import pytest
from flask import g
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from werkzeug.security import generate_password_hash

from board import create_app, db, services, slices, socketio
from board.models import Event, Note, Organizer

POSTGRES_URL = os.environ.get("TABLEE_TEST_POSTGRES_URL")
# Run in parallel (pytest-xdist), each worker has a PostgreSQL database of its own, named
# after the run too, so that two runs on one server (two checkouts) never empty each
# other's tables. Made at start, dropped at the end.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
RUN = (os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"p{os.getpid()}")[:8]
_made_database = None


def _postgres_reachable():
    global POSTGRES_URL, _made_database
    if not POSTGRES_URL:
        return "TABLEE_TEST_POSTGRES_URL is not set"
    try:
        url = make_url(POSTGRES_URL)
        name = f"{url.database}_{RUN}_{WORKER}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{name}"'))
            connection.execute(text(f'create database "{name}"'))
        admin.dispose()
        _made_database = (url, name)
        POSTGRES_URL = url.set(database=name).render_as_string(hide_password=False)
        with create_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any failure to connect means: skip, and say why
        return f"PostgreSQL at TABLEE_TEST_POSTGRES_URL is unreachable: {error}"
    return None


_PG_SKIP = _postgres_reachable()


def pytest_sessionfinish(session):
    if _made_database:
        url, name = _made_database
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_schema(tmp_path_factory):
    """An empty database with the schema, made once: each test starts from a copy of it."""
    path = tmp_path_factory.mktemp("schema") / "schema.sqlite"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


_postgres_schema_made = False


def _empty_postgres():
    """The schema, empty: made afresh once per run, then emptied before each test (a few
    milliseconds where dropping and creating every table took a quarter of a second)."""
    global _postgres_schema_made
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        tables = set(inspect(connection).get_table_names())
        if not _postgres_schema_made or not tables >= set(db.metadata.tables):
            db.metadata.drop_all(connection)
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.metadata.create_all(connection)
            _postgres_schema_made = True
        else:
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """An empty database with the schema, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_schema"), path)
        return f"sqlite:///{path}"
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    _empty_postgres()
    return POSTGRES_URL


class _CompiledTemplates(BytecodeCache):
    """Templates compiled once for the whole run, not once per test's new app (compiling
    them was half the time of a typical test)."""

    def __init__(self):
        self.code = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket):
        self.code[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


@pytest.fixture
def app(database_url):
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ASSETS_CDN": False,
        "RATELIMIT_ENABLED": False,
        # Each plenary card at once: the tests read pushes right after a write.
        "PLENARY_CARD_DELAY": 0,
        # The wall's overview of a large day at once too (it is coalesced in production).
        "WALL_OVERVIEW_DELAY": 0,
        # Each presence at once too (the coalescing is tested with an interval of its own).
        "PRESENCE_INTERVAL": 0,
    })
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    # Tests keep one app context open to reach the database, and Flask reuses it for every
    # request: start each request with an empty g, as it would be in production.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def event(app) -> Event:
    return services.create_event({
        "name": "Hackathon de test", "date": None, "place": "Paris", "table_count": 3,
        "themes": [{"name": "Éducation", "colour": "#1d70b8"},
                   {"name": "Emploi", "colour": "#00703c"}],
    })


def cheap_hash(password: str) -> str:
    """A password hash that is quick to check: the real one (scrypt) is slow on purpose,
    and tests sign organizers in hundreds of times."""
    return generate_password_hash(password, method="pbkdf2:sha256:1")


@pytest.fixture
def organizer(app):
    organizer = Organizer(username="orga", password_hash=cheap_hash("un mot de passe"))
    db.session.add(organizer)
    db.session.commit()
    return organizer


@pytest.fixture
def console(client, organizer):
    """The organizer signed in on `client`; `client.csrf` holds a token for its posts."""
    token = csrf_token(client, "/organisation/connexion")
    response = client.post("/organisation/connexion", data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token})
    assert response.status_code == 302
    client.csrf = csrf_token(client, "/organisation/evenements/nouveau")
    return client


def csrf_token(client, url="/"):
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


class Tablet:
    """A test client seated at a table, as a tablet would be after scanning its code."""

    def __init__(self, app, table, name="Awa", captain=False):
        self.client = app.test_client()
        self.table = table
        code = table.captain_code if captain else table.join_code
        token = csrf_token(self.client)
        response = self.client.post("/rejoindre", data={
            "code": code, "name": name, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = csrf_token(self.client, "/table")

    def post(self, url, data=None, htmx=True):
        headers = {"X-CSRFToken": self.token}
        if htmx:
            headers["HX-Request"] = "true"
        return self.client.post(url, data=data or {}, headers=headers)

    def get(self, url, htmx=False):
        return self.client.get(url, headers={"HX-Request": "true"} if htmx else {})

    def post_note(self, text="Pas assez de bus le soir", theme=None, key=None):
        theme = theme or self.table.event.themes[0]
        data = {"text": text, "theme_id": theme.id}
        if key:
            data["idempotency_key"] = key
        return self.post("/constats/", data)

    def socket(self):
        return socketio.test_client(self.client.application, flask_test_client=self.client,
                                    auth={"room": f"table-{self.table.id}"})


@pytest.fixture
def tablet(app):
    def make(table, name="Awa", captain=False):
        return Tablet(app, table, name, captain)
    return make


def pushes(socket_client, name="push"):
    return [m["args"][0] for m in socket_client.get_received() if m["name"] == name]


@contextmanager
def another_greenlet():
    """The turns another greenlet of the process gets meanwhile. The tests run unpatched on
    gevent's loop: only the code's own `socketio.sleep` gives the others a turn, so work
    that holds the loop gives none."""
    turns = []

    def run():
        while True:
            turns.append(1)
            gevent.sleep(0)

    other = gevent.spawn(run)
    try:
        yield turns
    finally:
        other.kill()


def made_in_turns(monkeypatch, make):
    """What `make()` gives when long work holds the loop to its end, then when it takes a
    turn at every step (see board/slices.py); and the turns another greenlet got in each.
    The pages' CSRF tokens are left out: the two are made a moment apart, sometimes on
    either side of a second, and each token is signed with its second."""
    monkeypatch.setattr(slices, "SLICE_SECONDS", float("inf"))
    with another_greenlet() as held:
        whole = make()
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0)
    with another_greenlet() as turns:
        sliced = make()
    return _unsigned_all(whole), _unsigned_all(sliced), held, turns


def _unsigned_all(made):
    if isinstance(made, str):
        return unsigned(made)
    if isinstance(made, (list, tuple)):
        return type(made)(_unsigned_all(part) for part in made)
    if isinstance(made, dict):
        return {key: _unsigned_all(part) for key, part in made.items()}
    return made


def unsigned(page):
    """A page without its CSRF tokens: each is signed with the second it was made in."""
    return re.sub(r'"(csrf_token" value=|X-CSRFToken": )"[^"]+"', "", page)


class Clock:
    """The server's clock, held still and moved by hand."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app):
    clock = Clock(datetime(2017, 12, 16, 14, 0, 0))
    app.config["CLOCK"] = clock
    return clock
def signed_in_organizer(client, username="orga"):
    """Create an organizer account and sign `client` in as them; return the client."""
    from board.models import Organizer

    organizer = Organizer(username=username)
    organizer.password_hash = cheap_hash("motdepasse")
    db.session.add(organizer)
    db.session.commit()
    with client.session_transaction() as session:
        session["organizer_id"] = organizer.id
    return client


ROLES = ("anonymous", "participant_t1", "participant_t2", "captain_t1", "plenary", "organizer")


class World:
    """One event seen by every role: the clients, and the ids a URL of the app may need.

    `args` fills the variables of any URL rule; an area that adds a URL variable
    (axis_id, proposal_id…) adds one entry here, for an object of table 1;
    `endpoint_args` overrides one for an endpoint where the same name means another thing.
    """

    def __init__(self, app, tag):
        self.event = services.create_event({
            "name": f"Monde {tag}", "date": None, "place": "", "table_count": 2,
            "themes": [{"name": "Éducation", "colour": "#1d70b8"},
                       {"name": "Emploi", "colour": "#00703c"}]})
        t1, t2 = self.event.tables
        self.t1, self.t2 = t1, t2
        p1, p2 = Tablet(app, t1, "Awa"), Tablet(app, t2, "Zoé")
        cap = Tablet(app, t1, "Cap", captain=True)
        p1.post_note("Le constat de la table 1")
        p2.post_note("Le constat de la table 2")
        self.note_t1, self.note_t2 = db.session.scalars(
            db.select(Note).where(Note.table_id.in_([t1.id, t2.id])).order_by(Note.id)).all()
        # Table 1's card has a title at version 1 (for its history and restore).
        from board.models import Participant
        from board.schemas import card_field_schemas

        awa = db.session.scalar(db.select(Participant).where(Participant.table_id == t1.id,
                                                             Participant.name == "Awa"))
        services.update_field(services.proposal_for(t1), "title", card_field_schemas["title"]
                              .load({"value": "La fiche de la table 1", "version": "0"}), awa)
        # The morning and the day at table 1: an axis holding its note, a merge of two more
        # notes (to undo), a priority axis gathered from the axis, the pitch queue and a
        # sponsor on the card (for its follow-up).
        from board.models import Sponsor

        cap.post_note("Deux constats de la table 1")
        cap.post_note("qui disent la même chose")
        self.axis = services.create_axis(t1, {"name": "Mobilité", "theme_id":
                                              self.event.themes[0].id})
        services.move_note(self.note_t1, {"axis_id": self.axis.id, "index": None})
        twins = db.session.scalars(db.select(Note.id).where(
            Note.table_id == t1.id, Note.id != self.note_t1.id).order_by(Note.id)).all()
        self.merged = services.merge_notes(t1, twins)
        self.priority = services.gather_axes(self.event, {
            "axis_ids": [self.axis.id], "title": "Se déplacer", "priority_axis_id": None,
            "theme_id": None})
        self.pitch = services.pitch_queue(self.event)[0]
        self.proposal = services.proposal_for(t1)
        db.session.add(Sponsor(proposal=self.proposal, name="Marraine", team="Voirie"))
        db.session.commit()
        orga = signed_in_organizer(app.test_client(), f"orga-{tag}")
        plenary = app.test_client()
        assert plenary.get(f"/pleniere/{self.event.plenary_token}").status_code == 200
        self.clients = {"anonymous": app.test_client(), "participant_t1": p1.client,
                        "participant_t2": p2.client, "captain_t1": cap.client,
                        "plenary": plenary, "organizer": orga}
        self.tablets = {"participant_t1": p1, "participant_t2": p2, "captain_t1": cap}
        self.args = {"event_id": self.event.id, "table_id": t1.id, "note_id": self.note_t1.id,
                     "code": t1.join_code, "lang": "fr", "filename": "css/tablee.css",
                     "field": "title", "version": 1, "axis_id": self.axis.id,
                     "priority_id": self.priority.id,
                     "gathering": self.priority.sources[0].gathering,
                     "pitch_id": self.pitch.id, "proposal_id": self.proposal.id,
                     "phase": "axes", "kind": "phase", "direction": "suivant",
                     "participant_id": db.session.scalar(db.select(Participant.id).where(
                         Participant.table_id == t1.id, Participant.name == "Awa"))}
        # Where one name means another thing on one endpoint.
        self._tokens = {}
        services.publish_results(self.event, True)
        self.endpoint_args = {"exports.csv_file": {"kind": "notes"},
                              "results.show": {"token": self.event.results_token},
                              "results.data": {"token": self.event.results_token},
                              "axes.unmerge": {"note_id": self.merged.id}}

    def new_axis(self) -> int:
        """Another axis of table 1, not gathered yet (gathering takes an axis once)."""
        return services.create_axis(self.t1, {"name": "Encore un axe",
                                              "theme_id": self.event.themes[0].id}).id

    def prototype(self) -> dict:
        """Table 1's card selected as a prototype (only a prototype has a sponsor)."""
        from board.models import utcnow

        services.decide(self.proposal, {"verdict": "prototype", "comment": ""}, utcnow())
        return {}

    def closed(self) -> dict:
        """The selection closed (its reopening takes a reason)."""
        from board.models import utcnow

        if services.selection_closed_at(self.event) is None:
            services.close_selection(self.event, "orga", utcnow())
        return {}

    def url_args(self, role, rule):
        known = {**self.args, **self.endpoint_args.get(rule.endpoint, {})}
        args = {name: known[name] for name in rule.arguments if name in known}
        if "token" in rule.arguments and rule.endpoint.startswith("results."):
            args["token"] = self.event.results_token  # a public address: anyone holding it
        elif "token" in rule.arguments:
            # Only the plenary screen and the organizer (who sees it in the console) hold it.
            args["token"] = (self.event.plenary_token if role in ("plenary", "organizer")
                             else "jeton-devine-" + "x" * 20)
        return args

    def csrf(self, role):
        """The role's CSRF token (one per session: read once)."""
        if role not in self._tokens:
            self._tokens[role] = csrf_token(self.clients[role], "/organisation/connexion")
        return self._tokens[role]


@pytest.fixture
def world(app):
    """A factory: each call builds a fresh event with every role seated (see World)."""
    made = []

    def make():
        made.append(World(app, len(made)))
        return made[-1]
    return make
