import pytest

from board import db
from board.models import Participant

from .conftest import csrf_token


def join(client, code, name):
    return client.post("/rejoindre", data={"code": code, "name": name,
                                           "csrf_token": csrf_token(client)})


def test_join_with_the_table_code_seats_a_participant(client, event):
    table = event.tables[0]
    response = join(client, table.join_code, "  Awa ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/table"
    person = db.session.scalars(db.select(Participant)).one()
    assert (person.name, person.table_id, person.is_captain) == ("Awa", table.id, False)
    page = client.get("/table").get_data(as_text=True)
    assert "Table 1" in page and "Awa" in page


def test_join_with_the_captain_code_makes_a_captain(client, event):
    join(client, event.tables[1].captain_code, "Karim")
    person = db.session.scalars(db.select(Participant)).one()
    assert person.is_captain and person.table_id == event.tables[1].id
    assert "capitaine" in client.get("/table").get_data(as_text=True)


def test_code_is_forgiving_about_case_spaces_and_dashes(client, event):
    code = event.tables[0].join_code
    assert join(client, f" {code[:3].lower()}-{code[3:].lower()} ", "Léa").status_code == 302


def test_the_tablet_stays_joined_across_reloads(client, event):
    join(client, event.tables[0].join_code, "Awa")
    for _ in range(2):
        assert client.get("/table").status_code == 200
    assert client.get("/").headers["Location"] == "/table"


@pytest.mark.parametrize(("code", "name", "field", "message"), [
    ("", "Awa", "code", "Saisissez le code de votre table."),
    ("ZZZZZZ", "Awa", "code", "existe pas. Vérifiez-le"),
    ("<script>", "Awa", "code", "existe pas. Vérifiez-le"),
    ("VALID", "", "name", "Ce champ est obligatoire."),
    ("VALID", "   ", "name", "Ce champ est obligatoire."),
    ("VALID", "A" * 41, "name", "1 de trop"),
])
def test_bad_join_is_refused_with_a_message_and_keeps_what_was_typed(
        client, event, code, name, field, message):
    if code == "VALID":
        code = event.tables[0].join_code
    response = join(client, code, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert f'aria-describedby="{field}-error"' in page
    if name.strip():
        assert f'value="{name}"' in page
    assert db.session.scalars(db.select(Participant)).all() == []


def test_a_mistyped_code_and_a_name_to_fix_are_both_said_at_once(client, event):
    response = join(client, "zzzz-zz", "")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-describedby="code-error"' in page and "existe pas. Vérifiez-le" in page
    assert 'aria-describedby="name-error"' in page and "Ce champ est obligatoire." in page
    # A good code with a name to fix: only the name is refused.
    page = join(client, event.tables[0].join_code.lower(), "").get_data(as_text=True)
    assert 'aria-describedby="name-error"' in page and 'aria-describedby="code-error"' not in page


def test_regenerated_code_stops_working(client, event):
    from board import services

    table = event.tables[0]
    old = table.join_code
    services.regenerate_codes(table)
    assert join(client, old, "Awa").status_code == 422
    assert join(client, table.join_code, "Awa").status_code == 302


def test_join_without_csrf_token_is_refused(client, event):
    response = client.post("/rejoindre", data={"code": event.tables[0].join_code, "name": "Awa"})
    assert response.status_code == 400
    assert "Cette page est trop ancienne" in response.get_data(as_text=True)
    assert db.session.scalars(db.select(Participant)).all() == []


def test_qr_link_prefills_the_code(client, event):
    code = event.tables[2].join_code
    page = client.get(f"/j/{code}").get_data(as_text=True)
    assert f'value="{code}"' in page


def test_board_without_joining_goes_to_the_join_page(client, event):
    assert client.get("/table").headers["Location"] == "/"
    assert client.get("/table/tableau", headers={"HX-Request": "true"}).status_code == 401


def test_leaving_forgets_the_table(client, event):
    join(client, event.tables[0].join_code, "Awa")
    token = csrf_token(client, "/table")
    client.post("/quitter", data={"csrf_token": token})
    assert client.get("/table").headers["Location"] == "/"


def test_a_key_replayed_with_another_name_or_code_seats_someone_new(app, event):
    """A shared tablet's Back button sends the join form again with its old key: the same
    key seats the first person again only for the same code and the same name."""
    table = event.tables[0]
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    key = "cle-partagee"

    def join_with(client, code, name):
        return client.post("/rejoindre", data={"code": code, "name": name,
                                               "idempotency_key": key,
                                               "csrf_token": csrf_token(client, "/?changer=1")})

    assert join_with(first, table.join_code, "Awa").status_code == 302
    assert join_with(first, table.join_code, "Awa").status_code == 302  # a double tap
    assert join_with(second, table.join_code, "Bob").status_code == 302
    assert join_with(third, table.captain_code, "Awa").status_code == 302
    people = db.session.scalars(db.select(Participant).order_by(Participant.id)).all()
    assert [(p.name, p.is_captain) for p in people] == [
        ("Awa", False), ("Bob", False), ("Awa", True)]
    assert "Bob" in second.get("/table").get_data(as_text=True).split("</header>")[0]
    assert "capitaine" in third.get("/table").get_data(as_text=True)


@pytest.mark.parametrize("name", ["\u3164", "\u3164\u3164 \u115f", "\u2800\u2800", "🙂", "42",
                                  "- . -", "\u200b\u0301"])
def test_a_first_name_needs_a_visible_letter(client, event, name):
    response = join(client, event.tables[0].join_code, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("au moins une lettre" in page) or ("Ce champ est obligatoire." in page)
    assert 'aria-describedby="name-error"' in page
    assert db.session.scalars(db.select(Participant)).all() == []
    if name.strip() and name not in ("\u200b\u0301",):
        assert "au moins une lettre" in page
        assert f'value="{name}"' in page  # what was typed stays, to be corrected


@pytest.mark.parametrize("name", ["Zoé", "Li", "Ngozi 🙂", "Jean-Éric", "李"])
def test_a_first_name_with_a_letter_is_welcome(client, event, name):
    assert join(client, event.tables[0].join_code, name).status_code == 302
