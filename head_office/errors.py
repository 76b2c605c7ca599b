"""What head office refuses, as domain errors: each has a stable `code` and a sentence, never an
HTTP status. The API layer (head_office.app) maps each class to its status in one place.

`code` is part of the wire protocol (the counter's sync client and docs/head_office.md name
them): never rename one.
"""

from __future__ import annotations

from typing import ClassVar


class Refusal(Exception):
    """A request head office will not act on; the message says why, `seq` names the event."""

    code: ClassVar[str] = "refused"

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.seq = seq


# ---- who is asking -------------------------------------------------------------------------

class NoToken(Refusal):
    code = "no_token"


class UnknownCounter(Refusal):
    """The token belongs to no enrolled counter."""

    code = "bad_token"


class TokenRevoked(Refusal):
    code = "revoked"


class Forbidden(Refusal):
    """The token is good but may not make this call: a counter's token reads its own status
    only; a hall reader's token reads its hall and uploads nothing."""

    code = "forbidden"


# ---- what the events say -------------------------------------------------------------------

class ForeignEvent(Refusal):
    """An event of another hall or counter than the token's."""

    code = "foreign_event"


class ChainBroken(Refusal):
    """The new events do not continue the chain from head office's mark (`seq`: the first bad)."""

    code = "broken_chain"


class AnchorContradicted(Refusal):
    """The upload contradicts the counter's own anchors (another hash at an anchored sequence,
    or a chain that now ends before one); recorded as an incident (`seq`: the first bad)."""

    code = "anchor_contradicted"


class EndsBeforeAnchor(AnchorContradicted):
    code = "ends_before_anchor"


# ---- the request itself --------------------------------------------------------------------

class BadRequest(Refusal):
    """The request's parameters cannot be read."""

    code = "bad_request"


class BadHeader(BadRequest):
    """A header that makes no sense (a Content-Length that is not a number)."""

    code = "bad_header"


class BadPeriod(BadRequest):
    """A month, day or time zone that cannot be read."""

    code = "bad_period"


class MalformedBatch(Refusal):
    """The body is not a batch `{"events": [...]}`."""

    code = "malformed_batch"


class MalformedJson(MalformedBatch):
    code = "malformed_json"


class MalformedEvent(MalformedBatch):
    """One event of the batch has the wrong fields or values."""

    code = "malformed_event"


class UnorderedBatch(MalformedBatch):
    code = "unordered_batch"


class BadGzip(MalformedBatch):
    code = "bad_gzip"


class TooLarge(Refusal):
    """The body is over the size limit, as sent or once gzip is undone."""

    code = "too_large"


class TooManyEvents(TooLarge):
    code = "too_many_events"


class UnsupportedEncoding(Refusal):
    code = "bad_encoding"


class NotFound(Refusal):
    """No such path or method in the API."""

    code = "not_found"


class MethodNotAllowed(NotFound):
    """The path exists, but not with this method."""

    code = "method_not_allowed"


class BodyTimeout(Refusal):
    """The body stopped arriving: no byte for the server's body timeout."""

    code = "body_timeout"


# ---- head office's own state ---------------------------------------------------------------

class Busy(Refusal):
    """Too many uploads at once: come back shortly."""

    code = "busy"


class StoreUnavailable(Refusal):
    """The database is down, locked or out of connections: come back later."""

    code = "unavailable"


class NoPdfFont(Refusal):
    """A PDF was asked for, and the server has no CJK font to draw it with."""

    code = "no_pdf_font"


def all_refusals() -> list[type[Refusal]]:
    """Every refusal class (the base included), for the API's status table and its tests."""
    found: list[type[Refusal]] = [Refusal]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found
