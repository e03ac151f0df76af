"""Every input, from a form or a socket, is loaded through one of these schemas."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from .models import CODE_ALPHABET, DECISIONS, FOLLOW_UP_STATUSES, PHASES, SCREENS

NOTE_MAX = 280
NAME_MAX = 40

# Control and bidirectional-override characters never belong in a note or a name:
# they can hide or reorder what others read.
_INVISIBLE = {"Cc", "Cf"}


def clean_text(value: str, *, multiline: bool = False) -> str:
    kept = []
    for ch in value:
        if multiline and ch == "\n":
            kept.append(ch)
        elif unicodedata.category(ch) in _INVISIBLE and ch not in "\u200d":
            # Zero-width joiner stays: emoji sequences need it.
            kept.append(" " if ch in "\t\r" else "")
        else:
            kept.append(ch)
    text = "".join(kept)
    if multiline:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", text)
    else:
        text = re.sub(r"\s+", " ", text)
    return text.strip()


def Text(max_length, *, required=True, multiline=False, **kwargs):  # noqa: N802 - a field factory
    """A trimmed string field whose French messages name the limit."""
    return _TextField(
        required=required,
        multiline=multiline,
        max_length=max_length,
        error_messages={
            "required": _l("Ce champ est obligatoire."),
            "null": _l("Ce champ est obligatoire."),
            "invalid": _l("Ce texte n'est pas valide."),
        },
        **kwargs,
    )


class _TextField(fields.String):
    def __init__(self, *, multiline=False, max_length=None, **kwargs):
        self.multiline = multiline
        self.max_length = max_length
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = clean_text(super()._deserialize(value, attr, data, **kwargs),
                          multiline=self.multiline)
        if self.required and not text:
            raise ValidationError(_l("Ce champ est obligatoire."))
        if self.max_length and len(text) > self.max_length:
            raise ValidationError(
                _l("%(count)s caractères : c'est %(over)s de trop (au plus %(max)s).",
                   count=len(text), over=len(text) - self.max_length, max=self.max_length))
        return text


def Id(**kwargs):  # noqa: N802 - a field factory
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=1, error=_l("Choix inconnu.")),
        error_messages={"required": _l("Faites un choix."), "null": _l("Faites un choix."),
                        "invalid": _l("Choix inconnu.")},
        **kwargs,
    )


def _as_lists(messages):
    """Marshmallow wraps only plain str messages in lists; ours are lazy, so wrap them here."""
    if isinstance(messages, dict):
        return {key: _as_lists(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [str(m) if not isinstance(m, dict | list) else _as_lists(m) for m in messages]
    return [str(messages)]


class BaseSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    def handle_error(self, error, data, *, many, **kwargs):
        raise ValidationError(_as_lists(error.messages), data=data)


class JoinSchema(BaseSchema):
    code = fields.String(required=True, error_messages={
        "required": _l("Saisissez le code de votre table."),
        "invalid": _l("Saisissez le code de votre table.")})
    name = Text(NAME_MAX)

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
    idempotency_key = fields.String(
        load_default=None, validate=validate.Length(max=64),
        error_messages={"invalid": _l("Requête invalide.")})


class NoteUpdateSchema(BaseSchema):
    text = Text(NOTE_MAX, multiline=True)
    theme_id = Id(required=True)


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

    @pre_load
    def empty_date(self, data, **kwargs):
        data = dict(data)
        if data.get("date") in ("", None):
            data.pop("date", None)
        return data


class LoginSchema(BaseSchema):
    username = Text(80)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             error_messages={"required": _l("Saisissez le mot de passe.")})


class SocketAuthSchema(BaseSchema):
    """What a page sends when its socket connects: the room it wants to follow."""

    room = fields.String(required=True,
                         validate=validate.Regexp(r"^(table|event|console)-\d{1,12}$"))
    token = fields.String(load_default=None, validate=validate.Length(max=128))


join_schema = JoinSchema()
note_schema = NoteSchema()
note_update_schema = NoteUpdateSchema()
event_schema = EventSchema()
login_schema = LoginSchema()
socket_auth_schema = SocketAuthSchema()


# The proposal card (fiche projet): one schema per kind of field, each loading
# {"value", "version", "over"} from a form that saves as people type.

BUDGET_MAX = 100_000_000
LIST_ITEMS_MAX = 20
LIST_ITEM_MAX = 120


class _Euros(fields.Field):
    """A whole amount in euros as people write it: « 12 500 », « 12500 € », « 12.500 »."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is None or isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(_l("Saisissez un montant en euros, par exemple 15 000."))
        text = re.sub(r"[\s\u00a0\u202f€]", "", str(value))
        if not text:
            return None
        if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
            text = text.replace(".", "")
        if re.fullmatch(r"[-\u2212]\d+([.,]\d*)?", text):
            raise ValidationError(_l("Le budget ne peut pas être négatif."))
        if re.fullmatch(r"\d+[.,]\d*", text):
            raise ValidationError(_l("Arrondissez à l'euro près, par exemple 15 000."))
        if not re.fullmatch(r"\d{1,12}", text):
            raise ValidationError(_l("Saisissez un montant en euros, par exemple 15 000."))
        amount = int(text)
        if amount > BUDGET_MAX:
            raise ValidationError(_l("Au plus 100 000 000 €."))
        return amount


