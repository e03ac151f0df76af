"""The day's mix (`--mode day`): the real day played in phases, at its pace or faster.

The day is played as the organizer runs it, phase after phase, each a share of `--minutes`:
diagnostic (notes), axes (axes, moves, dot votes, merges), consolidation (the organizer
gathers the tables' axes into priority axes while the tables tidy up), drafting (the card,
typed by the five tablets of each table at once, each in its field, with its presence),
pitches (the organizer's phone as a remote), selection (the verdicts). Throughout, the
organizer's laptop and phone follow the régie (console room: refetch on hello and ticks),
the plenary screens follow the wall, and tablets fall asleep and wake up.

**The pace.** `REAL_PACE` gives what one tablet does per minute in each phase on a real day
(a person posts a note every two minutes or so in the diagnostic, moves a note every two in
the axes, saves a card field about once a minute while drafting: the typing is debounced
and one burst is one save). These are estimates, not records: the real day kept no logs.
`--speed` multiplies them (10: the day accelerated ten times); the organizer's pace is
multiplied too.
"""

import asyncio
import random
import re
import time
from dataclasses import dataclass, field

import aiohttp
import socketio

from . import load
from .load import HTTP_TIMEOUT, PAGE_CSRF, Action, Kind, Tablet, now
from .servers import ORGANIZER

FORM_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
FREE_AXIS = re.compile(r'type="checkbox" name="axis_ids" value="(\d+)"')
DECIDABLE = re.compile(r'/selection/(\d+)"')
CARD_FIELDS = ("title", "need", "objective", "summary", "budget_purpose")
WORDS = ("mobilité", "quartier", "jeunes", "emploi", "bus", "soir", "parents", "école",
         "formation", "association", "mairie", "centre", "social", "sport", "culture")


# ---- What a tablet does on the day, besides posting, editing and deleting notes ----------

def _has_axis(tablet: Tablet) -> bool:
    return bool(tablet.axes)


def _can_move(tablet: Tablet) -> bool:
    return bool(tablet.axes and tablet.my_notes)


def _can_vote(tablet: Tablet) -> bool:
    return bool(tablet.axes) and getattr(tablet, "dots_spent", 0) < 3  # the default budget


def _can_merge(tablet: Tablet) -> bool:
    return tablet.captain and len(tablet.my_notes) >= 2


async def create_axis(tablet: Tablet):
    name = " ".join(random.sample(WORDS, 3)).capitalize()
    return await tablet.write("/axes/", {"name": name, "theme_id": random.choice(tablet.themes)})


async def move_note(tablet: Tablet):
    note_id = random.choice(tablet.my_notes)
    return await tablet.write(f"/axes/constats/{note_id}/deplacer",
                              {"axis_id": random.choice(sorted(tablet.axes)), "index": 0})


async def vote(tablet: Tablet):
    status, seq = await tablet.write("/axes/gommettes",
                                     {"axis_id": random.choice(sorted(tablet.axes))})
    if status < 400:
        tablet.dots_spent = getattr(tablet, "dots_spent", 0) + 1
    return status, seq


async def merge(tablet: Tablet):
    """The captain merges two of its notes: both leave the notes it edits or moves."""
    pair = random.sample(tablet.my_notes, 2)
    for note_id in pair:
        tablet.my_notes.remove(note_id)
    # Merged or not (an answer that never came), the database check leaves them out.
    for expected in tablet.run.expected.values():
        if expected.note_id in pair:
            expected.merged = True
    return await tablet.write("/axes/fusion", [("note_ids", n) for n in pair])


def _my_field(tablet: Tablet) -> str:
    return CARD_FIELDS[tablet.index % len(CARD_FIELDS)]


async def say_where(tablet: Tablet):
    """Presence: the tablet says it has focus in its field (the others see who writes)."""
    await tablet.sio.call("presence", {"field": _my_field(tablet)}, timeout=HTTP_TIMEOUT)
    return 200, None


async def type_in_card(tablet: Tablet):
    """One debounced save of the field this tablet writes in: the text so far, a few more
    words, over the version its page holds (the save's answer and the pushes update it)."""
    name = _my_field(tablet)
    typed = getattr(tablet, "typed", "") + " " + " ".join(random.sample(WORDS, 2))
    tablet.typed = typed[-(190 if name == "title" else 900):].strip()  # a title holds 200
    url = f"/tables/{tablet.table.id}/fiche/{name}"
    async with tablet.run.http.post(tablet.base + url, headers=tablet.headers(),
                                    data={"value": tablet.typed,
                                          "version": tablet.versions.get(name, 0)},
                                    allow_redirects=False, timeout=HTTP_TIMEOUT) as response:
        html = await response.text()
        seq = response.headers.get("X-Tablee-Seq")
        tablet.learn(html)
        return response.status, int(seq) if seq else None


