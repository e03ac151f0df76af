"""Every input, from a form, a socket or an imported file, is loaded through one of these
schemas; the field types they are made of, with their French messages, are in fields.py."""

import re

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates_schema

from .card import BY_NAME as CARD_FIELD_BY_NAME
from .card import CARD_FIELDS, DECISIONS
from .fields import (
    MAX_ID,
    BaseSchema,
    Choice,
    Id,
    IdempotencyKey,
    Ids,
    Number,
    OptionalId,
    Text,
    Version,
    visible_letter,
)
from .models import CODE_ALPHABET, FOLLOW_UP_STATUSES, PHASES, SCREENS

NOTE_MAX = 280
NAME_MAX = 40
AXIS_NAME_MAX = 120

__all__ = ["MAX_ID", "NOTE_MAX", "NAME_MAX"]


class JoinSchema(BaseSchema):
    code = fields.String(required=True, error_messages={
        "required": _l("Saisissez le code de votre table."),
        "invalid": _l("Saisissez le code de votre table.")})
    name = Text(NAME_MAX, validate=visible_letter)
    idempotency_key = IdempotencyKey()

    @pre_load
    def normalise_code(self, data, **kwargs):
        data = dict(data)
        if isinstance(data.get("code"), str):
            data["code"] = re.sub(r"[\s-]", "", data["code"]).upper()
        return data

    @validates_schema(skip_on_field_errors=False)
    def check_code_shape(self, data, **kwargs):
        code = data.get("code", "")
        if not code:
            raise ValidationError([_l("Saisissez le code de votre table.")], "code")
        if len(code) > 16 or any(ch not in CODE_ALPHABET for ch in code):
            raise ValidationError([_l("Ce code n'existe pas. Vérifiez-le sur la feuille de votre "
                                     "table.")], "code")


class NoteSchema(BaseSchema):
    text = Text(NOTE_MAX, multiline=True)
    theme_id = Id(required=True)
    idempotency_key = IdempotencyKey()


class NoteUpdateSchema(BaseSchema):
    text = Text(NOTE_MAX, multiline=True)
    theme_id = Id(required=True)
    version = Version()


def _colour():
    return fields.String(
        required=True,
        validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$",
                                 error=_l("Choisissez une couleur (par exemple #1d70b8).")),
        error_messages={"required": _l("Choisissez une couleur.")},
    )


class ThemeSchema(BaseSchema):
    name = Text(120)
    colour = _colour()


def _distinct_colours(themes):
    """Two themes of one colour look like one on every tablet and on the wall."""
    seen = {}
    for theme in themes or []:
        colour = theme.get("colour", "").lower()
        if colour in seen:
            raise ValidationError({"themes": [_l(
                "« %(a)s » et « %(b)s » ont la même couleur : choisissez-en une autre pour "
                "l'une des deux, sinon les tables les confondront.",
                a=seen[colour], b=theme.get("name", ""))]})
        seen[colour] = theme.get("name", "")


class EventSchema(BaseSchema):
    name = Text(200)
    date = fields.Date(load_default=None, error_messages={
        "invalid": _l("Saisissez une date, par exemple 16/12/2017.")})
    place = Text(200, required=False, load_default="")
    table_count = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=500,
                                error=_l("Entre 1 et 500 tables.")),
        error_messages={"required": _l("Combien de tables ?"),
                        "invalid": _l("Saisissez un nombre de tables.")})
    themes = fields.List(fields.Nested(ThemeSchema), required=True, validate=validate.Length(
        min=1, max=12, error=_l("Donnez au moins une thématique (au plus 12).")))
    idempotency_key = IdempotencyKey()

    @pre_load
    def empty_date(self, data, **kwargs):
        data = dict(data)
        if data.get("date") in ("", None):
            data.pop("date", None)
        return data

    @validates_schema
    def colours_differ(self, data, **kwargs):
        _distinct_colours(data.get("themes"))


class ThemeEditSchema(ThemeSchema):
    id = OptionalId()


class TableNameSchema(BaseSchema):
    id = Id()
    name = Text(120, required=False, load_default="")


class EventSettingsSchema(EventSchema):
    """The event's set-up changed after its creation: themes (with their ids), table names."""

    themes = fields.List(fields.Nested(ThemeEditSchema), required=True,
                         validate=validate.Length(min=1, max=12, error=_l(
                             "Donnez au moins une thématique (au plus 12).")))
    table_names = fields.List(fields.Nested(TableNameSchema), load_default=list)


