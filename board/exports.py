"""Getting everything out at any moment: CSV per kind, the JSON of the whole event, the
printed report; and back in: importing a JSON file, starting the next edition."""

import json
import re
import unicodedata

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from . import archive, services
from .auth import organizer_required
from .card import card_completeness
from .extensions import db
from .limits import write_limit
from .models import Event, PriorityAxis
from .schemas import publish_schema
from .screens.day import FOLLOW_UP_LABELS, VERDICT_LABELS, decisions_of, proposals_of, results
from .screens.record import FIGURE_LABELS, figures

bp = Blueprint("exports", __name__, url_prefix="/organisation")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "evenement"


def _download(body, filename, mimetype):
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.get("/evenements/<int:event_id>/exports")
@organizer_required
def index(event_id):
    """Every export of the event, the report, the next edition."""
    event = db.get_or_404(Event, event_id)
    return render_template("exports/index.html", event=event, kinds=archive.CSV_EXPORTS.values())


@bp.get("/evenements/<int:event_id>/exports/<kind>.csv")
@organizer_required
def csv_file(event_id, kind):
    """One kind of row as a CSV file, as it stands now."""
    event = db.get_or_404(Event, event_id)
    export = archive.CSV_EXPORTS.get(kind)
    if export is None:
        abort(404)
    return _download(archive.render_csv(export, event),
                     f"tablee-{_slug(event.name)}-{kind}.csv", "text/csv; charset=utf-8")


@bp.get("/evenements/<int:event_id>/export.json")
@organizer_required
def json_file(event_id):
    """The whole event in one JSON file, which imports back into any installation."""
    event = db.get_or_404(Event, event_id)
    body = json.dumps(archive.dump_event(event), ensure_ascii=False, indent=1)
    return _download(body, f"tablee-{_slug(event.name)}.json", "application/json")


@bp.route("/importer", methods=["GET", "POST"])
@organizer_required
@write_limit
def import_event():
    """Create an event from an exported JSON file."""
    errors, status = {}, 200
    if request.method == "POST":
        cap = current_app.config["IMPORT_MAX_BYTES"]
        # Werkzeug stops reading the body past the cap (413) rather than spooling it.
        request.max_content_length = cap + 64 * 1024
        try:
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                raise ValidationError({"file": [_("Choisissez le fichier JSON exporté.")]})
            body = upload.read(cap + 1)
            if len(body) > cap:
                raise RequestEntityTooLarge()
            try:
                data = json.loads(body.decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
                raise ValidationError({"file": [_("Ce fichier n'est pas du JSON lisible.")]}) \
                    from None
            event = archive.load_event(data)
        except RequestEntityTooLarge:
            errors, status = {"file": [_("Ce fichier dépasse %(size)s Mo : est-ce bien un "
                                         "export de Tablée ?", size=cap // (1024 * 1024))]}, 413
        except ValidationError as error:
            # Plain text, escaped by the page: a refusal may quote what the file holds.
            errors = {key: [str(m) for m in messages] for key, messages in error.messages.items()}
            status = 422
        else:
            return redirect(url_for("organizer.show", event_id=event.id))
    return render_template("exports/import.html", errors=errors), status


@bp.post("/evenements/<int:event_id>/resultats")
@organizer_required
@write_limit
def publish_results(event_id):
    """Publish the public page of the day's results, or withdraw it."""
    event = db.get_or_404(Event, event_id)
    try:
        data = publish_schema.load(request.form.to_dict())
    except ValidationError as error:
        return render_template("exports/index.html", event=event,
                               kinds=archive.CSV_EXPORTS.values(),
                               error=" ".join(error.messages["publish"])), 422
    services.publish_results(event, data["publish"])
    return redirect(url_for(".index", event_id=event.id) + "#resultats")


@bp.get("/evenements/<int:event_id>/rapport")
@organizer_required
def report(event_id):
    """The booklet of the day, to print or save as PDF: axes, every card, the results."""
    event = db.get_or_404(Event, event_id)
    axes = db.session.scalars(select(PriorityAxis).where(PriorityAxis.event_id == event.id)
                              .order_by(PriorityAxis.position)).all()
    proposals = proposals_of(event)
    return render_template("exports/report.html", event=event, axes=axes, proposals=proposals,
                           figures=figures(event), figure_labels=FIGURE_LABELS,
                           decisions=decisions_of(event), results=results(event),
                           verdicts=VERDICT_LABELS, follow_up=FOLLOW_UP_LABELS,
                           completeness=card_completeness)
