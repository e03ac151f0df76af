"""The organizer's console: sign in, set an event up, hand out codes and QR codes."""

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import select

from . import services
from .auth import current_organizer, organizer_required, sign_in_organizer
from .extensions import db, limiter
from .limits import write_limit
from .models import Event, Organizer, Participant, Table, check_dummy_password
from .realtime import seats_taken_back, sessions_ended, settings_changed, wall_link_changed
from .schemas import event_schema, event_settings_schema, login_schema
from .screens.record import FIGURE_LABELS, figures
from .slices import Slices
from .web import new_key, safe_next

bp = Blueprint("organizer", __name__, url_prefix="/organisation")

# Okabe and Ito's palette, told apart by colour-blind eyes too (its yellow, too pale on
# white, left out); then black, and two darker shades for themes 9 to 12.
DEFAULT_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                   "#000000", "#7a5195", "#5c4b00", "#1b5e20", "#8c1c13", "#37474f")


def unreachable_host(host: str) -> bool:
    """An address only this computer can open (the tablets cannot reach it)."""
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.split("]")[0] + "]"
    return name in ("localhost", "[::1]") or name.startswith("127.")


@bp.context_processor
def _colours():
    return {"default_colours": DEFAULT_COLOURS}


def _link_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="organizer-link")


def sign_in_link(organizer: Organizer) -> str:
    """A link that signs this organizer in once, within ORGANIZER_LINK_MAX_AGE seconds, as
    long as nobody used a link made after it and the password did not change meanwhile."""
    token = _link_serializer().dumps([organizer.id, organizer.link_serial])
    return url_for("organizer.link", token=token, _external=True)


def _link_organizer(token) -> tuple[Organizer, int] | None:
    try:
        ident, serial = _link_serializer().loads(
            token, max_age=current_app.config["ORGANIZER_LINK_MAX_AGE"])
    except (BadSignature, TypeError, ValueError):
        return None
    organizer = db.session.get(Organizer, ident) if isinstance(ident, int) else None
    if organizer is None or serial != organizer.link_serial:
        return None
    return organizer, serial


def _dead_link():
    return render_template("organizer/login.html", values={}, errors={
        "password": [_("Ce lien de connexion a expiré ou a déjà servi. Connectez-vous avec "
                       "votre mot de passe, ou demandez un nouveau lien.")]}), 400


