"""What every page shares: scripts and their CDN fallbacks, security headers, errors, language."""

import unicodedata
import uuid
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_time, get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, RequestRedirect

from .auth import UNSEATED, Gone, Unseated, current_organizer, current_participant
from .card import (
    BY_NAME,
    CARD_FIELDS,
    REQUIRED_CARD_FIELDS,
    STATUS_LABELS,
    card_value,
    empty_card_fields,
)
from .extensions import LANGUAGES, db
from .fields import MAX_ID
from .models import Event
from .screens.board import (
    STEP_NUMBERS,
    STEP_VIEWS,
    VIEW_LABELS,
    VIEWS,
    euros,
    shown_revision,
    shown_value,
)
from .screens.day import countdown_view, day_state

bp = Blueprint("web", __name__)

# Loaded from a CDN pinned by integrity hash; vendored under static/vendor/ so that a
# venue LAN without internet still works (TABLEE_ASSETS_CDN=0 skips the CDN entirely).
SCRIPTS = {
    "htmx": (
        "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js",
        "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg",
        "vendor/htmx-2.0.11.min.js",
        "htmx",
    ),
    "socketio": (
        "https://cdn.jsdelivr.net/npm/socket.io-client@4.8.1/dist/socket.io.min.js",
        "sha384-mkQ3/7FUtcGyoppY6bz/PORYoGqOl7/aSUMn2ymDOJcapfS6PHqxhRTMh1RR0Q6+",
        "vendor/socket.io-4.8.1.min.js",
        "io",
    ),
    "sortable": (
        "https://cdn.jsdelivr.net/npm/sortablejs@1.15.6/Sortable.min.js",
        "sha384-HZZ/fukV+9G8gwTNjN7zQDG0Sp7MsZy5DDN6VfY3Be7V9dvQpEpR2jF2HlyFUUjU",
        "vendor/sortable-1.15.6.min.js",
        "Sortable",
    ),
}

