"""Entry point: `python wsgi.py` serves with Socket.IO on gevent; gunicorn imports `app`."""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402

from board import create_app, db, services, socketio  # noqa: E402

app = create_app()

# No socket outlives its process: forget the tablets (and who was writing where) that a
# stopped server left behind; they reconnect and say so again. Several processes sharing
# a message queue keep each other's.
if not app.config["SOCKETIO_MESSAGE_QUEUE"]:
    with app.app_context():
        if db.inspect(db.engine).has_table("connection"):
            services.forget_connections()

if __name__ == "__main__":
    host = os.environ.get("TABLEE_HOST", "127.0.0.1")
    port = int(os.environ.get("TABLEE_PORT", "5000"))
    print(f"Tablée est servie sur http://{host}:{port} (Ctrl+C pour arrêter)", flush=True)
    socketio.run(app, host=host, port=port)
