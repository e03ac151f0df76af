"""The bare transport: Flask-SocketIO on gevent that relays posts to rooms, nothing else.

Same async mode, same rooms (``table-<id>``, ``event-<id>``), same push shape as Tablée
(a numbered fragment to the table, a card to the plenary), but no database, no templates,
no sessions: the limit of the stack on this machine. Run by the benchmark as
``python -m bench.bare`` with BENCH_PORT set.
"""

from gevent import monkey

monkey.patch_all()

import itertools  # noqa: E402
import os  # noqa: E402
from html import escape  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402

app = Flask(__name__)
socketio = SocketIO(app, async_mode="gevent", ping_interval=10, ping_timeout=10,
                    message_queue=os.environ.get("BENCH_MESSAGE_QUEUE"))
seqs: dict[int, int] = {}
note_ids = itertools.count(1)
EVENT_ROOM = "event-1"


@socketio.on("connect")
def connect(auth):
    room = (auth or {}).get("room", "")
    join_room(room)
    kind, _sep, ident = room.partition("-")
    emit("hello", {"seq": seqs.get(int(ident), 0), "event_seq": 0} if kind == "table" else {})


@app.post("/push/<int:table_id>")
def push(table_id):
    seq = seqs[table_id] = seqs.get(table_id, 0) + 1
    text = escape(request.form.get("text", ""))
    note = next(note_ids)
    socketio.emit("push", {"seq": seq, "html": (
        f'<div hx-swap-oob="beforeend:#notes"><article id="note-{note}" class="note">'
        f'<p class="note-text">{text}</p></article></div>')}, to=f"table-{table_id}")
    socketio.emit("push", {"html": (
        f'<article id="plenary-table-{table_id}" data-seq="{seq}" hx-swap-oob="true">'
        f'<li>{text}</li></article>')}, to=EVENT_ROOM)
    return "", 201, {"X-Tablee-Seq": str(seq)}


@app.get("/region/<int:table_id>")
def region(table_id):
    return f'<section id="board" data-seq="{seqs.get(table_id, 0)}"></section>'


@app.get("/wall")
def wall():
    return "".join(f'<article id="plenary-table-{t}" data-seq="{s}"></article>'
                   for t, s in seqs.items())


if __name__ == "__main__":
    socketio.run(app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]))
