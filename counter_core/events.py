"""The event vocabulary: every kind of event a counter or a manager desk records, the payload
each kind carries, and the lifecycle rules a transaction's events follow.

One name per kind, used by the counter's state machine, its append, the projections and head
office alike, so no module spells a kind as a string literal of its own. The same two checks
serve every writer and reader of a log:

* `validate_payload(kind, payload)` — the payload's fields, types and ranges (plain dict
  checks, cheap enough for the counter's Done → committed path);
* `Lifecycle` — a pure fold of the events into one small state per transaction, whose
  `check(event)` says whether the event may follow the ones before it.

Both return None when the event is fine, else the reason in words (never raise). Events carry
staff numbers, never names or photos: names live in the staff table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from counter_core.ratings import (
    FOLLOW_UP_CAUSES,
    OVERTIME_CAUSES,
    OVERTIME_REASONS,
    POOR_RATING_REASONS,
    POOR_RATINGS,
    is_valid_rating,
    reason_codes,
)
from counter_core.timer import millis

# ---- a clerk at the counter ---------------------------------------------------------------
SIGNED_IN = "signed_in"
SIGNED_OUT = "signed_out"
#: The clerk stepped away ("back soon", 暂离) with the return time picked (`back_at`, UTC), and
#: came back (`away_s`: the monotonic length of the absence). Away time is counted as its own
#: column next to the hours signed in, never as serving.
AWAY_STARTED = "away_started"
AWAY_ENDED = "away_ended"

# ---- one transaction, in lifecycle order ----------------------------------------------------
STARTED = "started"
TYPE_CHANGED = "type_changed"
COMPLETED = "completed"
VOIDED = "voided"
INTERRUPTED = "interrupted"
OVERTIME_REASON = "overtime_reason"
RATED = "rated"
RATING_REASON = "rating_reason"
RATING_TIMED_OUT = "rating_timed_out"

# ---- the duty manager's decisions -------------------------------------------------------------
OVERTIME_REVIEWED = "overtime_reviewed"
RATING_FOLLOWED_UP = "rating_followed_up"
STAR_CONFIRMED = "star_confirmed"

# ---- appeals (申诉): a clerk appeals a poor rating, a manager other than the clerk decides ----
#: recorded in the chain where the clerk is signed in: {txn, staff, reason, note}
RATING_APPEALED = "rating_appealed"
#: recorded by a manager: {txn, upheld, by, note}; an upheld appeal takes the rating out of
#: satisfaction and the star (counter_core.appeals), never out of the log
APPEAL_DECIDED = "appeal_decided"
# ---- follow-ups: the business order number, handing open cases over ---------------------------
#: The clerk typed or scanned the business order number of a transaction (the operator's own
#: number, by which a follow-up finds the customer); never a phone number.
ORDER_NUMBER_SET = "order_number_set"
#: A manager handed open cases over to the next shift's manager: `from`, `to` (staff numbers),
#: `txns` (at most MAX_HANDOVER_TXNS), `note`.
CASES_HANDED_OVER = "cases_handed_over"

# ---- the hall's alerts -------------------------------------------------------------------------
#: A manager acknowledged a hall server's alert at a desk or a counter's hall view: `alert`
#: (its id, 32 hex digits), `alert_kind`, the `counter` it was raised for, its `txn` (absent
#: for a counter not reporting) and `by` (the manager's staff number). Recorded in the chain
#: where it was made; the hall server marks the alert acknowledged when it ingests it (the
#: first acknowledgement stands).
ALERT_ACKNOWLEDGED = "alert_acknowledged"

# ---- the staff accounts (the staff table is their projection) ---------------------------------
#: Events carry the staff number, the role and a digest of the stored PIN hash
#: (counter_core.roster.pin_digest), never a name, a photo, a PIN or the PIN hash itself; `by`
#: is the manager who made the change (null: the first manager of a new data folder, or an
#: account recorded as found when an older data folder was first opened by this version).
STAFF_ADDED = "staff_added"
STAFF_PIN_CHANGED = "staff_pin_changed"
STAFF_ROLE_CHANGED = "staff_role_changed"
#: Five wrong PINs locked the account (for `seconds`); recorded when the lockout starts.
STAFF_LOCKED = "staff_locked"
#: A manager disabled the account (it no longer signs in, nor counts as a manager) or enabled
#: it again; the payload is the number and `by`, nothing else.
STAFF_DISABLED = "staff_disabled"
STAFF_ENABLED = "staff_enabled"
#: `[roster] managed_by = "hall_server"`: the counter's staff table became a cached copy of the
#: hall server's roster at `version` (the roster log's seq and head hash); `digest` commits to
#: the applied accounts (numbers, roles, PIN-hash digests, disabled states: no names, no
#: hashes), `accounts` is how many. The staff table is checked against the last one.
ROSTER_APPLIED = "roster_applied"

# ---- the log itself ---------------------------------------------------------------------------
#: Recorded when a store is opened by an app version or chain format other than the last one
#: recorded; a `log_opened` with chain_format N is the first event hashed in format N.
LOG_OPENED = "log_opened"
#: Recorded at start when the stored chain no longer verifies from the last verified point:
#: names the last good event (sequence and hash) and the first bad one. It is chained to the
#: stored head, so the events from it on form a new segment that verifies again; the events
#: from `first_bad_seq` to the one before it are the broken span.
CHAIN_BREAK_DETECTED = "chain_break_detected"

#: Kinds that concern one transaction (their payload names it as "txn").
TRANSACTION_KINDS = frozenset({
    STARTED, TYPE_CHANGED, COMPLETED, VOIDED, INTERRUPTED, OVERTIME_REASON, RATED,
    RATING_REASON, RATING_TIMED_OUT,
})
#: A manager's decisions: the latest one about a subject supersedes the earlier ones.
REVIEW_KINDS = frozenset({OVERTIME_REVIEWED, RATING_FOLLOWED_UP, STAR_CONFIRMED})
#: An appeal and its decision: they name a transaction (maybe another chain's) like a review.
APPEAL_KINDS = frozenset({RATING_APPEALED, APPEAL_DECIDED})
SESSION_KINDS = frozenset({SIGNED_IN, SIGNED_OUT})
LOG_KINDS = frozenset({LOG_OPENED, CHAIN_BREAK_DETECTED})
AWAY_KINDS = frozenset({AWAY_STARTED, AWAY_ENDED})
FOLLOW_UP_KINDS = frozenset({ORDER_NUMBER_SET, CASES_HANDED_OVER})
STAFF_KINDS = frozenset({STAFF_ADDED, STAFF_PIN_CHANGED, STAFF_ROLE_CHANGED, STAFF_LOCKED,
                         STAFF_DISABLED, STAFF_ENABLED})
#: Every kind this version knows; a server keeps an event of any other kind aside as
#: "unknown kind" instead of refusing the chain, so servers can be upgraded first.
ROSTER_KINDS = frozenset({ROSTER_APPLIED})
ALERT_KINDS = frozenset({ALERT_ACKNOWLEDGED})
KNOWN_KINDS = (TRANSACTION_KINDS | REVIEW_KINDS | APPEAL_KINDS | SESSION_KINDS | LOG_KINDS
               | STAFF_KINDS | AWAY_KINDS | FOLLOW_UP_KINDS | ROSTER_KINDS | ALERT_KINDS)

# ---- bounds -----------------------------------------------------------------------------------
#: The longest plausible target: a day.
MAX_TARGET_S = 24 * 3600.0
#: The longest duration or elapsed time recorded. Longer than any real service on purpose: a
#: transaction left running over a holiday must still be closable with Done (a refused Done
#: would leave the counter unable to finish it or sign out); what it catches is garbage.
MAX_ELAPSED_S = 31 * 24 * 3600.0
MAX_TXN_ID = 64
MAX_STAFF_NUMBER = 32
MAX_CODE = 64
MAX_NOTE = 500
#: An appeal's or an appeal decision's note.
MAX_APPEAL_NOTE = 200
#: Why a clerk appeals a poor rating (labels in counter_core.appeals.APPEAL_REASONS).
APPEAL_REASON_CODES = frozenset({"customer_misunderstood", "system_fault", "wrong_counter",
                                 "other"})
MAX_APP_VERSION = 64
#: The kinds of alert a hall server raises (head_office.alerts).
ALERT_KIND_CODES = frozenset({"overtime", "poor_rating", "not_reporting"})
#: The longest counter id an alert names.
MAX_COUNTER_ID = 64
MAX_ORDER_NUMBER = 40
#: the most transactions one handover names
MAX_HANDOVER_TXNS = 500
#: Field names that would put a person's name or picture into the log.
FORBIDDEN_FIELDS = frozenset({"name", "staff_name", "manager_name", "photo", "pin", "pin_hash"})

_TXN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_STAFF_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORDER_NUMBER = re.compile(r"[A-Za-z0-9\-_/]{1,40}")
#: what a Chinese mobile number looks like, anywhere in a text: never stored
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

OVERTIME_REASON_CODES = reason_codes(OVERTIME_REASONS)
RATING_REASON_CODES = reason_codes(POOR_RATING_REASONS)
OVERTIME_CAUSE_CODES = reason_codes(OVERTIME_CAUSES)
FOLLOW_UP_CAUSE_CODES = reason_codes(FOLLOW_UP_CAUSES)
ROLES = frozenset({"staff", "manager"})


class InvalidEvent(ValueError):
    """An event a log refuses: unknown kind, invalid payload, or out of lifecycle order.

    The message names the kind (and the sequence when known) and the reason.
    """

    def __init__(self, kind: str, reason: str, *, seq: int | None = None) -> None:
        where = f" (sequence {seq})" if seq is not None else ""
        super().__init__(f"refused {kind} event{where}: {reason}")
        self.kind = kind
        self.reason = reason
        self.seq = seq


def is_known(kind: str) -> bool:
    """Whether this version knows the kind (and so can check its payload and lifecycle)."""
    return kind in KNOWN_KINDS


# ---- field checks: each returns None or what is wrong with the value ----------------------------

FieldCheck = Callable[[Any], "str | None"]


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _positive(value: Any) -> bool:
    return _number(value) and bool(value > 0)


def _seconds(value: Any) -> str | None:
    if not _number(value):
        return "must be a finite number of seconds"
    if not 0 <= value <= MAX_ELAPSED_S:
        return f"must be between 0 and {MAX_ELAPSED_S:.0f} s, got {value!r}"
    return None


def _target(value: Any) -> str | None:
    if value is None:
        return None  # untimed
    if not _number(value):
        return "must be a number of seconds or null (untimed)"
    if not 0 < value <= MAX_TARGET_S:
        return f"must be above 0 and at most {MAX_TARGET_S:.0f} s, got {value!r}"
    return None


def _pattern(regex: re.Pattern[str], limit: int, what: str) -> FieldCheck:
    def check(value: Any) -> str | None:
        if not isinstance(value, str) or not 0 < len(value) <= limit \
                or not regex.fullmatch(value):
            return f"must be {what} (letters, digits, . _ - ; at most {limit} characters)"
        return None
    return check


def _text(limit: int) -> FieldCheck:
    def check(value: Any) -> str | None:
        if not isinstance(value, str):
            return "must be text"
        if len(value) > limit:
            return f"is too long ({len(value)} characters, at most {limit})"
        return None
    return check


def _code(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_CODE \
            or _CONTROL.search(value):
        return f"must be a code (non-empty text, at most {MAX_CODE} characters)"
    return None


def _one_of(codes: frozenset[str]) -> FieldCheck:
    def check(value: Any) -> str | None:
        if isinstance(value, str) and value in codes:
            return None
        return f"must be one of {', '.join(sorted(codes))}"
    return check


def _rating(value: Any) -> str | None:
    return None if is_valid_rating(value) else f"must be a whole number 1 to 5, got {value!r}"


def _bool(value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _month(value: Any) -> str | None:
    if isinstance(value, str) and _MONTH.fullmatch(value):
        return None
    return f"must be a month YYYY-MM, got {value!r}"


def _score(value: Any) -> str | None:
    return None if value is None or _number(value) else "must be a number or null"


def _chain_format(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return None
    return f"must be a whole number from 1, got {value!r}"


def _reason_code(value: Any) -> str | None:
    # why a sign-out happened ("interrupted" after a crash); a short code
    return _code(value)


def _seq_number(lowest: int) -> FieldCheck:
    def check(value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= lowest:
            return None
        return f"must be a sequence number from {lowest}, got {value!r}"

    return check


_HEX_HASH = re.compile(r"[0-9a-f]{64}")
_UTC_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def _hex_hash(value: Any) -> str | None:
    if isinstance(value, str) and _HEX_HASH.fullmatch(value):
        return None
    return f"must be a SHA-256 hash in lower-case hex, got {value!r:.80}"


def _utc_time(value: Any) -> str | None:
    if isinstance(value, str) and _UTC_TIME.fullmatch(value):
        return None
    return f"must be a UTC time (ISO 8601 with Z), got {value!r:.80}"


_txn = _pattern(_TXN_ID, MAX_TXN_ID, "a transaction id")
_staff = _pattern(_STAFF_NUMBER, MAX_STAFF_NUMBER, "a staff number")
_note = _text(MAX_NOTE)
_appeal_note = _text(MAX_APPEAL_NOTE)
_app_version = _pattern(re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*"), MAX_APP_VERSION,
                        "a version")

_PIN_DIGEST = re.compile(r"[0-9a-f]{64}")


def _pin_digest(value: Any) -> str | None:
    if isinstance(value, str) and _PIN_DIGEST.fullmatch(value):
        return None
    return "must be the SHA-256 digest (64 hex digits) of the stored PIN hash"


_ALERT_ID = re.compile(r"[0-9a-f]{32}")
_counter_id = _pattern(_STAFF_NUMBER, MAX_COUNTER_ID, "a counter id")


def _alert_id(value: Any) -> str | None:
    if isinstance(value, str) and _ALERT_ID.fullmatch(value):
        return None
    return f"must be an alert id (32 hex digits), got {value!r:.80}"


def _by(value: Any) -> str | None:
    return None if value is None else _staff(value)


def looks_like_phone_number(text: str) -> bool:
    """Whether `text` holds something shaped like a Chinese mobile number (1[3-9] and 9 more
    digits), which no event may carry."""
    return _MOBILE.search(text) is not None


def order_number_problem(value: Any) -> str | None:
    """None for a business order number an event may carry, else the reason in words."""
    if not isinstance(value, str):
        return "must be text"
    if looks_like_phone_number(value):
        return ("looks like a mobile phone number: phone numbers are never stored, give the "
                "business order number")
    if not _ORDER_NUMBER.fullmatch(value):
        return (f"must be 1–{MAX_ORDER_NUMBER} letters, digits, '-', '_' or '/', "
                f"got {value!r}")
    return None


def _txn_list(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of transaction ids"
    if len(value) > MAX_HANDOVER_TXNS:
        return f"names more than {MAX_HANDOVER_TXNS} transactions"
    for item in value:
        problem = _txn(item)
        if problem is not None:
            return f"item {item!r} {problem}"
    if len(set(value)) != len(value):
        return "names a transaction twice"
    return None


def _handover_note(value: Any) -> str | None:
    problem = _note(value)
    if problem is None and looks_like_phone_number(value):
        return "looks like it holds a mobile phone number: phone numbers are never stored"
    return problem


def _roster_version(value: Any) -> str | None:
    """{"seq": n >= 0, "hash": 64 hex digits}: where the hall server's roster log stood."""
    if not isinstance(value, Mapping) or set(value) != {"seq", "hash"}:
        return "must be an object of seq and hash"
    seq = value["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        return "seq must be a whole number, 0 or more"
    return None if _hex_hash(value["hash"]) is None else "hash must be 64 hex digits"


def _count(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return "must be a whole number, 0 or more"
    return None


def is_staff_number(value: object) -> bool:
    """Whether `value` can stand in an event as a staff number (what a staff directory should
    accept as a number, so that a sign-in is never refused later)."""
    return _staff(value) is None


#: field → (check, required); fields not listed are allowed (a newer counter may add one)
#: unless they are in FORBIDDEN_FIELDS.
Schema = Mapping[str, tuple[FieldCheck, bool]]

SCHEMAS: dict[str, Schema] = {
    SIGNED_IN: {"staff": (_staff, True), "role": (_one_of(ROLES), False)},
    # session_s: the session's monotonic length (hours signed in never come from wall-clock
    # differences when it is there; older sign-outs lack it)
    SIGNED_OUT: {"staff": (_staff, True), "reason": (_reason_code, False),
                 "session_s": (_seconds, False)},
    AWAY_STARTED: {"staff": (_staff, True), "back_at": (_utc_time, True)},
    AWAY_ENDED: {"staff": (_staff, True), "away_s": (_seconds, True),
                 "reason": (_reason_code, False)},
    # settings_version: the hall's central settings version the counter ran under (head
    # office's `counter-hq settings set`); absent under the counter's own TOML only
    STARTED: {"txn": (_txn, True), "staff": (_staff, True), "type": (_code, True),
              "target_s": (_target, False), "settings_version": (_seq_number(1), False)},
    # elapsed_s: the time so far; after_target: the elapsed time had already passed a target
    # (passed_target_s), which the transaction keeps counting against (older events lack both)
    TYPE_CHANGED: {"txn": (_txn, True), "type": (_code, True), "target_s": (_target, False),
                   "elapsed_s": (_seconds, False), "after_target": (_bool, False),
                   "passed_target_s": (_target, False)},
    COMPLETED: {"txn": (_txn, True), "duration_s": (_seconds, True),
                "target_s": (_target, False), "overtime_s": (_seconds, False)},
    VOIDED: {"txn": (_txn, True), "elapsed_s": (_seconds, True)},
    INTERRUPTED: {"txn": (_txn, True), "elapsed_s": (_seconds, True),
                  "overtime_s": (_seconds, False)},
    OVERTIME_REASON: {"txn": (_txn, True), "reason": (_one_of(OVERTIME_REASON_CODES), True)},
    # extended_s: the customer asked for more time ("need more time"), and the rating window
    # was lengthened by this much before the event (absent: the usual window)
    RATED: {"txn": (_txn, True), "rating": (_rating, True), "extended_s": (_seconds, False)},
    RATING_REASON: {"txn": (_txn, True), "reason": (_one_of(RATING_REASON_CODES), True),
                    "extended_s": (_seconds, False)},
    RATING_TIMED_OUT: {"txn": (_txn, True), "extended_s": (_seconds, False)},
    # accept_type_change with target_s: the manager's decision about a type changed after
    # its target, and the target the transaction counts against from then on
    OVERTIME_REVIEWED: {"txn": (_txn, True), "cause": (_one_of(OVERTIME_CAUSE_CODES), True),
                        "note": (_note, False), "manager": (_staff, False),
                        "accept_type_change": (_bool, False), "target_s": (_target, False)},
    RATING_FOLLOWED_UP: {"txn": (_txn, True), "cause": (_one_of(FOLLOW_UP_CAUSE_CODES), True),
                         "called_back": (_bool, True),
                         "resolved": (_bool, True), "note": (_note, False),
                         "manager": (_staff, False)},
    ORDER_NUMBER_SET: {"txn": (_txn, True), "order_no": (order_number_problem, True)},
    CASES_HANDED_OVER: {"from": (_staff, True), "to": (_staff, True), "txns": (_txn_list, True),
                        "note": (_handover_note, False)},
    STAR_CONFIRMED: {"month": (_month, True), "staff": (_staff, True), "score": (_score, False),
                     "manager": (_staff, False)},
    RATING_APPEALED: {"txn": (_txn, True), "staff": (_staff, True),
                      "reason": (_one_of(APPEAL_REASON_CODES), True),
                      "note": (_appeal_note, False)},
    APPEAL_DECIDED: {"txn": (_txn, True), "upheld": (_bool, True), "by": (_staff, True),
                     "note": (_appeal_note, False)},
    ALERT_ACKNOWLEDGED: {"alert": (_alert_id, True),
                         "alert_kind": (_one_of(ALERT_KIND_CODES), True),
                         "counter": (_counter_id, True), "txn": (_txn, False),
                         "by": (_staff, True)},
    # demo: true on the first event of a log written by `counter-app demo-data`
    LOG_OPENED: {"app_version": (_app_version, True), "chain_format": (_chain_format, True),
                 "demo": (_bool, False)},
    STAFF_ADDED: {"staff": (_staff, True), "role": (_one_of(ROLES), True),
                  "pin_digest": (_pin_digest, True), "by": (_by, True),
                  "adopted": (_bool, False)},
    STAFF_PIN_CHANGED: {"staff": (_staff, True), "pin_digest": (_pin_digest, True),
                        "by": (_by, True)},
    STAFF_ROLE_CHANGED: {"staff": (_staff, True), "role": (_one_of(ROLES), True),
                         "by": (_by, True)},
    STAFF_LOCKED: {"staff": (_staff, True), "seconds": (_seconds, True)},
    STAFF_DISABLED: {"staff": (_staff, True), "by": (_by, True)},
    STAFF_ENABLED: {"staff": (_staff, True), "by": (_by, True)},
    ROSTER_APPLIED: {"version": (_roster_version, True), "digest": (_hex_hash, True),
                     "accounts": (_count, True)},
    CHAIN_BREAK_DETECTED: {"last_good_seq": (_seq_number(0), True),
                           "last_good_hash": (_hex_hash, True),
                           "first_bad_seq": (_seq_number(1), True),
                           "detected_at": (_utc_time, True)},
}


def validate_payload(kind: str, payload: Any) -> str | None:
    """None when the payload fits the kind's schema, else the reason (naming the field).

    Unknown kinds are not this function's business: it returns None for them, and callers
    decide with `is_known` (the counter refuses them, a server keeps them aside).
    """
    schema = SCHEMAS.get(kind)
    if schema is None:
        return None
    if not isinstance(payload, Mapping):
        return "the payload must be an object"
    for name, (check, required) in schema.items():
        if name not in payload:
            if required:
                return f"{name} is missing"
            continue
        problem = check(payload[name])
        if problem is not None:
            return f"{name} {problem}"
    forbidden = FORBIDDEN_FIELDS.intersection(payload)
    if forbidden:
        return (f"{', '.join(sorted(forbidden))}: events carry staff numbers, never names or "
                "photos")
    if kind == COMPLETED:
        overtime = payload.get("overtime_s", 0.0)
        if overtime > payload["duration_s"] + 0.001:
            return "overtime_s is longer than duration_s"
        if payload.get("target_s") is None and overtime > 0:
            return "overtime_s must be 0 for an untimed transaction"
    return None


# ---- the lifecycle of one transaction -----------------------------------------------------------

RUNNING = "running"
#: rating states after completion
PENDING, RATED_STATE, NOT_RATED = "pending", "rated", "not_rated"


@dataclass(frozen=True)
class TxnState:
    """What the rules need to know about one transaction so far."""

    status: str = RUNNING  # running, completed, voided, interrupted
    overtime: bool = False  # completed over its target
    rating: str | None = None  # None until completed, then pending, rated or not_rated
    poor: bool = False  # rated 1 or 2
    rating_reason: bool = False
    overtime_reason: bool = False
    #: a target passed before a type change (F3), folded from the events only; a projection
    #: row holds its effect (target_s, overtime_s) instead, so states compare without it
    passed_target_s: float | None = field(default=None, compare=False)
    #: the clerk who served it, and its appeal (申诉) so far: appealed once, decided once
    staff: str | None = field(default=None, compare=False)
    appealed: bool = field(default=False, compare=False)
    appeal_decided: bool = field(default=False, compare=False)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> TxnState:
        """The state of a transaction from its projection row (counter_core.projection's
        columns: the counter's transactions table, or head office's)."""
        rating = row.get("rating")
        return cls(
            status=str(row["status"]),
            overtime=_positive(row.get("overtime_s")),
            rating=row.get("rating_status"),
            poor=rating in POOR_RATINGS,
            rating_reason=row.get("rating_reason") is not None,
            overtime_reason=row.get("overtime_reason") is not None,
            staff=None if row.get("staff") is None else str(row["staff"]),
            appealed=bool(row.get("appealed")),
            appeal_decided=bool(row.get("appeal_decided")),
        )


def transition_problem(state: TxnState | None, kind: str, payload: Mapping[str, Any]) -> str | None:
    """None when an event of `kind` may follow a transaction in `state` (None: not started)."""
    if kind in APPEAL_KINDS:
        return appeal_problem(state, kind, payload)
    if kind in REVIEW_KINDS:
        if kind != STAR_CONFIRMED and state is None:
            return f"no transaction {payload.get('txn')!r} to review (unknown transaction)"
        return None
    if kind == ORDER_NUMBER_SET:
        if state is None:
            return f"names unknown transaction {payload.get('txn')!r}"
        if state.status in (VOIDED, INTERRUPTED):
            return f"transaction {payload.get('txn')!r} is {state.status}: no order number"
        return None
    if kind not in TRANSACTION_KINDS:
        return None
    txn = payload.get("txn")
    if kind == STARTED:
        return None if state is None else f"transaction {txn!r} was already started"
    if state is None:
        return f"names unknown transaction {txn!r}"
    if kind in (TYPE_CHANGED, COMPLETED, VOIDED, INTERRUPTED):
        if state.status != RUNNING:
            return f"transaction {txn!r} is {state.status}, not running"
        return None
    if state.status != "completed":
        return f"transaction {txn!r} is {state.status}: only a completed one takes {kind}"
    if kind == OVERTIME_REASON:
        if not state.overtime:
            return f"transaction {txn!r} was not completed in overtime"
        if state.overtime_reason:
            return f"transaction {txn!r} already has an overtime reason"
        return None
    if kind in (RATED, RATING_TIMED_OUT):
        if state.rating == RATED_STATE:
            return f"transaction {txn!r} was already rated"
        if state.rating == NOT_RATED:
            return f"transaction {txn!r}'s rating already timed out"
        return None
    # RATING_REASON
    if state.rating != RATED_STATE or not state.poor:
        return f"transaction {txn!r} has no poor rating to give a reason for"
    if state.rating_reason:
        return f"transaction {txn!r} already has a rating reason"
    return None


def appeal_problem(state: TxnState | None, kind: str, payload: Mapping[str, Any]) -> str | None:
    """The appeal rules: a clerk appeals only their own poor rating (1–2) of a rated
    transaction, once; a manager decides only an appealed one, once per chain, and never their
    own (the appellant is the clerk who served it)."""
    txn = payload.get("txn")
    if state is None:
        return f"no transaction {txn!r} to appeal (unknown transaction)"
    if kind == RATING_APPEALED:
        if state.rating != RATED_STATE or not state.poor:
            return f"transaction {txn!r} has no poor rating (1 or 2) to appeal"
        if state.staff is not None and payload.get("staff") != state.staff:
            return f"transaction {txn!r} was served by another clerk: only they may appeal"
        if state.appealed:
            return f"transaction {txn!r}'s rating was already appealed"
        return None
    # APPEAL_DECIDED
    if not state.appealed:
        return f"transaction {txn!r}'s rating was not appealed: there is nothing to decide"
    if state.appeal_decided:
        return f"the appeal of transaction {txn!r} was already decided"
    if state.staff is not None and payload.get("by") == state.staff:
        return f"manager {payload.get('by')!r} appealed transaction {txn!r}: another decides"
    return None


def advance(state: TxnState | None, kind: str, payload: Mapping[str, Any]) -> TxnState | None:
    """The transaction's state after an event that `transition_problem` allowed."""
    if kind == STARTED:
        return TxnState(staff=payload.get("staff"))
    if state is not None and kind == RATING_APPEALED:
        return replace(state, appealed=True)
    if state is not None and kind == APPEAL_DECIDED:
        return replace(state, appeal_decided=True)
    if state is None or kind not in TRANSACTION_KINDS:
        return state
    if kind == COMPLETED:
        overtime = _positive(payload.get("overtime_s", 0.0))
        passed = state.passed_target_s
        if passed is not None and payload.get("target_s") != passed:
            # the type changed after this target had passed: still overtime against it
            overtime = millis(payload["duration_s"]) > millis(passed)
        return replace(state, status="completed", rating=PENDING, overtime=overtime)
    if kind == TYPE_CHANGED:
        if payload.get("after_target") and state.passed_target_s is None \
                and _number(payload.get("passed_target_s")):
            return replace(state, passed_target_s=float(payload["passed_target_s"]))
        return state
    if kind in (VOIDED, INTERRUPTED):
        return replace(state, status=kind)
    if kind == RATED:
        return replace(state, rating=RATED_STATE, poor=payload.get("rating") in POOR_RATINGS)
    if kind == RATING_TIMED_OUT:
        return replace(state, rating=NOT_RATED)
    if kind == RATING_REASON:
        return replace(state, rating_reason=True)
    if kind == OVERTIME_REASON:
        return replace(state, overtime_reason=True)
    return state


def is_demo_marker(kind: str, payload: Any) -> bool:
    """Whether an event is the demo marker: the `log_opened` with `"demo": true` that
    `counter-app demo-data` writes as the first event of a log (see docs/design.md)."""
    return kind == LOG_OPENED and isinstance(payload, Mapping) and payload.get("demo") is True


class KindAndPayload(Protocol):
    """An event, sealed (`counter_core.chain.Event`) or not yet (`transaction.Draft`)."""

    @property
    def kind(self) -> str: ...

    @property
    def payload(self) -> Mapping[str, Any]: ...


def event_problem(kind: str, payload: Any, state: TxnState | None) -> str | None:
    """Everything wrong with one event, given its transaction's state: kind, payload, rules."""
    if kind not in KNOWN_KINDS:
        return f"unknown kind {kind!r}"
    problem = validate_payload(kind, payload)
    if problem is None:
        problem = transition_problem(state, kind, payload)
    return problem


class Lifecycle:
    """A pure fold of a log's events into one `TxnState` per transaction.

    `check(event)` says what is wrong with the event given the ones fed before (None: it may
    follow them); `apply(event)` folds a checked event in; `feed` does both. `lookup` fetches
    the state of a transaction not seen yet, e.g. from a projection table, so a store checks an
    appended batch without re-reading its whole log.
    """

    def __init__(self, states: Mapping[str, TxnState] | None = None, *,
                 lookup: Callable[[str], TxnState | None] | None = None) -> None:
        self._states: dict[str, TxnState | None] = dict(states or {})
        self._lookup = lookup

    def state(self, txn: str) -> TxnState | None:
        if txn in self._states:
            return self._states[txn]
        found = self._lookup(txn) if self._lookup is not None else None
        self._states[txn] = found
        return found

    def _state_for(self, payload: Any) -> TxnState | None:
        txn = payload.get("txn") if isinstance(payload, Mapping) else None
        return self.state(txn) if isinstance(txn, str) else None

    def check(self, event: KindAndPayload) -> str | None:
        """None when the event is of a known kind, its payload is valid and it may follow."""
        return event_problem(event.kind, event.payload, self._state_for(event.payload))

    def rules_problem(self, event: KindAndPayload) -> str | None:
        """`check` of an event whose kind is known and payload already valid: the lifecycle
        rules only (the payload is not checked a second time)."""
        return transition_problem(self._state_for(event.payload), event.kind, event.payload)

    def apply(self, event: KindAndPayload) -> None:
        if event.kind not in TRANSACTION_KINDS and event.kind not in APPEAL_KINDS:
            return
        txn = event.payload.get("txn")
        if isinstance(txn, str):
            self._states[txn] = advance(self.state(txn), event.kind, event.payload)

    def feed(self, event: KindAndPayload) -> str | None:
        """Check, and apply when fine; the problem otherwise (and the state is unchanged)."""
        problem = self.check(event)
        if problem is None:
            self.apply(event)
        return problem

    def first_problem(self, events: Iterable[Any]) -> tuple[Any, str] | None:
        """Feed the events in order; the first one refused, with the reason, or None."""
        for event in events:
            problem = self.feed(event)
            if problem is not None:
                return event, problem
        return None

