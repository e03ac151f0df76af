"""French first, English complete, and no raw technical text on a French page."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from .conftest import csrf_token, pushes

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "_ln": (1, 2), "lazy_ngettext": (1, 2)}


def extracted_messages():
    method_map = [("board/**.py", "python"), ("templates/**.html", "jinja2")]
    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map=method_map, keywords=KEYWORDS,
            options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
        ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def test_the_english_catalogue_translates_every_message():
    with open(ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalogue = read_po(f)
    translated = {}
    for message in catalogue:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if key and all(strings) and not message.fuzzy:
            translated[key] = strings
    missing = sorted(extracted_messages() - set(translated))
    assert missing == [], "run `make catalogues` and translate these in translations/en"


class VisibleText(HTMLParser):
    """The text a person sees, and the attributes a screen reader speaks."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self.skip += 1
        for name, value in attrs:
            if name in ("aria-label", "title", "placeholder", "alt", "hx-confirm") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


TECHNICAL = re.compile(
    r"Traceback|Exception|Error\b|\bNone\b|undefined|\bnull\b|theme_id|csrf|idempotency"
    r"|Bad Request|Not Found|Forbidden|Unauthorized|UNPROCESSABLE|\b[45]\d\d\b|Missing data"
    r"|Not a valid|Length must|Shorter than|Field may not")


def visible(html):
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def assert_plain_french(response):
    text = visible(response.get_data(as_text=True))
    assert not TECHNICAL.search(text), text


def test_french_pages_show_no_technical_text(app, event, tablet, client):
    awa = tablet(event.tables[0])
    awa.post_note("Un constat")
    for response in (
        client.get("/"),
        client.get("/j/ABCDEF"),
        client.get("/nulle-part"),
        client.post("/rejoindre", data={"code": "", "name": "", "csrf_token": csrf_token(client)}),
        client.post("/rejoindre", data={"code": "x" * 50, "name": "y" * 99,
                                        "csrf_token": csrf_token(client)}),
        client.post("/rejoindre", data={"code": "ABC"}),  # no CSRF token
        awa.get("/table"),
        awa.post("/constats/", {"text": "", "theme_id": "abc"}),
        awa.post("/constats/", {"text": "z" * 390}),
        awa.post("/constats/999999/modifier", {"text": "x", "theme_id": "1"}),
        client.get(f"/pleniere/{event.plenary_token}"),
        client.get("/pleniere/wrong-token"),
        client.get("/organisation/connexion"),
    ):
        assert_plain_french(response)


@pytest.mark.parametrize("path", ["/", "/organisation/connexion"])
def test_english_pages_are_in_english(client, path):
    token = csrf_token(client)
    client.post("/langue/en", data={"csrf_token": token, "next": "/"})
    text = visible(client.get(path).get_data(as_text=True))
    for french in ("Rejoindre", "Votre prénom", "Mot de passe", "Se connecter"):
        assert french not in text


def test_a_tablet_in_english_pushes_to_its_table_in_the_events_language(
        app, event, tablet):
    """What is rendered once for a whole room is in French; the person's own answer and
    their next page stay in their language, request after request."""
    awa, bob = tablet(event.tables[0]), tablet(event.tables[0], "Bob")
    awa.client.post("/langue/en", data={"csrf_token": awa.token, "next": "/table"})
    bobs = bob.socket()
    bobs.get_received()
    for text in ("Pas assez de bus le soir", "Trop de voitures"):
        answer = awa.post_note(text).get_data(as_text=True)
        assert "Post" in answer and "Publier" not in answer
        [push] = [p["html"] for p in pushes(bobs) if text in p.get("html", "")]
        assert "Déplacer vers…" in push and "Move to…" not in push
        page = visible(bob.get("/table").get_data(as_text=True))
        assert "Déplacer vers…" in page and "Move to…" not in page
        page = visible(awa.get("/table").get_data(as_text=True))
        assert "Move to…" in page and "Déplacer vers…" not in page
