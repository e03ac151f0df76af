"""Every input, from a form or a socket, is loaded through one of these schemas."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from .models import CODE_ALPHABET

NOTE_MAX = 280
MAX_ID = 2**31 - 1
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
        # Capped at PostgreSQL's integer: a forged huge id is "unknown", not a database error.
        validate=validate.Range(min=1, max=MAX_ID, error=_l("Choix inconnu.")),
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


def IdempotencyKey():  # noqa: N802 - a field factory
    """The key a page puts in every create form: retries of one request make one object."""
    return fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"),
                         error_messages={"invalid": _l("Requête invalide.")})


def Version():  # noqa: N802 - a field factory
    """The version of the record the person saw when they began editing it."""
    return fields.Integer(load_default=None, strict=False,
                          validate=validate.Range(min=1, max=MAX_ID),
                          error_messages={"invalid": _l("Requête invalide.")})


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


class LoginSchema(BaseSchema):
    username = Text(80)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200),
                             error_messages={"required": _l("Saisissez le mot de passe.")})


class SocketAuthSchema(BaseSchema):
    """What a page sends when its socket connects: the room it wants to follow."""

    room = fields.String(required=True, validate=validate.Regexp(r"^(table|event)-\d{1,9}$"))
    token = fields.String(load_default=None, validate=validate.Length(max=128))


join_schema = JoinSchema()
note_schema = NoteSchema()
note_update_schema = NoteUpdateSchema()
event_schema = EventSchema()
login_schema = LoginSchema()
socket_auth_schema = SocketAuthSchema()
