"""The servers under load: Tablée (one process on SQLite, or several on PostgreSQL with the
Redis message queue) and the bare Flask-SocketIO relay. Each is started and stopped here,
listens on 127.0.0.1 only, and is sampled for memory and CPU time."""

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from .load import FORM_CSRF, PAGE_CSRF, THEME_IDS, TableInfo

ROOT = Path(__file__).resolve().parents[1]
SECRET = "benchmark-only-secret"
ORGANIZER = ("regie", "benchmark-only-password")
LOOP_BLOCKED = re.compile(
    r"tablee-loop-blocked at=([\d.]+) ms=([\d.]+) cpu_ms=([\d.]+) what=(.*)")
NAMES = ("Awa", "Bob", "Chloé", "Driss", "Élise", "Farid", "Gaëlle", "Hugo")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, process, log, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"server exited, see {log}") from None
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen within {timeout} s, see {log}")


class Target:
    """What the load needs to know of a server: where, how to join, where to refetch."""

    name = ""

    def __init__(self, workdir: Path, processes=1):
        self.workdir = workdir
        self.ports = [free_port() for _ in range(processes)]
        self.processes: list[subprocess.Popen] = []

    def __getstate__(self):
        # The load generator's processes get a copy of the target (where to connect, how to
        # join): not the server processes, which only this process starts and stops.
        return {**self.__dict__, "processes": []}

    def base_for(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index % len(self.ports)]}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self, port) -> dict:
        return dict(os.environ)

    def logs(self) -> list[Path]:
        return [ROOT / "bench" / "results" / f"{self.name}-{i}.log"
                for i in range(len(self.ports))]

    def loop_blocks(self, start: float, end: float) -> list[tuple[float, str]]:
        """The times a greenlet held a server process's loop between `start` and `end`
        (perf_counter times: the server writes CLOCK_MONOTONIC, see board/loopwatch.py):
        (wall milliseconds, CPU milliseconds, what it was doing), longest first."""
        blocks = []
        for log in self.logs():
            if not log.exists():
                continue
            with open(log, errors="replace") as lines:
                for line in lines:
                    found = LOOP_BLOCKED.match(line)
                    if found and start <= float(found[1]) <= end:
                        blocks.append((float(found[2]), float(found[3]),
                                       found[4].strip()))
        return sorted(blocks, reverse=True)

    def start(self):
        for i, port in enumerate(self.ports):
            log = self.logs()[i]
            log.parent.mkdir(exist_ok=True)
            with open(log, "w") as out:
                process = subprocess.Popen(self.command(), cwd=ROOT, env=self.env(port),
                                           stdout=out, stderr=subprocess.STDOUT)
            self.processes.append(process)
            wait_listening(port, process, log)

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]


