"""Simulated tablets and plenary screens, the kinds of action they take, and what is measured.

A tablet behaves like static/js/tablee.js: it joins its table over HTTP (join code, session
cookie, CSRF token), opens a Socket.IO connection to its room, applies numbered pushes in
order, and refetches its board region on a gap or when ``hello`` says it is behind. A plenary
screen follows the event's room and refetches the wall on every (re)connection.

Every view of a table records when it reached which sequence number. A write answers with
the sequence number its change got (``X-Tablee-Seq``), so "write → visible" on a peer is the
first moment that peer's view reached that number, whether by a push or by a refetch; on the
plenary, the first card of that table carrying ``data-seq`` at least that number.

The clients may be spread over several generator processes (bench/generators.py): a
`Run` then holds the tablets of some whole tables and some of the screens, and what its
views reached (`Traces`) is plain data that the parent merges before computing
write → visible. The times are `time.perf_counter()`, comparable across processes (see
`now`).
"""

import asyncio
import itertools
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import socketio

BOARD_SEQ = re.compile(r'id="board"[^>]*?data-seq="(\d+)"')
BOARD_EVENT_SEQ = re.compile(r'id="board"[^>]*?data-event-seq="(\d+)"')
WALL_MARK = re.compile(r'id="board"[^>]*?data-wall="([^"]*)"')
AXIS_ID = re.compile(r'<section id="axis-(\d+)" class="axis')
FIELD_VERSION = re.compile(r'id="version-(\w+)" name="version" value="(\d+)"')
CARD_SEQ = re.compile(r'id="plenary-table-(\d+)"[^>]*?data-seq="(\d+)"')
PAGE_CSRF = re.compile(r'"X-CSRFToken": "([^"]+)"')
FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
THEME_IDS = re.compile(r'name="theme_id" value="(\d+)"')
NEW_NOTE = re.compile(r'beforeend:#notes">\s*<article id="note-(\d+)"')
HTTP_TIMEOUT = 15


def now() -> float:
    # On Linux perf_counter() is clock_gettime(CLOCK_MONOTONIC): one clock for the whole
    # machine, so a write timed in one generator process and a card that arrived in another
    # are on the same scale. bench/generators.py checks this before starting a second process.
    return time.perf_counter()


@dataclass
class Action:
    """One write (or reconnection) and what it led to."""

    kind: str
    table_id: int
    tablet: int
    t0: float
    t1: float = 0.0
    status: int = 0
    seq: int | None = None
    error: str = ""


def _always(tablet) -> bool:
    return True


@dataclass
class Kind:
    """A kind of action: what it does and how often, relative to the others.

    ``run`` performs it for a tablet and returns (HTTP status, sequence number of the change
    or None), timed from its start; ``prepare`` runs just before, untimed (a tablet falling
    asleep before it wakes); ``eligible`` says whether this tablet can do it now (a tablet
    edits only a note it posted); ``visible`` whether write → visible applies (not to a
    reconnection).
    """

    name: str
    weight: float
    run: Callable[["Tablet"], Awaitable[tuple[int, int | None]]]
    eligible: Callable[["Tablet"], bool] = _always  # a named function: kinds cross processes
    visible: bool = True
    prepare: Callable[["Tablet"], Awaitable[None]] | None = None


@dataclass
class TableInfo:
    id: int
    number: int
    join_code: str = ""
    captain_code: str = ""


@dataclass
class Expected:
    """What the database must hold at the end for one posted note."""

    text: str
    note_id: int | None = None
    deleted: bool = False
    # Edits and deletions whose answer never came (a timeout): saved or not, both are right.
    maybe_texts: set[str] = field(default_factory=set)
    maybe_deleted: bool = False
    # Merged by the captain: the merged note carries the first one's text (and marker).
    merged: bool = False


