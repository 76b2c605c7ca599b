"""The counter's lifecycle: sign-in, start, type change, done, void, rating, reasons, sign-out.

`CounterMachine` decides what may happen and which events record it. It hands those events to
an injected `record` callable (storage, in the app) and changes its own state only after
`record` has returned, so a screen never shows a state whose event is not yet committed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from counter_core import events
from counter_core.ratings import (
    OVERTIME_REASONS,
    POOR_RATING_REASONS,
    POOR_RATINGS,
    is_valid_rating,
    reason_codes,
)
from counter_core.timer import Clock, ServiceTimer, TimerReading, exceeds_target, monotonic

VOID_GRACE_S = 15.0
THANK_YOU_S = 4.0
#: how much "need more time" adds to the rating window, once per transaction
RATING_EXTENSION_S = 30.0


def interrupted_overtime(elapsed_s: float, target_s: float | None) -> dict[str, float]:
    """The `overtime_s` an interrupted transaction's event carries: its time so far past the
    target, as `completed` records it, so one past its target is an overtime case."""
    if target_s is None:
        return {}
    return {"overtime_s": round(max(0.0, elapsed_s - target_s), 3)}


class CounterError(Exception):
    """An action that is not allowed now; the message is shown to staff as is."""


@dataclass(frozen=True)
class TransactionType:
    code: str
    name_zh: str
    name_en: str
    target_s: float | None = None  # None: untimed

    def name(self, language: str) -> str:
        return self.name_zh if language.startswith("zh") else self.name_en


@dataclass(frozen=True)
class Staff:
    """A signed-in person. Events record only `number` (and `role`): the name and photo are
    for the screens and live in the staff table."""

    number: str
    name: str
    role: str = "staff"  # or "manager"
    photo: str | None = None  # path of a photo for the supervision sign

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"


@dataclass(frozen=True)
class Draft:
    """An event not yet sequenced, timed or hashed: what storage is asked to commit."""

    kind: str
    payload: dict[str, Any]


Record = Callable[[Sequence[Draft]], None]


class Phase(Enum):
    SIGNED_OUT = "signed_out"
    IDLE = "idle"
    SERVING = "serving"


class CustomerView(Enum):
    """What the customer screen shows."""

    CLOSED = "closed"  # nobody signed in
    SIGN = "sign"  # service supervision sign
    SERVICE = "service"  # hourglass
    RATING = "rating"  # five buttons
    REASON = "reason"  # why unhappy?
    THANKS = "thanks"


@dataclass
class Running:
    txn: str
    type: TransactionType
    timer: ServiceTimer
    started_mono: float
    #: the target the transaction had passed when its type was changed (F3), which it keeps
    #: being measured against in the records; None: no type change after a target
    passed_target_s: float | None = None


@dataclass(frozen=True)
class Away:
    """The clerk stepped away ("back soon", 暂离): when they said they would be back (UTC, as
    recorded) and the monotonic instant they left."""

    back_at: str
    since_mono: float


@dataclass
class PendingRating:
    txn: str
    deadline: float
    rating: int | None = None
    reason_given: bool = False
    #: what "need more time" added to the window (0: not asked); the next rating event of the
    #: transaction records it as `extended_s`
    extended_s: float = 0.0

    def extension(self) -> dict[str, float]:
        """The `extended_s` field of a rating event, when the window was lengthened."""
        return {"extended_s": self.extended_s} if self.extended_s else {}

    @property
    def wants_reason(self) -> bool:
        return self.rating in POOR_RATINGS and not self.reason_given


@dataclass(frozen=True)
class Outcome:
    """How the last transaction ended, for a brief note on the staff window.

    `kind` is "voided" or "not_rated"; a rating's value is never an outcome (the staff window
    must not learn it), and "not rated" is known only when the fixed rating window has passed,
    the same moment whatever the customer pressed.
    """

    kind: str
    until: float


@dataclass
class CounterMachine:
    """The state of one counter and the rules for moving it on."""

    types: Sequence[TransactionType]
    record: Record
    default_type: str | None = None
    rating_window_s: float = 30.0
    rating_extension_s: float = RATING_EXTENSION_S
    void_grace_s: float = VOID_GRACE_S
    thank_you_s: float = THANK_YOU_S
    clock: Clock = monotonic
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))

    staff: Staff | None = None
    running: Running | None = None
    rating: PendingRating | None = None
    overtime_reason_for: str | None = None
    last_reading: TimerReading | None = None  # the finished transaction's final reading
    outcome: Outcome | None = None  # a brief "voided" or "not rated" for the staff window
    outcome_s: float = 5.0
    _thanks_until: float = -1.0
    _selected: TransactionType | None = None
    _signed_in_mono: float | None = None  # the monotonic instant of the sign-in
    away: Away | None = None  # "back soon" (暂离) while signed in and idle
    #: the hall's central settings version the types come from (None: the TOML's); every
    #: `started` records it
    settings_version: int | None = None

    def __post_init__(self) -> None:
        if not self.types:
            raise ValueError("at least one transaction type is needed")
        codes = [t.code for t in self.types]
        self._selected = self.types[codes.index(self.default_type)] if (
            self.default_type in codes
        ) else self.types[0]

    @property
    def is_idle(self) -> bool:
        """Nothing under way that a change of types could cut into: no transaction running,
        no rating window open, no overtime reason owed."""
        return self.running is None and not self.rating_open and not self.overtime_reason_for

    def replace_types(self, types: Sequence[TransactionType], default_type: str | None,
                      settings_version: int | None) -> None:
        """New types (central settings applied at an idle moment); CounterError when not idle.
        The selection stays on its code when the new types still have it."""
        if not types:
            raise ValueError("at least one transaction type is needed")
        if not self.is_idle:
            raise CounterError("the types change only while no transaction is under way")
        current = self._selected.code if self._selected is not None else None
        self.types, self.default_type = tuple(types), default_type
        self.settings_version = settings_version
        codes = [t.code for t in self.types]
        keep = current if current in codes else default_type
        self._selected = self.types[codes.index(keep)] if keep in codes else self.types[0]

    # ---- what the screens ask -------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        if self.staff is None:
            return Phase.SIGNED_OUT
        return Phase.SERVING if self.running else Phase.IDLE

    @property
    def presence_phase(self) -> str:
        """The phase the hall board shows: signed_out, idle, serving, rating (waiting for the
        customer) or away (back soon)."""
        if self.away is not None:
            return "away"
        if self.running is None and self.staff is not None and self.rating_open:
            return "rating"
        return self.phase.value

    @property
    def selected_type(self) -> TransactionType:
        assert self._selected is not None
        return self._selected

    def reading(self) -> TimerReading | None:
        return self.running.timer.read() if self.running else None

    def customer_view(self) -> CustomerView:
        if self.running:
            return CustomerView.SERVICE
        now = self.clock()
        if self.rating and now <= self.rating.deadline:
            if self.rating.rating is None:
                return CustomerView.RATING
            if self.rating.wants_reason:
                return CustomerView.REASON
        if now < self._thanks_until:
            return CustomerView.THANKS
        return CustomerView.SIGN if self.staff else CustomerView.CLOSED

    @property
    def customer_has_rated(self) -> bool | None:
        """None while no rating is pending, else whether it came in. Not for the staff window,
        which shows only the waiting and, at the end of the window, "not rated"."""
        return None if self.rating is None else self.rating.rating is not None

    @property
    def rating_open(self) -> bool:
        """The rating window (rating and reasons, one fixed period from Done) is still open."""
        return self.rating is not None and self.clock() <= self.rating.deadline

    def rating_time_left(self) -> float | None:
        """For the staff window: seconds until the rating window closes, None when none is
        open. It depends only on when Done was pressed and on "need more time", never on
        which rating the customer pressed."""
        if self.rating is None:
            return None
        return max(0.0, self.rating.deadline - self.clock())

    def current_outcome(self) -> str | None:
        """"voided" or "not_rated" for a few seconds after it happened, else None."""
        if self.outcome is not None and self.clock() < self.outcome.until:
            return self.outcome.kind
        return None

    def can_void(self) -> bool:
        return bool(self.running and self.running.timer.elapsed_s() <= self.void_grace_s)

    def next_deadline(self) -> float | None:
        """The next monotonic instant at which `expire()` has something to do."""
        now = self.clock()
        candidates = [self._thanks_until] if self._thanks_until > now else []
        if self.outcome is not None and self.outcome.until > now:
            candidates.append(self.outcome.until)
        if self.rating:
            candidates.append(self.rating.deadline)
        return min(candidates) if candidates else None

    # ---- staff actions --------------------------------------------------------------------

    def sign_in(self, staff: Staff) -> None:
        if self.staff is not None:
            raise CounterError(f"{self.staff.name} is still signed in")
        self.record([Draft(events.SIGNED_IN, {"staff": staff.number, "role": staff.role})])
        self.staff = staff
        self._signed_in_mono = self.clock()

    def sign_out(self) -> None:
        staff = self._require_staff()
        if self.running:
            raise CounterError("Finish or void the running transaction before signing out")
        if self.overtime_reason_for:
            raise CounterError("Choose the overtime reason for the last transaction first")
        self._refuse_while_rating_open()
        drafts = self._close_rating_drafts()
        drafts += self._end_away_drafts(staff.number, reason="signed_out")
        drafts.append(self._sign_out_draft(staff.number))
        self.record(drafts)
        self._close_rating()
        self.away = None
        self.staff = None
        self._signed_in_mono = None
        self.overtime_reason_for = None
        self._thanks_until = -1.0

    def start(self) -> None:
        staff = self._require_staff()
        if self.running:
            raise CounterError("A transaction is already running")
        if self.away is not None:
            raise CounterError("Back soon is on: press I'm back first")
        if self.overtime_reason_for:
            raise CounterError("Choose the overtime reason for the last transaction first")
        self._refuse_while_rating_open()
        kind = self.selected_type
        txn = self.new_id()
        drafts = self._close_rating_drafts()
        payload: dict[str, Any] = {
            "txn": txn, "staff": staff.number, "type": kind.code, "target_s": kind.target_s}
        if self.settings_version is not None:
            payload["settings_version"] = self.settings_version
        drafts.append(Draft(events.STARTED, payload))
        started = self.clock()
        self.record(drafts)
        self._close_rating()
        self._thanks_until = -1.0
        self.last_reading = None
        self.outcome = None
        self.running = Running(txn, kind, ServiceTimer(self.clock, kind.target_s), started)

    def step_away(self, back_at: str) -> None:
        """Back soon (暂离): the clerk steps away, saying when they will be back (`back_at`, a
        UTC record time); allowed while signed in and idle, the rating window closed."""
        staff = self._require_staff()
        if self.away is not None:
            raise CounterError("Back soon is already on")
        if self.running:
            raise CounterError("Finish or void the running transaction first")
        if self.overtime_reason_for:
            raise CounterError("Choose the overtime reason for the last transaction first")
        self._refuse_while_rating_open()
        problem = events.validate_payload(events.AWAY_STARTED,
                                          {"staff": staff.number, "back_at": back_at})
        if problem is not None:
            raise CounterError(f"Not a return time: {back_at!r}")
        since = self.clock()
        self.record([Draft(events.AWAY_STARTED, {"staff": staff.number, "back_at": back_at})])
        self.away = Away(back_at, since)

    def come_back(self) -> None:
        """"I'm back": ends the absence, recording its monotonic length."""
        staff = self._require_staff()
        if self.away is None:
            raise CounterError("Back soon is not on")
        self.record(self._end_away_drafts(staff.number))
        self.away = None

    def _end_away_drafts(self, staff: str, *, reason: str | None = None) -> list[Draft]:
        if self.away is None:
            return []
        away_s = round(min(max(0.0, self.clock() - self.away.since_mono), events.MAX_ELAPSED_S),
                       3)
        payload: dict[str, Any] = {"staff": staff, "away_s": away_s}
        if reason is not None:
            payload["reason"] = reason
        return [Draft(events.AWAY_ENDED, payload)]

    def select_type(self, code: str) -> None:
        """Select the type of the next transaction, or change the running one's (F3).

        A change after the running transaction's target has passed is recorded as such
        (`after_target`, with the target passed): it never removes the overtime silently.
        """
        kind = self._type(code)
        run = self.running
        if run and kind != run.type:
            elapsed = round(run.timer.elapsed_s(), 3)
            passed = run.passed_target_s
            if passed is None and exceeds_target(elapsed, run.type.target_s):
                passed = run.type.target_s
            payload: dict[str, Any] = {"txn": run.txn, "type": kind.code,
                                       "target_s": kind.target_s,
                                       "elapsed_s": min(elapsed, events.MAX_ELAPSED_S),
                                       "after_target": passed is not None}
            if passed is not None:
                payload["passed_target_s"] = passed
            self.record([Draft(events.TYPE_CHANGED, payload)])
            run.type = kind
            run.passed_target_s = passed
            run.timer.retarget(kind.target_s)
        self._selected = kind

    def next_type(self) -> None:
        index = list(self.types).index(self.selected_type)
        self.select_type(self.types[(index + 1) % len(self.types)].code)

    def complete(self) -> TimerReading:
        run = self._require_running()
        reading = run.timer.read()
        self.record(
            [
                Draft(
                    events.COMPLETED,
                    {
                        "txn": run.txn,
                        "duration_s": round(reading.elapsed_s, 3),
                        "target_s": reading.target_s,
                        "overtime_s": round(reading.overtime_s, 3),
                    },
                )
            ]
        )
        self.running = None
        self.last_reading = reading
        self.outcome = None
        self.rating = PendingRating(run.txn, self.clock() + self.rating_window_s)
        if reading.is_overtime:
            self.overtime_reason_for = run.txn
        return reading

    def void(self) -> None:
        run = self._require_running()
        elapsed = run.timer.elapsed_s()
        if elapsed > self.void_grace_s:
            raise CounterError(
                f"Void is possible only in the first {self.void_grace_s:.0f} s; press Done instead"
            )
        self.record([Draft(events.VOIDED, {"txn": run.txn, "elapsed_s": round(elapsed, 3)})])
        self.running = None
        self.outcome = Outcome("voided", self.clock() + self.outcome_s)

    def _sign_out_draft(self, staff: str, *, reason: str | None = None) -> Draft:
        """`signed_out` with the session's length on the monotonic clock: a wall-clock jump
        during the shift changes the times of the events, never the hours signed in."""
        payload: dict[str, Any] = {"staff": staff}
        if self._signed_in_mono is not None:
            session = max(0.0, self.clock() - self._signed_in_mono)
            payload["session_s"] = round(min(session, events.MAX_ELAPSED_S), 3)
        if reason is not None:
            payload["reason"] = reason
        return Draft(events.SIGNED_OUT, payload)

    def close_counter(self, reason: str = "closed") -> None:
        """The app is closing (the clerk closed it, or the OS is shutting down): record what is
        open and sign out. A running transaction becomes `interrupted` with its time so far
        (counted like any other, overtime included); an open rating window ends unrated."""
        drafts: list[Draft] = []
        run = self.running
        if run is not None:
            elapsed = min(run.timer.elapsed_s(), events.MAX_ELAPSED_S)
            # a type changed after its target keeps counting against the target passed
            target = (run.passed_target_s if run.passed_target_s is not None
                      else run.type.target_s)
            drafts.append(Draft(events.INTERRUPTED, {"txn": run.txn,
                                                     "elapsed_s": round(elapsed, 3),
                                                     **interrupted_overtime(elapsed, target),
                                                     "reason": reason}))
        drafts += self._close_rating_drafts()
        if self.staff is not None:
            drafts += self._end_away_drafts(self.staff.number, reason=reason)
            drafts.append(self._sign_out_draft(self.staff.number, reason=reason))
        if drafts:
            self.record(drafts)
        self.away = None
        self.running = None
        self._close_rating()
        self.staff = None
        self._signed_in_mono = None
        self.overtime_reason_for = None
        self._thanks_until = -1.0

    def give_overtime_reason(self, code: str) -> None:
        if not self.overtime_reason_for:
            raise CounterError("No overtime transaction is waiting for a reason")
        if code not in reason_codes(OVERTIME_REASONS):
            raise CounterError(f"Unknown overtime reason {code!r}")
        self.record([Draft(events.OVERTIME_REASON,
                           {"txn": self.overtime_reason_for, "reason": code})])
        self.overtime_reason_for = None

    # ---- customer actions -----------------------------------------------------------------

    def rate(self, value: int) -> bool:
        """Record the customer's press; False (and nothing recorded) when it does not count."""
        if not is_valid_rating(value):
            return False
        pending = self.rating
        if pending is None or pending.rating is not None or self.clock() > pending.deadline:
            return False
        self.record([Draft(events.RATED, {"txn": pending.txn, "rating": value,
                                          **pending.extension()})])
        pending.rating = value
        # no fresh window for the reasons after a poor rating: the one window from Done covers
        # the rating and the reasons, so the staff side's wait tells nothing of the value
        if value not in POOR_RATINGS:
            self._thank()
        return True

    def give_rating_reason(self, code: str) -> bool:
        pending = self.rating
        if (
            pending is None
            or not pending.wants_reason
            or self.clock() > pending.deadline
            or code not in reason_codes(POOR_RATING_REASONS)
        ):
            return False
        self.record([Draft(events.RATING_REASON, {"txn": pending.txn, "reason": code,
                                                  **pending.extension()})])
        pending.reason_given = True
        self._thank()
        return True

    def can_extend_rating(self) -> bool:
        """Whether "need more time" would lengthen the open rating window now."""
        pending = self.rating
        return (pending is not None and self.rating_extension_s > 0
                and not pending.extended_s and self.clock() <= pending.deadline
                and (pending.rating is None or pending.wants_reason))

    def extend_rating(self) -> bool:
        """The customer asked for more time (accessibility): the open rating window, rating
        and reasons alike, lengthened once by `rating_extension_s`; False when it does not
        count (no window open, already lengthened, or the customer is done). Nothing is
        recorded now: the rating event that closes the window carries `extended_s`, so the
        log says why it came later than the usual window."""
        if not self.can_extend_rating():
            return False
        assert self.rating is not None
        self.rating.deadline += self.rating_extension_s
        self.rating.extended_s = self.rating_extension_s
        return True

    def expire(self) -> bool:
        """Close a rating window that has run out; True when what the screens show changed."""
        pending = self.rating
        now = self.clock()
        if pending is None or now <= pending.deadline:
            return 0 <= self._thanks_until <= now and self._clear_thanks()
        if pending.rating is None:
            self.record([Draft(events.RATING_TIMED_OUT, {"txn": pending.txn,
                                                         **pending.extension()})])
            self.outcome = Outcome("not_rated", now + self.outcome_s)
        self.rating = None
        return True

    # ---- helpers --------------------------------------------------------------------------

    def _clear_thanks(self) -> bool:
        self._thanks_until = -1.0
        return True

    def _thank(self) -> None:
        self._thanks_until = self.clock() + self.thank_you_s

    def _refuse_while_rating_open(self) -> None:
        """No staff action ends an open rating: the clerk waits the fixed window out."""
        if self.rating_open:
            raise CounterError("Waiting for the customer")

    def _close_rating_drafts(self) -> list[Draft]:
        """A new customer or a sign-out ends the previous one's chance to rate."""
        if self.rating and self.rating.rating is None:
            return [Draft(events.RATING_TIMED_OUT, {"txn": self.rating.txn,
                                                    **self.rating.extension()})]
        return []

    def _close_rating(self) -> None:
        self.rating = None

    def _require_staff(self) -> Staff:
        if self.staff is None:
            raise CounterError("Sign in first")
        return self.staff

    def _require_running(self) -> Running:
        if self.running is None:
            raise CounterError("No transaction is running")
        return self.running

    def _type(self, code: str) -> TransactionType:
        for kind in self.types:
            if kind.code == code:
                return kind
        raise CounterError(f"Unknown transaction type {code!r}")
