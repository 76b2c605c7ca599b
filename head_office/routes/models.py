"""The wire protocol's limits and its pydantic models: what comes in (`…In`, with field limits)
and what goes out (`…Out`), kept apart so that neither constrains the other."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

API_VERSION = "v1"
MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024  # both as sent and after gzip is undone
MAX_SEQ = 2**31  # sequence numbers are 32-bit in the database
#: generous limits on an event's text fields: a real counter's are far shorter, and the body's
#: 1 MB bounds the payload
MAX_ID_CHARS = 100
MAX_AT_CHARS = 64

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
_HEX64 = r"^[0-9a-f]{64}$"


def _text(max_length: int, description: str) -> Any:
    return Field(max_length=max_length, pattern=_NO_NUL, description=description)


# ---- in ---------------------------------------------------------------------------------

class EventIn(BaseModel):
    """One event exactly as the counter chained it; `hash = SHA-256(prev_hash ‖ canonical JSON
    of the first seven fields)`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seq: Annotated[int, Field(ge=1, lt=MAX_SEQ, description="1, 2, 3, … per counter")]
    uuid: Annotated[str, _text(MAX_ID_CHARS, "the event's UUID")]
    kind: Annotated[str, _text(MAX_ID_CHARS, "one of counter_core.events.KNOWN_KINDS; any other "
                                             "kind is stored and set aside")]
    at: Annotated[str, _text(MAX_AT_CHARS, "UTC, ISO 8601 with milliseconds and Z")]
    hall: Annotated[str, _text(MAX_ID_CHARS, "the token's hall")]
    counter: Annotated[str, _text(MAX_ID_CHARS, "the token's counter")]
    payload: dict[str, Any]
    prev_hash: Annotated[str, Field(pattern=_HEX64, description="64 lowercase hex digits")]
    hash: Annotated[str, Field(pattern=_HEX64, description="64 lowercase hex digits")]


class BatchIn(BaseModel):
    """`POST /api/v1/events`: the events after head office's mark, in rising sequence order."""

    model_config = ConfigDict(extra="forbid", strict=True)

    events: Annotated[list[EventIn], Field(max_length=MAX_EVENTS)]


def _as_typed_dict(model: type[BaseModel], name: str, **override: Any) -> Any:
    """A TypedDict with the model's fields, constraints and configuration (`override`: other
    types for some fields): pydantic checks it as it checks the model, with the same errors,
    without building an instance."""
    fields = {key: override.get(key) or (Annotated[(info.annotation, *info.metadata)]
                                          if info.metadata else info.annotation)
              for key, info in model.model_fields.items()}
    typed_dict: Any = TypedDict  # a TypedDict made at run time, from the model
    checked = typed_dict(name, fields)
    checked.__pydantic_config__ = model.model_config
    return checked


_EventChecked = _as_typed_dict(EventIn, "EventChecked")

#: BatchIn's checks as the upload makes them: the same fields, limits and errors, about five
#: times faster than BatchIn.model_validate (which builds a model object per event only for
#: it to be dropped). BatchIn and EventIn stay the documented schema.
BATCH_CHECK: TypeAdapter[Any] = TypeAdapter(_as_typed_dict(
    BatchIn, "BatchChecked",
    events=Annotated[list[_EventChecked], Field(max_length=MAX_EVENTS)]))  # type: ignore[valid-type]

# ---- out --------------------------------------------------------------------------------

class HighWaterOut(BaseModel):
    """Head office's contiguous high-water mark for one counter."""

    seq: int
    hash: str


class LimitsOut(BaseModel):
    max_events: int
    max_body_bytes: int


class StatusOut(BaseModel):
    hall: str
    counter: str
    high_water: HighWaterOut
    last_sync_at: str | None
    limits: LimitsOut


class SetAsideOut(BaseModel):
    """An event stored and chained (the mark moves past it) but kept out of every projection."""

    seq: int
    kind: str
    reason: str


class UploadOut(BaseModel):
    high_water: HighWaterOut
    stored: int
    duplicates: int
    conflicts: list[int]
    aside: list[SetAsideOut] = Field(
        default_factory=list,
        description='events of kinds this head office does not know ("unknown kind")')
    invalid: list[SetAsideOut] = Field(
        default_factory=list,
        description="events that chain but fail counter_core.validation's schema or lifecycle "
                    "rules (a rating of 999, a negative duration, a second rating, a `started` "
                    "reusing a transaction id, ...): stored and marked invalid with the "
                    "reason, kept out of every projection and report; the mark moves past "
                    "them")
    pending: list[int] = Field(
        default_factory=list,
        description="reviews of a transaction no chain has brought yet: stored and held "
                    "pending, joined to the transaction when it arrives (their sequences)")


class PeriodOut(BaseModel):
    label: str
    start_utc: str
    end_utc: str


class CounterSyncOut(BaseModel):
    counter: str
    high_water_seq: int
    last_sync_at: str | None


class HallOut(BaseModel):
    hall: str
    time_zone: str
    period: PeriodOut
    counters_synced: list[CounterSyncOut]
    total: dict[str, Any] | None
    by_counter: list[dict[str, Any]]
    by_staff: list[dict[str, Any]]
    #: poor ratings without a follow-up past their 好差评 deadline (all time, as of now)
    overdue_follow_ups: int = 0


class HealthOut(BaseModel):
    ok: bool
    api: str


class ErrorOut(BaseModel):
    """The one shape of every error answer."""

    detail: str
    code: str
    seq: int | None = None
