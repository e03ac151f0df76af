import csv
import io
import json
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from marshmallow import ValidationError
from sqlalchemy import exc as sa_exc

from board import archive, create_app, db, services
from board.models import (
    Event,
    Note,
    Participant,
    PhaseStep,
    PriorityAxis,
    Proposal,
    ProposalRevision,
    Sponsor,
    Stage,
    Table,
)
from board.screens.record import FIGURE_LABELS, figures

from .conftest import csrf_token


def url(event, path=""):
    return f"/organisation/evenements/{event.id}{path}"


def rows_of(body: bytes):
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM tells a spreadsheet it is UTF-8
    text = body.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def fill(table, **fields):
    """The table's card (its tablets opened it already), filled in."""
    proposal = services.proposal_for(table)
    for name, value in fields.items():
        setattr(proposal, name, value)
    return proposal


@pytest.fixture
def day(app, event, tablet, organizer):
    """An event that went through the whole day: notes, axes, cards, pitches, results."""
    t1, t2, t3 = event.tables
    awa, bob = tablet(t1, "Awa", captain=True), tablet(t2, "Bob")
    awa.post_note("Les jeunes décrochent dès la 4e ; personne ne le voit")
    awa.post_note("Pas de lieu pour réviser", theme=event.themes[1])
    bob.post_note("Trop peu de stages")
    awa.post_note("Les parents ne savent pas à qui parler")
    gone = db.session.scalars(db.select(Note).where(Note.text == "Trop peu de stages")).one()
    services.delete_note(gone)  # deleted notes are kept, and exported
    # The morning: an axis with two notes merged into one, a dot, a priority axis gathered.
    event.phase = "axes"
    families = services.create_axis(t1, {"name": "Les familles", "theme_id": event.themes[0].id})
    first_notes = db.session.scalars(db.select(Note).where(
        Note.table_id == t1.id, Note.deleted_at.is_(None)).order_by(Note.id)).all()
    merged = services.merge_notes(t1, [first_notes[0].id, first_notes[2].id])
    services.move_note(merged, {"axis_id": families.id, "index": 0})
    awa_person = db.session.scalars(db.select(Participant).where(Participant.name == "Awa")).one()
    services.cast_vote(awa_person, {"axis_id": families.id})
    axis = services.gather_axes(event, {"axis_ids": [families.id], "title": "Soutenir les familles",
                                        "theme_id": event.themes[0].id})
    db.session.add(PriorityAxis(event=event, theme=event.themes[1],
                                title="Découvrir les métiers", position=1))
    first = fill(t1, priority_axis=axis, title="Un espace emploi", need="Des jeunes",
                 objective="Un lieu", neighbourhood="Les Carreaux", city="Villiers-le-Bel",
                 department="95", budget_amount=45000, budget_purpose="Un animateur",
                 partners=["Centre social", "Mission locale"], skills=["Animation"],
                 summary="Un lieu ouvert le soir.", status="ready")
    first.notes = db.session.scalars(db.select(Note).where(
        Note.table_id == t1.id, Note.deleted_at.is_(None))).all()
    second = fill(t2, title="Clause sociale", city="Sarcelles", department="95")
    fill(t3, title="Brouillon")
    db.session.add(PhaseStep(event_id=event.id, phase="drafting", instruction="Rédigez",
                             minutes=45))
    db.session.commit()
    at = datetime(2017, 12, 16, 15, 0)
    services.set_stage(event, {"pitch_seconds": 150})
    services.set_phase(event, "pitches", at)
    services.step_pitch(event, 1, at)
    services.step_pitch(event, 1, at)
    services.set_phase(event, "selection", at)
    services.decide(first, {"verdict": "prototype", "comment": "Bravo"}, at)
    services.decide(second, {"verdict": "to_study", "comment": ""}, at)
    services.close_selection(event, "orga", at)
    sponsor = services.set_sponsor(first, {"name": "Camille", "team": "Préfecture",
                                           "contact": "camille@example.org"})
    services.add_follow_up(sponsor, {"noted_on": date(2018, 2, 1), "status": "experimenting",
                                     "text": "Premier atelier"})
    return event


