"""What every page shares: scripts and their CDN fallbacks, security headers, errors, language."""

import uuid

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from markupsafe import Markup

from . import LANGUAGES

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

CSP = ("default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; style-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@bp.route("/langue/<lang>", methods=["POST"])
def set_language(lang):
    """Switch the interface language and come back to the same page."""
    if lang in LANGUAGES:
        session["lang"] = lang
    target = request.form.get("next") or "/"
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    return redirect(target)


@bp.get("/evenements/<int:event_id>/themes.css")
def themes_css(event_id):
    """Each theme's colour as a class: the CSP forbids inline styles, so colours come from here."""
    from . import db
    from .models import Event

    event = db.get_or_404(Event, event_id)
    css = render_template("themes.css", themes=event.themes)
    return css, 200, {"Content-Type": "text/css; charset=utf-8",
                      "Cache-Control": "public, max-age=300"}


def script_tags(*names):
    """The <script> tags for vendored libraries: CDN first, local copy as the fallback."""
    return Markup(render_template("_scripts.html", scripts=[(n, *SCRIPTS[n]) for n in names],
                                  cdn=current_app.config["ASSETS_CDN"]))


def wants_fragment() -> bool:
    return request.headers.get("HX-Request") == "true"


def init_app(app):
    app.register_blueprint(bp)
    app.jinja_env.globals["script_tags"] = script_tags
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["new_key"] = lambda: uuid.uuid4().hex

    @app.context_processor
    def identity():
        from .auth import current_organizer, current_participant

        return {"me": current_participant(), "organizer_signed_in": current_organizer()}

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response

    def error_page(status, message):
        if wants_fragment():
            return render_template("_flash.html", message=message, level="error"), status
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return error_page(400, _("La page a expiré. Rechargez-la, puis recommencez."))

    @app.errorhandler(401)
    def unauthorised(error):
        return error_page(401, _("Rejoignez d'abord une table ou connectez-vous."))

    @app.errorhandler(403)
    def forbidden(error):
        return error_page(403, _("Vous n'avez pas le droit de faire cela."))

    @app.errorhandler(404)
    def not_found(error):
        return error_page(404, _("Cette page n'existe pas ou plus."))

    @app.errorhandler(405)
    def not_allowed(error):
        return error_page(405, _("Cette action n'est pas possible ici."))

    @app.errorhandler(429)
    def too_many(error):
        return error_page(429, _("Trop d'essais d'un coup. Patientez une minute, puis réessayez."))

    @app.errorhandler(500)
    def server_error(error):
        return error_page(500, _("Un problème est survenu de notre côté. Réessayez dans un "
                                 "instant : ce que vous avez saisi est conservé."))
