"""Rate limits: how often one address may try a code, one code be tried, one person write.

A view that changes something takes one line, ``@write_limit`` under its auth decorator;
a socket event that changes something calls ``spend_write()``. Both draw on one budget per
person (tests/test_security.py fails on a new write that does neither and is not on its
short list of exemptions). Each limit answers 429 with its own French message (see
web.py's handler).
"""

from flask import current_app, make_response, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from limits import parse

from .auth import current_organizer, current_participant
from .extensions import limiter
from .web import error_answer


def _participant_or_address() -> str:
    me = current_participant()
    if me is not None:
        return f"participant-{me.id}"
    organizer = current_organizer()
    if organizer is not None:
        return f"organizer-{organizer.id}"
    return get_remote_address()


def _typed_code() -> str:
    code = request.form.get("code", "")
    return "code-" + "".join(ch for ch in code.upper() if ch.isalnum())[:16]


# Only wrong attempts count: a whole venue may join from one address (the wifi's NAT).
join_per_address = limiter.limit(
    lambda: current_app.config["RATELIMIT_JOIN"], methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
    error_message=lambda: _("Trop d'essais de code sur cette tablette. Attendez une minute. "
                            "Puis réessayez."))

# Every attempt counts here: it bounds how fast anyone can seat made-up people at a table.
join_per_code = limiter.limit(
    lambda: current_app.config["RATELIMIT_JOIN_CODE"], methods=["POST"],
    key_func=_typed_code,
    error_message=lambda: _("Ce code a été essayé trop de fois. Attendez une minute. "
                            "Puis réessayez."))

# One budget for every write a person makes, whatever the area: posting, editing, voting…
WRITES_SCOPE = "writes"


def too_fast() -> str:
    return _("Vous allez très vite. Attendez quelques secondes. "
             "Ce que vous avez écrit est gardé.")


write_limit = limiter.shared_limit(
    lambda: current_app.config["RATELIMIT_WRITES"], scope=WRITES_SCOPE,
    key_func=_participant_or_address, methods=["POST", "PUT", "PATCH", "DELETE"],
    error_message=too_fast)


# ---- Past capacity: a bounded number of writes in flight per process -------------------
# One gevent process takes every request the moment it arrives; past what its core can do,
# each write waits behind all the others and every tablet's answers (and pushes, and the
# sockets' pings) slow down by seconds. Past `WRITES_IN_FLIGHT` writes being served at once,
# a write is answered at once with 503, Retry-After and a message in the toasts; what the
# person typed stays in the form. Reads and the sockets are never refused here.

_in_flight = {"writes": 0}


def too_busy() -> str:
    return _("Beaucoup de personnes écrivent en même temps. Réessayez dans quelques secondes. "
             "Ce que vous avez écrit est gardé.")


def init_write_gate(app) -> None:
    @app.before_request
    def gate_writes():
        bound = app.config["WRITES_IN_FLIGHT"]
        if not bound or request.method != "POST":
            return
        if _in_flight["writes"] >= bound:
            response = make_response(error_answer(503, too_busy()))
            response.headers["Retry-After"] = "2"
            return response
        _in_flight["writes"] += 1
        request.environ["tablee.counted_write"] = True  # per request, unlike g

    @app.teardown_request
    def write_done(_error=None):
        if request.environ.pop("tablee.counted_write", False):
            _in_flight["writes"] -= 1


def spend_write() -> bool:
    """One write of the person's budget, for what arrives over a socket (no view, so no
    decorator): the same counter as ``write_limit``'s. False when the budget is spent."""
    if not limiter.enabled:
        return True
    limit = parse(current_app.config["RATELIMIT_WRITES"])
    return limiter.limiter.hit(limit, _participant_or_address(), WRITES_SCOPE)
