"""Browser tests: a real server process (gevent, Socket.IO) driven by headless Chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from board import create_app, db, services
from board.models import Organizer

CHROMIUM = os.environ.get("TABLEE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TABLET = {"width": 768, "height": 1024}
PROJECTOR = {"width": 1920, "height": 1080}
ROOT = Path(__file__).resolve().parents[2]


def _why_no_browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]')"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _why_no_browser()
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python wsgi.py` on a free port, on its own SQLite file; restartable."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{tmp_path / 'browser.sqlite'}"
        self.env = {**os.environ, "TABLEE_SQLALCHEMY_DATABASE_URI": self.db_url,
                    "TABLEE_PORT": str(self.port), "TABLEE_SECRET_KEY": "browser-tests",
                    "TABLEE_ASSETS_CDN": "false", "TABLEE_RATELIMIT_ENABLED": "false",
                    # The wall's overview follows every change (its pace is tested alone).
                    "TABLEE_WALL_OVERVIEW_DELAY": "0"}
        self.log = open(tmp_path / "server.log", "w")  # noqa: SIM115 - closed in stop()
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, "wsgi.py"], cwd=ROOT, env=self.env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: see {self.log.name}") from None
                time.sleep(0.1)
        raise RuntimeError("server did not start within 20 s")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def restart(self):
        self.stop()
        self.start()


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("live")
    server = LiveServer(tmp_path)
    app = create_app({"SQLALCHEMY_DATABASE_URI": server.db_url, "SECRET_KEY": "browser-tests"})
    with app.app_context():
        db.create_all()
        server.start()
        yield app, server
        server.stop()
        server.log.close()


@pytest.fixture
def live(live_app):
    return live_app[1]


@pytest.fixture
def live_event(live_app):
    """A fresh event in the live server's database, for one test."""
    return services.create_event({
        "name": "Hackathon du navigateur", "date": None, "place": "Paris", "table_count": 3,
        "themes": [{"name": "Éducation", "colour": "#1d70b8"},
                   {"name": "Emploi", "colour": "#00703c"}],
    })


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _expected(console_text):
    # A refused form answers 4xx on purpose, and a restarting server refuses connections
    # (htmx logs a request that never reached the server as "htmx:afterRequest, <form>").
    return ("status of 4" in console_text or "ERR_CONNECTION_REFUSED" in console_text
            or console_text.startswith(("htmx:afterRequest", "htmx:sendError")))


@pytest.fixture
def open_page(browser):
    """Open a page in a fresh context (its own cookies) at a given viewport; no JS errors allowed."""
    contexts, errors = [], []

    def open_(url, viewport=TABLET, touch=False):
        context = browser.new_context(viewport=viewport, locale="fr-FR", has_touch=touch)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"{url}: {error}"))
        page.on("console", lambda msg: errors.append(f"{url}: {msg.text}")
                if msg.type == "error" and not _expected(msg.text) else None)
        page.goto(url)
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == []


def join(open_page, live, table, name, captain=False, touch=False, base=None):
    """Seat a new tablet at `table`; `base` reaches the server another way (a proxy)."""
    base = base or live.url
    page = open_page(f"{base}/j/{table.join_code}", touch=touch)
    if captain:
        page.get_by_label("Code de la table").fill(table.captain_code)
    page.get_by_label("Votre prénom").fill(name)
    page.get_by_role("button", name="Rejoindre la table").click()
    page.wait_for_url(f"{base}/table")
    wait_online(page)
    return page


def wait_online(page):
    page.locator('#connection[data-state="online"]').wait_for(timeout=10_000)


AXE = ROOT / "tests" / "browser" / ".axe" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page, impacts=("serious", "critical")):
    """Run axe-core (WCAG 2.1 A and AA rules) on the page as it is; keep the serious ones
    (or those of the given impacts; None: every violation, whatever its impact)."""
    if not AXE.exists():
        pytest.skip(f"axe-core is not installed at {AXE.relative_to(ROOT)} (make test installs it with npm)")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: "tag",
            values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [v for v in result if impacts is None or v["impact"] in impacts]


@pytest.fixture
def organizer_page(open_page, live, live_app):
    """An organizer signed in on a laptop-sized page."""
    with live_app[0].app_context():
        organizer = db.session.scalar(db.select(Organizer).where(Organizer.username == "a11y"))
        if organizer is None:
            organizer = Organizer(username="a11y")
            organizer.set_password("mot de passe a11y")
            db.session.add(organizer)
            db.session.commit()
    page = open_page(f"{live.url}/organisation/connexion", viewport={"width": 1280, "height": 800})
    page.get_by_label("Identifiant").fill("a11y")
    page.get_by_label("Mot de passe").fill("mot de passe a11y")
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live.url}/organisation/")
    return page
class CuttableProxy:
    """A TCP proxy in front of the live server that can drop every connection at once and
    refuse new ones, like a tablet's wifi going away, then come back on the same port.

    Unlike emulating offline in the browser, cutting here also kills the open WebSocket,
    so the page has to notice the drop and reconnect by itself.
    """

    def __init__(self, target_port):
        import threading

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.target = target_port
        self.lock = threading.Lock()
        self.sockets = set()
        self.listener = None

    def start(self):
        import threading

        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        import threading

        while True:
            try:
                client, _address = listener.accept()
                upstream = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                return
            with self.lock:
                self.sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, s):
        with self.lock:
            self.sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()

    def cut(self):
        """The wifi goes: open connections drop, new ones are refused."""
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            open_sockets = list(self.sockets)
        for s in open_sockets:
            self._close(s)

    def restore(self):
        self.start()


@pytest.fixture
def proxy(live):
    proxy = CuttableProxy(live.port)
    proxy.start()
    yield proxy
    proxy.cut()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails shows the live server's last lines beside its traceback:
    what the server answered (or raised) is half of why a page did not change."""
    report = (yield).get_result()
    live = item.funcargs.get("live") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and isinstance(live, LiveServer):
        live.log.flush()
        with open(live.log.name, errors="replace") as log:
            report.sections.append(("live server log, last lines", "".join(log.readlines()[-60:])))