@dataclass
class Traces:
    """What the views reached and when, as plain data that crosses processes.

    ``tablets``: for each table, each of its tablets' (reached, asleep) lists: the
    (time, sequence number) it reached and the (from, to) intervals it slept through;
    ``screens``: for each plenary screen, the (time, data-seq) of every card of each table.
    A table's tablets all live in one generator, a screen in one: merging is a union.
    """

    tablets: dict[int, list[tuple[list, list]]] = field(default_factory=dict)
    screens: list[dict[int, list[tuple[float, int]]]] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def merge(self, other: "Traces"):
        self.tablets.update(other.tablets)
        self.screens.extend(other.screens)
        for name, value in other.counters.items():
            self.counters[name] = self.counters.get(name, 0) + value


@dataclass
class Window:
    """One window of load, from one generator or merged from all of them."""

    actions: list[Action]
    traces: Traces
    elapsed: float        # from the scheduled start to the last action settled
    late_ms: list[float]  # how late each action that started late did (the loop was behind)
    cpu_s: list[float]    # CPU seconds of each generator process over the window, drain included
    busy: list[float]     # each generator's CPU during the load / the load's wall time

    def merge(self, other: "Window"):
        self.actions.extend(other.actions)
        self.traces.merge(other.traces)
        self.elapsed = max(self.elapsed, other.elapsed)
        self.late_ms.extend(other.late_ms)
        self.cpu_s.extend(other.cpu_s)
        self.busy.extend(other.busy)


