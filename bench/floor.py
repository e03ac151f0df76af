"""The stack's floor: the least any board must do per post, on Tablée's fixed stack.

The bare server (bench/bare.py) relays a post and nothing else: it is the transport's limit.
This one adds what no board built on this stack can leave out, each in its cheapest form:
the person read from the database, the form checked by a marshmallow schema, one
transaction on SQLite (WAL, synchronous=NORMAL, as Tablée) that numbers the table's change
and inserts the note with Core statements built once, the note and the plenary card
rendered by Jinja, and the two pushes. No session cookie, CSRF, rate limit, translation,
compression, ORM unit of work or batching: what Tablée pays for those is what separates it
from this floor. Same routes and pushes as the bare server, so the same clients drive it.
Run by the benchmark as ``python -m bench.floor`` with BENCH_PORT and BENCH_DATABASE set.
"""

from gevent import monkey

monkey.patch_all()

import gc  # noqa: E402
import os  # noqa: E402

from flask import Flask, request  # noqa: E402
from flask_socketio import SocketIO, emit, join_room  # noqa: E402
from flask_sqlalchemy import SQLAlchemy  # noqa: E402
from marshmallow import Schema, fields, validate  # noqa: E402
from sqlalchemy import event, insert, select, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("BENCH_DATABASE", "sqlite://")
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": 20, "max_overflow": 20}
db = SQLAlchemy(app)
socketio = SocketIO(app, async_mode="gevent", ping_interval=10, ping_timeout=10)
EVENT_ROOM = "event-1"


@event.listens_for(Engine, "connect")
def _pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class Table(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    seq = db.Column(db.Integer, nullable=False, default=0)


class Person(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    table_id = db.Column(db.ForeignKey("table.id"), nullable=False, index=True)
    name = db.Column(db.String(60), nullable=False)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    table_id = db.Column(db.ForeignKey("table.id"), nullable=False, index=True)
    person_id = db.Column(db.ForeignKey("person.id"), nullable=False)
    text = db.Column(db.String(500), nullable=False)


class NoteSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=500))


NOTE = ('<div hx-swap-oob="beforeend:#notes"><article id="note-{{ id }}" class="note">'
        '<p class="note-author">{{ author }}</p><p class="note-text">{{ text }}</p>'
        '</article></div>')
CARD = ('<article id="plenary-table-{{ table }}" data-seq="{{ seq }}" hx-swap-oob="true">'
        '<li>{{ text }}</li></article>')
PERSON = select(Person.id, Person.name).where(Person.table_id == db.bindparam("table"))
BUMP = (update(Table).where(Table.id == db.bindparam("table")).values(seq=Table.seq + 1)
        .returning(Table.seq))
INSERT = insert(Note).returning(Note.id)
SEQ = select(Table.seq).where(Table.id == db.bindparam("table"))
schema = NoteSchema()
NOTE_HTML, CARD_HTML = app.jinja_env.from_string(NOTE), app.jinja_env.from_string(CARD)


@socketio.on("connect")
def connect(auth):
    room = (auth or {}).get("room", "")
    join_room(room)
    kind, _sep, ident = room.partition("-")
    if kind == "table":
        seq = db.session.scalar(SEQ, {"table": int(ident)}) or 0
        db.session.remove()
        emit("hello", {"seq": seq, "event_seq": 0})
    else:
        emit("hello", {})


@app.post("/push/<int:table_id>")
def push(table_id):
    person = db.session.execute(PERSON, {"table": table_id}).first()
    data = schema.load(request.form.to_dict())
    seq = db.session.scalar(BUMP, {"table": table_id})
    note = db.session.scalar(INSERT, {"table_id": table_id, "person_id": person.id,
                                      "text": data["text"]})
    db.session.commit()
    socketio.emit("push", {"seq": seq, "html": NOTE_HTML.render(
        id=note, author=person.name, text=data["text"])}, to=f"table-{table_id}")
    socketio.emit("push", {"html": CARD_HTML.render(
        table=table_id, seq=seq, text=data["text"])}, to=EVENT_ROOM)
    return "", 201, {"X-Tablee-Seq": str(seq)}


@app.get("/region/<int:table_id>")
def region(table_id):
    seq = db.session.scalar(SEQ, {"table": table_id}) or 0
    return f'<section id="board" data-seq="{seq}"></section>'


@app.get("/wall")
def wall():
    rows = db.session.execute(select(Table.id, Table.seq)).all()
    return "".join(f'<article id="plenary-table-{t}" data-seq="{s}"></article>'
                   for t, s in rows)


def seed(tables: int) -> None:
    with app.app_context():
        db.drop_all()
        db.create_all()
        db.session.execute(insert(Table), [{"id": n, "seq": 0} for n in range(1, tables + 1)])
        db.session.execute(insert(Person), [{"table_id": n, "name": "Awa"}
                                            for n in range(1, tables + 1)])
        db.session.commit()


if __name__ == "__main__":
    seed(int(os.environ.get("BENCH_TABLES", "200")))
    gc.freeze()  # as wsgi.py: the app's own objects out of the collector's passes
    gc.set_threshold(5000, 10, 100)
    socketio.run(app, host="127.0.0.1", port=int(os.environ["BENCH_PORT"]))
