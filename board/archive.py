"""Getting an event out and back in: CSV files per kind, one JSON file of the whole event.

Adding a kind (axes, votes, revisions…) takes a few lines here:

- JSON: ``section("axes", Axis, refs={"table_id": "tables"})`` after the sections it points
  into. Its columns are read off the model; ``refs`` says which foreign keys point into
  which section, so that an import links the new rows to the new ids. A model with an
  ``event_id`` gets the imported event's id.
- CSV: a function that yields one list per row, decorated with
  ``@csv_export("axes", _l("Axes"), [_l("table"), _l("axe"), …])``.
"""

import copy
import csv
import io
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import gevent
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from .card import BY_NAME as CARD_FIELD_BY_NAME
from .card import CARD_FIELDS, DECISIONS, STATUSES
from .extensions import db
from .fields import MAX_ID, Choice, Id, Lines, Number, Text
from .models import (
    COUNTDOWN_KINDS,
    FOLLOW_UP_STATUSES,
    PHASES,
    SCREENS,
    Axis,
    Countdown,
    Decision,
    Event,
    FollowUpNote,
    Note,
    Participant,
    PhaseStep,
    Pitch,
    PriorityAxis,
    PrioritySource,
    Proposal,
    ProposalRevision,
    SelectionLog,
    Sponsor,
    Stage,
    Table,
    Theme,
    Vote,
    proposal_note,
    utcnow,
)
from .schemas import (
    NAME_MAX,
    AxisSchema,
    DecisionSchema,
    FollowUpSchema,
    JoinSchema,
    NoteSchema,
    PhaseStepSchema,
    SponsorSchema,
    ThemeSchema,
    VoteSettingsSchema,
)
from .screens.record import figures
from .services.organizer import equip_tables

FORMAT = "tablee-event"
VERSION = 1

# Columns that describe the running server rather than what the event made, and secrets
# that must never travel: an imported event gets new codes, tokens and keys.
NOT_EXPORTED = {"seq", "plenary_token", "event_id", "join_code", "captain_code",
                "idempotency_key", "importing", "results_token"}

# Rows written per statement; the import lets other requests run between batches (at 210
# tables on SQLite, no other greenlet waited more than 36 ms during a 2.9 s import).
BATCH = 200

_FIELD_TYPES = (
    (sa.Boolean, fields.Boolean),
    (sa.Integer, fields.Integer),
    (sa.Float, fields.Float),
    (sa.DateTime, fields.DateTime),
    (sa.Date, fields.Date),
    (sa.String, fields.String),
    (sa.JSON, fields.Raw),
)


_MESSAGES = {"required": _l("Ce champ est obligatoire."),
             "null": _l("Ce champ est obligatoire."),
             "invalid": _l("Cette valeur n'a pas le bon type.")}


def _schema_for(model, checks=None) -> Schema:
    """A marshmallow schema of the model's columns: it writes the JSON and checks it back.

    Every column is typed; `checks` replace a column's field by the one its form uses, so
    that a file can hold nothing a person could not have typed."""
    declared = {}
    for column in model.__table__.columns:
        if column.key in NOT_EXPORTED or column is model.__mapper__.version_id_col:
            continue  # a version counter guards edits in this database, it is not content
        kind = next(f for t, f in _FIELD_TYPES if isinstance(column.type, t))
        options = {"allow_none": column.nullable, "error_messages": _MESSAGES}
        if kind is fields.Integer:
            options["strict"] = True
            options["validate"] = validate.Range(min=0, max=MAX_ID, error=_l(
                "Un nombre entier entre 0 et %(max)s est attendu.", max=MAX_ID))
        if kind is fields.Float:
            options["validate"] = validate.Range(min=-10**7, max=10**7, error=_l(
                "Ce nombre est hors des limites."))
        if kind is fields.String and column.type.length:
            options["validate"] = validate.Length(max=column.type.length, error=_l(
                "Au plus %(max)s caractères.", max=column.type.length))
        if column.primary_key and model is not Event:
            options.update(required=True, allow_none=False,
                           validate=validate.Range(min=1, max=MAX_ID, error=_l(
                               "Un identifiant entre 1 et %(max)s est attendu.", max=MAX_ID)))
        elif (not column.nullable and column.default is None and column.server_default is None
              and not column.primary_key):
            options["required"] = True
        declared[column.key] = kind(**options)
    declared.update(checks or {})
    schema = Schema.from_dict(declared, name=f"{model.__name__}ArchiveSchema")
    return schema(unknown=EXCLUDE)


