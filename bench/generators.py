"""The load generator, sharded over processes.

One asyncio process decodes every Socket.IO message the simulated clients receive (about
nine per action: five tablets of the table and four plenary screens) and makes every HTTP
request, on one core: at 1,000 clients and high rates (about 1,200 actions/s on a quiet
2-core machine, far fewer on a busy one) it falls behind before the bare server does. So
the clients are split over `--generators` processes, each with its own event loop and
HTTP pools:

- by whole tables (a table's tablets live in one process, so that per-table bookkeeping
  stays local), and the plenary screens spread the same way;
- each process starts its tablets' actions open loop at its share of the target rate
  (proportional to its tablets), on a schedule that starts at the same `perf_counter()`
  time in every process and interleaves with the others';
- after each window it sends the parent its actions and what its views reached (plain
  data, `load.Window`); the parent merges them and computes write → visible, since a
  table's plenary cards may have arrived in another process. That needs one clock across
  processes: CLOCK_MONOTONIC, checked by `check_clock`.

With one generator everything runs in the caller's event loop, as before there were several.
"""

import asyncio
import gc
import logging
import multiprocessing
import signal
import time
import traceback
from concurrent.futures import ThreadPoolExecutor

import aiohttp

from . import load


def check_clock():
    """perf_counter() must be one clock for the whole machine, or times taken in two
    processes cannot be subtracted. On Linux it is clock_gettime(CLOCK_MONOTONIC): time
    since boot, shared by every process. macOS's mach_absolute_time is shared too; refuse
    anything else rather than print wrong latencies."""
    info = time.get_clock_info("perf_counter")
    if "CLOCK_MONOTONIC" not in info.implementation and \
            "mach_absolute_time" not in info.implementation:
        raise SystemExit(f"perf_counter is {info.implementation}: not known to be shared "
                         "across processes; use --generators 1")


class Generator:
    """The clients of one share of the tables, driven by the event loop it runs in."""

    def __init__(self, target, tables, per_table, screens, shard=0, shards=1,
                 connections=200):
        self.config = (target, tables, per_table, screens, shard, shards)
        self.connections = connections
        self.label = f"generator {shard + 1}/{shards}: " if shards > 1 else ""
        self.share = 0.0  # of the whole rate: this generator's tablets among all of them
        self.phase = shard / shards
        self.run: load.Run | None = None
        self.sessions: list[aiohttp.ClientSession] = []

    async def start(self) -> tuple[int, int]:
        """Join every tablet and connect every screen; returns how many of each."""
        target, tables, per_table, screens, shard, shards = self.config
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self.connections),
                                     cookie_jar=aiohttp.DummyCookieJar())
        sockets = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                        cookie_jar=aiohttp.DummyCookieJar())
        self.sessions = [http, sockets]
        self.run = load.Run(target, http, sockets, tables, per_table, screens, shard, shards)
        self.share = len(self.run.tablets) / max(len(tables) * per_table, 1)
        await self.run.join_all(
            progress=lambda n: print(f"    {self.label}{n} joined", flush=True))
        self.freeze()
        return len(self.run.tablets), len(self.run.screens)

    @staticmethod
    def freeze():
        """Keep the clients and the figures so far out of the garbage collector's full
        collections: they live to the end of the run, and with 1,000 clients a full
        collection stopped the loop for about 100 ms, which showed as late starts and as
        write → visible on the server's account."""
        gc.collect()
        gc.freeze()

    async def window(self, kinds, rate, duration, start, drain) -> load.Window:
        """Drive this generator's share of `rate` from `start`, let the last pushes come
        in for `drain` seconds, and return what happened."""
        cpu = time.process_time()  # this process's user + system CPU, all its threads
        await asyncio.sleep(max(0.0, start - load.now()))
        cpu_start = time.process_time()
        actions, late = await self.run.drive(kinds, rate * self.share, duration, start,
                                             self.phase)
        elapsed = load.now() - start
        busy = (time.process_time() - cpu_start) / max(elapsed, 1e-9)
        await asyncio.sleep(drain)
        window = load.Window(actions, self.run.traces(), elapsed, late,
                             [time.process_time() - cpu], [busy])
        self.freeze()
        return window

    async def close(self) -> dict[str, load.Expected]:
        """Disconnect every client; returns what the database must hold."""
        expected = {}
        if self.run is not None:
            await self.run.close()
            expected = self.run.expected
        for session in self.sessions:
            await session.close()
        self.sessions = []
        return expected