def test_every_csv_opens_in_a_french_spreadsheet(console, day):
    for kind in archive.CSV_EXPORTS:
        response = console.get(url(day, f"/exports/{kind}.csv"))
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        assert f"{kind}.csv" in response.headers["Content-Disposition"]
        rows_of(response.data)
    notes = rows_of(console.get(url(day, "/exports/notes.csv")).data)
    assert notes[0] == ["table", "thématique", "constat", "auteur", "créé le", "modifié le",
                        "supprimé le"]
    # A ";" inside a cell is quoted, not a new column.
    assert ["1", "Éducation", "Les jeunes décrochent dès la 4e ; personne ne le voit", "Awa"] \
        == notes[1][:4]
    [stages] = [row for row in notes if row[2] == "Trop peu de stages"]
    assert stages[0] == "2" and stages[6]  # deleted, with its date
    proposals = rows_of(console.get(url(day, "/exports/proposals.csv")).data)
    assert proposals[1][:3] == ["1", "Un espace emploi", "Soutenir les familles"]
    assert proposals[1][8] == "45000"
    assert proposals[1][10].split("\n") == ["Centre social", "Mission locale"]
    decisions = rows_of(console.get(url(day, "/exports/decisions.csv")).data)
    assert decisions[1][4:6] == ["prototype", "Bravo"] and decisions[1][7] == "Camille"
    assert decisions[2][4] == "to_study"
    axes = rows_of(console.get(url(day, "/exports/priority_axes.csv")).data)
    assert axes[1][:3] == ["1", "Éducation", "Soutenir les familles"]
    assert axes[1][4:] == ["Table 1 : Les familles", "1", "1"]  # provenance, then cards
    table_axes = rows_of(console.get(url(day, "/exports/axes.csv")).data)
    assert table_axes[1] == ["1", "Éducation", "Les familles", "1", "1", ""]
    votes = rows_of(console.get(url(day, "/exports/votes.csv")).data)
    assert [row[:3] for row in votes[1:]] == [["1", "Les familles", "Awa"]]


def test_exports_work_in_the_middle_of_the_day(console, event, tablet):
    tablet(event.tables[0]).post_note("Premier constat")
    body = console.get(url(event, "/export.json")).get_data(as_text=True)
    data = json.loads(body)
    assert [n["text"] for n in data["notes"]] == ["Premier constat"]
    header, *rows = rows_of(console.get(url(event, "/exports/decisions.csv")).data)
    assert header[4] == "décision"
    assert [row[4] for row in rows] == [""] * len(rows)  # cards opened, nothing decided yet


def _normalised(data):
    """The export with ids replaced by positions, and the export's own time left out."""
    data = json.loads(json.dumps(data))
    data.pop("exported_at")
    positions = {}
    for section in archive.SECTIONS:
        positions[section.name] = {row["id"]: i for i, row in enumerate(data[section.name])}
    data["event"].pop("id")
    for section in archive.SECTIONS:
        for row in data[section.name]:
            row.pop("id")
            for key, target in {**section.refs, **section.late_refs}.items():
                if row.get(key) is not None:
                    row[key] = positions[target][row[key]]
            if "note_ids" in row:
                row["note_ids"] = [positions["notes"][i] for i in row["note_ids"]]
            if section.name == "proposal_revisions" and row["field"] == "notes":
                row["value"] = [positions["notes"][i] for i in row["value"]]
            if section.name == "proposal_revisions" and row["field"] == "pitcher_id":
                row["value"] = positions["participants"].get(row["value"])
            if section.name == "proposal_revisions" and row["field"] == "priority_axis_id":
                row["value"] = positions["priority_axes"].get(row["value"])
    return data