@dataclass
class Section:
    name: str
    label: object  # how a refusal names it
    model: type
    rows: Callable[[Event], Iterable]
    refs: dict[str, str] = field(default_factory=dict)
    schema: Schema = None
    late_refs: dict[str, str] = field(default_factory=dict)  # may point at later rows


SECTIONS: list[Section] = []


def _by_event(model, order):
    return lambda event: db.session.scalars(
        select(model).where(model.event_id == event.id).order_by(*order))


def _by_table(model, order):
    return lambda event: db.session.scalars(
        select(model).join(Table, model.table_id == Table.id)
        .where(Table.event_id == event.id).order_by(*order))


def section(name, label, model, *, rows=None, refs=None, checks=None, late_refs=None):
    """Register a kind of row in the JSON file; the order of registration is the import order.

    `refs` point at rows of earlier sections; `late_refs` at rows that may come later
    (a note merged into a newer one): they are linked once every row exists.
    """
    if rows is None:
        rows = _by_event(model, [model.id])
    SECTIONS.append(Section(name, label, model, rows, refs or {}, _schema_for(model, checks),
                            late_refs or {}))


class _AsLines(fields.Field):
    """A list as the card's form takes it, one item per line, through that form's field."""

    def __init__(self, lines: fields.Field, **kwargs):
        super().__init__(**kwargs)
        self.lines = lines

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError(_l("Une liste de textes est attendue."))
        return self.lines.deserialize("\n".join(value))


class _NoteIds(fields.List):
    """The notes a card answers, as their ids."""

    def get_value(self, obj, attr, accessor=None, default=None):
        return [note.id for note in obj.notes]


def _card_checks() -> dict:
    checks = {}
    for f in CARD_FIELD_BY_NAME.values():
        if f.name == "notes":
            continue  # the card's notes travel as its note_ids
        value = copy.deepcopy(f.value)
        checks[f.name] = _AsLines(value, load_default=list) if isinstance(value, Lines) \
            else value
    return checks


_REVISION_VALUES = {"status": Choice(STATUSES, _l("État de fiche inconnu."))}
_REVISION_VALUES.update({f.name: _AsLines(copy.deepcopy(f.value))
                         if isinstance(f.value, Lines) else copy.deepcopy(f.value)
                         for f in CARD_FIELD_BY_NAME.values()})


def _revision_value(field_name, value):
    """A stored version of a card field, through the same field as a save."""
    return _REVISION_VALUES[field_name].deserialize(value)


def _position():
    return Number(0, 100_000, _l("Une place entre 0 et 100 000."), load_default=0)


_GATHERING = fields.String(required=True, validate=validate.Regexp(
    r"^[A-Za-z0-9_-]{1,32}$", error=_l("Regroupement inconnu.")))



def _form(schema, *names) -> dict:
    """Fields of a form's schema, to check the same values in a file (copies: a field
    belongs to one schema)."""
    declared = schema().fields
    return {name: copy.deepcopy(declared[name]) for name in names or declared}


EVENT_CHECKS = {
    "name": Text(200), "place": Text(200, required=False, load_default=""),
    "phase": Choice(PHASES, _l("Étape inconnue."), required=False, load_default="diagnostic"),
    **_form(VoteSettingsSchema, "dots_per_participant"),
}
EVENT_CHECKS["dots_per_participant"].required = False
EVENT_CHECKS["dots_per_participant"].load_default = 3

section("themes", _l("thématiques"), Theme, rows=_by_event(Theme, [Theme.position, Theme.id]),
        checks={**_form(ThemeSchema), "position": _position()})
