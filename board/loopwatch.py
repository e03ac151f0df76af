"""How long one greenlet held the process's loop: the benchmark's probe, off by default.

A gevent process serves every tablet on one thread: while one greenlet runs Python without
yielding (rendering a big page, a loop over thousands of rows, a synchronous C call), no
other request, push or Socket.IO ping moves. `watch_loop` times every greenlet switch and
writes a line to stderr for each run longer than the threshold, with the clock the
benchmark shares (CLOCK_MONOTONIC), the CPU time the thread spent meanwhile (on a shared
machine, wall time also counts the moments the system gave the core to someone else), and
what was running: the request's method and path, or the background task. The hub's own
turns are left out: they include its idle waiting. Each pass of Python's collector over its
oldest generation is written too (`tablee-gc`): it stops whichever greenlet triggered it.
"""

import gc
import sys
import time
import weakref

import gevent
import greenlet
from flask import request

_doing: "weakref.WeakKeyDictionary[greenlet.greenlet, str]" = weakref.WeakKeyDictionary()


def watch_loop(app, threshold_ms: float) -> None:
    threshold = threshold_ms / 1000
    hub = gevent.get_hub()
    state = {"since": time.monotonic(), "cpu": time.thread_time()}

    @app.before_request
    def _label():
        _doing[greenlet.getcurrent()] = f"{request.method} {request.path}"

    def trace(event, args):
        if event not in ("switch", "throw"):
            return
        now, cpu = time.monotonic(), time.thread_time()
        origin = args[0]
        held, used = now - state["since"], cpu - state["cpu"]
        state["since"], state["cpu"] = now, cpu
        if held >= threshold and origin is not hub:
            what = _doing.get(origin) or repr(origin)[:120]
            sys.stderr.write(f"tablee-loop-blocked at={now - held:.4f} ms={held * 1000:.1f} "
                             f"cpu_ms={used * 1000:.1f} what={what}\n")

    greenlet.settrace(trace)

    started = {}

    def collected(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            started["at"] = time.monotonic()
        elif "at" in started:
            took = time.monotonic() - started.pop("at")
            sys.stderr.write(f"tablee-gc at={time.monotonic() - took:.4f} ms={took * 1000:.1f} "
                             f"collected={info['collected']}\n")

    gc.callbacks.append(collected)
