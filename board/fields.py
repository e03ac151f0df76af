"""The kinds of input field every schema is made of, each with its French messages.

Text is cleaned before it is checked: control and bidirectional-override characters never
belong in a note or a name (they can hide or reorder what others read).
"""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

MAX_ID = 2**31 - 1  # PostgreSQL's integer: a forged larger id is "unknown", not an error

_INVISIBLE = {"Cc", "Cf"}
# A request no form of ours sends (a forged or stale one): what the person can do about it.
BAD_REQUEST = _l("Cette demande n'a pas marché. Rechargez la page.")


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


# Letters that draw nothing (the Hangul fillers): a name made of them would look empty.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def visible_letter(text: str) -> None:
    """A first name shows at least one letter: spaces, marks, emoji or look-empty letters
    alone would leave the others with nobody to read."""
    if not any(unicodedata.category(ch).startswith("L") and ch not in _BLANK_LETTERS
               for ch in text):
        raise ValidationError([_l("Votre prénom doit contenir au moins une lettre.")])


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
                _l("Ce texte a %(count)s caractères. C'est %(over)s de trop. Au plus %(max)s.",
                   count=len(text), over=len(text) - self.max_length, max=self.max_length))
        return text


def Id(**kwargs):  # noqa: N802 - a field factory
    return fields.Integer(
        strict=False,
        validate=validate.Range(min=1, max=MAX_ID, error=_l("Choix inconnu.")),
        error_messages={"required": _l("Faites un choix."), "null": _l("Faites un choix."),
                        "invalid": _l("Choix inconnu.")},
        **kwargs,
    )


def OptionalId():  # noqa: N802 - a field factory
    """An id that may be empty (the unsorted column, a new priority axis, « aucun »)."""
    return _OptionalId(load_default=None, allow_none=True, strict=False,
                       error_messages={"invalid": _l("Choix inconnu."),
                                       "null": _l("Choix inconnu.")})


class _OptionalId(fields.Integer):
    def _deserialize(self, value, attr, data, **kwargs):
        if value in ("", None):
            return None
        ident = super()._deserialize(value, attr, data, **kwargs)
        if not 1 <= ident <= MAX_ID:
            raise ValidationError(_l("Choix inconnu."))
        return ident


def Ids(message):  # noqa: N802 - a field factory
    """Ticked boxes: at least one id."""
    return fields.List(Id(), required=True, validate=validate.Length(min=1, error=message),
                       error_messages={"required": message, "invalid": message})


def IdempotencyKey():  # noqa: N802 - a field factory
    """The key a page puts in every create form: retries of one request make one object."""
    return fields.String(load_default=None, validate=validate.Regexp(r"^[A-Za-z0-9_-]{1,64}$"),
                         error_messages={"invalid": BAD_REQUEST})


def Version(minimum=1, **kwargs):  # noqa: N802 - a field factory
    """The version of the record the person saw when they began editing it."""
    if not kwargs.get("required"):
        kwargs.setdefault("load_default", None)
    return fields.Integer(strict=False, validate=validate.Range(min=minimum, max=MAX_ID),
                          error_messages={"required": BAD_REQUEST, "invalid": BAD_REQUEST}, **kwargs)


def Choice(choices, message, **kwargs):  # noqa: N802 - a field factory
    kwargs.setdefault("required", True)
    return fields.String(validate=validate.OneOf(choices, error=message),
                         error_messages={"required": message, "null": message,
                                         "invalid": message}, **kwargs)


def Number(minimum, maximum, message, **kwargs):  # noqa: N802 - a field factory
    return fields.Integer(
        strict=False, validate=validate.Range(min=minimum, max=maximum, error=message),
        error_messages={"invalid": message, "required": message, "null": message}, **kwargs)


class Euros(fields.Field):
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


BUDGET_MAX = 100_000_000
LIST_ITEMS_MAX = 20
LIST_ITEM_MAX = 120


class Lines(fields.Field):
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
