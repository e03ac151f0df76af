"""The proposal card (fiche projet), declared once: its fields and its statuses.

Each field says what it is (kind), how it is labelled and hinted, whether a card needs it
before it can be declared ready, how its value is loaded (a marshmallow field) and which
column holds it in the exports. The model's columns, the forms, the schemas, the meter,
the plenary and the CSV all read this table; a new field is a line here and a column
in models.py (with its migration).
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from marshmallow import fields as mm
from marshmallow import validate

from .fields import Euros, Lines, OptionalId, Text


@dataclass(frozen=True)
class CardField:
    name: str
    kind: str  # line, text, list, euros, axis, person, notes: how the tablet edits it
    label: object
    column: object  # its header in proposals.csv
    value: mm.Field  # how a save's value is loaded
    required: bool = False
    hint: object = ""


FIELDS = (
    CardField("title", "line", _l("Titre"), _l("titre"), Text(200, required=False,
              load_default=""), required=True, hint=_l("Un nom court pour votre projet.")),
    CardField("priority_axis_id", "axis", _l("Axe prioritaire"), _l("axe prioritaire"),
              OptionalId(), required=True, hint=_l("Le ou la capitaine le choisit.")),
    CardField("need", "text", _l("Besoin"), _l("besoin"),
              Text(2000, required=False, multiline=True, load_default=""), required=True,
              hint=_l("Quel problème voyez-vous ? Pour qui ?")),
    CardField("objective", "text", _l("Objectif"), _l("objectif"),
              Text(2000, required=False, multiline=True, load_default=""), required=True,
              hint=_l("Que voulez-vous changer ?")),
    CardField("neighbourhood", "line", _l("Quartier"), _l("quartier"),
              Text(200, required=False, load_default=""), hint=_l("Le nom du quartier.")),
    CardField("city", "line", _l("Ville"), _l("ville"),
              Text(200, required=False, load_default=""), required=True),
    CardField("department", "line", _l("Département"), _l("département"),
              Text(100, required=False, load_default=""), hint=_l("Son numéro, par exemple 95.")),
    CardField("budget_amount", "euros", _l("Budget (en euros)"), _l("budget (euros)"),
              Euros(load_default=None, allow_none=True), required=True,
              hint=_l("Combien faut-il ? En euros, par exemple 15 000.")),
    CardField("budget_purpose", "text", _l("Ce que paie le budget"), _l("usage du budget"),
              Text(1000, required=False, multiline=True, load_default=""), required=True,
              hint=_l("Avec cet argent, que payez-vous ?")),
    CardField("partners", "list", _l("Partenaires"), _l("partenaires"),
              Lines(load_default=list), required=True, hint=_l("Qui peut vous aider ? Un nom par ligne.")),
    CardField("skills", "list", _l("Compétences nécessaires"), _l("compétences"),
              Lines(load_default=list), required=True, hint=_l("Quels savoir-faire faut-il ? Un par ligne.")),
    CardField("summary", "text", _l("Résumé du pitch"), _l("résumé"),
              Text(1200, required=False, multiline=True, load_default=""), required=True,
              hint=_l("Ce que vous direz à la salle. Quelques phrases.")),
    CardField("pitcher_id", "person", _l("Qui présente le pitch"), _l("orateur ou oratrice"),
              OptionalId(), hint=_l("Qui parle devant la salle ? Une personne de votre table.")),
    CardField("notes", "notes", _l("Constats auxquels la fiche répond"),
              _l("constats liés"),
              mm.List(mm.Integer(strict=False, validate=validate.Range(min=1), error_messages={
                  "invalid": _l("Choix inconnu."), "null": _l("Choix inconnu.")}),
                  load_default=list, validate=validate.Length(max=200))),
)
BY_NAME = {f.name: f for f in FIELDS}
CARD_FIELDS = tuple(f.name for f in FIELDS)
REQUIRED_CARD_FIELDS = tuple(f.name for f in FIELDS if f.required)

# draft → ready → pitched → prototype | to study | not retained. The captain declares the
# card ready (and may reopen it); the organizer's pitch makes it pitched; the selection
# decides, and may revise or clear its decision.
STATUSES = ("draft", "ready", "pitched", "prototype", "to_study", "not_retained")
DECISIONS = ("prototype", "to_study", "not_retained")
EDITABLE_STATUSES = ("draft", "ready")
STATUS_FLOW = {
    "draft": {"ready", "pitched"},
    "ready": {"draft", "pitched"},
    "pitched": {"ready", *DECISIONS},
    **{decision: {"pitched", *(set(DECISIONS) - {decision})} for decision in DECISIONS},
}
STATUS_LABELS = {
    "draft": _l("Brouillon"),
    "ready": _l("Prête"),
    "pitched": _l("Présentée"),
    "prototype": _l("Prototype"),
    "to_study": _l("À étudier"),
    "not_retained": _l("Non retenue"),
}


def card_value(proposal, field: str):
    """A field's value as saved in revisions: the notes as a sorted list of ids."""
    if field == "notes":
        return sorted(note.id for note in proposal.notes)
    return getattr(proposal, field)


def is_empty(value) -> bool:
    return value in (None, "", [])


def empty_card_fields(proposal, fields=CARD_FIELDS) -> list[str]:
    return [f for f in fields if is_empty(card_value(proposal, f))]


def card_completeness(proposal) -> tuple[int, int]:
    """How many of the card's fields are filled in, out of how many (as its meter counts)."""
    total = len(CARD_FIELDS)
    if proposal is None:
        return 0, total
    return total - len(empty_card_fields(proposal)), total
