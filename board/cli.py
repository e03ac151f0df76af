"""`flask` commands: organizers, the demo event, serving."""

import os
import secrets
import socket
from datetime import date

import click
from flask import current_app, url_for
from sqlalchemy import select

from . import demo, services
from .extensions import db
from .models import Event, Organizer
from .organizer import sign_in_link


def init_app(app):
    app.cli.add_command(organizer_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(event_cli)


@click.group("organizer", help="Organizer accounts.")
def organizer_cli():
    pass


@organizer_cli.command("create")
@click.argument("username")
@click.password_option(envvar="TABLEE_ORGANIZER_PASSWORD")
def create_organizer(username, password):
    """Create an organizer, or set the password of an existing one."""
    organizer = db.session.scalar(select(Organizer).where(Organizer.username == username))
    if organizer is None:
        organizer = Organizer(username=username)
        db.session.add(organizer)
    organizer.set_password(password)
    db.session.commit()
    click.echo(f"Organisateur « {username} » enregistré.")


@organizer_cli.command("link")
@click.argument("username")
def organizer_link(username):
    """Print a sign-in link for an organizer (valid 12 hours)."""
    organizer = db.session.scalar(select(Organizer).where(Organizer.username == username))
    if organizer is None:
        raise click.ClickException(f"Aucun organisateur « {username} ».")
    with current_app.test_request_context(base_url=_base_url()):
        click.echo(sign_in_link(organizer))


def _base_url():
    """Where the printed links point: TABLEE_BASE_URL, else where `python wsgi.py` listens."""
    if current_app.config.get("BASE_URL"):
        return current_app.config["BASE_URL"]
    host = os.environ.get("TABLEE_HOST", "127.0.0.1")
    if host in ("0.0.0.0", "::"):
        # Listening on every interface: print the address the tablets in the room can reach.
        host = socket.gethostbyname(socket.gethostname())
    return f"http://{host}:{os.environ.get('TABLEE_PORT', '5000')}"


@click.command("demo", help="Load the demo event (once) and print the links to open.")
@click.option("--organizer", "username", default="organisateur", show_default=True)
def demo_cli(username):
    event, created = demo.load()
    organizer = db.session.scalar(select(Organizer).where(Organizer.username == username))
    if organizer is None:
        password = secrets.token_urlsafe(9)
        organizer = Organizer(username=username)
        organizer.set_password(password)
        db.session.add(organizer)
        db.session.commit()
        click.echo(f"Organisateur « {username} » créé, mot de passe : {password}")
    services.forget_connections()
    with current_app.test_request_context(base_url=_base_url()):
        first = event.tables[0]
        click.echo("")
        click.echo(("Événement de démonstration chargé : " if created else
                    "Événement de démonstration déjà présent : ") + event.name)
        click.echo(f"  Organisation : {sign_in_link(organizer)}")
        click.echo(f"  Plénière     : {url_for('plenary.show', token=event.plenary_token, _external=True)}")
        click.echo(f"  Table 1      : {url_for('tables.scan', code=first.join_code, _external=True)}"
                   f"  (code {first.join_code}, capitaine {first.captain_code})")
        click.echo("")


@click.group("event", help="Events: privacy after the day.")
def event_cli():
    pass


@event_cli.command("purge-names")
@click.argument("event_id", type=int)
@click.option("--force", is_flag=True, help="Purge even before the day is over.")
def purge_names(event_id, force):
    """Replace the participants' first names by « Participant·e n », keeping their work."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise click.ClickException(f"Aucun événement n°{event_id}.")
    if not force and (event.date is None or event.date >= date.today()):
        raise click.ClickException(
            "La journée n'est pas terminée (ou l'événement n'a pas de date) : "
            "relancez avec --force pour effacer les prénoms quand même.")
    changed = services.purge_names(event)
    click.echo(f"{changed} prénom(s) effacé(s) pour « {event.name} » ; le travail est conservé.")
