import os
import re
from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import create_engine, text

from board import create_app, db, services, socketio
from board.models import Event, Note, Organizer

POSTGRES_URL = os.environ.get("TABLEE_TEST_POSTGRES_URL")


def _postgres_reachable():
    if not POSTGRES_URL:
        return "TABLEE_TEST_POSTGRES_URL is not set"
    try:
        with create_engine(POSTGRES_URL).connect() as connection:
            connection.execute(text("select 1"))
    except Exception as error:  # any failure to connect means: skip, and say why
        return f"PostgreSQL at TABLEE_TEST_POSTGRES_URL is unreachable: {error}"
    return None


_PG_SKIP = _postgres_reachable()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    if _PG_SKIP:
        pytest.skip(_PG_SKIP)
    return POSTGRES_URL


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
    })
    # Tests keep one app context open to reach the database, and Flask reuses it for every
    # request: start each request with an empty g, as it would be in production.
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        db.drop_all()
        db.create_all()
        yield app
        db.session.remove()
        db.drop_all()
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


@pytest.fixture
def organizer(app):
    organizer = Organizer(username="orga")
    organizer.set_password("un mot de passe")
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
    organizer.set_password("motdepasse")
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
                     "phase": "axes", "kind": "phase", "direction": "suivant"}
        # Where one name means another thing on one endpoint.
        self.endpoint_args = {"exports.csv_file": {"kind": "notes"},
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
        if "token" in rule.arguments:
            # Only the plenary screen and the organizer (who sees it in the console) hold it.
            args["token"] = (self.event.plenary_token if role in ("plenary", "organizer")
                             else "jeton-devine-" + "x" * 20)
        return args

    def csrf(self, role):
        return csrf_token(self.clients[role], "/organisation/connexion")


@pytest.fixture
def world(app):
    """A factory: each call builds a fresh event with every role seated (see World)."""
    made = []

    def make():
        made.append(World(app, len(made)))
        return made[-1]
    return make