class LoginSchema(BaseSchema):
    username = Text(80)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             error_messages={"required": _l("Saisissez le mot de passe.")})


class SocketAuthSchema(BaseSchema):
    """What a page sends when its socket connects: the room it wants to follow."""

    room = fields.String(required=True,
                         validate=validate.Regexp(r"^(table|event|console)-\d{1,9}$"))
    token = fields.String(load_default=None, validate=validate.Length(max=128))


join_schema = JoinSchema()
note_schema = NoteSchema()
note_update_schema = NoteUpdateSchema()
event_schema = EventSchema()
login_schema = LoginSchema()
socket_auth_schema = SocketAuthSchema()


class _Blanks(BaseSchema):
    """A schema whose fields named in `optional` take their default when left blank."""

    optional: tuple = ()

    @pre_load
    def blanks(self, data, **kwargs):
        data = dict(data)
        for name in self.optional:
            if isinstance(data.get(name), str) and not data[name].strip():
                data.pop(name)
        return data


# The morning: axes, moves, merges, dot votes, consolidation.


class AxisSchema(BaseSchema):
    name = Text(AXIS_NAME_MAX)
    theme_id = Id(required=True)


class MoveSchema(_Blanks):
    """Where a note goes (no axis: the unsorted column) or an axis goes, and at which place."""

    optional = ("axis_id", "index")
    axis_id = OptionalId()
    index = fields.Integer(load_default=None, allow_none=True, strict=False,
                           validate=validate.Range(min=0, max=10_000),
                           error_messages={"invalid": _l("Place inconnue.")})


class MergeSchema(BaseSchema):
    note_ids = Ids(_l("Choisissez au moins deux constats à fusionner."))


class VoteSchema(BaseSchema):
    axis_id = Id(required=True)


class VoteStateSchema(BaseSchema):
    votes_revealed = fields.Boolean(load_default=None, allow_none=True)
    vote_closed = fields.Boolean(load_default=None, allow_none=True)


class VoteSettingsSchema(BaseSchema):
    dots_per_participant = fields.Integer(
        required=True, strict=False,
        validate=validate.Range(min=1, max=20, error=_l("Entre 1 et 20 gommettes.")),
        error_messages={"required": _l("Combien de gommettes par personne ?"),
                        "invalid": _l("Saisissez un nombre de gommettes.")})
    # Unticked checkboxes send nothing.
    dots_stack = fields.Boolean(load_default=False)
    votes_live = fields.Boolean(load_default=False)


class GatherSchema(_Blanks):
    optional = ("priority_axis_id", "theme_id")
    axis_ids = Ids(_l("Cochez au moins un axe de table à regrouper."))
    priority_axis_id = OptionalId()
    theme_id = OptionalId()
    title = Text(200, required=False, load_default="")


class PriorityAxisSchema(BaseSchema):
    """A priority axis made from scratch (its theme) or renamed (its title alone)."""

    title = Text(200)
    theme_id = OptionalId()


class SplitSchema(BaseSchema):
    source_ids = Ids(_l("Cochez une partie des axes d'origine (au moins un, pas tous)."))
    title = Text(200)


axis_schema = AxisSchema()
move_schema = MoveSchema()
merge_schema = MergeSchema()
vote_schema = VoteSchema()
vote_state_schema = VoteStateSchema()
vote_settings_schema = VoteSettingsSchema()
gather_schema = GatherSchema()
split_schema = SplitSchema()
event_settings_schema = EventSettingsSchema()
priority_axis_schema = PriorityAxisSchema()


# The proposal card (fiche projet): one schema per field, each loading
# {"value", "version", "over"} from a form that saves as people type (card.py declares them).

class _CardFieldSchema(BaseSchema):
    version = Version(minimum=0, required=True)
    # The version the writer saw in a conflict and chose to write over.
    over = Version(minimum=0)


card_field_schemas = {f.name: _CardFieldSchema.from_dict({"value": f.value})()
                      for f in CARD_FIELD_BY_NAME.values()}


class CardStatusSchema(BaseSchema):
    """The captain declares the card ready, or reopens it."""

    status = Choice(("ready", "draft"), _l("Choisissez « prête » ou « à reprendre »."))