def test_the_json_export_imports_into_a_fresh_installation_with_nothing_lost(
        console, day, tmp_path):
    first = json.loads(console.get(url(day, "/export.json")).data)
    assert len(first["notes"]) == 5 and len(first["proposals"]) == 3
    assert [len(first[k]) for k in ("axes", "votes", "priority_sources")] == [1, 1, 1]
    assert sum(1 for n in first["notes"] if n["merged_into_id"]) == 2
    assert first["sponsors"][0]["name"] == "Camille"

    fresh = create_app({"TESTING": True, "SECRET_KEY": "x",
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.sqlite'}"})
    with fresh.app_context():
        db.create_all()
        imported = archive.load_event(first)
        again = archive.dump_event(imported)
        assert db.session.scalars(db.select(Event)).one().plenary_token != day.plenary_token
        db.session.remove()
        db.engine.dispose()

    assert _normalised(again) == _normalised(first)
    # Codes and tokens never travel: the file holds none.
    assert "join_code" not in again["tables"][0] and "plenary_token" not in again["event"]


def test_importing_next_to_the_original_gives_the_tables_new_codes(console, day):
    data = archive.dump_event(day)
    copy = archive.load_event(data)
    assert copy.id != day.id
    assert {t.join_code for t in copy.tables}.isdisjoint({t.join_code for t in day.tables})
    assert _normalised(archive.dump_event(copy))["notes"] == _normalised(data)["notes"]


def upload(console, body: bytes, name="export.json"):
    return console.post("/organisation/importer", data={
        "csrf_token": console.csrf, "file": (io.BytesIO(body), name)},
        content_type="multipart/form-data")


def test_import_a_file_from_the_console(console, day):
    body = console.get(url(day, "/export.json")).data
    response = upload(console, body)
    assert response.status_code == 302
    events = db.session.scalars(db.select(Event).order_by(Event.id)).all()
    assert len(events) == 2 and events[1].name == day.name
    assert response.headers["Location"].endswith(f"/organisation/evenements/{events[1].id}")


@pytest.mark.parametrize(("body", "message"), [
    (b"", "Ce fichier n&#39;est pas du JSON lisible."),
    (b"\xff\xfe\x00", "Ce fichier n&#39;est pas du JSON lisible."),
    (b"[1, 2]", "pas un export de Tablée"),
    (b'{"format": "other"}', "pas un export de Tablée"),
    (b'{"format": "tablee-event", "version": 99, "event": {"name": "x"}}',
     "version plus récente"),
    (b'{"format": "tablee-event", "version": 1, "event": {}}',
     "événement, champ « name » : Ce champ est obligatoire."),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, '
     b'"notes": [{"id": 1, "table_id": 5, "theme_id": 1, "text": "x"}]}',
     "constats, ligne 1 : « table_id » renvoie à l&#39;identifiant 5, absent du fichier."),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, '
     b'"themes": [{"id": 1, "name": "x", "colour": "#000000", "position": "first"}]}',
     "thématiques, ligne 1, champ « position »"),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, "tables": {}}',
     "« tables » devrait être une liste."),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, "tables": [1]}',
     "tables, ligne 1, champ « — » : Un objet est attendu."),
    (b'[' * 100_000, "pas du JSON lisible"),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, "themes": '
     b'[{"id": 1, "name": "<b>x</b>", "colour": "<script>"}]}', "(par exemple #1d70b8)"),
])
def test_a_bad_file_is_refused_and_nothing_is_created(console, body, message):
    response = upload(console, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Event)).all() == []


def test_no_file_is_refused(console):
    response = console.post("/organisation/importer", data={"csrf_token": console.csrf})
    assert response.status_code == 422
    assert "Choisissez le fichier JSON exporté." in response.get_data(as_text=True)


def test_the_next_edition_starts_from_the_old_setup(console, day):
    page = console.get(url(day, "/nouvelle-edition")).get_data(as_text=True)
    assert 'value="Éducation"' in page and 'value="3"' in page
    response = console.post(url(day, "/nouvelle-edition"), data={
        "name": "2e hackathon", "date": "2018-12-15", "place": "Lyon", "table_count": "4",
        "theme-0-name": "Culture", "theme-0-colour": "#1d70b8",
        "theme-1-name": "Santé", "theme-1-colour": "#00703c",
        "theme-2-name": "Mobilité", "theme-2-colour": "#6f2c91", "csrf_token": console.csrf})
    assert response.status_code == 302
    new = db.session.scalars(db.select(Event).where(Event.name == "2e hackathon")).one()
    assert [t.name for t in new.themes] == ["Culture", "Santé", "Mobilité"]
    assert len(new.tables) == 4
    [step] = db.session.scalars(db.select(PhaseStep).where(PhaseStep.event_id == new.id)).all()
    assert (step.phase, step.instruction, step.minutes) == ("drafting", "Rédigez", 45)
    assert db.session.scalars(db.select(Stage).where(
        Stage.event_id == new.id)).one().pitch_seconds == 150
    # Nothing the old event made comes along: each new table has a blank card.
    cards = db.session.scalars(db.select(Proposal).join(Table).where(
        Table.event_id == new.id)).all()
    assert len(cards) == 4 and all(not c.title and c.status == "draft" for c in cards)
    assert new.phase == "diagnostic"


