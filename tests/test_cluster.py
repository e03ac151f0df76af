"""Past one process, for real: gunicorn processes on two ports sharing one PostgreSQL
database and a Redis message queue, Socket.IO clients on each, a Redis that restarts and
a process that crashes. Needs TABLEE_TEST_POSTGRES_URL and TABLEE_TEST_REDIS_URL (and
`redis-server` for the restart test); skipped, saying why, without them."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from board import create_app, db, services
from board.cluster import gunicorn_args  # noqa: E402
from board.models import Connection

from .conftest import _PG_SKIP, POSTGRES_URL

REDIS_URL = os.environ.get("TABLEE_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.cluster


def _why_skip():
    if _PG_SKIP:
        return _PG_SKIP
    if not REDIS_URL:
        return "TABLEE_TEST_REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as error:  # any failure to reach it means: skip, and say why
        return f"Redis at TABLEE_TEST_REDIS_URL is unreachable: {error}"
    try:
        import socketio  # noqa: F401
        import websocket  # noqa: F401
    except ImportError:
        return "the Socket.IO client is not installed (pip install -e '.[dev]')"
    return None


SKIP = _why_skip()
if SKIP:
    print(f"\ntest_cluster skipped: {SKIP}", file=sys.stderr)
    pytestmark = [pytestmark, pytest.mark.skip(reason=SKIP)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_port(port, process, log):
    def up():
        if process.poll() is not None:
            raise RuntimeError(f"process exited: {Path(log).read_text()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False
    wait_for(up, 30, f"port {port}")


class Server:
    """One gunicorn process (gevent worker), as in production."""

    def __init__(self, env, tmp_path, name):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "TABLEE_PORT": str(self.port)}
        self.log = tmp_path / f"{name}.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *gunicorn_args(self.port), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=open(self.log, "a"),  # noqa: SIM115
            stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(self.port, self.process, self.log)

    def kill(self):
        """A crash of the master and its worker: no goodbye, no disconnect handlers."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