class Run:
    """The shared state of one generator's load: its clients, actions and expectations.

    With several generators (`shards`), this one holds the tablets of every `shards`-th
    table from `shard` on and every `shards`-th screen: the tablets and screens keep the
    index they would have in one process, so that they reach the same server process in
    cluster mode, and the markers of posts stay unique across generators.
    """

    def __init__(self, target, http, sockets, tables: list[TableInfo], per_table: int,
                 screens: int, shard: int = 0, shards: int = 1):
        self.target = target
        self.http = http  # HTTP requests, a bounded pool of connections
        self.sockets = sockets  # one WebSocket per client, no bound
        self.per_table = per_table
        self.tables = [t for i, t in enumerate(tables) if i % shards == shard]
        self.tablets = [Tablet(self, i * per_table + k, table)
                        for i, table in enumerate(tables) if i % shards == shard
                        for k in range(per_table)]
        self.screens = [Screen(self, i) for i in range(screens) if i % shards == shard]
        self.actions: list[Action] = []
        self.expected: dict[str, Expected] = {}
        self.markers = itertools.count(shard + 1, shards)
        self.tasks: set[asyncio.Task] = set()
        self.closing = False
        self.recoveries: set[asyncio.Task] = set()
        self.join_failures = 0

    def marker(self) -> str:
        # Generator k of n counts k+1, k+1+n, ...: unique across generators.
        return f"bx{next(self.markers):06d}x"

    async def join_all(self, concurrency=16, progress=None):
        gate = asyncio.Semaphore(concurrency)
        done = itertools.count(1)

        async def one(tablet):
            async with gate:
                await tablet.join()
                for attempt in range(5):  # a busy server refuses some: retry as a page does
                    try:
                        await tablet.connect()
                        break
                    except socketio.exceptions.ConnectionError:
                        await asyncio.sleep(1 + attempt)
                else:  # left out of the run (counted), as if asleep all along
                    self.join_failures += 1
                    tablet.offline.append((0.0, float("inf")))
            n = next(done)
            if progress and n % 200 == 0:
                progress(n)

        await asyncio.gather(*(one(t) for t in self.tablets))
        await asyncio.gather(*(s.connect() for s in self.screens))

    async def drive(self, kinds: list[Kind], rate: float, duration: float,
                    start: float | None = None,
                    phase: float = 0.0) -> tuple[list[Action], list[float]]:
        """Start actions at `rate` per second for `duration` seconds, open loop: a slow
        server does not slow the schedule down; what it cannot take shows as latency.

        `start` (a `now()` time) lets several generators share one schedule, each at its
        share of the rate, shifted by `phase` (a fraction of its interval) so that their
        actions interleave. Returns the actions and how late (ms) those that started late
        were: a start is late when the loop gets to it after its time."""
        weights = [k.weight for k in kinds]
        first = len(self.actions)
        start = now() if start is None else start
        late = []
        for n in itertools.count() if rate > 0 else ():
            due = start + (n + phase) / rate
            if due - start >= duration:
                break
            delay = due - now()
            if delay > 0:
                await asyncio.sleep(delay)
            else:
                late.append(-delay * 1000)
            tablet = self._idle_tablet()
            if tablet is None:
                continue
            kind = random.choices(kinds, weights)[0]
            if not kind.eligible(tablet):
                kind = kinds[0]
            self._spawn(self.act(kind, tablet))
        await self.settle()
        return self.actions[first:], late

    def traces(self) -> Traces:
        tablets: dict[int, list[tuple[list, list]]] = {}
        for tablet in self.tablets:
            tablets.setdefault(tablet.table.id, []).append((tablet.seen, tablet.offline))
        views = [*self.tablets, *self.screens]
        return Traces(tablets, [screen.cards for screen in self.screens], {
            "stale_pushes": sum(v.stale for v in views),
            "refetches": sum(v.refetches for v in views),
            # Why: a (re)connection's hello, a gap in the pushes, a tick ahead of the page
            # (a change saved without a push reaching this view: a mass refetch if many).
            **{f"refetches_{why}": sum(v.why.get(why, 0) for v in views)
               for why in ("hello", "gap", "tick")},
            "sockets_dropped": sum(v.drops for v in views),
            "refetch_errors": sum(v.refetch_errors for v in views),
            "tablets_not_seated": self.join_failures})

    def _idle_tablet(self):
        for _ in range(20):
            tablet = random.choice(self.tablets)
            if not tablet.busy and tablet.online:
                return tablet
        return None

    def spawn_recovery(self, view):
        task = asyncio.get_running_loop().create_task(view._recover())
        self.recoveries.add(task)
        task.add_done_callback(self.recoveries.discard)

    def _spawn(self, coro):
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def settle(self, timeout=HTTP_TIMEOUT + 5):
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=timeout)

    async def act(self, kind: Kind, tablet: "Tablet"):
        tablet.busy = True
        action = Action(kind.name, tablet.table.id, tablet.index, now())
        self.actions.append(action)
        try:
            if kind.prepare is not None:
                await kind.prepare(tablet)
                action.t0 = now()
            action.status, action.seq = await kind.run(tablet)
            if not 200 <= action.status < 400:
                action.error = f"HTTP {action.status}"
        except Exception as error:  # a timeout, a refused connection: count it, go on
            action.error = f"{type(error).__name__}: {error}"[:200]
        finally:
            action.t1 = now()
            tablet.busy = False

    async def close(self):
        self.closing = True
        for task in [*self.recoveries, *self.tasks]:
            task.cancel()
        await asyncio.gather(*(c.sio.disconnect() for c in [*self.tablets, *self.screens]
                               if c.sio is not None and c.sio.connected),
                             return_exceptions=True)