def test_a_bad_next_edition_keeps_the_form(console, day):
    response = console.post(url(day, "/nouvelle-edition"), data={
        "name": "", "table_count": "4", "theme-0-name": "Culture", "theme-0-colour": "#1d70b8",
        "csrf_token": console.csrf})
    assert response.status_code == 422
    assert "Ce champ est obligatoire." in response.get_data(as_text=True)
    assert 'value="Culture"' in response.get_data(as_text=True)
    assert len(db.session.scalars(db.select(Event)).all()) == 1


def test_the_report_has_every_card_the_results_and_the_sponsors(console, day):
    page = console.get(url(day, "/rapport")).get_data(as_text=True)
    for text in ("Soutenir les familles", "Un espace emploi", "Clause sociale", "Brouillon",
                 "Villiers-le-Bel (95)", "Camille", "Préfecture", "Premier atelier",
                 "Sélection close le"):
        assert text in page


def test_exports_need_an_organizer(client, event, tablet):
    awa = tablet(event.tables[0], captain=True)
    for path in ("/exports", "/exports/notes.csv", "/export.json", "/rapport",
                 "/nouvelle-edition"):
        assert client.get(url(event, path)).status_code == 302
        assert awa.get(url(event, path), htmx=True).status_code == 401
    token = csrf_token(client)
    response = client.post("/organisation/importer", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get(url(event, "/exports/unknown.csv")).status_code == 302


def test_unknown_csv_kind_is_not_found(console, event):
    assert console.get(url(event, "/exports/unknown.csv")).status_code == 404
    assert console.get("/organisation/evenements/999/export.json").status_code == 404


def test_sponsor_rows_survive_the_round_trip(day):
    data = archive.dump_event(day)
    copy = archive.load_event(data)
    sponsor = db.session.scalars(db.select(Sponsor).join(Proposal).where(
        Proposal.table_id == copy.tables[0].id)).one()
    assert [n.text for n in sponsor.notes] == ["Premier atelier"]
    assert [n.text for n in db.session.scalars(db.select(Proposal).where(
        Proposal.table_id == copy.tables[0].id)).one().notes] == [
        "Pas de lieu pour réviser", "Les jeunes décrochent dès la 4e ; personne ne le voit"]


def test_every_table_of_the_database_is_in_the_json_export():
    exported = {s.model.__table__.name for s in archive.SECTIONS} | {"event"}
    # Who may sign in, and which sockets are open now, are not what the event made;
    # the links between cards and notes travel as the cards' note_ids.
    runtime = {"organizer", "connection", "proposal_note", "alembic_version"}
    assert set(db.metadata.tables) - runtime == exported


# ---- Safe in a spreadsheet, and an import that takes only what a form would ------------

# Every character that makes a spreadsheet read a cell as a formula (OWASP), the
# full-width forms some spreadsheets also take, and a leading space before one.
TRIGGERS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20", " ="]
NOT_TEXT = {"colour", "gathering", "field", "phase", "kind", "screen", "status", "verdict",
            "action", "join_code", "captain_code", "plenary_token", "idempotency_key",
            "password_hash", "username", "sid", "server_id", "editing_field"}


def test_no_cell_of_any_export_starts_a_formula_and_the_json_keeps_the_text(console, day):
    """Whatever anyone typed, in any text column of the database, every CSV writes it as text."""
    for trigger in TRIGGERS:
        _every_text_begins_with(trigger + "HYPERLINK(\"http://evil.example\";\"x\")",
                                console, day)


def _every_text_begins_with(payload, console, day):
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, db.String) and column.key not in NOT_TEXT:
                db.session.execute(table.update().values(
                    {column.key: payload[:column.type.length or None]}))
    db.session.execute(db.update(Proposal).values(partners=[payload, "Ville"]))
    db.session.commit()
    for kind in archive.CSV_EXPORTS:
        for row in rows_of(console.get(url(day, f"/exports/{kind}.csv")).data)[1:]:
            for cell in row:
                assert not cell.lstrip(" ").startswith(tuple(TRIGGERS)), (kind, cell)
                assert not cell.startswith(tuple(TRIGGERS)), (kind, cell)
    assert "'" + payload[:200] in [row[1] for row in rows_of(
        console.get(url(day, "/exports/proposals.csv")).data)]
    data = json.loads(console.get(url(day, "/export.json")).data)
    assert data["notes"][0]["text"] == payload
    assert data["proposals"][0]["partners"] == [payload, "Ville"]


