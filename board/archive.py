"""Getting an event out and back in: CSV files per kind, one JSON file of the whole event.

Adding a kind (axes, votes, revisions…) takes a few lines here:

- JSON: ``section("axes", Axis, refs={"table_id": "tables"})`` after the sections it points
  into. Its columns are read off the model; ``refs`` says which foreign keys point into
  which section, so that an import links the new rows to the new ids. A model with an
  ``event_id`` gets the imported event's id.
- CSV: a function that yields one list per row, decorated with
  ``@csv_export("axes", _l("Axes"), [_l("table"), _l("axe"), …])``.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import EXCLUDE, Schema, ValidationError, fields
from sqlalchemy import select

from .extensions import db
from .models import (
    CAPTAIN_CODE_LENGTH,
    JOIN_CODE_LENGTH,
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
    new_code,
    utcnow,
)
from .services.organizer import equip_tables

FORMAT = "tablee-event"
VERSION = 1

# Columns that describe the running server rather than what the event made.
NOT_EXPORTED = {"seq", "plenary_token", "event_id"}

_FIELD_TYPES = (
    (sa.Boolean, fields.Boolean),
    (sa.Integer, fields.Integer),
    (sa.Float, fields.Float),
    (sa.DateTime, fields.DateTime),
    (sa.Date, fields.Date),
    (sa.String, fields.String),
    (sa.JSON, fields.Raw),
)


def _schema_for(model, extra=None) -> Schema:
    """A marshmallow schema of the model's columns: it writes the JSON and checks it back."""
    declared = {}
    for column in model.__table__.columns:
        if column.key in NOT_EXPORTED or column is model.__mapper__.version_id_col:
            continue  # a version counter guards edits in this database, it is not content
        kind = next(f for t, f in _FIELD_TYPES if isinstance(column.type, t))
        declared[column.key] = kind(allow_none=column.nullable)
    declared.update(extra or {})
    schema = Schema.from_dict(declared, name=f"{model.__name__}ArchiveSchema")
    return schema(unknown=EXCLUDE)


@dataclass
class Section:
    name: str
    model: type
    rows: Callable[[Event], Iterable]
    refs: dict[str, str] = field(default_factory=dict)
    schema: Schema = None
    prepare: Callable | None = None  # (loaded_data) before the row is created
    after: Callable | None = None  # (new_row, extra_data, ids) once the row has its id
    late_refs: dict[str, str] = field(default_factory=dict)  # may point at later rows


SECTIONS: list[Section] = []


def _by_event(model, order):
    return lambda event: db.session.scalars(
        select(model).where(model.event_id == event.id).order_by(*order))


def _by_table(model, order):
    return lambda event: db.session.scalars(
        select(model).join(Table, model.table_id == Table.id)
        .where(Table.event_id == event.id).order_by(*order))


def section(name, model, *, rows=None, refs=None, extra=None, prepare=None, after=None,
            late_refs=None):
    """Register a kind of row in the JSON file; the order of registration is the import order.

    `refs` point at rows of earlier sections; `late_refs` at rows that may come later
    (a note merged into a newer one): they are linked once every row exists.
    """
    if rows is None:
        rows = _by_event(model, [model.id])
    SECTIONS.append(Section(name, model, rows, refs or {}, _schema_for(model, extra), prepare,
                            after, late_refs or {}))


def _free_codes(data):
    # A fresh installation has the codes free; an installation that already uses them
    # gets new ones rather than two tables answering the same code.
    for attr, length in (("join_code", JOIN_CODE_LENGTH), ("captain_code", CAPTAIN_CODE_LENGTH)):
        code = data.get(attr)
        if not code or db.session.scalar(select(Table.id).where(getattr(Table, attr) == code)):
            data[attr] = new_code(length)


def _link_notes(row, data, ids):
    row.notes = [ids["notes"][i] for i in data.get("note_ids", []) if i in ids["notes"]]


section("themes", Theme, rows=_by_event(Theme, [Theme.position, Theme.id]))
section("tables", Table, rows=_by_event(Table, [Table.number]), prepare=_free_codes)
section("participants", Participant, rows=_by_table(Participant, [Participant.id]),
        refs={"table_id": "tables"})
section("axes", Axis, rows=_by_table(Axis, [Axis.position, Axis.id]),
        refs={"table_id": "tables", "theme_id": "themes"})
section("notes", Note, rows=_by_table(Note, [Note.id]),
        refs={"table_id": "tables", "participant_id": "participants", "theme_id": "themes",
              "axis_id": "axes"},
        late_refs={"merged_into_id": "notes"})
section("votes", Vote, rows=lambda event: db.session.scalars(
    select(Vote).join(Axis).join(Table).where(Table.event_id == event.id).order_by(Vote.id)),
    refs={"axis_id": "axes", "participant_id": "participants"})
section("priority_axes", PriorityAxis, refs={"theme_id": "themes"})


def _relink_source_notes(row, data, ids):
    row.note_ids = [ids["notes"][i].id for i in row.note_ids if i in ids["notes"]]


section("priority_sources", PrioritySource, rows=lambda event: db.session.scalars(
    select(PrioritySource).join(PriorityAxis).where(PriorityAxis.event_id == event.id)
    .order_by(PrioritySource.id)),
    refs={"priority_axis_id": "priority_axes", "axis_id": "axes"}, after=_relink_source_notes)
section("proposals", Proposal, rows=_by_table(Proposal, [Proposal.id]),
        refs={"table_id": "tables", "priority_axis_id": "priority_axes"},
        extra={"note_ids": fields.Function(lambda p: [n.id for n in p.notes],
                                           deserialize=lambda value: list(value))},
        after=_link_notes)
