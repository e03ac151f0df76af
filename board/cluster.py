"""`make run-cluster`: several server processes on one PostgreSQL database and one Redis.

Each process is gunicorn with one gevent worker on its own port, as in production behind
a proxy with sticky sessions (the nginx sample in the README). Open a tablet on one port and the
plenary on another: pushes cross processes through Redis.

Environment: TABLEE_SQLALCHEMY_DATABASE_URI (default: database `tablee` of the local
PostgreSQL, created if missing), TABLEE_SOCKETIO_MESSAGE_QUEUE (default: local Redis),
CLUSTER_PROCESSES (default 2), CLUSTER_FIRST_PORT (default 5001).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from gunicorn.config import KNOWN_SETTINGS
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("select 1 from pg_database where datname = :name"),
                                    {"name": target.database}).scalar()
        if not exists:
            connection.execute(text(f'create database "{target.database}"'))
    admin.dispose()


def gunicorn_args(port: int) -> list[str]:
    """One gevent worker on its own port (several workers on one port would need sticky
    sessions between them, which gunicorn does not do)."""
    args = ["-k", "gevent", "-w", "1", "-b", f"127.0.0.1:{port}"]
    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        args.append("--no-control-socket")  # gunicorn 24+: one shared socket path otherwise
    return args


def main() -> None:
    env = dict(os.environ)
    env.setdefault("TABLEE_SQLALCHEMY_DATABASE_URI",
                   "postgresql+psycopg://postgres@127.0.0.1:5432/tablee")
    env.setdefault("TABLEE_SOCKETIO_MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    # Counters shared by every process, or each would allow the full budget on its own.
    env.setdefault("TABLEE_RATELIMIT_STORAGE_URI", env["TABLEE_SOCKETIO_MESSAGE_QUEUE"])
    env["FLASK_APP"] = "board:create_app()"
    count = int(env.get("CLUSTER_PROCESSES", "2"))
    first = int(env.get("CLUSTER_FIRST_PORT", "5001"))
    ports = list(range(first, first + count))
    env.setdefault("TABLEE_BASE_URL", f"http://127.0.0.1:{ports[0]}")

    ensure_database(env["TABLEE_SQLALCHEMY_DATABASE_URI"])
    subprocess.run([BIN / "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    subprocess.run([BIN / "flask", "demo"], cwd=ROOT, env=env, check=True)

    processes = [subprocess.Popen(
        [BIN / "gunicorn", *gunicorn_args(port), "wsgi:app"],
        cwd=ROOT, env=env) for port in ports]
    print(f"{count} processus, sur les ports {', '.join(map(str, ports))}, partagent "
          f"{make_url(env['TABLEE_SQLALCHEMY_DATABASE_URI']).database} et "
          f"{env['TABLEE_SOCKETIO_MESSAGE_QUEUE']}.")
    print(f"Ouvrez une table sur :{ports[0]} et la plénière sur :{ports[-1]} "
          "(remplacez le port dans les liens ci-dessus). Ctrl+C pour tout arrêter.", flush=True)

    def stop(*_args):
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            process.wait(10)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    stop()


if __name__ == "__main__":
    main()