def test_numbers_and_dates_are_not_touched(console, day):
    proposals = rows_of(console.get(url(day, "/exports/proposals.csv")).data)
    assert proposals[1][0] == "1" and proposals[1][8] == "45000"


def _exported(day):
    return json.loads(json.dumps(archive.dump_event(day)))


def _import_problem(data) -> str:
    before = db.session.scalar(db.select(db.func.count()).select_from(Event))
    with pytest.raises(ValidationError) as refused:
        archive.load_event(data)
    assert db.session.scalar(db.select(db.func.count()).select_from(Event)) == before
    [message] = refused.value.messages["file"]
    return str(message)


@pytest.mark.parametrize(("section", "key", "value", "problem"), [
    ("event", "phase", "apocalypse", "Étape inconnue."),
    ("event", "dots_per_participant", -3, "Entre 1 et 20 gommettes."),
    ("themes", "colour", "#000;}body{display:none", "Choisissez une couleur"),
    ("themes", "name", "x" * 5000, "5000 caractères"),
    ("participants", "name", "y" * 5000, "participants, ligne 1, champ « name »"),
    ("notes", "text", "z" * 281, "281 caractères"),
    ("notes", "position", -1, "Une place entre 0 et 100 000."),
    ("axes", "name", "", "Ce champ est obligatoire."),
    ("proposals", "budget_amount", -5, "Le budget ne peut pas être négatif."),
    ("proposals", "partners", ["p" * 500], "au plus 120 par ligne"),
    ("proposals", "status", "published", "État de fiche inconnu."),
    ("proposal_revisions", "field", "owner", "Champ de fiche inconnu."),
    ("proposal_revisions", "value", {"a": 1}, "historique des fiches, ligne 1, champ « value »"),
    ("decisions", "verdict", "winner", "Décision inconnue."),
    ("sponsors", "status", "done", "État du suivi inconnu."),
    ("stage", "screen", "<script>", "Écran inconnu."),
    ("tables", "number", 0, "Un numéro de table entre 1 et 500."),
    ("votes", "participant_id", 999_999, "absent du fichier"),
    ("priority_sources", "gathering", "../../x", "Regroupement inconnu."),
])
def test_an_import_takes_only_what_a_form_would(day, section, key, value, problem):
    data = _exported(day)
    if section == "proposal_revisions" and not data[section]:
        data[section] = [{"id": 1, "proposal_id": data["proposals"][0]["id"],
                          "field": "title", "version": 1, "value": "x"}]
    row = data[section] if section == "event" else data[section][0]
    row[key] = value
    assert problem in _import_problem(data)


def test_duplicate_ids_and_repeated_uniques_are_refused(day):
    data = _exported(day)
    data["notes"].append(dict(data["notes"][0]))
    assert "constats : l'identifiant" in _import_problem(data)
    data = _exported(day)
    data["tables"][1]["number"] = data["tables"][0]["number"]
    assert "deux lignes ont la même valeur de « number »" in _import_problem(data)


def test_a_card_links_only_its_own_tables_notes(day):
    data = _exported(day)
    other = next(n["id"] for n in data["notes"] if n["table_id"] != data["proposals"][0]["table_id"])
    data["proposals"][0]["note_ids"].append(other)
    assert "n'est pas un constat de sa table" in _import_problem(data)


