"""The extension singletons, made at import and bound to an app by create_app().

Everything in board/ imports them from here; board/__init__.py re-exports them
(``from board import db, socketio``) for the tests, the benchmark and wsgi.py.
"""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

LANGUAGES = ("fr", "en")


class Base(DeclarativeBase):
    # Named constraints let migrations alter them later, SQLite's batch mode included.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


# expire_on_commit=False: after a write we render what we just saved; reloading it
# with a SELECT per object would double the queries on the hottest path.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
# A tablet's first load is mostly two libraries (htmx, Socket.IO): compressed, about a third.
compress = Compress()