class PresenceSchema(BaseSchema):
    """A tablet says which card field it has focus in (null: none)."""

    field = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(CARD_FIELDS))


card_status_schema = CardStatusSchema()
presence_schema = PresenceSchema()


# The organizer's day


class PhaseSchema(BaseSchema):
    phase = Choice(PHASES, _l("Choisissez une étape."))


class PhaseStepSchema(_Blanks):
    optional = ("minutes",)
    instruction = Text(300, required=False, load_default="")
    minutes = Number(1, 600, _l("Entre 1 et 600 minutes, ou laissez vide."), load_default=None)


class CountdownSchema(_Blanks):
    optional = ("seconds", "minutes")
    action = Choice(("start", "pause", "resume", "extend", "stop"), _l("Action inconnue."))
    seconds = Number(1, 36_000, _l("Une durée entre 1 seconde et 10 heures."), load_default=None)
    minutes = Number(1, 600, _l("Entre 1 et 600 minutes."), load_default=None)

    @post_load
    def minutes_as_seconds(self, data, **kwargs):
        if data.get("minutes") and not data.get("seconds"):
            data["seconds"] = data["minutes"] * 60
        return data


class StageSchema(_Blanks):
    optional = ("screen", "pitch_seconds")
    screen = Choice(SCREENS, _l("Choisissez ce que montre la plénière."), required=False,
                    load_default=None)
    pitch_seconds = Number(10, 3600, _l("Entre 10 secondes et une heure."), load_default=None)


class SpotlightSchema(BaseSchema):
    """The number of the table to put on the whole plenary wall; none brings the wall back."""
    number = OptionalId()


class QueueMoveSchema(BaseSchema):
    """One place up (-1) or down (+1) in the pitch queue."""

    offset = fields.Integer(required=True, validate=validate.OneOf(
        (-1, 1), error=_l("Vers le haut ou vers le bas.")),
        error_messages={"invalid": _l("Vers le haut ou vers le bas."),
                        "required": _l("Vers le haut ou vers le bas.")})


class DecisionSchema(BaseSchema):
    verdict = fields.String(required=True, validate=validate.OneOf(
        ("", *DECISIONS), error=_l("Choisissez prototype, à étudier ou non retenu.")),
        error_messages={"required": _l("Choisissez prototype, à étudier ou non retenu.")})
    comment = Text(2000, required=False, multiline=True, load_default="")


class CloseSelectionSchema(BaseSchema):
    confirm = Choice(("oui",), _l("Cochez la case pour confirmer : les décisions seront "
                                  "figées."))


class ReopenSchema(BaseSchema):
    reason = Text(300)


class SponsorSchema(BaseSchema):
    name = Text(120)
    team = Text(200)
    contact = Text(200, required=False, load_default="")


class FollowUpSchema(BaseSchema):
    noted_on = fields.Date(required=True, error_messages={
        "required": _l("Saisissez une date."),
        "invalid": _l("Saisissez une date, par exemple 16/12/2017.")})
    status = Choice(FOLLOW_UP_STATUSES, _l("Choisissez un état du suivi."))
    text = Text(2000, required=False, multiline=True, load_default="")


class RemoteSchema(BaseSchema):
    """A console's remote control over its socket: the same actions as its buttons."""

    event_id = Id(required=True)
    action = Choice(("next", "previous", "pause", "resume", "extend", "stop"),
                    _l("Action inconnue."))


class PublishSchema(BaseSchema):
    """The public page of the results: published (true) or withdrawn (false)."""

    publish = fields.Boolean(required=True, error_messages={
        "required": _l("Publier ou retirer ?"), "invalid": _l("Publier ou retirer ?")})


phase_schema = PhaseSchema()
phase_step_schema = PhaseStepSchema()
countdown_schema = CountdownSchema()
stage_schema = StageSchema()
spotlight_schema = SpotlightSchema()
queue_move_schema = QueueMoveSchema()
decision_schema = DecisionSchema()
reopen_schema = ReopenSchema()
close_selection_schema = CloseSelectionSchema()
sponsor_schema = SponsorSchema()
follow_up_schema = FollowUpSchema()
remote_schema = RemoteSchema()
publish_schema = PublishSchema()
