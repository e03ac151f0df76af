import os
import re
from datetime import datetime, timedelta

import pytest
from flask import g
from sqlalchemy import create_engine, text

from board import create_app, db, services, socketio
from board.models import Event, Organizer

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


@pytest.fixture
def organizer(app):
    organizer = Organizer(username="orga")
    organizer.set_password("un mot de passe")
    db.session.add(organizer)
    db.session.commit()
    return organizer


@pytest.fixture
def console(client, organizer):
    """A test client signed in as the organizer, with a CSRF token in `console.csrf`."""
    token = csrf_token(client, "/organisation/connexion")
    response = client.post("/organisation/connexion", data={
        "username": "orga", "password": "un mot de passe", "csrf_token": token})
    assert response.status_code == 302
    client.csrf = csrf_token(client, "/organisation/evenements/nouveau")
    return client


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