# Scripts from the CDN: the exact files, never the whole host (anything else it serves
# would run here too).
CSP = ("default-src 'self'; script-src 'self' "
       + " ".join(url for url, *_rest in SCRIPTS.values())
       + "; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
       "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def safe_next(target, default: str) -> str:
    """Where to send someone back to (after signing in, after switching language): a page of
    this app, or `default`. Browsers forgive a lot (a backslash read as a slash, a tab or a
    newline dropped, `//host`), so anything unusual is refused rather than cleaned, and what
    is left must be a path the app answers with a page."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return default
    if "\\" in target or any(unicodedata.category(ch)[0] in "CZ" for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") \
            or parts.path.startswith("//"):
        return default
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:
        pass  # a page of ours, with or without its trailing slash
    except HTTPException:
        return default
    return target


@bp.route("/langue/<lang>", methods=["POST"])
def set_language(lang):
    """Switch the interface language and come back to the same page."""
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), "/"))


@bp.get("/evenements/<int:event_id>/themes.css")
def themes_css(event_id):
    """Each theme's colour as a class: the CSP forbids inline styles, so colours come from here."""
    event = db.get_or_404(Event, event_id)
    css = render_template("themes.css", themes=event.themes)
    return css, 200, {"Content-Type": "text/css; charset=utf-8",
                      "Cache-Control": "public, max-age=300"}


# What any template showing a card uses (the tablets', the plenary's, the report's).
CARD_GLOBALS = {
    "FIELDS": CARD_FIELDS,
    "LABELS": {name: field.label for name, field in BY_NAME.items()},
    "KINDS": {name: field.kind for name, field in BY_NAME.items()},
    "HINTS": {name: field.hint for name, field in BY_NAME.items()},
    "REQUIRED": REQUIRED_CARD_FIELDS,
    "STATUS_LABELS": STATUS_LABELS,
    "CARD_FIRST": ("drafting", "pitches", "selection", "follow_up"),
    "empty_fields": empty_card_fields,
    "card_value": card_value,
    "shown_value": shown_value,
    "shown": shown_revision,
}


def script_tags(*names):
    """The <script> tags for vendored libraries: CDN first, local copy as the fallback."""
    return Markup(render_template("_scripts.html", scripts=[(n, *SCRIPTS[n]) for n in names],
                                  cdn=current_app.config["ASSETS_CDN"]))


def csrf_field():
    """The form's CSRF field, left out of fragments pushed to a room: there htmx sends each
    page's own token in a header, while one person's token in a form pushed to all would
    make everyone else's posts fail."""
    if g.get("room_render"):
        return ""
    return Markup('<input type="hidden" name="csrf_token" value="%s">') % generate_csrf()


def error_answer(status, message):
    """A refusal: into the toasts for htmx, never in place of the form (what the person
    typed stays); a page of its own otherwise."""
    if wants_fragment():
        return (render_template("_flash.html", message=message, level="error"), status,
                {"HX-Retarget": "#toasts", "HX-Reswap": "innerHTML"})
    return render_template("error.html", message=message, status=status), status


def wants_fragment() -> bool:
    return request.headers.get("HX-Request") == "true"


def new_key() -> str:
    """An idempotency key for a create form (see services.made_before)."""
    return uuid.uuid4().hex


class IdConverter(IntegerConverter):
    """``<int:…>`` in every URL: a forged id past PostgreSQL's integer is a 404, not an error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_app(app):
    app.url_map.converters["int"] = IdConverter
    app.register_blueprint(bp)
    app.jinja_env.globals["script_tags"] = script_tags
    app.jinja_env.globals["csrf_field"] = csrf_field
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["new_key"] = new_key
    app.jinja_env.globals.update(CARD_GLOBALS)
    app.jinja_env.globals["day_state"] = day_state
    app.jinja_env.globals["countdown_view"] = countdown_view
    app.jinja_env.globals.update(STEP_VIEWS=STEP_VIEWS, STEP_NUMBERS=STEP_NUMBERS, VIEWS=VIEWS,
                                 VIEW_LABELS=VIEW_LABELS)
    app.jinja_env.filters["euros"] = euros
    app.jinja_env.filters["time_short"] = lambda moment: format_time(moment, "short")

    @app.context_processor
    def identity():
        return {"me": current_participant(), "organizer_signed_in": current_organizer()}

    @app.before_request
    def refuse_nul_in_urls():
        # No object is named with a NUL byte, and PostgreSQL refuses to even compare one.
        if any("\x00" in value for value in (request.view_args or {}).values()
               if isinstance(value, str)):
            abort(404)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    error_page = error_answer

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("Cette page est trop ancienne. Rechargez-la. Puis recommencez."))

    @app.errorhandler(401)
    def unauthorised(error):
        return error_page(401, _("Rejoignez d'abord une table ou connectez-vous."))

    @app.errorhandler(Unseated)
    def unseated(error):
        # Straight to the join page, saying why: the fragment's answer sends the page there.
        if wants_fragment():
            page, status, headers = error_page(403, str(UNSEATED))
            return page, status, {**headers, "HX-Redirect": url_for("tables.index")}
        return render_template("tables/join.html", values={"idempotency_key": new_key()},
                               errors={}, unseated=True), 403

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, _("Vous n'avez pas le droit de faire cela."))

    @app.errorhandler(404)
    def not_found(error):
        if isinstance(error, Gone):
            return error_page(404, str(error.description))
        return error_page(404, _("Cette page n'existe pas ou plus."))

    @app.errorhandler(405)
    def not_allowed(error):
        return error_page(405, _("Cette action n'est pas possible ici."))

    @app.errorhandler(429)
    def too_many(error):
        limit = getattr(error, "limit", None)
        if limit is not None and limit.error_message:
            return error_page(429, error.description)
        return error_page(429, _("Trop d'essais d'un coup. Attendez une minute. Puis réessayez."))

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, _("Un problème est arrivé chez nous. Ce que vous avez écrit "
                                 "est gardé. Réessayez dans un instant."))