class Tablee(Target):
    name = "tablee"

    def __init__(self, workdir, database_url, processes=1, message_queue=None,
                 loop_block_ms=None):
        super().__init__(workdir, processes)
        self.database_url = database_url
        self.loop_block_ms = loop_block_ms
        self.message_queue = message_queue
        self.token = ""
        self.event_id = 0

    def command(self):
        return [sys.executable, "wsgi.py"]

    def env(self, port):
        env = {**os.environ, "TABLEE_SQLALCHEMY_DATABASE_URI": self.database_url,
               "TABLEE_PORT": str(port), "TABLEE_SECRET_KEY": SECRET,
               "TABLEE_ASSETS_CDN": "false",
               # A venue's tablets share one public address, and so do ours.
               "TABLEE_RATELIMIT_JOIN": "100000 per minute"}
        if self.message_queue:
            env["TABLEE_SOCKETIO_MESSAGE_QUEUE"] = self.message_queue
            env["TABLEE_SOCKETIO_CHANNEL"] = "tablee-bench"
        if self.loop_block_ms:
            env["TABLEE_LOOP_BLOCK_MS"] = str(self.loop_block_ms)
        return env

    def seed(self, tables: int) -> list[TableInfo]:
        """A fresh database holding one event of `tables` tables and three themes."""
        from board import create_app, db, services
        from board.models import Organizer

        _create_database(self.database_url)
        app = create_app({"SQLALCHEMY_DATABASE_URI": self.database_url, "SECRET_KEY": SECRET})
        with app.app_context():
            db.drop_all()
            db.create_all()
            event = services.create_event({
                "name": "Hackathon à dix fois sa taille", "date": None, "place": "Banc d'essai",
                "table_count": tables,
                "themes": [{"name": "Éducation", "colour": "#1d70b8"},
                           {"name": "Emploi", "colour": "#b7410e"},
                           {"name": "Cadre de vie", "colour": "#00703c"}]})
            organizer = Organizer(username=ORGANIZER[0])
            organizer.set_password(ORGANIZER[1])
            db.session.add(organizer)
            db.session.commit()
            self.token, self.event_id = event.plenary_token, event.id
            result = [TableInfo(t.id, t.number, t.join_code, t.captain_code)
                      for t in event.tables]
            db.session.remove()
            db.engine.dispose()
        return result

    async def join(self, tablet):
        """Exactly as a tablet: the QR code's page, the join form, then the board."""
        http, base = tablet.run.http, tablet.base
        # The first tablet of each table joins with the captain's code (merges, the axis).
        code = tablet.table.join_code
        if tablet.captain and tablet.table.captain_code:
            code = tablet.table.captain_code
        async with http.get(f"{base}/j/{code}") as response:
            html = await response.text()
            cookie = response.cookies["session"].value
        async with http.post(f"{base}/rejoindre", allow_redirects=False, data={
                "code": code, "name": NAMES[tablet.index % len(NAMES)],
                "csrf_token": FORM_CSRF.search(html)[1]},
                headers={"Cookie": f"session={cookie}"}) as response:
            if response.status != 302:
                raise RuntimeError(f"join refused: HTTP {response.status}")
            tablet.cookie = f"session={response.cookies['session'].value}"
        async with http.get(f"{base}/table", headers={"Cookie": tablet.cookie}) as response:
            html = await response.text()
        tablet.csrf = PAGE_CSRF.search(html)[1]
        tablet.themes = [int(t) for t in THEME_IDS.findall(html)]
        tablet.apply_region(html, 0.0)

    def region_path(self, tablet):
        return "/table/tableau"

    def wall_path(self):
        return f"/pleniere/{self.token}/mur"

    def screen_auth(self):
        return {"room": f"event-{self.event_id}", "token": self.token}

    def check_database(self, expected) -> dict:
        """Compare what the tablets were told was saved with what the database holds."""
        from sqlalchemy import create_engine, text

        engine = create_engine(self.database_url)
        with engine.connect() as connection:
            rows = connection.execute(text("select id, text, deleted_at from note")).all()
        engine.dispose()
        by_marker: dict[str, list] = {}
        for row in rows:
            found = re.match(r"(bx\d+x)", row.text)
            if found:
                by_marker.setdefault(found[1], []).append(row)
        lost = duplicated = 0
        for marker, want in expected.items():
            have = by_marker.get(marker, [])
            if want.merged:
                continue  # merged: the merged note copies the first one's text, marker included
            if len(have) > 1:
                duplicated += 1
            if not have:
                lost += 1
                continue
            deleted = have[0].deleted_at is not None
            if (have[0].text != want.text and have[0].text not in want.maybe_texts) or (
                    deleted != want.deleted and not want.maybe_deleted):
                lost += 1
        unexpected = sum(1 for m in by_marker if m not in expected)
        return {"notes_checked": len(expected), "lost": lost, "duplicated": duplicated,
                "unacknowledged_in_db": unexpected}


class Bare(Target):
    name = "bare"

    def __init__(self, workdir, processes=1, message_queue=None):
        super().__init__(workdir, processes)
        self.message_queue = message_queue

    def command(self):
        return [sys.executable, "-m", "bench.bare"]

    def env(self, port):
        env = {**os.environ, "BENCH_PORT": str(port)}
        if self.message_queue:
            env["BENCH_MESSAGE_QUEUE"] = self.message_queue
        return env

    def seed(self, tables):
        return [TableInfo(n, n) for n in range(1, tables + 1)]

    async def join(self, tablet):
        tablet.mark(0, 0.0)
        tablet.last_event_seq = 0

    def region_path(self, tablet):
        return f"/region/{tablet.table.id}"

    def wall_path(self):
        return "/wall"

    def screen_auth(self):
        return {"room": "event-1"}

    def check_database(self, expected):
        return {}


class Floor(Bare):
    """The stack's floor (bench/floor.py): the bare server's routes with the least a board
    must do per post, on its own SQLite database."""

    name = "floor"

    def command(self):
        return [sys.executable, "-m", "bench.floor"]

    def env(self, port):
        return {**super().env(port), "BENCH_TABLES": str(self.tables),
                "BENCH_DATABASE": f"sqlite:///{self.workdir / 'floor.sqlite'}"}

    def seed(self, tables):
        self.tables = tables  # the server makes them itself as it starts
        return super().seed(tables)


class Sampler:
    """Resident memory (peak) and CPU seconds of the server processes over a window."""

    def __init__(self, pids):
        self.procs = [psutil.Process(pid) for pid in pids]
        self.peak_rss = 0
        self.cpu0 = self._cpu()

    def _cpu(self):
        return sum(sum(p.cpu_times()[:2]) for p in self.procs)

    def sample(self):
        self.peak_rss = max(self.peak_rss, sum(p.memory_info().rss for p in self.procs))

    def restart(self):
        self.cpu0 = self._cpu()

    def cpu_seconds(self):
        return self._cpu() - self.cpu0


def _create_database(url: str) -> None:
    """The benchmark's own PostgreSQL database, made on first use (SQLite makes its file)."""
    from sqlalchemy import create_engine, make_url, text

    url = make_url(url)
    if not url.drivername.startswith("postgresql"):
        return
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": url.database}) is None:
                connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        engine.dispose()
