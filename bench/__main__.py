"""`python -m bench`: run the load against Tablée and the bare server, print and save figures.

Modes (see bench/README.md): `default` (Tablée on SQLite at the target rate, the bare server
under the same shape, the board's first load in Chromium), `ramp`, `cluster`, `page`.
"""

import argparse
import asyncio
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from . import day, load
from .generators import Generators
from .servers import ROOT, Bare, Floor, Sampler, Tablee

RESULTS = ROOT / "bench" / "results"
P95_BOUND_MS = 150


def pct(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def summary(values):
    return {"n": len(values), "p50": pct(values, 50), "p95": pct(values, 95),
            "p99": pct(values, 99), "max": max(values) if values else None}


def describe(window: load.Window, duration, sampler, kinds) -> dict:
    """The figures of one window of load, merged across the generator processes."""
    actions = window.actions
    for action in actions:
        if not action.t1 and not action.error:
            action.error = "unfinished when the load stopped"
    seen = load.visibility(window.traces, actions)
    per_kind = {}
    for kind in kinds:
        mine = [a for a in actions if a.kind == kind.name]
        if not mine:
            continue
        ok = [a for a in mine if not a.error]
        figures = {"count": len(mine), "errors": len(mine) - len(ok),
                   "response_ms": summary([(a.t1 - a.t0) * 1000 for a in ok])}
        if kind.visible and kind.name in seen:
            figures["visible_peers_ms"] = summary(seen[kind.name].peers)
            figures["visible_plenary_ms"] = summary(seen[kind.name].plenary)
            figures["not_visible"] = seen[kind.name].lost
        per_kind[kind.name] = figures
    visible = [v for s in seen.values() for v in s.peers]
    everywhere = [max(p, w) for s in seen.values() for p, w in zip(s.peers, s.plenary,
                                                                    strict=True)]
    errors = [a.error for a in actions if a.error]
    return {
        "duration_s": round(duration, 1),
        "actions": len(actions),
        "actions_per_s": round(sum(1 for a in actions if not a.error) / duration, 1),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "not_visible": sum(s.lost for s in seen.values()),
        "visible_peers_ms": summary(visible),
        "visible_everywhere_ms": summary(everywhere),
        "kinds": per_kind,
        "server_peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "server_cpu_s": round(sampler.cpu_seconds(), 1),
        # CPU per action does not depend on what else the machine runs, unlike latency:
        # 1000 / it is the most one core could take.
        "server_cpu_ms_per_action": round(sampler.cpu_seconds() * 1000 / max(len(actions), 1),
                                          2),
        **window.traces.counters,  # stale pushes, refetches, sockets dropped, refetch errors
        "generator_late_starts": len(window.late_ms),
        "generator_late_ms": summary(window.late_ms),
        # The generators' own CPU over the window (the children's sum; with one generator,
        # this process): near the window's length times their number, they were short of CPU.
        "generator_processes": len(window.cpu_s),
        "generator_cpu_s": round(sum(window.cpu_s), 1),
        "generator_cpu_s_each": [round(c, 1) for c in window.cpu_s],
        "generator_cpu_ms_per_action": round(sum(window.cpu_s) * 1000 / max(len(actions), 1),
                                             2),
        # The busiest generator's CPU while it was starting actions, over that time: near 1,
        # it had no CPU to spare and its late starts are its own; well below 1 with starts
        # late by much, the machine's cores were all taken (the server, anything else).
        "generator_busiest_core_share": round(max(window.busy), 2),
    }


async def sample_forever(sampler):
    while True:
        sampler.sample()
        await asyncio.sleep(0.5)


async def load_target(target, args, kinds, rates, duration, profile=None):
    """Join every tablet, then drive each rate in turn; stop at the first that fails."""
    tables = target.seed(args.tables)
    target.start()
    results = []
    sampler = Sampler(target.pids())
    ticker = asyncio.get_running_loop().create_task(sample_forever(sampler))
    generators = None
    try:
        generators = Generators(target, tables, args.tablets // args.tables, args.screens,
                                args.generators, args.connections)
        started = time.perf_counter()
        tablets, screens = await generators.start()
        joined = time.perf_counter() - started
        print(f"  {target.name}: {tablets} tablets and {screens} screens joined in {joined:.1f} s"
              f" ({generators.count} generator process{'es' if generators.count > 1 else ''})",
              flush=True)
        await asyncio.sleep(2)  # the presence pushes of the joins settle
        spy = start_profile(target, profile, duration)
        for rate in rates:
            sampler.restart()
            window = await generators.window(kinds, rate, duration, args.drain)
            figures = describe(window, min(window.elapsed, duration), sampler, kinds)
            figures["target_rate"] = rate
            figures["joined_s"] = round(joined, 1)
            held = holds(figures, rate)
            figures["held"] = held
            results.append(figures)
            print_line(target.name, figures, flush=True)
            if not held and len(rates) > 1:
                break
        stop_profile(spy)
        expected = await generators.close()
        results[-1].update(target.check_database(expected))
    finally:
        ticker.cancel()
        if generators is not None:
            await generators.close()
        target.stop()
    return results


BLOCK_BOUND_MS = 50


def loop_figures(target, start, end) -> dict:
    """How long the server's loop was held by one greenlet, over a window."""
    blocks = target.loop_blocks(start, end)
    by_cpu = sorted(blocks, key=lambda b: b[1], reverse=True)
    return {"loop_blocked_max_ms": blocks[0][0] if blocks else 0.0,
            "loop_blocked_over_50ms": sum(1 for ms, _cpu, _what in blocks
                                          if ms > BLOCK_BOUND_MS),
            # The same in CPU time: what the code itself took, whatever else ran.
            "loop_blocked_max_cpu_ms": by_cpu[0][1] if by_cpu else 0.0,
            "loop_blocked_over_50ms_cpu": sum(1 for _ms, cpu, _what in blocks
                                              if cpu > BLOCK_BOUND_MS),
            "loop_blocked_longest": [f"{ms:.0f} ms (CPU {cpu:.0f}) {what}"
                                     for ms, cpu, what in blocks[:5]],
            "loop_blocked_longest_cpu": [f"CPU {cpu:.0f} ms (wall {ms:.0f}) {what}"
                                         for ms, cpu, what in by_cpu[:5]]}


def organizer_figures(actions) -> dict:
    by_kind = {}
    for action in actions:
        by_kind.setdefault(action.kind, []).append(action)
    return {kind: {"count": len(mine), "errors": sum(1 for a in mine if a.error),
                   "error_examples": sorted({a.error for a in mine if a.error})[:2],
                   "response_ms": summary([(a.t1 - a.t0) * 1000 for a in mine
                                           if not a.error and a.t1])}
            for kind, mine in sorted(by_kind.items())}


async def play_day(target, args) -> dict:
    """The day's mix (bench/day.py), phase after phase, on `target`."""
    tables = target.seed(args.tables)
    target.start()
    sampler = Sampler(target.pids())
    ticker = asyncio.get_running_loop().create_task(sample_forever(sampler))
    generators = organizer = None
    http, sockets = day.new_sessions()
    phases, counted = [], {}
    total_tablets = args.tables * (args.tablets // args.tables)
    try:
        generators = Generators(target, tables, args.tablets // args.tables, args.screens,
                                args.generators, args.connections)
        started = time.perf_counter()
        tablets, screens = await generators.start()
        organizer = await day.organizer_for(target, http, sockets)
        joined = time.perf_counter() - started
        print(f"  {target.name}: {tablets} tablets, {screens} screens and the organizer's "
              f"laptop and phone joined in {joined:.1f} s", flush=True)
        await asyncio.sleep(2)
        day_start = load.now()
        for phase in day.PHASES:
            duration = args.minutes * 60 * phase.share
            rate = total_tablets * phase.per_minute / 60 * args.speed
            sampler.restart()
            first_org = len(organizer.actions)
            await organizer.set_phase(phase.name)
            start = load.now()
            window, _played = await asyncio.gather(
                generators.window(phase.kinds, rate, duration, args.drain),
                organizer.play(phase, args.speed, duration))
            figures = describe(window, min(window.elapsed, duration), sampler, phase.kinds)
            # The views' counters run over the whole day: each phase gets its own share.
            for name, value in window.traces.counters.items():
                figures[name] = value - counted.get(name, 0)
                counted[name] = value
            figures.update(phase=phase.name, target_rate=round(rate, 1),
                           organizer=organizer_figures(organizer.actions[first_org:]),
                           **loop_figures(target, start, load.now()))
            phases.append(figures)
            print_phase(figures)
        expected = await generators.close()
        report = {"phases": phases, "joined_s": round(joined, 1),
                  **loop_figures(target, day_start, load.now()),
                  "sockets_dropped": sum(p.get("sockets_dropped", 0) for p in phases)
                  + organizer.drops,
                  "refetches": {why: sum(p.get(f"refetches_{why}", 0) for p in phases)
                                for why in ("hello", "gap", "tick")},
                  "organizer_refetches": organizer.refetches,
                  "server_peak_rss_mb": max(p["server_peak_rss_mb"] for p in phases),
                  "server_cpu_s": round(sum(p["server_cpu_s"] for p in phases), 1),
                  "errors": sum(p["errors"] for p in phases),
                  "not_visible": sum(p["not_visible"] for p in phases)}
        report.update(target.check_database(expected))
        return report
    finally:
        ticker.cancel()
        if organizer is not None:
            await organizer.close()
        await http.close()
        await sockets.close()
        if generators is not None:
            await generators.close()
        target.stop()


def print_phase(f):
    print(f"  {f['phase']} @ {f['target_rate']}/s: {f['actions_per_s']}/s done, errors "
          f"{f['errors']} {f['error_examples'][:2]}, not visible {f['not_visible']}, "
          f"drops {f.get('sockets_dropped', 0)}, refetches hello/gap/tick "
          f"{f.get('refetches_hello', 0)}/{f.get('refetches_gap', 0)}/"
          f"{f.get('refetches_tick', 0)}, loop blocked max {f['loop_blocked_max_ms']:.0f} ms "
          f"({f['loop_blocked_over_50ms']} over 50 ms; in CPU time "
          f"{f['loop_blocked_max_cpu_ms']:.0f} ms, {f['loop_blocked_over_50ms_cpu']} over), "
          f"RSS {f['server_peak_rss_mb']} MB, "
          f"CPU {f['server_cpu_s']} s ({f['server_cpu_ms_per_action']} ms per action)",
          flush=True)
    for name, k in f["kinds"].items():
        r = k["response_ms"]
        line = (f"    {name}: {k['count']}, errors {k['errors']}, response p50/p95/p99 "
                f"{fmt(r['p50'])}/{fmt(r['p95'])}/{fmt(r['p99'])} ms")
        if "visible_peers_ms" in k:
            v, w = k["visible_peers_ms"], k["visible_plenary_ms"]
            line += (f"; visible peers {fmt(v['p50'])}/{fmt(v['p95'])}/{fmt(v['p99'])}, "
                     f"plenary {fmt(w['p50'])}/{fmt(w['p95'])}/{fmt(w['p99'])} ms")
        print(line, flush=True)
    for name, k in f["organizer"].items():
        r = k["response_ms"]
        print(f"    {name}: {k['count']}, errors {k['errors']} {k['error_examples']}, response "
              f"p50/p95/p99/max {fmt(r['p50'])}/{fmt(r['p95'])}/{fmt(r['p99'])}/"
              f"{fmt(r['max'])} ms", flush=True)
    if f["loop_blocked_longest_cpu"]:
        print(f"    longest loop blocks: {'; '.join(f['loop_blocked_longest_cpu'][:3])}",
              flush=True)


def holds(figures, rate) -> bool:
    p95 = figures["visible_everywhere_ms"]["p95"]
    return (figures["errors"] == 0 and figures["not_visible"] == 0
            and p95 is not None and p95 <= P95_BOUND_MS
            and figures["actions_per_s"] >= 0.95 * rate)


def print_line(name, f, flush=True):
    v = f["visible_everywhere_ms"]
    print(f"  {name} @ {f['target_rate']}/s: {f['actions_per_s']}/s done, "
          f"visible everywhere p50 {fmt(v['p50'])} p95 {fmt(v['p95'])} p99 {fmt(v['p99'])} "
          f"max {fmt(v['max'])} ms, errors {f['errors']}, not visible {f['not_visible']}, "
          f"RSS {f['server_peak_rss_mb']} MB, CPU {f['server_cpu_s']} s "
          f"({f['server_cpu_ms_per_action']} ms per action)"
          + (" (held)" if f["held"] else " (missed)"), flush=flush)
    print(f"    generators: {f['generator_processes']}, CPU {f['generator_cpu_s']} s "
          f"({' + '.join(str(c) for c in f['generator_cpu_s_each'])}; "
          f"{f['generator_cpu_ms_per_action']} ms per action; the busiest used "
          f"{f['generator_busiest_core_share'] * 100:.0f} % of a core), "
          f"late starts {f['generator_late_starts']} (p99 "
          f"{fmt(f['generator_late_ms']['p99'])} ms, max {fmt(f['generator_late_ms']['max'])} ms)",
          flush=flush)


def fmt(ms):
    return "-" if ms is None else f"{ms:.0f}"


PROFILE_FORMATS = {".json": "speedscope", ".txt": "raw", ".svg": "flamegraph"}


def start_profile(target, profile, duration):
    if not profile:
        return None
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return subprocess.Popen([py_spy, "record", "-p", str(target.pids()[0]), "-d",
                             str(int(duration)), "-r", "50", "-f", PROFILE_FORMATS.get(
                                 Path(profile).suffix, "flamegraph"), "-o", profile],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(spy):
    if spy is not None:
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.send_signal(signal.SIGINT)
            spy.wait(10)


def machine() -> dict:
    return {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


def commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "board", "templates",
                                "static", "bench"], cwd=ROOT, capture_output=True,
                               text=True).stdout.strip()
        return out + ("+changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def ramp_rates(args):
    return list(range(args.ramp_start, args.ramp_max + 1, args.ramp_step))


async def main(args) -> dict:
    # A socket the server closed while its client had nothing to send: engine.io says so at
    # error level, once per socket (the organizer's, the generator's own); drops are counted.
    logging.getLogger("engineio.client").setLevel(logging.CRITICAL)
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "commit": commit(),
              "machine": machine(), "mode": args.mode,
              "shape": {"tablets": args.tablets, "tables": args.tables,
                        "screens": args.screens, "rate": args.rate,
                        "duration_s": args.duration}}
    workdir = Path(tempfile.mkdtemp(prefix="tablee-bench-"))
    sqlite = f"sqlite:///{workdir / 'bench.sqlite'}"
    try:
        if args.mode == "page" or (args.mode == "default" and "page" not in args.skip):
            from .page import first_load

            print("The table board's first load (Chromium, tablet, 4x CPU slowdown)", flush=True)
            report["page"] = await first_load(Tablee(workdir, sqlite))
            print(f"  {json.dumps(report['page'])}", flush=True)
        if args.mode == "default":
            print(f"Tablée, one process, SQLite: {args.rate} actions/s for {args.duration} s",
                  flush=True)
            report["tablee"] = await load_target(Tablee(workdir, sqlite), args,
                                                 load.TABLEE_KINDS, [args.rate],
                                                 args.duration, args.profile)
            if "bare" not in args.skip:
                print(f"Bare Flask-SocketIO, same shape: {args.rate} posts/s", flush=True)
                report["bare"] = await load_target(Bare(workdir), args, load.BARE_KINDS,
                                                   [args.rate], args.duration)
            if "floor" not in args.skip:
                print(f"The stack's floor, same shape: {args.rate} posts/s", flush=True)
                report["floor"] = await load_target(Floor(workdir), args, load.BARE_KINDS,
                                                    [args.rate], args.duration)
        elif args.mode == "ramp":
            rates = ramp_rates(args)
            print(f"Ramp, {args.duration} s per step, rates {rates}", flush=True)
            if "tablee" not in args.skip:
                report["tablee"] = await load_target(Tablee(workdir, sqlite), args,
                                                     load.TABLEE_KINDS, rates, args.duration,
                                                     args.profile)
            if "bare" not in args.skip:
                report["bare"] = await load_target(Bare(workdir), args, load.BARE_KINDS, rates,
                                                   args.duration)
            if "floor" not in args.skip:
                report["floor"] = await load_target(Floor(workdir), args, load.BARE_KINDS,
                                                    rates, args.duration)
            held = {name: last_held(report.get(name, [])) for name in ("tablee", "floor", "bare")}
            report["sustainable"] = {
                **held, "ratio": _ratio(held["tablee"], held["bare"]),
                "floor_ratio": _ratio(held["floor"], held["bare"]),
                "tablee_to_floor": _ratio(held["tablee"], held["floor"])}
            print(f"  last rate held: Tablée {held['tablee']}/s, the stack's floor "
                  f"{held['floor']}/s, bare {held['bare']}/s; ratio to the bare server: Tablée "
                  f"{report['sustainable']['ratio']}, the floor "
                  f"{report['sustainable']['floor_ratio']}", flush=True)
        elif args.mode == "day":
            processes = args.processes if args.cluster else 1
            where = (f"{processes} processes, PostgreSQL + Redis" if args.cluster
                     else "one process, SQLite")
            print(f"The day's mix at {args.tables} tables, {where}, {args.minutes} min at "
                  f"x{args.speed} the real pace", flush=True)
            target = Tablee(workdir, args.postgres if args.cluster else sqlite, processes,
                            args.redis if args.cluster else None, loop_block_ms=20)
            report["tablee"] = t = await play_day(target, args)
            print(f"  the whole day: errors {t['errors']}, not visible {t['not_visible']}, "
                  f"lost {t.get('lost')} / duplicated {t.get('duplicated')} of "
                  f"{t.get('notes_checked')} notes, sockets dropped {t['sockets_dropped']}, "
                  f"refetches hello/gap/tick {t['refetches']['hello']}/{t['refetches']['gap']}/"
                  f"{t['refetches']['tick']} (the organizer's {t['organizer_refetches']}), loop "
                  f"blocked max {t['loop_blocked_max_ms']:.0f} ms (CPU "
                  f"{t['loop_blocked_max_cpu_ms']:.0f} ms), {t['loop_blocked_over_50ms']} blocks "
                  f"over 50 ms ({t['loop_blocked_over_50ms_cpu']} in CPU time), peak RSS "
                  f"{t['server_peak_rss_mb']} MB, CPU {t['server_cpu_s']} s", flush=True)
            if "bare" not in args.skip:
                peak = max(args.tablets * p.per_minute / 60 * args.speed for p in day.PHASES)
                print(f"Bare Flask-SocketIO, same shape, at the day's busiest rate: "
                      f"{peak:.0f} posts/s for 30 s", flush=True)
                report["bare"] = await load_target(Bare(workdir), args, load.BARE_KINDS,
                                                   [round(peak)], 30)
        elif args.mode == "cluster":
            queue = args.redis
            print(f"Tablée, {args.processes} processes, PostgreSQL + Redis queue: "
                  f"{args.rate} actions/s for {args.duration} s", flush=True)
            rates = ramp_rates(args) if args.ramp else [args.rate]
            report["tablee"] = await load_target(
                Tablee(workdir, args.postgres, args.processes, queue), args,
                load.TABLEE_KINDS, rates, args.duration, args.profile)
            if args.ramp:
                report["sustainable"] = {"tablee": last_held(report["tablee"])}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return report


def last_held(results):
    held = [r["target_rate"] for r in results if r["held"]]
    return held[-1] if held else None


def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", choices=("default", "ramp", "cluster", "page", "day"),
                        default="default")
    parser.add_argument("mode_word", nargs="?", choices=("day",),
                        help="`day`: the same as --mode day")
    parser.add_argument("--tablets", type=int, help="default 1,000 (day: 5 per table)")
    parser.add_argument("--tables", type=int, help="default 200 (day: 210)")
    parser.add_argument("--minutes", type=float, default=5,
                        help="day: the length of the whole day played")
    parser.add_argument("--speed", type=float, default=10,
                        help="day: times the real pace (1: a real day's pace)")
    parser.add_argument("--cluster", action="store_true",
                        help="day: Tablée in --processes processes on PostgreSQL and Redis")
    parser.add_argument("--screens", type=int, default=4)
    parser.add_argument("--rate", type=int, default=200, help="actions per second")
    parser.add_argument("--duration", type=float, default=60,
                        help="seconds of load (per step when ramping)")
    parser.add_argument("--drain", type=float, default=3,
                        help="seconds to wait after the load for the last pushes")
    parser.add_argument("--ramp", action="store_true", help="ramp in cluster mode")
    parser.add_argument("--ramp-start", type=int, default=100)
    parser.add_argument("--ramp-step", type=int, default=50)
    parser.add_argument("--ramp-max", type=int, default=600)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--generators", type=int, default=2,
                        help="load generator processes, the tables shared out between them "
                             "(1: the clients run in this process)")
    parser.add_argument("--connections", type=int, default=200,
                        help="HTTP connections the load generator keeps open at most "
                             "(shared out between the generators)")
    parser.add_argument("--postgres", default=os.environ.get(
        "TABLEE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tablee_bench"))
    parser.add_argument("--redis", default=os.environ.get(
        "TABLEE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"))
    parser.add_argument("--kinds", help="the kinds of action to take, comma-separated "
                        "(default: all of them, in their proportions)")
    parser.add_argument("--skip", default="", help="comma-separated parts of the default "
                        "mode to leave out: page, bare, floor; of the ramp: tablee, bare, floor")
    parser.add_argument("--profile", metavar="FILE",
                        help="record the (first) Tablée process with py-spy into FILE "
                             "(.svg flame graph, .json speedscope, .txt collapsed stacks)")
    parser.add_argument("--out", help="where to save the JSON report "
                        "(default bench/results/<date>-<mode>.json)")
    args = parser.parse_args(argv)
    if args.mode_word:
        args.mode = args.mode_word
    if args.tables is None:
        args.tables = 210 if args.mode == "day" else 200
    if args.tablets is None:
        args.tablets = args.tables * 5 if args.mode == "day" else 1000
    return args


if __name__ == "__main__":
    arguments = parse()
    if arguments.kinds:
        wanted = arguments.kinds.split(",")
        load.TABLEE_KINDS[:] = [k for k in load.TABLEE_KINDS if k.name in wanted]
    result = asyncio.run(main(arguments))
    RESULTS.mkdir(exist_ok=True)
    out = Path(arguments.out) if arguments.out else RESULTS / (
        datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + f"-{arguments.mode}.json")
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"Saved {out}")
    sys.exit(0)