def test_codes_keys_and_tokens_in_a_file_are_never_used(day):
    data = _exported(day)
    data["tables"][0].update(join_code="AAAAAAA", captain_code="BBBBBBBB")
    data["event"].update(plenary_token="chosen", idempotency_key="chosen")
    copy = archive.load_event(data)
    assert copy.tables[0].join_code != "AAAAAAA" and copy.tables[0].captain_code != "BBBBBBBB"
    assert copy.plenary_token != "chosen" and copy.idempotency_key is None


BAD_VALUES = [None, -1, 2**40, "x" * 5000, {}, [None]]


def test_no_altered_file_breaks_the_import(day):
    """Every value of one row of every section replaced by a wrong one: the import either
    takes it (a form would too) or refuses it with its sentence, never anything else."""
    original = _exported(day)
    events = db.session.scalar(db.select(db.func.count()).select_from(Event))
    for section in ["event", *(s.name for s in archive.SECTIONS)]:
        rows = original[section]
        if not rows:
            continue
        for key in (rows if section == "event" else rows[0]):
            for value in BAD_VALUES:
                data = json.loads(json.dumps(original))
                (data[section] if section == "event" else data[section][0])[key] = value
                try:
                    archive.load_event(data)
                    events += 1
                except ValidationError as error:
                    assert str(error.messages["file"][0]).startswith(
                        "Ce fichier ne peut pas être importé"), (section, key, value)
                assert db.session.scalar(
                    db.select(db.func.count()).select_from(Event)) == events, (section, key)


def test_a_file_past_the_size_cap_is_refused_before_it_is_read(app, console):
    app.config["IMPORT_MAX_BYTES"] = 1024
    response = upload(console, b'{"format": "tablee-event"' + b" " * 2048 + b"}")
    assert response.status_code == 413
    assert "Ce fichier dépasse" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Event)).all() == []


def test_a_refusal_while_writing_leaves_nothing(day, monkeypatch):
    def broken(plan, ids):
        raise sa_exc.IntegrityError("insert", {}, Exception("refused"))
    monkeypatch.setattr(archive, "_link_late", broken)
    assert "la base de données l'a refusé (IntegrityError)" in _import_problem(_exported(day))
    assert db.session.scalar(db.select(db.func.count()).select_from(Table)) == len(day.tables)