@dataclass
class Phase:
    """One phase of the day: the event's phase, its share of the day, what each tablet
    does per minute at the real pace, and what the organizer does meanwhile."""

    name: str
    share: float
    per_minute: float
    kinds: list[Kind]
    organizer: list[tuple[str, float]] = field(default_factory=list)  # (task, every N s)


RECONNECT = Kind("reconnect", 0.02, load.reconnect, visible=False, prepare=load.fall_asleep)
POST, EDIT, DELETE = (Kind("post", 0.45, load.post_note),
                      Kind("edit", 0.10, load.edit_note, load._has_note),
                      Kind("delete", 0.05, load.delete_note, load._has_note))
PRESENCE = Kind("presence", 0.2, say_where, visible=False)

PHASES = [
    Phase("diagnostic", 0.20, 0.62, [POST, EDIT, DELETE, RECONNECT],
          [("console", 120)]),
    # The first kind of each phase can always be done: it stands in for one that cannot.
    Phase("axes", 0.20, 0.82, [Kind("axis", 0.10, create_axis),
                               Kind("move", 0.45, move_note, _can_move),
                               Kind("dot", 0.20, vote, _can_vote),
                               Kind("merge", 0.05, merge, _can_merge), RECONNECT],
          [("regie", 120)]),
    Phase("consolidation", 0.15, 0.22, [Kind("presence", 0.02, say_where, visible=False),
                                        Kind("move", 0.20, move_note, _can_move), RECONNECT],
          [("consolidation", 60), ("gather", 30)]),
    Phase("drafting", 0.25, 1.22, [Kind("type", 1.0, type_in_card), PRESENCE, RECONNECT],
          [("regie", 120)]),
    Phase("pitches", 0.10, 0.07, [Kind("presence", 0.05, say_where, visible=False),
                                  RECONNECT],
          [("next", 180), ("regie", 120)]),
    Phase("selection", 0.10, 0.07, [Kind("presence", 0.05, say_where, visible=False),
                                    RECONNECT],
          [("selection", 60), ("decide", 20)]),
]


# ---- The organizer: a laptop (régie, consolidation, console) and a phone (régie) --------

