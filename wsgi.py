"""Entry point: `python wsgi.py` serves with Socket.IO on gevent; gunicorn imports `app`."""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402

from board import create_app, db, realtime, services, socketio  # noqa: E402
from board.loopwatch import watch_loop  # noqa: E402

app = create_app()
if os.environ.get("TABLEE_LOOP_BLOCK_MS"):
    # The benchmark's probe: every time one greenlet held the loop longer than this, a line
    # on stderr with what it was serving (bench/README.md, "loop blocked").
    watch_loop(app, float(os.environ["TABLEE_LOOP_BLOCK_MS"]))
# Per process (gunicorn imports this module in each worker): presence heartbeat, sweep, ticks.
realtime.start_housekeeping(app)

# No socket outlives its process: forget the tablets (and who was writing where) that a
# stopped server left behind; they reconnect and say so again. Several processes sharing
# a message queue keep each other's.
if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
    with app.app_context():
        if db.inspect(db.engine).has_table("connection"):
            services.forget_connections()

# Python's collector, tuned for a server whose every request makes thousands of short-lived
# objects and which holds a thousand sockets: the app's own objects (mappers, templates,
# catalogues), alive as long as the process, are frozen out of its passes, and the young
# generation is collected every 5,000 allocations instead of 700. At the benchmark's
# 120 actions/s, full passes of 100 to 190 ms, each stopping every tablet, came every few
# seconds; with this, none in a 30-second run, and p99 write → visible went from about
# 250 ms to 90 ms (bench/README.md). A full pass over a thousand sockets' objects still
# takes 130-170 ms: at the 210-table day's pace one came every 15 s; with a hundred
# middle passes between two full ones, one every few minutes (the loop probe writes each).
gc.freeze()
gc.set_threshold(5000, 10, 100)

if __name__ == "__main__":
    host = os.environ.get("TABLEE_HOST", "127.0.0.1")
    port = int(os.environ.get("TABLEE_PORT", "5000"))
    print(f"Tablée est servie sur http://{host}:{port} (Ctrl+C pour arrêter)", flush=True)
    socketio.run(app, host=host, port=port)