section("tables", _l("tables"), Table, rows=_by_event(Table, [Table.number]),
        checks={"number": Number(1, 500, _l("Un numéro de table entre 1 et 500.")),
                "name": Text(120, required=False, load_default="")})
section("participants", _l("participants"), Participant,
        rows=_by_table(Participant, [Participant.id]), refs={"table_id": "tables"},
        checks=_form(JoinSchema, "name"))
section("axes", _l("axes des tables"), Axis, rows=_by_table(Axis, [Axis.position, Axis.id]),
        refs={"table_id": "tables", "theme_id": "themes"},
        checks={**_form(AxisSchema, "name"), "position": _position(),
                "released": fields.List(fields.Tuple((Id(), _position()),
                                                   error_messages=_MESSAGES),
                                      load_default=list, error_messages=_MESSAGES)})
section("notes", _l("constats"), Note, rows=_by_table(Note, [Note.id]),
        refs={"table_id": "tables", "participant_id": "participants", "theme_id": "themes",
              "axis_id": "axes"},
        late_refs={"merged_into_id": "notes"},
        checks={**_form(NoteSchema, "text"), "position": _position()})
section("votes", _l("gommettes"), Vote, rows=lambda event: db.session.scalars(
    select(Vote).join(Axis).join(Table).where(Table.event_id == event.id).order_by(Vote.id)),
    refs={"axis_id": "axes", "participant_id": "participants"})
section("priority_axes", _l("axes prioritaires"), PriorityAxis, refs={"theme_id": "themes"},
        checks={"title": Text(200), "position": _position()})
section("priority_sources", _l("provenance des axes prioritaires"), PrioritySource,
        rows=lambda event: db.session.scalars(
            select(PrioritySource).join(PriorityAxis).where(PriorityAxis.event_id == event.id)
            .order_by(PrioritySource.id)),
        refs={"priority_axis_id": "priority_axes", "axis_id": "axes"},
        checks={"gathering": _GATHERING,
                "note_ids": fields.List(Id(), load_default=list, error_messages=_MESSAGES,
                                        validate=validate.Length(max=10_000))})
section("proposals", _l("fiches projet"), Proposal, rows=_by_table(Proposal, [Proposal.id]),
        refs={"table_id": "tables", "priority_axis_id": "priority_axes",
              "pitcher_id": "participants"},
        checks={**_card_checks(),
                "status": Choice(STATUSES, _l("État de fiche inconnu."), required=False,
                                 load_default="draft"),
                "note_ids": _NoteIds(Id(), load_default=list, error_messages=_MESSAGES,
                                     validate=validate.Length(max=10_000))})
section("proposal_revisions", _l("historique des fiches"), ProposalRevision,
        rows=lambda event: db.session.scalars(
            select(ProposalRevision).join(Proposal).join(Table)
            .where(Table.event_id == event.id).order_by(ProposalRevision.id)),
        refs={"proposal_id": "proposals", "participant_id": "participants"},
        checks={"field": Choice((*CARD_FIELDS, "status"), _l("Champ de fiche inconnu.")),
                "version": Number(1, MAX_ID, _l("Version inconnue.")),
                "author_name": Text(NAME_MAX, required=False, load_default="")})
section("phase_steps", _l("consignes des étapes"), PhaseStep,
        checks={"phase": Choice(PHASES, _l("Étape inconnue.")),
                **_form(PhaseStepSchema)})
section("countdowns", _l("comptes à rebours"), Countdown,
        checks={"kind": Choice(COUNTDOWN_KINDS, _l("Compte à rebours inconnu.")),
                "duration": Number(0, 36_000, _l("Une durée entre 0 et 10 heures."),
                                   load_default=0)})
section("pitches", _l("pitchs"), Pitch, refs={"table_id": "tables"},
        checks={"position": _position()})
section("stage", _l("plénière"), Stage,
        refs={"current_pitch_id": "pitches", "spotlight_table_id": "tables"},
        checks={"screen": Choice(SCREENS, _l("Écran inconnu."), required=False,
                                 load_default="wall"),
                "pitch_seconds": Number(10, 3600, _l("Entre 10 secondes et une heure."),
                                        load_default=180)})