class Organizer:
    """The organizer's two devices: both follow the console room as the page does
    (refetch the régie's region on hello and on every tick), the laptop makes the
    requests and the phone sends the remote's buttons over its socket."""

    def __init__(self, target, http, sockets):
        self.target, self.http, self.sockets = target, http, sockets
        self.base = target.base_for(0)
        self.event_id = target.event_id
        self.cookie = ""
        self.csrf = ""
        self.devices: list[socketio.AsyncClient] = []
        self.actions: list[Action] = []
        self.refetches = 0
        self.drops = 0
        self.closing = False
        self.free_axes: list[int] = []
        self.decidable: list[int] = []

    def headers(self):
        return {"Cookie": self.cookie, "HX-Request": "true", "X-CSRFToken": self.csrf}

    @property
    def prefix(self):
        return f"/organisation/evenements/{self.event_id}"

    async def sign_in(self):
        async with self.http.get(f"{self.base}/organisation/connexion") as response:
            html = await response.text()
            cookie = response.cookies["session"].value
        async with self.http.post(f"{self.base}/organisation/connexion", allow_redirects=False,
                                  data={"username": ORGANIZER[0], "password": ORGANIZER[1],
                                        "csrf_token": FORM_CSRF.search(html)[1]},
                                  headers={"Cookie": f"session={cookie}"}) as response:
            if response.status != 302:
                raise RuntimeError(f"organizer sign-in refused: HTTP {response.status}")
            self.cookie = f"session={response.cookies['session'].value}"
        async with self.http.get(f"{self.base}{self.prefix}/regie",
                                 headers={"Cookie": self.cookie}) as response:
            self.csrf = PAGE_CSRF.search(await response.text())[1]
        for _device in ("laptop", "phone"):
            await self.connect()

    async def connect(self):
        sio = socketio.AsyncClient(reconnection=True, http_session=self.sockets,
                                   handle_sigint=False,
                                   websocket_extra_options={"headers": {"Cookie": self.cookie}})
        sio.on("hello", lambda msg: self._spawn(self.refetch()))
        # The régie's region has no wall mark: like the page, it refetches on every tick.
        sio.on("tick", lambda msg: self._spawn(self.refetch()))
        sio.on("disconnect", self._dropped)
        await sio.connect(self.base, auth={"room": f"console-{self.event_id}"},
                          transports=["websocket"], wait_timeout=30)
        self.devices.append(sio)

    def _dropped(self, reason=None):
        if not self.closing:
            self.drops += 1

    def _spawn(self, coro):
        asyncio.get_running_loop().create_task(coro)

    async def refetch(self):
        self.refetches += 1
        await self._timed("régie region", "get", f"{self.prefix}/regie/direct")

    async def _timed(self, kind, method, path, data=None):
        action = Action(f"organizer {kind}", 0, -1, now())
        self.actions.append(action)
        try:
            async with self.http.request(method, self.base + path, data=data,
                                         headers=self.headers(), allow_redirects=False,
                                         timeout=HTTP_TIMEOUT) as response:
                html = await response.text()
                action.status = response.status
                if response.status >= 400:
                    action.error = f"HTTP {response.status}"
                return html
        except Exception as error:
            action.error = f"{type(error).__name__}: {error}"[:200]
            return ""
        finally:
            action.t1 = now()

    async def set_phase(self, phase):
        await self._timed("phase", "post", f"{self.prefix}/etape", {"phase": phase})

    async def task(self, name):
        if name == "console":
            await self._timed("console page", "get", self.prefix)
        elif name == "regie":
            await self._timed("régie page", "get", f"{self.prefix}/regie")
        elif name == "consolidation":
            html = await self._timed("consolidation page", "get", f"{self.prefix}/consolidation")
            self.free_axes = [int(a) for a in FREE_AXIS.findall(html)]
        elif name == "gather":
            if len(self.free_axes) < 3:
                return
            picked = random.sample(self.free_axes, 3)
            self.free_axes = [a for a in self.free_axes if a not in picked]
            await self._timed("gather", "post", f"{self.prefix}/axes-prioritaires",
                              [("title", "Axe " + " ".join(random.sample(WORDS, 2)))]
                              + [("axis_ids", a) for a in picked])
        elif name == "next":
            action = Action("organizer pitch next (remote)", 0, -1, now())
            self.actions.append(action)
            try:
                answer = await self.devices[-1].call(
                    "remote", {"event_id": self.event_id, "action": "next"},
                    timeout=HTTP_TIMEOUT)
                action.status = 200
                if not answer.get("ok"):
                    action.error = f"refused: {answer.get('errors')}"[:200]
            except Exception as error:
                action.error = f"{type(error).__name__}: {error}"[:200]
            finally:
                action.t1 = now()
        elif name == "selection":
            html = await self._timed("selection page", "get", f"{self.prefix}/selection")
            self.decidable = sorted({int(p) for p in DECIDABLE.findall(html)})
        elif name == "decide" and self.decidable:
            proposal = self.decidable.pop(0)
            await self._timed("decide", "post", f"{self.prefix}/selection/{proposal}",
                              {"verdict": random.choice(("prototype", "to_study")),
                               "comment": ""})

    async def play(self, phase: Phase, speed: float, duration: float):
        """The phase's tasks, each every N seconds of the real day (divided by the speed),
        the first at a random point of its first interval."""
        async def every(name, period):
            period /= speed
            await asyncio.sleep(random.uniform(0, min(period, duration)))
            end = time.monotonic() + duration
            while time.monotonic() < end:
                await self.task(name)
                await asyncio.sleep(period)

        tasks = [asyncio.create_task(every(n, p)) for n, p in phase.organizer]
        await asyncio.sleep(duration)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self):
        self.closing = True
        await asyncio.gather(*(d.disconnect() for d in self.devices), return_exceptions=True)


async def organizer_for(target, http, sockets) -> Organizer:
    organizer = Organizer(target, http, sockets)
    await organizer.sign_in()
    return organizer


def new_sessions():
    return (aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=20),
                                  cookie_jar=aiohttp.DummyCookieJar()),
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                  cookie_jar=aiohttp.DummyCookieJar()))