class _Lines(fields.Field):
    """A list typed one item per line (partners, skills)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError(_l("Ce texte n'est pas valide."))
        items = [clean_text(line) for line in value.splitlines()]
        items = [item for item in items if item]
        if len(items) > LIST_ITEMS_MAX:
            raise ValidationError(_l("Au plus %(max)s lignes.", max=LIST_ITEMS_MAX))
        for item in items:
            if len(item) > LIST_ITEM_MAX:
                raise ValidationError(_l(
                    "« %(item)s… » : %(count)s caractères, au plus %(max)s par ligne.",
                    item=item[:20], count=len(item), max=LIST_ITEM_MAX))
        return items


class _OptionalId(fields.Integer):
    """A choice in a list where « aucun » (an empty value) is allowed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("", None):
            return None
        ident = super()._deserialize(value, attr, data, **kwargs)
        if ident < 1:
            raise ValidationError(_l("Choix inconnu."))
        return ident


def _version(**kwargs):
    return fields.Integer(strict=False, validate=validate.Range(min=0), error_messages={
        "required": _l("Requête invalide."), "invalid": _l("Requête invalide.")}, **kwargs)


class _CardFieldSchema(BaseSchema):
    version = _version(required=True)
    # The version the writer saw in a conflict and chose to write over.
    over = _version(load_default=None)


def _card_schema(value_field):
    return _CardFieldSchema.from_dict({"value": value_field})()


_choice = {"invalid": _l("Choix inconnu."), "null": _l("Choix inconnu.")}
card_field_schemas = {
    "title": _card_schema(Text(200, required=False, load_default="")),
    "priority_axis_id": _card_schema(_OptionalId(
        strict=False, load_default=None, allow_none=True, error_messages=_choice)),
    "need": _card_schema(Text(2000, required=False, multiline=True, load_default="")),
    "objective": _card_schema(Text(2000, required=False, multiline=True, load_default="")),
    "neighbourhood": _card_schema(Text(200, required=False, load_default="")),
    "city": _card_schema(Text(200, required=False, load_default="")),
    "department": _card_schema(Text(100, required=False, load_default="")),
    "budget_amount": _card_schema(_Euros(load_default=None, allow_none=True)),
    "budget_purpose": _card_schema(Text(1000, required=False, multiline=True, load_default="")),
    "partners": _card_schema(_Lines(load_default=list)),
    "skills": _card_schema(_Lines(load_default=list)),
    "summary": _card_schema(Text(1200, required=False, multiline=True, load_default="")),
    "notes": _card_schema(fields.List(fields.Integer(
        strict=False, validate=validate.Range(min=1), error_messages=_choice),
        load_default=list, validate=validate.Length(max=200))),
}