def serve(conn, *config):
    """A generator process: run the parent's commands, one at a time, in its own loop."""
    # A socket the server closed while its client had nothing to send: engine.io says so
    # at error level, once per socket; the drop itself is counted.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    # Ctrl-C reaches the whole process group: the parent stops its generators itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(_serve(conn, Generator(*config)))


async def _serve(conn, generator):
    loop = asyncio.get_running_loop()
    while True:
        try:
            command, *arguments = await loop.run_in_executor(None, conn.recv)
        except EOFError:  # the parent is gone: stop too
            await generator.close()
            return
        assert command in ("start", "window", "close"), command
        try:
            answer = ("ok", await getattr(generator, command)(*arguments))
        except Exception:
            answer = ("error", traceback.format_exc())
        try:
            conn.send(answer)
        except OSError:  # the parent went away while this ran: stop
            command = "close"
            await generator.close()
        if command == "close":
            return


class Remote:
    """A generator in a child process, with the same coroutines as `Generator`."""

    def __init__(self, context, pool, shard, *config):
        self.shard = shard
        self.pool = pool
        self.conn, child = context.Pipe()
        self.busy = False  # a command is on its way: its answer, not another's, comes next
        self.process = context.Process(target=serve, args=(child, *config), daemon=True,
                                       name=f"bench-generator-{shard + 1}")
        self.process.start()
        child.close()

    async def _call(self, command, *arguments):
        self.busy = True
        self.conn.send((command, *arguments))
        try:
            status, value = await asyncio.get_running_loop().run_in_executor(
                self.pool, self.conn.recv)
        except EOFError:
            raise RuntimeError(f"generator {self.shard + 1} exited "
                               f"(code {self.process.exitcode})") from None
        self.busy = False
        if status == "error":
            raise RuntimeError(f"generator {self.shard + 1} failed:\n{value}")
        return value

    async def start(self):
        return await self._call("start")

    async def window(self, *arguments):
        return await self._call("window", *arguments)

    async def close(self):
        if self.busy or not self.process.is_alive():  # interrupted or failed: just end it
            self.stop(0)
            return {}
        try:
            return await self._call("close")
        finally:
            self.stop()

    def stop(self, grace=10):
        """Make sure the process is gone: it exits by itself after `close`; if not, end
        it (its end of the pipe closes with it, which frees a thread waiting on ours)."""
        self.process.join(grace)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class Generators:
    """The load generator: one `Generator` in this process, or one per child process."""

    def __init__(self, target, tables, per_table, screens, count=1, connections=200):
        count = max(1, min(count, len(tables)))  # at least one table each
        self.count = count
        self.closed = False
        self.pool = None
        if count == 1:
            self.members = [Generator(target, tables, per_table, screens, 0, 1, connections)]
            return
        check_clock()
        # Spawned, not forked: the parent has an event loop and open sockets that a forked
        # child would share. Each child imports the bench package afresh.
        context = multiprocessing.get_context("spawn")
        self.pool = ThreadPoolExecutor(count, thread_name_prefix="bench-generator")
        # The HTTP connections are shared out so that their total stays --connections.
        self.members = [Remote(context, self.pool, shard, target, tables, per_table, screens,
                               shard, count, max(1, connections // count))
                        for shard in range(count)]

    async def start(self) -> tuple[int, int]:
        counts = await asyncio.gather(*(m.start() for m in self.members))
        return sum(c[0] for c in counts), sum(c[1] for c in counts)

    async def window(self, kinds, rate, duration, drain) -> load.Window:
        # Every generator starts its schedule at the same moment (perf_counter, one clock
        # across processes), a little ahead so that the command reaches them all first (and
        # the first action is not counted late for the time it took to get there).
        start = load.now() + 0.2
        windows = await asyncio.gather(*(m.window(kinds, rate, duration, start, drain)
                                         for m in self.members))
        merged = windows[0]
        for other in windows[1:]:
            merged.merge(other)
        return merged

    async def close(self) -> dict[str, load.Expected]:
        """Disconnect every client and end the child processes; returns what the database
        must hold (merged). Safe to call twice, and after a failure."""
        if self.closed:
            return {}
        self.closed = True
        expected: dict[str, load.Expected] = {}
        try:
            for part in await asyncio.gather(*(m.close() for m in self.members),
                                             return_exceptions=True):
                if isinstance(part, BaseException):
                    raise part
                expected.update(part)
        finally:
            for member in self.members:
                if isinstance(member, Remote):
                    member.stop()
            if self.pool is not None:
                self.pool.shutdown(wait=False, cancel_futures=True)
        return expected