def test_a_long_import_lets_other_requests_run_between_its_batches(day, monkeypatch):
    """Written in batches, each committed, with a pause for the other greenlets after each
    (gevent runs them only when the import gives way)."""
    pauses = []
    monkeypatch.setattr(archive, "BATCH", 2)
    monkeypatch.setattr(archive.gevent, "sleep", lambda seconds=0: pauses.append(seconds))
    data = _exported(day)
    rows = sum(len(data[s.name]) for s in archive.SECTIONS)
    copy = archive.load_event(data)
    batches = sum(-(-len(data[s.name]) // 2) for s in archive.SECTIONS)
    assert len(pauses) >= batches > rows / 2 - len(archive.SECTIONS)
    assert not copy.importing
    # While it is written, the event is hidden from the events list.
    assert "importing" not in data["event"]


def test_a_refusal_quoting_the_file_is_escaped(console, day):
    data = _exported(day)
    data["proposals"][0]["partners"] = ["<script>x</script>" + "p" * 200]
    response = upload(console, json.dumps(data).encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "« &lt;script&gt;x&lt;/script&gt;pp… »" in page and "<script>x" not in page


# ---- The record round-trips -----------------------------------------------------------

def _revisions_of(proposal_id):
    return db.session.scalars(db.select(ProposalRevision).where(
        ProposalRevision.proposal_id == proposal_id).order_by(ProposalRevision.id)).all()


def test_an_export_imports_back_on_the_same_installation_and_its_history_stays_inside(
        console, event, tablet):
    """The card's stored versions of its priority axis and of its notes point at the copy's
    rows: bringing one back in the copy links the copy, never the original."""
    t1 = event.tables[0]
    awa = tablet(t1, "Awa", captain=True)
    awa.post_note("Un premier constat")
    awa.post_note("Un second constat")
    person = db.session.scalars(db.select(Participant).where(Participant.name == "Awa")).one()
    axis = PriorityAxis(event=event, theme=event.themes[0], title="Un axe")
    db.session.add(axis)
    db.session.commit()
    card = services.proposal_for(t1)
    notes = [n.id for n in db.session.scalars(db.select(Note).where(Note.table_id == t1.id))]
    services.update_field(card, "priority_axis_id", {"value": axis.id, "version": 0}, person)
    services.update_field(card, "notes", {"value": notes, "version": 0}, person)
    services.update_field(card, "notes", {"value": notes[:1], "version": 1}, None)
    services.update_field(card, "pitcher_id", {"value": person.id, "version": 0}, person)

    body = console.get(url(event, "/export.json")).data
    assert b"idempotency_key" not in body
    for _ in range(2):  # twice: nothing in the file may collide with the first copy
        assert upload(console, body).status_code == 302
    copy = db.session.scalars(db.select(Event).order_by(Event.id.desc())).first()
    copy_card = services.proposal_for(copy.tables[0])
    copy_axis = db.session.scalars(db.select(PriorityAxis).where(
        PriorityAxis.event_id == copy.id)).one()
    copy_notes = sorted(db.session.scalars(db.select(Note.id).where(
        Note.table_id == copy.tables[0].id)))
    by_field = {}
    for revision in _revisions_of(copy_card.id):
        by_field.setdefault(revision.field, []).append(revision.value)
    assert by_field["priority_axis_id"] == [copy_axis.id]
    copy_person = db.session.scalars(db.select(Participant.id).where(
        Participant.table_id == copy.tables[0].id)).one()
    assert by_field["pitcher_id"] == [copy_person] and copy_card.pitcher_id == copy_person
    assert by_field["notes"] == [copy_notes, copy_notes[:1]]
    # Re-exporting the copy gives the original again, apart from ids (and no codes travel).
    again = archive.dump_event(copy)
    assert _normalised(again) == _normalised(json.loads(body))
    # Bringing back the two notes in the copy links the copy's notes.
    [both] = [r for r in _revisions_of(copy_card.id) if r.field == "notes" and len(r.value) == 2]
    services.restore_revision(copy_card, both, None)
    assert sorted(n.id for n in copy_card.notes) == copy_notes
    assert {n.table_id for n in copy_card.notes} == {copy.tables[0].id}



# ---- The day in figures, lists that split back ----------------------------------------

def test_the_figures_equal_the_database_in_the_report_the_json_and_the_console(console, day):
    notes = db.session.scalars(db.select(Note)).all()
    cards = db.session.scalars(db.select(Proposal)).all()
    expected = {
        "participants": len(db.session.scalars(db.select(Participant)).all()),
        "tables": 3,
        "notes_posted": sum(1 for n in notes if n.participant_id is not None),
        "notes_kept": sum(1 for n in notes if n.deleted_at is None),
        "axes": 1, "dots": 1, "priority_axes": 2,
        "complete_cards": sum(1 for c in cards if c.title and c.need and c.city and c.partners
                              and c.skills and c.summary and c.priority_axis_id
                              and c.budget_amount and c.objective and c.budget_purpose),
        "prototypes": 1, "to_study": 1,
    }
    # The day fixture: 2 people, 4 notes typed, 1 deleted, 2 merged into a new one.
    assert (expected["participants"], expected["notes_posted"], expected["notes_kept"],
            expected["complete_cards"]) == (2, 4, 2, 1)
    data = json.loads(console.get(url(day, "/export.json")).data)
    assert data["figures"] == expected
    report = console.get(url(day, "/rapport")).get_data(as_text=True)
    page = console.get(url(day)).get_data(as_text=True)
    for html in (report, page):
        shown = re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html)
        assert [int(v) for _label, v in shown] == list(expected.values())
    assert report.index("La journée en chiffres") < report.index("Les axes prioritaires")
    # An import ignores them: they are read off the rows.
    data["figures"]["participants"] = 999
    assert figures(archive.load_event(data))["participants"] == 2


def test_participants_export_names_table_captain_and_arrival(console, day):
    header, *rows = rows_of(console.get(url(day, "/exports/participants.csv")).data)
    assert header == ["prénom", "table", "capitaine", "a rejoint le"]
    assert [row[:3] for row in rows] == [["Awa", "1", "oui"], ["Bob", "2", "non"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[3]) for row in rows)


def test_lists_split_back_and_the_linked_constats_are_listed(console, day):
    proposal = services.proposal_for(day.tables[0])
    proposal.partners = ["Mairie de Sarcelles, service jeunesse", "Centre social"]
    db.session.commit()
    header, first, *_ = rows_of(console.get(url(day, "/exports/proposals.csv")).data)
    row = dict(zip(header, first, strict=True))
    assert row["partenaires"].split("\n") == proposal.partners
    assert row["compétences"].split("\n") == ["Animation"]
    assert row["constats liés"].split("\n") == [n.text for n in proposal.notes]


def test_the_readme_explains_every_export_and_every_column(app):
    readme = (Path(app.root_path).parent / "README.md").read_text(encoding="utf-8")
    with app.test_request_context():
        for kind, export in archive.CSV_EXPORTS.items():
            start = readme.index(f"**`{kind}.csv`**")
            paragraph = readme[start:readme.index("\n\n", start)]
            for column in export.columns:
                assert f"`{column}`" in paragraph, (kind, str(column))
        for key in FIGURE_LABELS:
            assert f"`{key}`" in readme


# ---- The public page of the day's results --------------------------------------------

def publish(console, event, publish=True):
    response = console.post(url(event, "/resultats"), data={
        "publish": "true" if publish else "false", "csrf_token": console.csrf})
    assert response.status_code == 302
    db.session.refresh(event)
    return event.results_token


def test_the_organizer_publishes_and_withdraws_the_public_results(client, console, day):
    assert day.results_token is None
    token = publish(console, day)
    assert len(token) >= 32
    page = client.get(f"/resultats/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Soutenir les familles", "Découvrir les métiers", "Un espace emploi",
                 "Prototype", "Clause sociale", "À étudier", "Camille, Préfecture",
                 "En expérimentation", "Premier atelier", "1 février 2018"):
        assert text in html, text
    assert html.index("Un espace emploi") < html.index("Clause sociale")  # prototypes first
    # No participant's first name, no contact, no code.
    for person in db.session.scalars(db.select(Participant)):
        assert person.name not in html
    assert "camille@example.org" not in html and day.tables[0].join_code not in html
    # Publishing again keeps the address; withdrawing closes it, and it stays closed.
    assert publish(console, day) == token
    assert publish(console, day, False) is None
    assert client.get(f"/resultats/{token}").status_code == 404
    assert client.get(f"/resultats/{token}.json").status_code == 404
    assert publish(console, day) not in (None, token)


def test_a_guessed_address_finds_nothing(client, console, day):
    publish(console, day)
    for guess in ("", "x", day.plenary_token, "a" * 300):
        assert client.get(f"/resultats/{guess}").status_code == 404


def test_the_results_as_stable_json(client, console, day):
    token = publish(console, day)
    response = client.get(f"/resultats/{token}.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) == {"format", "version", "event", "figures", "priority_axes", "proposals"}
    assert data["format"] == "tablee-results" and data["version"] == 1
    assert [a["title"] for a in data["priority_axes"]] == ["Soutenir les familles",
                                                          "Découvrir les métiers"]
    first = data["proposals"][0]
    assert set(first) == {"table", "title", "priority_axis", "need", "objective", "summary",
                          "place", "budget_euros", "status", "status_label", "decided_on",
                          "decision_comment", "sponsor"}
    assert (first["title"], first["status"], first["budget_euros"]) == (
        "Un espace emploi", "prototype", 45000)
    assert first["sponsor"]["follow_up"] == [{
        "date": "2018-02-01", "status": "experimenting", "status_label": "En expérimentation",
        "text": "Premier atelier"}]
    assert "contact" not in first["sponsor"]
    body = json.dumps(data, ensure_ascii=False)
    for person in db.session.scalars(db.select(Participant)):
        assert person.name not in body
    # A card that was never pitched is not a result.
    assert [p["title"] for p in data["proposals"]] == ["Un espace emploi", "Clause sociale"]


def test_a_wrong_publish_value_is_refused(console, day):
    response = console.post(url(day, "/resultats"), data={"publish": "peut-être",
                                                           "csrf_token": console.csrf})
    assert response.status_code == 422
    assert "Publier ou retirer ?" in response.get_data(as_text=True)
    db.session.refresh(day)
    assert day.results_token is None