class PresenceSchema(BaseSchema):
    """A tablet says which card field it has focus in (null: none)."""

    field = fields.String(load_default=None, allow_none=True,
                          validate=validate.OneOf(list(card_field_schemas)))
presence_schema = PresenceSchema()
# The organizer's day

def _choice(choices, message):
    return fields.String(required=True, validate=validate.OneOf(choices, error=message),
                         error_messages={"required": message, "null": message,
                                         "invalid": message})


def _seconds(minimum, maximum, message, **kwargs):
    return fields.Integer(
        validate=validate.Range(min=minimum, max=maximum, error=message),
        error_messages={"invalid": message, "required": message}, **kwargs)


def _blank_is_none(data, *names):
    data = dict(data)
    for name in names:
        if isinstance(data.get(name), str) and not data[name].strip():
            data.pop(name)
    return data


class PhaseSchema(BaseSchema):
    phase = _choice(PHASES, _l("Choisissez une étape."))


class PhaseStepSchema(BaseSchema):
    instruction = Text(300, required=False, load_default="")
    minutes = _seconds(1, 600, _l("Entre 1 et 600 minutes, ou laissez vide."),
                       load_default=None)

    @pre_load
    def blank_minutes(self, data, **kwargs):
        return _blank_is_none(data, "minutes")


class CountdownSchema(BaseSchema):
    action = _choice(("start", "pause", "resume", "extend", "stop"), _l("Action inconnue."))
    seconds = _seconds(1, 36_000, _l("Une durée entre 1 seconde et 10 heures."),
                       load_default=None)
    minutes = _seconds(1, 600, _l("Entre 1 et 600 minutes."), load_default=None)

    @pre_load
    def blank_numbers(self, data, **kwargs):
        return _blank_is_none(data, "seconds", "minutes")

    @post_load
    def minutes_as_seconds(self, data, **kwargs):
        if data.get("minutes") and not data.get("seconds"):
            data["seconds"] = data["minutes"] * 60
        return data


class StageSchema(BaseSchema):
    screen = fields.String(load_default=None, validate=validate.OneOf(
        SCREENS, error=_l("Choisissez ce que montre la plénière.")))
    pitch_seconds = _seconds(10, 3600, _l("Entre 10 secondes et une heure."), load_default=None)

    @pre_load
    def blank(self, data, **kwargs):
        return _blank_is_none(data, "screen", "pitch_seconds")


class MoveSchema(BaseSchema):
    offset = fields.Integer(required=True, validate=validate.OneOf(
        (-1, 1), error=_l("Vers le haut ou vers le bas.")),
        error_messages={"invalid": _l("Vers le haut ou vers le bas."),
                        "required": _l("Vers le haut ou vers le bas.")})


class DecisionSchema(BaseSchema):
    verdict = fields.String(required=True, validate=validate.OneOf(
        ("", *DECISIONS), error=_l("Choisissez prototype, à étudier ou non retenu.")),
        error_messages={"required": _l("Choisissez prototype, à étudier ou non retenu.")})
    comment = Text(2000, required=False, multiline=True, load_default="")


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
    status = _choice(FOLLOW_UP_STATUSES, _l("Choisissez un état du suivi."))
    text = Text(2000, required=False, multiline=True, load_default="")


class RemoteSchema(BaseSchema):
    """A console's remote control over its socket: the same actions as its buttons."""

    event_id = Id(required=True)
    action = _choice(("next", "previous", "pause", "resume", "extend", "stop"),
                     _l("Action inconnue."))


phase_schema = PhaseSchema()
phase_step_schema = PhaseStepSchema()
countdown_schema = CountdownSchema()
stage_schema = StageSchema()
move_schema = MoveSchema()
decision_schema = DecisionSchema()
reopen_schema = ReopenSchema()
sponsor_schema = SponsorSchema()
follow_up_schema = FollowUpSchema()
remote_schema = RemoteSchema()