section("proposal_revisions", ProposalRevision, rows=lambda event: db.session.scalars(
    select(ProposalRevision).join(Proposal).join(Table).where(Table.event_id == event.id)
    .order_by(ProposalRevision.id)),
    refs={"proposal_id": "proposals", "participant_id": "participants"})
section("phase_steps", PhaseStep)
section("countdowns", Countdown)
section("pitches", Pitch, refs={"table_id": "tables"})
section("stage", Stage, refs={"current_pitch_id": "pitches"})
section("decisions", Decision, rows=lambda event: db.session.scalars(
    select(Decision).join(Proposal).join(Table).where(Table.event_id == event.id)
    .order_by(Decision.id)), refs={"proposal_id": "proposals"})
section("selection_log", SelectionLog)
section("sponsors", Sponsor, rows=lambda event: db.session.scalars(
    select(Sponsor).join(Proposal).join(Table).where(Table.event_id == event.id)
    .order_by(Sponsor.id)), refs={"proposal_id": "proposals"})
section("follow_up_notes", FollowUpNote, rows=lambda event: db.session.scalars(
    select(FollowUpNote).join(Sponsor).join(Proposal).join(Table)
    .where(Table.event_id == event.id).order_by(FollowUpNote.id)),
    refs={"sponsor_id": "sponsors"})

EVENT_SCHEMA = _schema_for(Event)


def dump_event(event: Event) -> dict:
    """The whole event as plain data, ready for json.dumps."""
    data = {"format": FORMAT, "version": VERSION, "exported_at": utcnow().isoformat(),
            "event": EVENT_SCHEMA.dump(event)}
    for s in SECTIONS:
        data[s.name] = s.schema.dump(list(s.rows(event)), many=True)
    return data


def load_event(data) -> Event:
    """Create a new event from an exported file; every row is checked by its schema and
    linked to the new ids. Raises ValidationError (keyed by section) on a bad file."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValidationError({"file": [_l("Ce fichier n'est pas un export de Tablée.")]})
    if not isinstance(data.get("version"), int) or data["version"] > VERSION:
        raise ValidationError({"file": [_l("Cet export vient d'une version plus récente.")]})
    try:
        facts = EVENT_SCHEMA.load(data.get("event") or {})
        facts.pop("id", None)
        if not facts.get("name"):
            raise ValidationError({"name": ["missing"]})
        event = Event(**facts)
        db.session.add(event)
        db.session.flush()
        ids: dict[str, dict] = {}
        late = []  # (row, column, target section, old id)
        for s in SECTIONS:
            ids[s.name] = {}
            items = data.get(s.name, [])
            if not isinstance(items, list):
                raise ValidationError({s.name: ["not a list"]})
            for item in items:
                row_data = s.schema.load(item)
                old_id = row_data.pop("id", None)
                extras = {k: row_data.pop(k) for k in list(row_data) if k not in
                          s.model.__table__.columns}
                for key, target in s.refs.items():
                    old = row_data.get(key)
                    if old is not None:
                        if old not in ids[target]:
                            raise ValidationError({s.name: [f"{key} {old} is unknown"]})
                        row_data[key] = ids[target][old].id
                pending = [(key, target, row_data.pop(key)) for key, target in s.late_refs.items()
                           if row_data.get(key) is not None]
                if "event_id" in s.model.__table__.columns:
                    row_data["event_id"] = event.id
                if s.prepare:
                    s.prepare(row_data)
                row = s.model(**row_data)
                db.session.add(row)
                db.session.flush()
                late += [(row, *ref) for ref in pending]
                if s.after:
                    s.after(row, extras, ids)
                if old_id is not None:
                    ids[s.name][old_id] = row
        for row, key, target, old in late:
            if old not in ids[target]:
                raise ValidationError({target: [f"{key} {old} is unknown"]})
            model = type(row)
            # A plain UPDATE that keeps the row's own "updated at": linking is not an edit.
            values = {c.key: getattr(row, c.key) for c in model.__table__.columns
                      if c.onupdate is not None}
            db.session.execute(sa.update(model).where(model.id == row.id)
                               .values({key: ids[target][old].id, **values}))
        db.session.refresh(event)
        equip_tables(event)  # an older file may lack some tables' cards or queue places
        db.session.commit()
    except ValidationError as error:
        db.session.rollback()
        raise ValidationError({"file": [_l("Ce fichier est incomplet ou abîmé : %(detail)s",
                                           detail=_short(error.messages))]}) from None
    except (sa.exc.IntegrityError, TypeError, ValueError) as error:
        db.session.rollback()
        raise ValidationError({"file": [_l("Ce fichier est incomplet ou abîmé : %(detail)s",
                                           detail=type(error).__name__)]}) from None
    return event


def _short(messages) -> str:
    return str(messages)[:200]


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


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def render_csv(export: CsvExport, event: Event) -> bytes:
    """UTF-8 with a byte order mark and `;` between cells: a French spreadsheet opens it
    with its accents and columns right."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([str(c) for c in export.columns])
    for row in export.rows(event):
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


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
                    _l("compétences"), _l("résumé"), _l("statut")]


@csv_export("proposals", _l("Fiches projet"), PROPOSAL_COLUMNS)
def proposal_rows(event):
    for p in _proposals(event):
        yield [p.table.number, p.title, p.priority_axis.title if p.priority_axis else "",
               p.need, p.objective, p.neighbourhood, p.city, p.department, p.budget_amount,
               p.budget_purpose, p.partners, p.skills, p.summary, p.status]


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