section("decisions", _l("décisions"), Decision, rows=lambda event: db.session.scalars(
    select(Decision).join(Proposal).join(Table).where(Table.event_id == event.id)
    .order_by(Decision.id)), refs={"proposal_id": "proposals"},
    checks={"verdict": Choice(DECISIONS, _l("Décision inconnue.")),
            **_form(DecisionSchema, "comment")})
section("selection_log", _l("journal de la sélection"), SelectionLog,
        checks={"action": Choice(("closed", "reopened"), _l("Action inconnue.")),
                "by": Text(80, required=False, load_default=""),
                "reason": Text(300, required=False, load_default="")})
section("sponsors", _l("parrainages"), Sponsor, rows=lambda event: db.session.scalars(
    select(Sponsor).join(Proposal).join(Table).where(Table.event_id == event.id)
    .order_by(Sponsor.id)), refs={"proposal_id": "proposals"},
    checks={**_form(SponsorSchema),
            "status": Choice(FOLLOW_UP_STATUSES, _l("État du suivi inconnu."),
                             required=False, load_default="to_start")})
section("follow_up_notes", _l("notes de suivi"), FollowUpNote,
        rows=lambda event: db.session.scalars(
            select(FollowUpNote).join(Sponsor).join(Proposal).join(Table)
            .where(Table.event_id == event.id).order_by(FollowUpNote.id)),
        refs={"sponsor_id": "sponsors"},
        checks=_form(FollowUpSchema))

EVENT_SCHEMA = _schema_for(Event, EVENT_CHECKS)


def dump_event(event: Event) -> dict:
    """The whole event as plain data, ready for json.dumps."""
    data = {"format": FORMAT, "version": VERSION, "exported_at": utcnow().isoformat(),
            # Read off the rows when the file is made; an import ignores them.
            "figures": figures(event), "event": EVENT_SCHEMA.dump(event)}
    for s in SECTIONS:
        data[s.name] = s.schema.dump(list(s.rows(event)), many=True)
    return data


class _Pacer:
    """Lets the other requests of the process run at least every few milliseconds while a
    long import works (gevent switches only when asked to)."""

    def __init__(self, every=0.01):
        self.every, self.last = every, time.perf_counter()

    def __call__(self, force=False):
        if force or time.perf_counter() - self.last > self.every:
            # A positive sleep: sleep(0) only runs ready callbacks, while a real pause lets
            # the loop poll sockets and fire timers, so that waiting requests run.
            gevent.sleep(0.001)
            self.last = time.perf_counter()


def _refuse(problem):
    raise ValidationError({"file": [_l("Ce fichier ne peut pas être importé : %(problem)s",
                                       problem=problem)]})


def _first_message(messages) -> tuple[str, str]:
    """The first (field, message) of a marshmallow error, however nested."""
    if isinstance(messages, dict):
        key, value = next(iter(messages.items()))
        inner_key, text = _first_message(value)
        return (str(key) if not inner_key else f"{key}.{inner_key}"), text
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, dict | list):
            return _first_message(first)
        return "", str(first)
    return "", str(messages)


