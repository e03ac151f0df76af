import re

import pytest

from board import db
from board.models import Event, Table

from .conftest import csrf_token


def test_password_is_stored_hashed(organizer):
    assert "un mot de passe" not in organizer.password_hash
    assert organizer.check_password("un mot de passe")
    assert not organizer.check_password("autre chose")


def test_wrong_password_is_refused_and_keeps_the_username(client, organizer):
    token = csrf_token(client, "/organisation/connexion")
    response = client.post("/organisation/connexion", data={
        "username": "orga", "password": "faux", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Identifiant ou mot de passe incorrect." in page
    assert 'value="orga"' in page and "faux" not in page
    assert client.get("/organisation/").status_code == 302


def test_console_pages_need_an_organizer(client, event):
    for url in ("/organisation/", "/organisation/evenements/nouveau",
                f"/organisation/evenements/{event.id}", f"/organisation/evenements/{event.id}/qr"):
        response = client.get(url)
        assert response.status_code == 302 and "/organisation/connexion" in response.headers["Location"]


def test_a_participant_cannot_regenerate_codes(app, event, tablet):
    captain = tablet(event.tables[0], captain=True)
    table = event.tables[0]
    old = table.join_code
    response = captain.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes")
    assert response.status_code == 401
    assert table.join_code == old


def test_create_an_event_with_themes_and_tables(console):
    response = console.post("/organisation/evenements/nouveau", data={
        "name": "Hackathon santé", "date": "2026-03-14", "place": "Lille", "table_count": "4",
        "theme-0-name": "Accès aux soins", "theme-0-colour": "#1D70B8",
        "theme-1-name": "Prévention", "theme-1-colour": "#00703c",
        "theme-2-name": "  ", "theme-2-colour": "#000000",
        "csrf_token": console.csrf})
    assert response.status_code == 302
    event = db.session.scalars(db.select(Event)).one()
    assert [(t.name, t.colour) for t in event.themes] == [("Accès aux soins", "#1d70b8"),
                                                          ("Prévention", "#00703c")]
    assert [t.number for t in event.tables] == [1, 2, 3, 4]
    codes = {t.join_code for t in event.tables} | {t.captain_code for t in event.tables}
    assert len(codes) == 8
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    for table in event.tables:
        assert table.join_code in page and table.captain_code in page
    assert event.plenary_token in page


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Ce champ est obligatoire."),
    ({"table_count": "0"}, "Entre 1 et 500 tables."),
    ({"table_count": "501"}, "Entre 1 et 500 tables."),
    ({"table_count": "vingt"}, "Saisissez un nombre de tables."),
    ({"date": "16 décembre"}, "Saisissez une date"),
    ({"theme-0-name": ""}, "Donnez au moins une thématique"),
    ({"theme-0-colour": "rouge"}, "Choisissez une couleur"),
])
def test_bad_event_is_refused_and_keeps_the_form(console, changes, message):
    data = {"name": "Hackathon", "date": "2026-03-14", "place": "Lille", "table_count": "4",
            "theme-0-name": "Santé", "theme-0-colour": "#1d70b8", "csrf_token": console.csrf}
    data.update(changes)
    response = console.post("/organisation/evenements/nouveau", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'value="Lille"' in page
    assert db.session.scalars(db.select(Event)).all() == []


def test_regenerate_codes(console, event):
    table = event.tables[0]
    old = (table.join_code, table.captain_code)
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            headers={"X-CSRFToken": console.csrf, "HX-Request": "true"})
    assert response.status_code == 200
    assert (table.join_code, table.captain_code) != old
    assert table.join_code in response.get_data(as_text=True)


def test_regenerate_refuses_a_table_of_another_event(console, event):
    from board import services

    other = services.create_event({"name": "Autre", "table_count": 1,
                                   "themes": [{"name": "x", "colour": "#000000"}]})
    table = other.tables[0]
    old = table.join_code
    response = console.post(f"/organisation/evenements/{event.id}/tables/{table.id}/codes",
                            headers={"X-CSRFToken": console.csrf})
    assert response.status_code == 404
    assert table.join_code == old


def test_qr_sheet_has_one_svg_qr_code_per_table_pointing_at_its_join_link(console, event):
    page = console.get(f"/organisation/evenements/{event.id}/qr").get_data(as_text=True)
    assert page.count("<svg") == len(event.tables)
    for table in event.tables:
        assert table.join_code in page
        assert table.captain_code not in page  # the captain code is handed over, not printed
    import segno

    # The drawn modules are exactly those of a QR code of the table's join link.
    drawn = re.findall(r'class="qrline"[^>]* d="([^"]+)"', page)
    for table, path in zip(event.tables, drawn, strict=True):
        expected = segno.make(f"http://localhost/j/{table.join_code}", error="m").svg_inline()
        assert f'd="{path}"' in expected


def test_sign_in_link_works_until_it_expires(app, client, organizer):
    from board.organizer import sign_in_link

    with app.test_request_context():
        link = sign_in_link(organizer)
    path = re.sub(r"^https?://[^/]+", "", link)
    assert client.get(path).status_code == 302
    assert client.get("/organisation/").status_code == 200
    app.config["ORGANIZER_LINK_MAX_AGE"] = -1
    other = app.test_client()
    assert other.get(path).status_code == 400


def test_table_ids_cannot_be_guessed_into_codes(app, event):
    alphabet = set("ABCDEFGHJKMNPQRSTUVWXYZ23456789")
    for table in db.session.scalars(db.select(Table)):
        assert len(table.join_code) == 6 and set(table.join_code) <= alphabet
        assert len(table.captain_code) == 8 and set(table.captain_code) <= alphabet
