"""The database: one event, its themes and tables, the people at them and what they make."""

from __future__ import annotations

import secrets
import unicodedata
from datetime import UTC, date, datetime

import gevent
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, bindparam, select, update
from sqlalchemy import false as sa_false
from sqlalchemy import func as sa_func
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db

# No 0/O, 1/I/L: codes are read off paper and typed on a tablet.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 7
CAPTAIN_CODE_LENGTH = 8

PHASES = ("setup", "diagnostic", "axes", "consolidation", "drafting", "pitches", "selection",
          "follow_up")



def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


_BUMPS: dict[type, object] = {}  # each sequenced model's UPDATE … RETURNING


class Sequenced:
    """A room's change counter, bumped in the same transaction as the change it counts.

    A page that sees a gap between the number it holds and the one a push carries
    knows it missed a push, and refetches.
    """

    seq: Mapped[int] = mapped_column(default=0)

    def bump_seq(self) -> int:
        # On the table itself, not the model: a plain UPDATE … RETURNING, without the ORM's
        # bulk-update bookkeeping, which cost as much as the rest of a post's queries; the
        # statement is built once per model, so that its compiled form is reused.
        new = db.session.execute(type(self)._bump_statement(), {"ident": self.id}).scalar_one()
        set_committed_value(self, "seq", new)
        return new

    @classmethod
    def _bump_statement(cls):
        if cls not in _BUMPS:
            table = cls.__table__
            _BUMPS[cls] = (update(table).where(table.c.id == bindparam("ident"))
                           .values(seq=table.c.seq + 1).returning(table.c.seq))
        return _BUMPS[cls]


def _in_a_thread(function, *args):
    """A password hash made or checked in gevent's pool of threads: scrypt and pbkdf2 let go
    of the GIL, so the process's loop serves every tablet during the 80 ms a check takes on
    purpose, rather than stopping them all. The same with or without monkey-patching."""
    return gevent.get_hub().threadpool.apply(function, args)


_DUMMY_HASH: list[str] = []


def check_dummy_password(password: str) -> bool:
    """Check a password against a hash made like a real one, and fail: as long as a check
    against an organizer's hash (see the sign-in)."""
    if not _DUMMY_HASH:
        _DUMMY_HASH.append(_in_a_thread(generate_password_hash, secrets.token_urlsafe(16)))
    _in_a_thread(check_password_hash, _DUMMY_HASH[0], password)
    return False


class Organizer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # A session is good while it carries the organizer's current epoch: signing out or a
    # new password moves it on, which ends every other session at their next request.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # A sign-in link carries the serial it was made at; using one, or a new password,
    # moves it on, so a link works once.
    link_serial: Mapped[int] = mapped_column(default=0, server_default="0")

    def set_password(self, password: str) -> None:
        if self.password_hash:  # a change: the sessions and links made before it end
            self.session_epoch = (self.session_epoch or 0) + 1
            self.link_serial = (self.link_serial or 0) + 1
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return _in_a_thread(check_password_hash, self.password_hash, password)


class Event(Sequenced, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(200), default="")
    phase: Mapped[str] = mapped_column(String(20), default="diagnostic")
    plenary_token: Mapped[str] = mapped_column(
        String(64), unique=True, default=lambda: secrets.token_urlsafe(24))
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Dot votes (gommettes): how many each participant gets, whether several may go on one
    # axis, and whether counts show live or only once a table's captain reveals them.
    dots_per_participant: Mapped[int] = mapped_column(default=3, server_default="3")
    dots_stack: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    votes_live: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The address of the public page of the day's results, while the organizer publishes it.
    results_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set while an import writes it in batches: hidden from every list until it is whole.
    importing: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    themes: Mapped[list[Theme]] = relationship(
        back_populates="event", order_by="Theme.position", cascade="all, delete-orphan")
    tables: Mapped[list[Table]] = relationship(
        back_populates="event", order_by="Table.number", cascade="all, delete-orphan")
    priority_axes: Mapped[list[PriorityAxis]] = relationship(
        back_populates="event", order_by="PriorityAxis.position", cascade="all, delete-orphan")


