"""Long work cut in slices, so that the process's loop serves everyone meanwhile.

One gevent process serves every tablet on one thread: a page that takes 50 ms of Python
makes every other request, push and ping of the process wait that long. Such a page calls
its `Slices` between two steps (a query, a table, a theme, a few hundred pieces of its
template): once SLICE_SECONDS have gone since the last turn, the other greenlets take
theirs before it goes on. What the page makes is the same; it only takes turns.
"""

import threading
import time
from itertools import islice

from flask import stream_template

from .extensions import socketio

# The longest a page holds the loop, give or take one step (a query, a table's card).
SLICE_SECONDS = 0.01
# Pieces of a template's output (its text and its values) made between two looks at the clock.
PIECES = 200


class Slices:
    """One page's work: call it between two steps; `render` makes its template."""

    def __init__(self):
        self.since = time.perf_counter()

    def __call__(self) -> None:
        if time.perf_counter() - self.since >= SLICE_SECONDS:
            socketio.sleep(0)
            self.since = time.perf_counter()

    def render(self, template: str, **context) -> str:
        """What `render_template` makes, a few hundred pieces at a time."""
        pieces, stream = [], stream_template(template, **context)
        while batch := list(islice(stream, PIECES)):
            pieces += batch
            self()
        return "".join(pieces)


def no_pause() -> None:
    """For work that takes no turns (a push's few cards, an export)."""


class OneAtATime:
    """A lock for work that takes turns: while one holds it, the others wait, and waiting
    lets the loop run. A waiter looks again every millisecond, sleeping between looks, so
    the lock works alike for greenlets (the server, where gevent patches `threading`) and
    for real threads (the tests, unpatched); a gevent lock had hung a threaded test."""

    def __init__(self):
        self._lock = threading.Lock()

    def __enter__(self):
        while not self._lock.acquire(blocking=False):
            socketio.sleep(0.001)

    def __exit__(self, *_exc):
        self._lock.release()