@bp.route("/connexion", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login():
    """Username and password (set with `flask organizer create`)."""
    values, errors = {}, {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            data = login_schema.load(values)
        except ValidationError as error:
            errors = error.messages
        else:
            organizer = db.session.scalar(
                select(Organizer).where(Organizer.username == data["username"]))
            # An unknown username costs a hash check too: the answer's time must not tell
            # which usernames exist.
            if organizer is None:
                check_dummy_password(data["password"])
            elif organizer.check_password(data["password"]):
                sign_in_organizer(organizer)
                return redirect(safe_next(request.args.get("next"), url_for(".index")))
            errors = {"password": [_("Identifiant ou mot de passe incorrect.")]}
        values.pop("password", None)
    status = 422 if errors else 200
    return render_template("organizer/login.html", values=values, errors=errors), status


@bp.get("/lien/<token>")
def link(token):
    """A printed sign-in link (`make run`, `flask organizer link`) opens this page; its
    button signs in. Opening the page spends nothing, so a link previewer cannot use it up."""
    if _link_organizer(token) is None:
        return _dead_link()
    return render_template("organizer/link.html", token=token)


@bp.post("/lien/<token>")
def use_link(token):
    """Sign in with the link, which then stops working."""
    found = _link_organizer(token)
    if found is None or not services.use_sign_in_link(*found):
        return _dead_link()
    sign_in_organizer(found[0])
    return redirect(url_for(".index"))


@bp.post("/deconnexion")
def logout():
    """Sign out here and everywhere else this organizer is signed in."""
    organizer = current_organizer()
    if organizer is not None:
        services.end_sessions(organizer)
        sessions_ended(organizer)
    session.pop("organizer_id", None)
    session.pop("organizer_epoch", None)
    return redirect(url_for(".login"))


@bp.get("/")
@organizer_required
def index():
    """Every event, newest first."""
    events = db.session.scalars(select(Event).where(Event.importing.is_(False))
                                .order_by(Event.id.desc())).all()
    return render_template("organizer/index.html", events=events)


@bp.route("/evenements/nouveau", methods=["GET", "POST"])
@organizer_required
@write_limit
def create():
    """A new event: name, date, place, themes with their colours, number of tables."""
    if request.method == "GET":
        return render_template("organizer/new.html", values=_blank_event(), errors={})
    values = _event_form(request.form)
    try:
        event = services.create_event(event_schema.load(values))
    except ValidationError as error:
        return render_template("organizer/new.html", values=values, errors=error.messages), 422
    return redirect(url_for(".show", event_id=event.id))


@bp.route("/evenements/<int:event_id>/nouvelle-edition", methods=["GET", "POST"])
@organizer_required
@write_limit
def new_edition(event_id):
    """A new event with this one's setup: themes, tables, phase instructions and countdowns."""
    source = _event_or_404(event_id)
    if request.method == "GET":
        values = {"name": "", "date": "", "place": source.place,
                  "table_count": str(len(source.tables)),
                  "themes": [{"name": t.name, "colour": t.colour} for t in source.themes]}
        return render_template("organizer/new.html", values=values, errors={}, source=source)
    values = _event_form(request.form)
    try:
        event = services.create_event_from(source, event_schema.load(values))
    except ValidationError as error:
        return render_template("organizer/new.html", values=values, errors=error.messages,
                               source=source), 422
    return redirect(url_for("organizer.show", event_id=event.id))


def _blank_event():
    return {"name": "", "date": "", "place": "", "table_count": "20",
            "themes": [{"name": "", "colour": c} for c in DEFAULT_COLOURS[:3]],
            "idempotency_key": new_key()}


def _event_form(form):
    """The flat form (theme-0-name, theme-0-colour…) as the nested shape the schema loads."""
    themes = []
    for i in range(12):
        name = form.get(f"theme-{i}-name", "")
        colour = form.get(f"theme-{i}-colour", DEFAULT_COLOURS[i % len(DEFAULT_COLOURS)])
        if name.strip():
            theme = {"name": name, "colour": colour}
            if form.get(f"theme-{i}-id"):
                theme["id"] = form[f"theme-{i}-id"]
            themes.append(theme)
    return {"name": form.get("name", ""), "date": form.get("date", ""),
            "place": form.get("place", ""), "table_count": form.get("table_count", ""),
            "themes": themes, "idempotency_key": form.get("idempotency_key") or None}


def _event_or_404(event_id) -> Event:
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    return event


@bp.get("/evenements/<int:event_id>")
@organizer_required
def show(event_id):
    """The event's console: the plenary link, every table with its codes. Made in slices
    (see board/slices.py): at 200 tables its rows are tens of milliseconds of Python."""
    event = _event_or_404(event_id)
    slices = Slices()
    counts = figures(event)
    slices()
    return slices.render("organizer/show.html", event=event, figures=counts,
                         figure_labels=FIGURE_LABELS, unreachable=unreachable_host(request.host))


def _settings_values(event):
    return {"name": event.name, "date": event.date.isoformat() if event.date else "",
            "place": event.place, "table_count": str(len(event.tables)),
            "themes": [{"id": t.id, "name": t.name, "colour": t.colour} for t in event.themes],
            "table_names": {t.id: t.name for t in event.tables}}


@bp.route("/evenements/<int:event_id>/reglages", methods=["GET", "POST"])
@organizer_required
@write_limit
def settings(event_id):
    """Change the set-up after creation: themes, table names, number of tables."""
    event = _event_or_404(event_id)
    if request.method == "GET":
        return render_template("organizer/settings.html", event=event,
                               values=_settings_values(event), errors={})
    values = _event_form(request.form)
    values["table_names"] = [{"id": t.id, "name": request.form.get(f"table-{t.id}-name", "")}
                             for t in event.tables if f"table-{t.id}-name" in request.form]
    try:
        services.update_event(event, event_settings_schema.load(values))
    except ValidationError as error:
        shown = {**values, "table_names": {t["id"]: t["name"] for t in values["table_names"]}}
        return render_template("organizer/settings.html", event=event, values=shown,
                               errors=error.messages), 422
    settings_changed(event)
    return redirect(url_for(".show", event_id=event.id))


def _table_or_404(event_id, table_id) -> Table:
    table = db.session.get(Table, table_id)
    if table is None or table.event_id != event_id:
        abort(404)
    return table


@bp.post("/evenements/<int:event_id>/tables/<int:table_id>/codes")
@organizer_required
@write_limit
def regenerate(event_id, table_id):
    """New codes for one table (a sheet was lost or photographed): whoever came in with the
    old captain code loses their seat, and everyone at the table if the box is ticked."""
    table = _table_or_404(event_id, table_id)
    sids = services.regenerate_codes(table, everyone=request.form.get("everyone") == "1")
    seats_taken_back(table, sids)
    if request.headers.get("HX-Request"):
        return render_template("organizer/_table_row.html", table=table)
    return redirect(url_for(".show", event_id=event_id))


@bp.get("/evenements/<int:event_id>/tables/<int:table_id>/places")
@organizer_required
def seats(event_id, table_id):
    """Who is seated at one table, loaded when the organizer opens that table's list."""
    table = _table_or_404(event_id, table_id)
    return render_template("organizer/_seats.html", table=table, people=services.seated(table),
                           connected=services.connected_ids(table))


@bp.post("/evenements/<int:event_id>/tables/<int:table_id>/places/<int:participant_id>/retirer")
@organizer_required
@write_limit
def unseat(event_id, table_id, participant_id):
    """Take one person's seat back: their tablet goes back to the join page."""
    table = _table_or_404(event_id, table_id)
    person = db.session.get(Participant, participant_id)
    if person is None or person.table_id != table.id:
        abort(404)
    seats_taken_back(table, services.unseat_one(person))
    if request.headers.get("HX-Request"):
        return seats(event_id, table_id)
    return redirect(url_for(".show", event_id=event_id))


@bp.post("/evenements/<int:event_id>/pleniere/jeton")
@organizer_required
@write_limit
def new_wall_link(event_id):
    """A new link for the plenary screens; the old one stops working at once."""
    event = _event_or_404(event_id)
    services.new_plenary_token(event)
    wall_link_changed(event)
    if request.headers.get("HX-Request"):
        return "", 204, {"HX-Redirect": url_for(".show", event_id=event_id)}
    return redirect(url_for(".show", event_id=event_id))


@bp.get("/evenements/<int:event_id>/qr")
@organizer_required
def qr_sheet(event_id):
    """One page per table to print: its QR code, its name and join code in large type."""
    event = _event_or_404(event_id)
    sheets = []
    for table in event.tables:
        url = url_for("tables.scan", code=table.join_code, _external=True)
        svg = segno.make(url, error="m").svg_inline(scale=8, dark="#000", light="#fff",
                                                    title=table.label)
        sheets.append({"table": table, "url": url, "svg": Markup(svg)})
    return render_template("organizer/qr.html", event=event, sheets=sheets,
                           grid=request.args.get("grille") == "1",
                           unreachable=unreachable_host(request.host))
