import time
import zlib

import gevent
import greenlet
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from board import DEFAULT_SECRET, create_app, db, demo
from board.loopwatch import watch_loop
from board.models import Event, Organizer


def test_production_refuses_the_default_secret(tmp_path):
    with pytest.raises(RuntimeError, match="TABLEE_SECRET_KEY"):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEFAULT_SECRET,
                    "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "a" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    monkeypatch.setenv("TABLEE_SQLALCHEMY_DATABASE_URI", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("TABLEE_ASSETS_CDN", "false")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.sqlite")
    assert app.config["ASSETS_CDN"] is False


def test_every_page_carries_security_headers(client, event):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    # The exact files, never the whole CDN host.
    sources = csp.split("script-src ", 1)[1].split(";", 1)[0].split()
    assert sources == ["'self'",
                       "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
                       "https://cdn.jsdelivr.net/npm/socket.io-client@4.8.1/dist/socket.io.min.js",
                       "https://cdn.jsdelivr.net/npm/sortablejs@1.15.6/Sortable.min.js"]
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_scripts_come_from_the_cdn_with_integrity_and_a_local_fallback(app, client):
    app.config["ASSETS_CDN"] = True
    page = client.get("/").get_data(as_text=True)
    assert 'src="https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js" integrity="sha384-' in page
    assert 'data-src="/static/vendor/htmx-2.0.11.min.js"' in page
    assert client.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_vendored_files_match_their_integrity_hashes(app):
    import base64
    import hashlib
    from pathlib import Path

    from board.web import SCRIPTS

    for _cdn, integrity, local, _global in SCRIPTS.values():
        data = (Path(app.static_folder) / local).read_bytes()
        digest = base64.b64encode(hashlib.sha384(data).digest()).decode()
        assert integrity == f"sha384-{digest}", local


def test_language_switch_to_english_and_back(client, event):
    from .conftest import csrf_token

    token = csrf_token(client)
    client.post("/langue/en", data={"csrf_token": token, "next": "/"})
    assert "Join my table" in client.get("/").get_data(as_text=True)
    client.post("/langue/fr", data={"csrf_token": token, "next": "//evil.example"})
    assert "Rejoindre ma table" in client.get("/").get_data(as_text=True)


def test_a_fresh_database_upgraded_to_head_matches_the_models(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert diff == []
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


def test_demo_loading_is_idempotent(app, runner):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "mot de passe" in first.output and "/pleniere/" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "déjà présent" in second.output
    [event] = db.session.scalars(db.select(Event)).all()
    assert event.name == demo.day()["event"]["name"]
    assert len(event.tables) == 21
    assert [t.name for t in event.themes] == [t["name"] for t in demo.day()["themes"]]
    assert len(db.session.scalars(db.select(Organizer)).all()) == 1


def test_organizer_cli_creates_and_links(app, runner):
    result = runner.invoke(args=["organizer", "create", "camille"],
                           input="motdepasse\nmotdepasse\n")
    assert result.exit_code == 0, result.output
    organizer = db.session.scalars(db.select(Organizer)).one()
    assert organizer.check_password("motdepasse")
    link = runner.invoke(args=["organizer", "link", "camille"])
    assert "/organisation/lien/" in link.output


def test_sqlite_runs_in_wal_mode_without_a_sync_per_commit(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


@pytest.mark.parametrize("url", ["/static/vendor/htmx-2.0.11.min.js", "/static/css/tablee.css",
                                 "/"])
def test_pages_scripts_and_styles_are_sent_compressed(client, url):
    # What a tablet sends over plain HTTP on a venue LAN (no br outside HTTPS).
    response = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] in ("gzip", "deflate")
    raw = response.get_data()
    body = zlib.decompress(raw, wbits=47)  # 47: a gzip or zlib header, detected
    assert len(raw) < len(body) / 2
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    if url != "/":  # the page carries a fresh CSRF token each time
        assert body == plain.get_data()


def test_each_deployment_on_one_redis_gets_its_own_channel(tmp_path, monkeypatch):
    from board import socketio

    # init_app keeps the queue in the extension's options: give it a copy to drop after.
    monkeypatch.setattr(socketio, "server_options", dict(socketio.server_options))
    create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite",
                "SOCKETIO_MESSAGE_QUEUE": "redis://127.0.0.1:6379/5",
                "SOCKETIO_CHANNEL": "tablee-venue-2"})
    assert socketio.server.manager.channel == "tablee-venue-2"


def _board_imports():
    """Each module of board/ and the modules of board/ it imports, wherever in the file."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "board"
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                base = base[:len(base) - node.level + 1] if node.level else []
                origin = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{origin}.{alias.name}"
                    found.add(sub if sub in modules else origin)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        graph[name] = {m for m in found if m in modules and m != name}
    return graph, modules


def test_the_modules_of_board_import_in_one_direction():
    """No circle among board's modules, imports inside functions included: the read
    models, realtime.py and the services are imported downward, never the other way."""
    graph, _modules = _board_imports()
    circles = []

    def visit(name, path):
        for target in graph[name]:
            if target in path:
                circles.append(path[path.index(target):] + [target])
            elif target not in done:
                visit(target, path + [target])
        done.add(name)

    done = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert circles == []
    # The layers: what changes the database and what reads it never import what serves it.
    for low in [n for n in graph if n.startswith(("board.services", "board.screens"))]:
        assert not graph[low] & {"board.realtime", "board.web", "board.auth"}, low
    assert not {m for m in graph["board.realtime"]} & {
        "board.tables", "board.notes", "board.axes", "board.consolidation", "board.proposals",
        "board.day", "board.organizer", "board.plenary", "board.exports"}


def test_imports_sit_at_the_top_of_each_module():
    import ast

    _graph, modules = _board_imports()
    for path in modules.values():
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        lines = source.splitlines()
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top:
                said = lines[node.lineno - 1] + lines[node.lineno - 2]
                assert "#" in said, f"{path.name}:{node.lineno}: say why it is not at the top"


def test_the_loop_probe_names_the_request_that_held_the_loop(app, client, capsys):
    """With TABLEE_LOOP_BLOCK_MS set, wsgi.py reports every greenlet that held the loop
    longer than that, with the request it served; a quick request is not reported."""
    def busy(seconds):  # of CPU: the machine may be shared
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass
        return "ok"

    app.add_url_rule("/lent", "slow", lambda: busy(0.06))
    app.add_url_rule("/vite", "quick", lambda: busy(0.001))
    watch_loop(app, 30)
    try:
        for path in ("/lent", "/vite"):
            gevent.spawn(client.get, path).join()
    finally:
        greenlet.settrace(None)
    reports = [line for line in capsys.readouterr().err.splitlines()
               if line.startswith("tablee-loop-blocked")]
    assert len(reports) == 1, reports
    held = dict(part.split("=", 1) for part in reports[0].split(" ")[1:4])
    assert float(held["ms"]) >= 60 and float(held["cpu_ms"]) >= 55
    assert reports[0].endswith("what=GET /lent")
