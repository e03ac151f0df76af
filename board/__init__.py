"""Tablée: a realtime idea board for civic hackathons."""

import os

from flask import Flask, g, request, session
from flask_babel import get_locale, get_translations
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import (
    axes,
    cli,
    consolidation,
    day,
    exports,
    limits,
    notes,
    organizer,
    plenary,
    proposals,
    realtime,
    results,
    tables,
    web,
)
from .extensions import LANGUAGES, babel, compress, csrf, db, limiter, migrate, socketio

__all__ = ["create_app", "db", "socketio", "LANGUAGES", "DEFAULT_SECRET"]

DEFAULT_SECRET = "dev-only-secret-change-me"


def select_locale():
    lang = session.get("lang")
    if lang in LANGUAGES:
        return lang
    return request.accept_languages.best_match(LANGUAGES, default="fr") if request else "fr"


def _catalogue():
    """The translations of the locale in force: the request's, or the one `force_locale`
    sets for what is rendered once for a whole room. Looked up once per locale object:
    Flask-Babel's own template gettext looks the domain, the locale and the catalogue up
    again on every call (20 µs, 14 µs here), and a move redraws tens of notes of seven
    messages each."""
    locale = get_locale()
    cached = g.get("tablee_catalogue")
    if cached is None or cached[0] is not locale:
        cached = g.tablee_catalogue = (locale, get_translations())
    return cached[1]


def _install_gettext(jinja_env) -> None:
    jinja_env.install_gettext_callables(
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
        newstyle=True)


def create_app(test_config=None):
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.from_mapping(
        SECRET_KEY=DEFAULT_SECRET,
        ENV_NAME="development",
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "tablee.sqlite"),
        SOCKETIO_MESSAGE_QUEUE=None,
        SOCKETIO_CHANNEL="tablee",
        HOUSEKEEPING_INTERVAL=15,
        PRESENCE_TIMEOUT=60,
        PLENARY_CARD_DELAY=0.025,
        WALL_PAGE_SECONDS=12,
        # From this many tables the wall opens each round of pages with the room by theme,
        # pushed at most every WALL_OVERVIEW_DELAY seconds (it sums up every table).
        WALL_OVERVIEW_TABLES=64,
        WALL_OVERVIEW_DELAY=2.0,
        ASSETS_CDN=True,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(app.root_path, "..", "translations"),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=60 * 60 * 24 * 7,
        # The cookie is signed once, at sign-in, for the week: re-signing it on every
        # request (Flask's default) cost a tablet's every write an HMAC and a Set-Cookie.
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        RATELIMIT_STORAGE_URI="memory://",
        # No X-RateLimit-* headers: no page reads them, and they cost every answer a lookup.
        RATELIMIT_HEADERS_ENABLED=False,
        RATELIMIT_JOIN="20 per minute",
        RATELIMIT_JOIN_CODE="60 per minute",
        RATELIMIT_WRITES="60 per minute",
        ORGANIZER_LINK_MAX_AGE=12 * 3600,
        # One person, a few pages: their tablet, a reload, a second tab. More is a script.
        SOCKETS_PER_PERSON=4,
        # Axes a table may have: a real morning makes a dozen; far more is a flood that
        # every tablet of the table would have to draw.
        AXES_PER_TABLE=60,
        # A tablet's presence (the card field it writes in) reaches the table at most once
        # per this many seconds; what it says meanwhile is kept, and the latest goes out then.
        PRESENCE_INTERVAL=0.5,
        PROXY_COUNT=0,
        # Writes one process serves at once; past that, answered 503 at once (limits.py).
        WRITES_IN_FLIGHT=32,
        IMPORT_MAX_BYTES=24 * 1024 * 1024,
    )
    app.config.from_prefixed_env("TABLEE")
    if test_config is not None:
        app.config.from_mapping(test_config)

    production = app.config["ENV_NAME"] == "production"
    if production and app.config["SECRET_KEY"] == DEFAULT_SECRET:
        raise RuntimeError("TABLEE_SECRET_KEY must be set to a long random value in production.")
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["WTF_CSRF_SSL_STRICT"] = True
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PROXY_COUNT"]:
        # Behind nginx: the client's address (rate limits) and scheme come from its headers.
        count = int(app.config["PROXY_COUNT"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)

    if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
        # One gevent process serves every request in flight at once, each holding a database
        # connection: with SQLAlchemy's default pool of 5, the 6th and later were opened and
        # closed around every request under load (a connection, its PRAGMAs, then discarded).
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("pool_size", 20)
        options.setdefault("max_overflow", 20)
    # First of the request hooks: refusing a write past capacity must cost next to nothing.
    limits.init_write_gate(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, "..", "migrations"),
                     render_as_batch=True, compare_type=True)
    babel.init_app(app, locale_selector=select_locale)
    _install_gettext(app.jinja_env)
    csrf.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    socketio.init_app(
        app,
        async_mode="gevent",
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        channel=app.config["SOCKETIO_CHANNEL"],
        # Pages only send a room name and small events: refuse anything bigger than this.
        max_http_buffer_size=64 * 1024,
        # Tablets sleep and wake: a short ping notices a dead link in seconds.
        ping_interval=10,
        ping_timeout=10,
    )

    web.init_app(app)
    cli.init_app(app)
    realtime.init_app(app)
    app.register_blueprint(tables.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(organizer.bp)
    app.register_blueprint(plenary.bp)
    app.register_blueprint(axes.bp)
    app.register_blueprint(consolidation.bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(day.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(results.bp)
    return app


@sa_event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets the plenary read while a table writes; the busy timeout makes a
    # writer wait for the lock instead of failing under a burst of posts. In WAL mode,
    # synchronous=NORMAL syncs at checkpoints rather than at every commit: a crashed or
    # restarted server loses nothing (only a power cut can lose the last commits), and
    # the fsync per commit, which stops every greenlet of the process, goes away.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
