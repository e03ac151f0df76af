import csv
import io
import json
from datetime import date, datetime

import pytest

from board import archive, create_app, db, services
from board.models import Event, Note, Participant, PhaseStep, PriorityAxis, Proposal, Sponsor, Stage, Table

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
    assert proposals[1][10] == "Centre social, Mission locale"
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
    # The codes printed on the tables still work in the new installation.
    assert [t["join_code"] for t in again["tables"]] == [t.join_code for t in day.tables]


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
    (b'{"format": "tablee-event", "version": 1, "event": {}}', "incomplet ou abîmé"),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, '
     b'"notes": [{"id": 1, "table_id": 5, "theme_id": 1, "text": "x"}]}', "incomplet ou abîmé"),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, '
     b'"themes": [{"id": 1, "name": "x", "colour": "#000000", "position": "first"}]}',
     "incomplet ou abîmé"),
    (b'{"format": "tablee-event", "version": 1, "event": {"name": "x"}, "tables": {}}',
     "incomplet ou abîmé"),
])
def test_a_bad_file_is_refused_and_nothing_is_created(console, body, message):
    response = upload(console, body)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
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