class View:
    """What a page shows, as the sequence number it has reached over time."""

    def __init__(self, run: Run, index: int):
        self.run = run
        self.index = index
        self.base = run.target.base_for(index)
        self.sio: socketio.AsyncClient | None = None
        self.refetching: asyncio.Task | None = None
        self.refetches = 0
        self.why: dict[str, int] = {}
        self.refetch_errors = 0
        self.stale = 0
        self.online = False
        self.sleeping = False
        self.drops = 0
        self.offline: list[tuple[float, float]] = []

    def _client(self, cookie=""):
        # engine.io moves a Cookie header into the session's cookie jar, which the shared
        # session does not keep; headers given as websocket options are sent as they are.
        sio = socketio.AsyncClient(reconnection=False, http_session=self.run.sockets,
                                   handle_sigint=False, websocket_extra_options={
                                       "headers": {"Cookie": cookie} if cookie else {}})
        sio.on("hello", self.on_hello)
        sio.on("push", self.on_push)
        sio.on("tick", self.on_tick)
        sio.on("disconnect", self.on_disconnect)
        return sio

    def on_disconnect(self, reason=None):
        self.online = False
        if not self.sleeping and not self.run.closing:
            # Dropped by the server (or a ping lost): reconnect as socket.io-client does.
            self.drops += 1
            self.run.spawn_recovery(self)

    async def _recover(self):
        delay = 1.0  # socket.io-client's defaults: 1 s, doubling up to 5 s, ±50 %
        for _ in range(30):
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            if self.run.closing:
                return
            try:
                await self.connect()
                return
            except Exception:
                delay = min(delay * 2, 5)

    def on_tick(self, msg):
        pass

    def refetch(self, why="gap") -> asyncio.Task:
        if self.refetching is None or self.refetching.done():
            self.why[why] = self.why.get(why, 0) + 1
            self.refetching = asyncio.get_running_loop().create_task(self._refetch())
        return self.refetching

    async def _refetch(self):
        self.refetches += 1
        try:
            async with self.run.http.get(self.base + self.region_path(), headers=self.headers(),
                                         timeout=HTTP_TIMEOUT) as response:
                html = await response.text()
        except Exception:  # like the page: still offline, the next connection tries again
            self.refetch_errors += 1
            return
        self.apply_region(html, now())


class Tablet(View):
    def __init__(self, run: Run, index: int, table: TableInfo):
        super().__init__(run, index)
        self.table = table
        self.captain = index % run.per_table == 0
        self.cookie = ""
        self.csrf = ""
        self.themes: list[int] = []
        self.last_seq: int | None = None
        self.last_event_seq: int | None = None
        self.seen: list[tuple[float, int]] = []
        self.axes: set[int] = set()  # the table's axes, as pushes and refetches showed them
        self.versions: dict[str, int] = {}  # each card field's version, as the page holds it
        self.busy = False
        self.asleep_since = 0.0
        self.greeted = asyncio.Event()
        self.my_notes: list[int] = []
        self.posting: dict[str, str] = {}  # marker of a post whose push has not come yet

    def headers(self, htmx=True):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if htmx:
            headers.update({"HX-Request": "true", "X-CSRFToken": self.csrf})
        return headers

    def region_path(self):
        return self.run.target.region_path(self)

    async def join(self):
        await self.run.target.join(self)

    async def connect(self):
        self.sio = self._client(self.cookie)
        await self.sio.connect(self.base, auth={"room": f"table-{self.table.id}"},
                               transports=["websocket"], wait_timeout=30)
        self.online = True

    def mark(self, seq: int, at: float):
        self.last_seq = seq
        self.seen.append((at, seq))

    def apply_region(self, html, at):
        found = BOARD_SEQ.search(html)
        if found:
            self.mark(int(found[1]), at)
        found = BOARD_EVENT_SEQ.search(html)
        if found:
            self.last_event_seq = int(found[1])
        self.learn(html, whole=True)

    def learn(self, html, whole=False):
        """What the page would now show: the table's axes, the card fields' versions."""
        if whole or 'id="columns"' in html:
            self.axes = {int(a) for a in AXIS_ID.findall(html)}
        for name, version in FIELD_VERSION.findall(html):
            # A field being typed in keeps its newest version: the page holds the form
            # back from a refetch that started before its last save was answered.
            self.versions[name] = max(int(version), self.versions.get(name, 0))

    def on_hello(self, msg):
        # As static/js/tablee.js: behind on the table's number or the event's, refetch.
        if msg.get("seq") != self.last_seq or msg.get("event_seq") != self.last_event_seq:
            self.refetch("hello")
        self.greeted.set()

    def on_tick(self, msg):
        # As the page: a number ahead of the page's means a change it never got pushed.
        if (msg.get("seq") is not None and self.last_seq is not None
                and msg["seq"] > self.last_seq) or (
                msg.get("event_seq") is not None and self.last_event_seq is not None
                and msg["event_seq"] > self.last_event_seq):
            self.refetch("tick")

    @staticmethod
    def _order(seq, last):
        if seq is None:
            return "apply"
        if last is not None and seq <= last:
            return "skip"
        if last is None or seq != last + 1:
            return "refetch"
        return "apply"

    def on_push(self, msg):
        at = now()
        html = msg.get("html", "")
        if self.posting and "beforeend:#notes" in html:
            self._learn_note_id(html)
        seq, event_seq = msg.get("seq"), msg.get("event_seq")
        if seq is None and event_seq is None:
            self.learn(html)
            return
        verdicts = (self._order(seq, self.last_seq), self._order(event_seq, self.last_event_seq))
        if "skip" in verdicts:
            self.stale += 1
        elif "refetch" in verdicts:
            self.refetch()
        else:
            if event_seq is not None:
                self.last_event_seq = event_seq
            if seq is not None:
                self.mark(seq, at)
            self.learn(html)

    def _learn_note_id(self, html):
        # The marker must be in the new note itself: the same push also carries the
        # proposal card's list of the table's notes, where a peer's pending post shows too.
        found = NEW_NOTE.search(html)
        if not found:
            return
        article = html[found.end():html.find("</article>", found.end())]
        for marker in list(self.posting):
            if marker in article:
                note_id = int(found[1])
                self.my_notes.append(note_id)
                self.run.expected[marker].note_id = note_id
                del self.posting[marker]

    async def write(self, path, data) -> tuple[int, int | None]:
        async with self.run.http.post(self.base + path, data=data, headers=self.headers(),
                                      allow_redirects=False, timeout=HTTP_TIMEOUT) as response:
            await response.read()
            seq = response.headers.get("X-Tablee-Seq")
            return response.status, int(seq) if seq else None