class Redis:
    """Our own redis-server on a free port, so that restarting it disturbs no one else."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port, self.process, os.devnull)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


class Tablet:
    """A person at a table: an HTTP session on one server, and a socket on (maybe) another."""

    def __init__(self, server, code, name):
        import requests

        self.http = requests.Session()
        self.server = server
        page = self.http.get(server.url + "/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        answer = self.http.post(server.url + "/rejoindre", allow_redirects=False,
                                data={"code": code, "name": name, "csrf_token": token})
        assert answer.status_code == 302, answer.text
        self.token = re.search(r'name="csrf_token" value="([^"]+)"',
                               self.http.get(server.url + "/table").text)[1]
        self.received = []
        self.sio = None
        self.table_id = None

    def listen(self, server, room):
        import socketio

        self.table_id = int(room.partition("-")[2])
        self.sio = socketio.Client(reconnection=True)
        for name in ("push", "hello", "tick"):
            self.sio.on(name, lambda data, name=name: self.received.append((name, data)))
        self.sio.connect(server.url, transports=["websocket"], auth={"room": room},
                         headers={"Cookie": f"session={self.http.cookies.get('session')}"},
                         wait_timeout=10)

    def post_note(self, text, theme_id, server=None):
        server = server or self.server
        return self.http.post(server.url + "/constats/",
                              data={"text": text, "theme_id": theme_id,
                                    "idempotency_key": uuid.uuid4().hex},
                              headers={"X-CSRFToken": self.token, "HX-Request": "true"})

    def pushes(self, name="push"):
        return [data for n, data in self.received if n == name]

    def close(self):
        if self.sio is not None:
            self.sio.disconnect()


@pytest.fixture
def base_env(tmp_path):
    env = {**os.environ, "TABLEE_SQLALCHEMY_DATABASE_URI": POSTGRES_URL,
           "TABLEE_SECRET_KEY": "cluster-tests", "TABLEE_ASSETS_CDN": "false",
           "TABLEE_RATELIMIT_ENABLED": "false",
           # A channel of our own: Redis pub/sub is shared by every database number.
           "TABLEE_SOCKETIO_CHANNEL": f"tablee-test-{uuid.uuid4().hex}",
           "TABLEE_HOUSEKEEPING_INTERVAL": "1", "TABLEE_PRESENCE_TIMEOUT": "4"}
    return env


@pytest.fixture
def shared_event(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": POSTGRES_URL, "SECRET_KEY": "cluster-tests"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        event = services.create_event({
            "name": "Hackathon à deux serveurs", "date": None, "place": "", "table_count": 2,
            "themes": [{"name": "Éducation", "colour": "#1d70b8"}]})
        yield app, event
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    queue = Redis(tmp_path)
    queue.start()
    yield queue
    queue.stop()


@pytest.fixture
def pair(request, base_env, tmp_path, shared_event):
    """Two processes on one Redis (the test's own if it asks for `own_redis`), Awa seated
    through the first, Bob through the second, each listening where they joined."""
    _app, event = shared_event
    queue = (request.getfixturevalue("own_redis").url if "own_redis" in request.fixturenames
             else REDIS_URL)
    base_env["TABLEE_SOCKETIO_MESSAGE_QUEUE"] = queue
    a, b = Server(base_env, tmp_path, "a"), Server(base_env, tmp_path, "b")
    a.start()
    b.start()
    table = event.tables[0]
    awa, bob = Tablet(a, table.join_code, "Awa"), Tablet(b, table.join_code, "Bob")
    awa.listen(a, f"table-{table.id}")
    bob.listen(b, f"table-{table.id}")
    yield a, b, awa, bob
    for closing in (awa.close, bob.close, a.stop, b.stop):
        closing()


def test_a_write_through_one_process_reaches_tablets_on_the_other(pair, shared_event):
    _a, _b, awa, bob = pair
    theme = shared_event[1].themes[0].id
    wait_for(lambda: awa.pushes("hello") and bob.pushes("hello"), what="hello")
    assert awa.post_note("Écrit sur le serveur A", theme).status_code == 201
    for tablet in (awa, bob):
        wait_for(lambda t=tablet: t.pushes(), what="the push")
        [push] = tablet.pushes()
        assert push["seq"] == 1 and "Écrit sur le serveur A" in push["html"]
    assert bob.post_note("Écrit sur le serveur B", theme).status_code == 201
    wait_for(lambda: len(awa.pushes()) == 2, what="the push from B")
    assert awa.pushes()[1]["seq"] == 2 and "serveur B" in awa.pushes()[1]["html"]


def test_presence_is_right_across_processes_and_after_one_crashes(pair, shared_event):
    import requests

    a, b, _awa, bob = pair
    app, event = shared_event

    def present():
        with app.app_context():
            return sorted(db.session.execute(db.select(Connection.server_id)).scalars())

    wait_for(lambda: len(present()) == 2, what="two connections")
    assert len(set(present())) == 2  # each process stamps its own rows
    wall = b.url + f"/pleniere/{event.plenary_token}/mur"
    # The wall counts the people at the table, whichever process holds their socket.
    assert ">2 présent·e·s<" in requests.get(wall).text
    a.kill()  # Awa's process dies without running any disconnect handler
    wait_for(lambda: len(present()) == 1, timeout=30, what="the sweep")
    page = requests.get(wall).text
    assert ">1 présent·e<" in page and "présent·e·s<" not in page
    # Bob's tablet kept working through the crash.
    assert bob.post_note("Toujours là", event.themes[0].id).status_code == 201
    wait_for(lambda: bob.pushes(), what="Bob's push")


def test_after_redis_restarts_pushes_resume_and_tablets_catch_up(own_redis, pair, base_env,
                                                                 shared_event):
    import redis as redis_client

    _a, b, awa, bob = pair
    theme = shared_event[1].themes[0].id
    channel = base_env["TABLEE_SOCKETIO_CHANNEL"]

    def subscribers():
        try:
            return dict(redis_client.Redis.from_url(own_redis.url).pubsub_numsub(channel)).get(
                channel.encode(), 0)
        except redis_client.exceptions.ConnectionError:
            return 0

    wait_for(lambda: subscribers() == 2, what="both processes subscribed")
    own_redis.stop()
    # Saved while Redis is down: the write succeeds, the push is lost.
    assert awa.post_note("Pendant la panne", theme).status_code == 201
    # Each process still ticks its own sockets: Bob learns he is behind and would refetch.
    wait_for(lambda: any(t["seq"] == 1 for t in bob.pushes("tick")), what="a tick")
    assert bob.pushes() == []
    own_redis.start()
    wait_for(lambda: subscribers() == 2, timeout=40, what="both processes back on Redis")
    assert awa.post_note("Après la panne", theme).status_code == 201
    wait_for(lambda: bob.pushes() and awa.pushes(), what="pushes after the restart")
    assert bob.pushes()[0]["seq"] == 2 and "Après la panne" in bob.pushes()[0]["html"]
    page = bob.http.get(b.url + "/table/tableau", headers={"HX-Request": "true"}).text
    assert "Pendant la panne" in page and "Après la panne" in page


def test_an_oversized_socket_message_closes_that_socket_only(pair, shared_event):
    import requests

    a, _b, awa, bob = pair
    wait_for(lambda: awa.pushes("hello") and bob.pushes("hello"), what="hello")
    awa.sio.reconnection = False
    awa.sio.emit("note", {"text": "x" * 200_000})
    wait_for(lambda: not awa.sio.connected, what="the oversized socket to close")
    assert requests.get(a.url + "/").status_code == 200  # the process carries on
    assert awa.post_note("Le serveur tient", shared_event[1].themes[0].id).status_code == 201
    wait_for(lambda: bob.pushes(), what="a push to the other tablet")


def test_a_socket_from_another_origin_is_refused(pair):
    import socketio

    a, _b, awa, _bob = pair
    spy = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        spy.connect(a.url, transports=["websocket"], wait_timeout=5,
                    auth={"room": f"table-{awa.table_id}"},
                    headers={"Cookie": f"session={awa.http.cookies.get('session')}",
                             "Origin": "http://evil.example"})