class Theme(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    colour: Mapped[str] = mapped_column(String(7))
    position: Mapped[int] = mapped_column(default=0)

    event: Mapped[Event] = relationship(back_populates="themes")

    @property
    def symbol(self) -> str:
        """A pictogram beside the theme's colour, for whoever does not tell colours apart
        or reads with difficulty: from a word of its name, else a shape by its place."""
        name = unicodedata.normalize("NFKD", self.name.lower()).encode("ascii", "ignore").decode()
        for words, symbol in THEME_SYMBOLS:
            if any(word in name for word in words):
                return symbol
        return THEME_SHAPES[self.position % len(THEME_SHAPES)]


# Drawn from the fonts every tablet has (no emoji font needed).
THEME_SYMBOLS = (
    (("educat", "ecole", "scol"), "✎"), (("formation", "orientation"), "➚"),
    (("emploi", "travail", "economi"), "⚒"), (("sante", "soin"), "✚"),
    (("logement", "habitat", "cadre de vie"), "⌂"), (("transport", "mobilit"), "⇄"),
    (("environnement", "nature", "ecolog"), "❀"), (("culture", "art"), "♫"),
    (("sport",), "⚑"), (("jeune", "enfan", "famill"), "☺"), (("securit", "tranquill"), "⛨"),
    (("numerique",), "⌨"), (("citoyen", "participation", "lien social"), "☷"),
)
THEME_SHAPES = ("●", "▲", "■", "◆", "★", "✱")


class PriorityAxis(db.Model):
    """An axis the whole event retains (axe prioritaire); tables draft their cards on one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="priority_axes")
    theme: Mapped[Theme] = relationship()


class Table(Sequenced, db.Model):
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(120), default="")
    join_code: Mapped[str] = mapped_column(
        String(16), unique=True, default=lambda: new_code(JOIN_CODE_LENGTH))
    captain_code: Mapped[str] = mapped_column(
        String(16), unique=True, default=lambda: new_code(CAPTAIN_CODE_LENGTH))
    votes_revealed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    vote_closed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    event: Mapped[Event] = relationship(back_populates="tables")
    participants: Mapped[list[Participant]] = relationship(
        back_populates="table", order_by="Participant.id")

    @property
    def label(self) -> str:
        return self.name or f"Table {self.number}"


class Participant(db.Model):
    __table_args__ = (UniqueConstraint("table_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    is_captain: Mapped[bool] = mapped_column(default=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when the organizer takes the seat back (codes regenerated, or removed from the
    # console): the tablet is no longer at the table; what the person wrote stays.
    unseated_at: Mapped[datetime | None]

    table: Mapped[Table] = relationship(back_populates="participants")


class Connection(db.Model):
    """One open socket of a tablet: who is at the table right now.

    Each server process stamps its own rows (``server_id``) and refreshes ``seen_at``
    while it lives; rows of a process that crashed go stale and any other process sweeps
    them, so presence stays right with several processes and after a crash.
    """

    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"), index=True)
    server_id: Mapped[str] = mapped_column(String(32), default="", server_default="", index=True)
    connected_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=sa_func.now())
    # The card field this tablet has focus in (presence); gone with the socket.
    editing_field: Mapped[str | None] = mapped_column(String(30))


class Note(db.Model):
    """A diagnostic (constat) posted at a table."""

    __table_args__ = (UniqueConstraint("participant_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None]
    # The morning: the axis it sits in (none: the unsorted column) and its place there.
    axis_id: Mapped[int | None] = mapped_column(
        ForeignKey("axis.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set on the originals of a merge (which are soft-deleted); cleared when it is undone.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("note.id", ondelete="SET NULL"), index=True)
    # Every UPDATE checks and bumps it: two people saving the same note at once cannot
    # silently overwrite each other (the second gets a conflict with both texts).
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Who saved the last edit: a conflict names them.
    edited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"))

    table: Mapped[Table] = relationship()
    author: Mapped[Participant | None] = relationship(foreign_keys=[participant_id])
    edited_by: Mapped[Participant | None] = relationship(foreign_keys=[edited_by_id])
    theme: Mapped[Theme] = relationship()
    sources: Mapped[list[Note]] = relationship(
        foreign_keys=[merged_into_id], order_by="Note.id", viewonly=True)

    @property
    def merged(self) -> bool:
        """Made by a merge. A merge has no author of its own; checking that first spares
        the query for the sources of every ordinary note."""
        return self.participant_id is None and bool(self.sources)

    @property
    def authors(self) -> list[Participant]:
        """Everyone who wrote it: the author, or every author of the notes merged into it."""
        if self.participant_id is not None or not self.merged:
            return [self.author] if self.author else []
        seen = {}
        for source in self.sources:
            for person in source.authors:
                seen.setdefault(person.id, person)
        return list(seen.values())

    __mapper_args__ = {"version_id_col": version}


def live_notes(table_id: int):
    return (select(Note).where(Note.table_id == table_id, Note.deleted_at.is_(None))
            .order_by(Note.id))


proposal_note = db.Table(
    "proposal_note",
    db.Column("proposal_id", ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True),
    db.Column("note_id", ForeignKey("note.id", ondelete="CASCADE"), primary_key=True),
)


class Proposal(db.Model):
    """A table's proposal card (fiche projet): what the day produces."""

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"), unique=True)
    priority_axis_id: Mapped[int | None] = mapped_column(
        ForeignKey("priority_axis.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200), default="")
    need: Mapped[str] = mapped_column(Text, default="")
    objective: Mapped[str] = mapped_column(Text, default="")
    neighbourhood: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(100), default="")
    budget_amount: Mapped[int | None]  # whole euros
    budget_purpose: Mapped[str] = mapped_column(Text, default="")
    partners: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(db.JSON, default=list)
    summary: Mapped[str] = mapped_column(Text, default="")
    # Who pitches for the table (« un conseiller par table »): one of its participants.
    pitcher_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    table: Mapped[Table] = relationship()
    priority_axis: Mapped[PriorityAxis | None] = relationship()
    pitcher: Mapped[Participant | None] = relationship()
    notes: Mapped[list[Note]] = relationship(secondary=proposal_note, order_by="Note.id")


# The morning: a table's axes, dot votes, and the provenance of the event's priority axes.

class Axis(db.Model):
    """A table's group of notes (axe), named by the table; the captain can delete it (undoable)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    # [[note_id, position], …]: where its notes were when it was deleted, to put them back.
    released: Mapped[list] = mapped_column(db.JSON, default=list)

    table: Mapped[Table] = relationship()
    theme: Mapped[Theme] = relationship()


class Vote(db.Model):
    """One dot (gommette) a participant put on an axis of their table."""

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    axis: Mapped[Axis] = relationship()


class PrioritySource(db.Model):
    """A table axis gathered into a priority axis, with the notes it held at that moment.

    Rows of one gathering share a ``gathering`` key, so that gathering can be undone as a
    whole; splitting a priority axis moves rows to a new one, provenance included.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    priority_axis_id: Mapped[int] = mapped_column(
        ForeignKey("priority_axis.id", ondelete="CASCADE"), index=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id", ondelete="CASCADE"), index=True)
    gathering: Mapped[str] = mapped_column(String(32))
    note_ids: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    priority_axis: Mapped[PriorityAxis] = relationship(back_populates="sources")
    axis: Mapped[Axis] = relationship()


PriorityAxis.sources = relationship(
    PrioritySource, back_populates="priority_axis", order_by=PrioritySource.id,
    cascade="all, delete-orphan")


class ProposalRevision(db.Model):
    """One saved value of one field of a card: who wrote it and when.

    A field's version is the number of its latest revision. A write names the version it
    was typed over; the unique (card, field, version) makes two writes over the same
    version collide in the database, so the second one is told, never applied silently.
    A person's burst of typing in one field is kept as one revision (see services).
    """

    __table_args__ = (UniqueConstraint("proposal_id", "field", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # No index of its own: the unique (proposal_id, field, version) one serves lookups.
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(30))
    version: Mapped[int]
    value: Mapped[object | None] = mapped_column(db.JSON)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(40), default="")
    restored_from: Mapped[int | None]  # the version a captain brought back
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


# The organizer's day: phases and their countdowns, the pitch queue, the selection, sponsors.

COUNTDOWN_KINDS = ("phase", "pitch")
SCREENS = ("wall", "pitch", "results")
FOLLOW_UP_STATUSES = ("to_start", "experimenting", "evaluated", "extended", "stopped")
PITCH_SECONDS = 180
PITCH_WARNING_SECONDS = 30


class PhaseStep(db.Model):
    """What a phase asks of the tables (one line), and its usual countdown; copied to the
    next edition."""

    __table_args__ = (UniqueConstraint("event_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    phase: Mapped[str] = mapped_column(String(20))
    instruction: Mapped[str] = mapped_column(String(300), default="")
    minutes: Mapped[int | None]


class Countdown(db.Model):
    """A countdown kept on the server's clock: running until `ends_at`, or paused with
    `remaining` seconds, or stopped (neither)."""

    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    duration: Mapped[int] = mapped_column(default=0)  # seconds, as started or extended
    ends_at: Mapped[datetime | None]
    remaining: Mapped[float | None]

    @property
    def running(self) -> bool:
        return self.ends_at is not None

    @property
    def paused(self) -> bool:
        return self.ends_at is None and self.remaining is not None

    @property
    def stopped(self) -> bool:
        return self.ends_at is None and self.remaining is None

    def left(self, now: datetime) -> float | None:
        """Seconds left at `now` (negative once over), None when stopped."""
        if self.ends_at is not None:
            return (self.ends_at - now).total_seconds()
        return self.remaining


class Stage(db.Model):
    """What the plenary shows and how the pitches run, one row per event."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    screen: Mapped[str] = mapped_column(String(10), default="wall")
    pitch_seconds: Mapped[int] = mapped_column(default=PITCH_SECONDS)
    current_pitch_id: Mapped[int | None] = mapped_column(
        ForeignKey("pitch.id", ondelete="SET NULL"))

    # The table the organizer put on the whole wall (« Montrer la table 7 »), or none.
    spotlight_table_id: Mapped[int | None] = mapped_column(
        ForeignKey("table.id", ondelete="SET NULL"))

    current_pitch: Mapped[Pitch | None] = relationship(foreign_keys=[current_pitch_id])


class Pitch(db.Model):
    """A table's place in the pitch queue, and when it pitched."""

    __table_args__ = (UniqueConstraint("table_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("table.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    table: Mapped[Table] = relationship()


class Decision(db.Model):
    """The selection's verdict on a proposal: prototype, to study or not retained."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    verdict: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship()


class SelectionLog(db.Model):
    """Closing and reopening the selection: the latest row says whether it is frozen."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(10))  # closed | reopened
    by: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class Sponsor(db.Model):
    """The sponsor (parrain, marraine) of a prototype and where its follow-up stands."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("proposal.id", ondelete="CASCADE"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    team: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="to_start")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    proposal: Mapped[Proposal] = relationship()
    notes: Mapped[list[FollowUpNote]] = relationship(
        order_by="(FollowUpNote.noted_on, FollowUpNote.id)", cascade="all, delete-orphan",
        back_populates="sponsor")


class FollowUpNote(db.Model):
    """A dated note on a prototype's follow-up, with the status it reported."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sponsor_id: Mapped[int] = mapped_column(
        ForeignKey("sponsor.id", ondelete="CASCADE"), index=True)
    noted_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    sponsor: Mapped[Sponsor] = relationship(back_populates="notes")