class Screen(View):
    """A plenary screen: whole table cards that replace themselves."""

    def __init__(self, run: Run, index: int):
        super().__init__(run, index)
        self.cards: dict[int, list[tuple[float, int]]] = {}
        self.mark = ""

    def headers(self, htmx=True):
        return {"HX-Request": "true"}

    def region_path(self):
        return self.run.target.wall_path()

    async def connect(self):
        self.sio = self._client()
        await self.sio.connect(self.base, auth=self.run.target.screen_auth(),
                               transports=["websocket"], wait_timeout=30)
        self.online = True

    def apply_region(self, html, at):
        found = WALL_MARK.search(html)
        if found:
            self.mark = found[1]
        for table_id, seq in CARD_SEQ.findall(html):
            self.cards.setdefault(int(table_id), []).append((at, int(seq)))

    def on_hello(self, msg):
        self.refetch("hello")

    def on_tick(self, msg):
        # As the page: the wall's mark differs from the one it was rendered with.
        if msg.get("wall") is not None and msg["wall"] != self.mark:
            self.refetch("tick")

    def on_push(self, msg):
        self.apply_region(msg.get("html", ""), now())


# The kinds of action a tablet takes today. A new kind is a coroutine and a line in KINDS.

NOTE_TEXT = "Pas assez de bus le soir après 21 h, les jeunes rentrent à pied du centre"


async def post_note(tablet: Tablet):
    marker = tablet.run.marker()
    text = f"{marker} {NOTE_TEXT}"
    tablet.run.expected[marker] = Expected(text)
    tablet.posting[marker] = text
    try:
        status, seq = await tablet.write("/constats/", {
            "text": text, "theme_id": random.choice(tablet.themes),
            "idempotency_key": uuid.uuid4().hex})
    except Exception:
        _forget(tablet, marker)  # never acknowledged: the database may or may not have it
        raise
    if status >= 400:
        _forget(tablet, marker)
    return status, seq


def _forget(tablet: Tablet, marker: str):
    """A post not acknowledged: expect nothing of it, and do not edit it (its push may have
    come before the answer failed, or come after)."""
    expected = tablet.run.expected.pop(marker)
    tablet.posting.pop(marker, None)
    if expected.note_id in tablet.my_notes:
        tablet.my_notes.remove(expected.note_id)


def _has_note(tablet: Tablet) -> bool:
    return bool(tablet.my_notes)


def _expected_for(run: Run, note_id: int) -> Expected:
    return next(e for e in run.expected.values() if e.note_id == note_id)