def _read(data, pace) -> dict:
    """Check the whole file before writing anything: every row through its schema, ids
    unique, every link to a row of the file. Returns {section: [(old id, row, extras)]}."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError({"file": [_l("Ce fichier n'est pas un export de Tablée.")]})
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise ValidationError({"file": [_l("Cet export vient d'une version plus récente.")]})
    event = data.get("event")
    if not isinstance(event, dict):
        _refuse(_l("la partie « event » manque."))
    try:
        facts = EVENT_SCHEMA.load(event)
    except ValidationError as error:
        name, text = _first_message(error.messages)
        _refuse(_l("événement, champ « %(field)s » : %(text)s", field=name, text=text))
    facts.pop("id", None)
    plan = {"event": facts}
    known: dict[str, set] = {}
    for s in SECTIONS:
        items = data.get(s.name, [])
        if not isinstance(items, list):
            _refuse(_l("« %(section)s » devrait être une liste.", section=s.label))
        known[s.name], rows, taken = set(), [], {}
        for number, item in enumerate(items, 1):
            pace()
            try:
                if not isinstance(item, dict):
                    raise ValidationError(_l("Un objet est attendu."))
                row = s.schema.load(item)
            except ValidationError as error:
                name, text = _first_message(error.messages)
                _refuse(_l("%(section)s, ligne %(number)s, champ « %(field)s » : %(text)s",
                        section=s.label, number=number, field=name or "—", text=text))
            if s.model is ProposalRevision:
                try:
                    row["value"] = _revision_value(row["field"], row.get("value"))
                except ValidationError as error:
                    _refuse(_l("%(section)s, ligne %(number)s, champ « value » : %(text)s",
                               section=s.label, number=number,
                               text=_first_message(error.messages)[1]))
            old_id = row.pop("id")
            if old_id in known[s.name]:
                _refuse(_l("%(section)s : l'identifiant %(id)s apparaît deux fois.",
                        section=s.label, id=old_id))
            known[s.name].add(old_id)
            for key, target in s.refs.items():
                if row.get(key) is not None and row[key] not in known[target]:
                    _refuse(_l("%(section)s, ligne %(number)s : « %(field)s » renvoie à "
                            "l'identifiant %(id)s, absent du fichier.",
                            section=s.label, number=number, field=key, id=row[key]))
            for columns in _unique_columns(s.model):
                values = tuple(row.get(c) for c in columns)
                if None not in values and values in taken.setdefault(columns, set()):
                    _refuse(_l("%(section)s, ligne %(number)s : deux lignes ont la même "
                               "valeur de « %(field)s » (%(value)s).", section=s.label,
                               number=number, field=", ".join(columns),
                               value=", ".join(str(v) for v in values)))
                taken[columns].add(values)
            extras = {k: row.pop(k) for k in list(row) if k not in s.model.__table__.columns}
            rows.append((old_id, row, extras))
        plan[s.name] = rows
    for s in SECTIONS:
        for number, (_old, row, _extras) in enumerate(plan[s.name], 1):
            for key, target in s.late_refs.items():
                if row.get(key) is not None and row[key] not in known[target]:
                    _refuse(_l("%(section)s, ligne %(number)s : « %(field)s » renvoie à "
                            "l'identifiant %(id)s, absent du fichier.",
                            section=s.label, number=number, field=key, id=row[key]))
    tables_of_notes = {old: row["table_id"] for old, row, _e in plan["notes"]}
    for number, (_old, row, extras) in enumerate(plan["proposals"], 1):
        for note_id in extras.get("note_ids", []):
            if tables_of_notes.get(note_id) != row["table_id"]:
                _refuse(_l("fiches projet, ligne %(number)s : le constat %(id)s n'est pas un "
                        "constat de sa table.", number=number, id=note_id))
    return plan


def _unique_columns(model) -> list[tuple]:
    """The columns a file must not repeat within one event (its unique constraints, the
    event's own id left out since every row gets the new one)."""
    found = []
    for constraint in model.__table__.constraints:
        if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
            columns = tuple(c.key for c in constraint.columns if c.key != "event_id")
            if columns and not set(columns) & NOT_EXPORTED and columns != ("id",):
                found.append(columns)
    for column in model.__table__.columns:
        if column.unique and column.key not in NOT_EXPORTED:
            found.append((column.key,))
    return list(dict.fromkeys(found))


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert rows in one statement per batch; their new ids in the same order."""
    if not rows:
        return []
    table = model.__table__
    ids = [None] * len(rows)
    by_keys: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        by_keys.setdefault(tuple(sorted(row)), []).append(i)
    for indexes in by_keys.values():
        made = db.session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [rows[i] for i in indexes]).scalars().all()
        for i, new in zip(indexes, made, strict=True):
            ids[i] = new
    return ids


def _remap_revision(value, field_name, ids):
    if field_name == "priority_axis_id" and value is not None:
        return ids["priority_axes"].get(value)
    if field_name == "pitcher_id" and value is not None:
        return ids["participants"].get(value)
    if field_name == "notes":
        return sorted(ids["notes"][i] for i in value if i in ids["notes"])
    return value


def _write(plan, pace) -> Event:
    """Write a checked file in batches of BATCH rows, each committed on its own so that no
    lock is held while other requests run; the event stays hidden (`importing`) until the
    last batch, and is deleted whole if anything fails."""
    event = Event(**plan["event"], importing=True)
    db.session.add(event)
    db.session.commit()
    ids: dict[str, dict[int, int]] = {}
    try:
        for s in SECTIONS:
            ids[s.name] = {}
            entries = plan[s.name]
            for start in range(0, len(entries), BATCH):
                batch = entries[start:start + BATCH]
                rows = []
                for _old, row, _extras in batch:
                    row = dict(row)
                    for key, target in s.refs.items():
                        if row.get(key) is not None:
                            row[key] = ids[target][row[key]]
                    for key in s.late_refs:
                        row.pop(key, None)
                    if "event_id" in s.model.__table__.columns:
                        row["event_id"] = event.id
                    if s.model is PrioritySource:
                        row["note_ids"] = [ids["notes"][i] for i in row.get("note_ids", [])
                                           if i in ids["notes"]]
                    if s.model is ProposalRevision:
                        row["value"] = _remap_revision(row.get("value"), row["field"], ids)
                    rows.append(row)
                made = _insert(s.model, rows)
                for (old, _row, _extras), new in zip(batch, made, strict=True):
                    ids[s.name][old] = new
                if s.model is Proposal:
                    links = [{"proposal_id": ids["proposals"][old], "note_id": ids["notes"][n]}
                             for old, _row, extras in batch for n in extras.get("note_ids", [])]
                    if links:
                        db.session.execute(sa.insert(proposal_note), links)
                db.session.commit()
                pace(force=True)
        _link_late(plan, ids)
        db.session.commit()
        db.session.refresh(event)
        equip_tables(event)  # an older file may lack some tables' cards or queue places
        event.importing = False
        db.session.commit()
    except Exception as error:
        # Whatever the database refused (the file was checked already), nothing half
        # imported stays: the hidden event goes, with everything written under it.
        db.session.rollback()
        db.session.execute(sa.delete(Event).where(Event.id == event.id))
        db.session.commit()
        raise ValidationError({"file": [_l(
            "Ce fichier ne peut pas être importé : la base de données l'a refusé (%(detail)s).",
            detail=type(error).__name__)]}) from None
    return event


def _link_late(plan, ids) -> None:
    """Links to rows that came later in the file: a merged note's originals, and where a
    deleted axis's notes were (to put them back if the deletion is undone)."""
    merged = [{"row": ids["notes"][old], "target": ids["notes"][row["merged_into_id"]],
               "kept": row.get("updated_at") or utcnow()}
              for old, row, _e in plan["notes"] if row.get("merged_into_id") is not None]
    note = Note.__table__
    if merged:
        # A plain UPDATE that keeps the row's own "updated at": linking is not an edit.
        db.session.execute(sa.update(note).where(note.c.id == sa.bindparam("row")).values(
            merged_into_id=sa.bindparam("target"), updated_at=sa.bindparam("kept")), merged)
    released = [{"row": ids["axes"][old], "released": [[ids["notes"][n], p]
                                                       for n, p in row["released"]
                                                       if n in ids["notes"]]}
                for old, row, _e in plan["axes"] if row.get("released")]
    axis = Axis.__table__
    if released:
        db.session.execute(sa.update(axis).where(axis.c.id == sa.bindparam("row"))
                           .values(released=sa.bindparam("released")), released)


def forget_unfinished_imports(older_than=timedelta(hours=1)) -> None:
    """An import cut short by a stopped server leaves a hidden event: it goes."""
    db.session.execute(sa.delete(Event).where(Event.importing.is_(True),
                                              Event.created_at < utcnow() - older_than))
    db.session.commit()


def load_event(data) -> Event:
    """Create a new event from an exported file. Every value goes through the schema of the
    form that makes it; the event gets new ids, codes and tokens. Raises ValidationError
    with one French sentence naming the problem; nothing is written from a refused file."""
    pace = _Pacer()
    plan = _read(data, pace)
    forget_unfinished_imports()
    return _write(plan, pace)


# ---- CSV ----------------------------------------------------------------------------

@dataclass
class CsvExport:
    kind: str
    label: str
    columns: list
    rows: Callable[[Event], Iterable[list]]


CSV_EXPORTS: dict[str, CsvExport] = {}


def csv_export(kind, label, columns):
    """Register a CSV file: `rows(event)` yields one list per line, in `columns` order."""
    def register(rows):
        CSV_EXPORTS[kind] = CsvExport(kind, label, columns, rows)
        return rows
    return register


# OWASP's rule for CSV files: a cell that begins with one of these is read as a formula
# by a spreadsheet (the full-width forms too, by some); a leading apostrophe makes it text.
# Only the CSV gets it: the JSON keeps the text as typed.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d",
                    "\uff20")


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        # One item per line: a list splits back exactly, whatever commas its items hold.
        value = "\n".join(str(v) for v in value)
    text = str(value)
    if text.lstrip(" \u00a0").startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def render_csv(export: CsvExport, event: Event) -> bytes:
    """UTF-8 with a byte order mark and `;` between cells: a French spreadsheet opens it
    with its accents and columns right."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c) for c in export.columns])
    for row in export.rows(event):
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@csv_export("participants", _l("Participant·es"), [
    _l("prénom"), _l("table"), _l("capitaine"), _l("a rejoint le")])
def participant_rows(event):
    people = db.session.execute(select(Participant, Table.number).join(Table)
                                .where(Table.event_id == event.id)
                                .order_by(Table.number, Participant.id))
    for person, number in people:
        yield [person.name, number, _l("oui") if person.is_captain else _l("non"),
               person.joined_at]


@csv_export("notes", _l("Constats"), [_l("table"), _l("thématique"), _l("constat"),
                                      _l("auteur"), _l("créé le"), _l("modifié le"),
                                      _l("supprimé le")])
def note_rows(event):
    notes = db.session.scalars(select(Note).join(Table).where(Table.event_id == event.id)
                               .order_by(Table.number, Note.id))
    for note in notes:
        yield [note.table.number, note.theme.name, note.text,
               note.author.name if note.author else "", note.created_at, note.updated_at,
               note.deleted_at]


@csv_export("axes", _l("Axes des tables"), [
    _l("table"), _l("thématique"), _l("axe"), _l("constats"), _l("gommettes"),
    _l("supprimé le")])
def axis_rows(event):
    axes = db.session.scalars(select(Axis).join(Table).where(Table.event_id == event.id)
                              .order_by(Table.number, Axis.position, Axis.id)).all()
    notes = dict(db.session.execute(
        select(Note.axis_id, sa.func.count()).where(Note.axis_id.in_([a.id for a in axes]),
                                                    Note.deleted_at.is_(None))
        .group_by(Note.axis_id)).all())
    dots = dict(db.session.execute(
        select(Vote.axis_id, sa.func.count()).where(Vote.axis_id.in_([a.id for a in axes]))
        .group_by(Vote.axis_id)).all())
    for axis in axes:
        yield [axis.table.number, axis.theme.name, axis.name, notes.get(axis.id, 0),
               dots.get(axis.id, 0), axis.deleted_at]


@csv_export("votes", _l("Gommettes"), [_l("table"), _l("axe"), _l("participant·e"),
                                       _l("posée le")])
def vote_rows(event):
    votes = db.session.scalars(select(Vote).join(Axis).join(Table)
                               .where(Table.event_id == event.id)
                               .order_by(Table.number, Vote.id))
    for vote in votes:
        person = db.session.get(Participant, vote.participant_id)
        yield [vote.axis.table.number, vote.axis.name, person.name if person else "",
               vote.created_at]


@csv_export("priority_axes", _l("Axes prioritaires"), [
    _l("rang"), _l("thématique"), _l("axe prioritaire"), _l("retenu le"),
    _l("axes des tables rassemblés"), _l("constats d'origine"),
    _l("tables qui l'ont choisi pour leur fiche")])
def priority_axis_rows(event):
    for axis in event.priority_axes:
        sources = [f"Table {src.axis.table.number} : {src.axis.name}" for src in axis.sources]
        note_count = sum(len(src.note_ids) for src in axis.sources)
        tables = db.session.scalars(select(Table.number).join(Proposal).where(
            Proposal.priority_axis_id == axis.id).order_by(Table.number)).all()
        yield [axis.position + 1, axis.theme.name, axis.title, axis.created_at, sources,
               note_count, tables]


PROPOSAL_COLUMNS = [_l("table"), _l("titre"), _l("axe prioritaire"), _l("besoin"),
                    _l("objectif"), _l("quartier"), _l("ville"), _l("département"),
                    _l("budget (euros)"), _l("usage du budget"), _l("partenaires"),
                    _l("compétences"), _l("résumé"), _l("statut"),
                    _l("orateur ou oratrice"), _l("constats liés")]


@csv_export("proposals", _l("Fiches projet"), PROPOSAL_COLUMNS)
def proposal_rows(event):
    for p in _proposals(event):
        yield [p.table.number, p.title, p.priority_axis.title if p.priority_axis else "",
               p.need, p.objective, p.neighbourhood, p.city, p.department, p.budget_amount,
               p.budget_purpose, p.partners, p.skills, p.summary, p.status,
               p.pitcher.name if p.pitcher else "",
               # One constat a line: a constat's own line breaks become spaces here.
               [" ".join(note.text.split()) for note in p.notes]]


def _proposals(event):
    return db.session.scalars(select(Proposal).join(Table).where(Table.event_id == event.id)
                              .order_by(Table.number))


@csv_export("decisions", _l("Décisions"), [
    _l("table"), _l("titre"), _l("ville"), _l("département"), _l("décision"),
    _l("commentaire"), _l("décidé le"), _l("parrain ou marraine"), _l("équipe"),
    _l("contact"), _l("suivi")])
def decision_rows(event):
    decisions = {d.proposal_id: d for d in db.session.scalars(select(Decision))}
    sponsors = {s.proposal_id: s for s in db.session.scalars(select(Sponsor))}
    for p in _proposals(event):
        d, s = decisions.get(p.id), sponsors.get(p.id)
        yield [p.table.number, p.title, p.city, p.department, d.verdict if d else "",
               d.comment if d else "", d.decided_at if d else None, s.name if s else "",
               s.team if s else "", s.contact if s else "", s.status if s else ""]


@csv_export("pitches", _l("Pitchs"), [_l("ordre"), _l("table"), _l("titre"), _l("début"),
                                      _l("fin")])
def pitch_rows(event):
    titles = {p.table_id: p.title for p in _proposals(event)}
    pitches = db.session.scalars(select(Pitch).where(Pitch.event_id == event.id)
                                 .order_by(Pitch.position, Pitch.id))
    for position, pitch in enumerate(pitches, 1):
        yield [position, pitch.table.number, titles.get(pitch.table_id, ""), pitch.started_at,
               pitch.ended_at]


@csv_export("follow_up", _l("Suivi des prototypes"), [
    _l("table"), _l("prototype"), _l("date"), _l("état"), _l("note")])
def follow_up_rows(event):
    notes = db.session.scalars(select(FollowUpNote).join(Sponsor).join(Proposal).join(Table)
                               .where(Table.event_id == event.id)
                               .order_by(Table.number, FollowUpNote.noted_on, FollowUpNote.id))
    for note in notes:
        proposal = note.sponsor.proposal
        yield [proposal.table.number, proposal.title, note.noted_on, note.status, note.text]