async def edit_note(tablet: Tablet):
    note_id = random.choice(tablet.my_notes)
    expected = _expected_for(tablet.run, note_id)
    post_marker = expected.text.split()[0]
    text = f"{post_marker} {tablet.run.marker()} revu : {NOTE_TEXT}"
    try:
        status, seq = await tablet.write(f"/constats/{note_id}/modifier", {
            "text": text, "theme_id": random.choice(tablet.themes)})
    except Exception:
        expected.maybe_texts.add(text)
        raise
    if status < 400:
        expected.text = text
    return status, seq


async def delete_note(tablet: Tablet):
    note_id = tablet.my_notes.pop(random.randrange(len(tablet.my_notes)))
    expected = _expected_for(tablet.run, note_id)
    try:
        status, seq = await tablet.write(f"/constats/{note_id}/supprimer", {})
    except Exception:
        expected.maybe_deleted = True
        raise
    if status < 400:
        expected.deleted = True
    return status, seq


async def fall_asleep(tablet: Tablet):
    tablet.online = False
    tablet.sleeping = True
    tablet.asleep_since = now()
    await tablet.sio.disconnect()


async def reconnect(tablet: Tablet):
    """The tablet wakes: a new socket, ``hello``, and the refetch if it is behind."""
    tablet.greeted.clear()
    tablet.sleeping = False
    try:
        await tablet.connect()
    except Exception:
        tablet.run.spawn_recovery(tablet)
        raise
    await asyncio.wait_for(tablet.greeted.wait(), HTTP_TIMEOUT)
    if tablet.refetching is not None:
        await tablet.refetching
    tablet.offline.append((tablet.asleep_since, now()))
    return 200, None


async def bare_post(tablet: Tablet):
    async with tablet.run.http.post(f"{tablet.base}/push/{tablet.table.id}",
                                    data={"text": f"{tablet.run.marker()} {NOTE_TEXT}"},
                                    timeout=HTTP_TIMEOUT) as response:
        await response.read()
        return response.status, int(response.headers["X-Tablee-Seq"])


TABLEE_KINDS = [
    Kind("post", 0.60, post_note),
    Kind("edit", 0.25, edit_note, _has_note),
    Kind("delete", 0.13, delete_note, _has_note),
    Kind("reconnect", 0.02, reconnect, visible=False, prepare=fall_asleep),
]
BARE_KINDS = [Kind("post", 1.0, bare_post)]


@dataclass
class Visibility:
    peers: list[float] = field(default_factory=list)    # ms until every peer of the table saw it
    plenary: list[float] = field(default_factory=list)  # ms until every plenary screen saw it
    lost: int = 0                                       # acknowledged, never seen somewhere


def first_reaching(seen: list[tuple[float, int]], seq: int, after: float) -> float | None:
    for at, reached in seen:
        if reached >= seq:
            return at
    return None


def visibility(traces: Traces, actions: list[Action]) -> dict[str, Visibility]:
    """Write → visible per kind: the slowest peer of the table, the slowest plenary screen."""
    result: dict[str, Visibility] = {}
    for action in actions:
        if action.error or action.seq is None:
            continue
        out = result.setdefault(action.kind, Visibility())
        worst, lost = 0.0, False
        for seen, offline in traces.tablets[action.table_id]:
            if any(a <= action.t0 <= b for a, b in offline):
                continue  # asleep when it happened: its catch-up is the reconnection's figure
            at = first_reaching(seen, action.seq, action.t0)
            if at is None:
                lost = True
            else:
                worst = max(worst, at - action.t0)
        worst_wall = 0.0
        for cards in traces.screens:
            at = first_reaching(cards.get(action.table_id, []), action.seq, action.t0)
            if at is None:
                lost = True
            else:
                worst_wall = max(worst_wall, at - action.t0)
        if lost:  # counted apart: a latency of "never" has no place among the others
            out.lost += 1
        else:
            out.peers.append(worst * 1000)
            out.plenary.append(worst_wall * 1000)
    return result
