"""Demo history: realistic, seeded events of a counter's days, written through the event path.

Opening hours and shifts are local times in the hall's zone (`Config.time_zone`).
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from counter_app.application.counter import open_folder
from counter_app.config import Config
from counter_app.storage.events import EventStore, app_version
from counter_app.storage.folder import Damage
from counter_app.storage.staff import StaffDirectory, ensure_demo_accounts
from counter_core import periods, reviews
from counter_core.chain import CURRENT_FORMAT
from counter_core.events import LOG_OPENED
from counter_core.figures import StaffMonth, suggest_star
from counter_core.ratings import OVERTIME_REASONS, POOR_RATING_REASONS, POOR_RATINGS
from counter_core.transaction import Draft, TransactionType

TimedDraft = tuple[str, Draft]

#: Opening hours, local time; the day is split into a morning and an afternoon shift.
OPEN_AT = dt.time(9, 0)
SHIFT_CHANGE_AT = dt.time(13, 30)
CLOSE_AT = dt.time(18, 0)

#: Demo staff numbers used when the directory has no staff-role accounts.
FALLBACK_STAFF = ("1001", "1002", "1003")
FALLBACK_MANAGER = "9001"

# How each staff member works: handling-time factor and rating bias (half a point at most).
_STAFF_PROFILES: tuple[tuple[float, float], ...] = (
    (0.92, 0.15), (1.00, 0.0), (1.10, -0.10), (0.97, 0.05), (1.05, -0.05),
)

# Share of customers per type code, and (median, sigma) of the log-normal handling time.
_TYPE_MIX: dict[str, float] = {"payment": 0.60, "sim": 0.12, "plan": 0.10, "enquiry": 0.18}
_MEDIAN_FACTOR_OF_TARGET = 0.62  # a type's median handling time as a share of its target
_UNTIMED_MEDIAN_S = 95.0
_SIGMA = 0.38

#: The duty manager reviews most cases a few days later, before opening; a few stay open.
MANAGER_AT = dt.time(8, 10)
#: When a demo log opens on its first day, before anyone works: the marker, the accounts.
LOG_OPENED_AT = dt.time(7, 0)
_REVIEWED = 0.93
_CAUSE_OF_REASON = {"complex": "complex_request", "several": "complex_request",
                    "system": "system", "documents": "missing_documents", "other": "other"}
_FOLLOW_UP_OF_REASON = {"slow": "slow", "attitude": "attitude", "unsolved": "unsolved",
                        "process": "policy", "other": "other"}
_NOTES: dict[str, tuple[str, ...]] = {
    "staff_skill": ("新员工，业务不熟练", "已安排带教"),
    "system": ("营业系统卡顿", "网络中断约十分钟", "CRM 响应慢"),
    "complex_request": ("客户办理多项业务", "套餐比较复杂，解释较久"),
    "missing_documents": ("客户证件过期", "缺少授权委托书"),
    "policy": ("需主管审批", "实名制核验流程"),
    "other": ("客户中途接电话", "客户临时更换业务", "打印机卡纸"),
}
_FOLLOW_UP_NOTES = ("已电话回访，客户表示理解", "已回访并致歉", "客户未接电话，次日再访",
                    "已协调后台处理")

_RATING_WEIGHTS = {5: 0.60, 4: 0.25, 3: 0.08, 2: 0.045, 1: 0.025}
_NOT_RATED = 0.17
_VOID_RATE = 0.012
_CRASH_PER_DAY = 0.03


def _iso(moment: dt.datetime) -> str:
    return periods.format_utc(moment)


@dataclass
class _Shift:
    """One staff member's stint at the counter: the events it produces, in time order."""

    staff: str
    events: list[tuple[float, int, Draft]] = field(default_factory=list)
    _order: int = 0

    def add(self, at: float, kind: str, payload: dict[str, Any]) -> None:
        # the counter keeps its own order for events at the same instant
        self._order += 1
        self.events.append((at, self._order, Draft(kind, payload)))


class DemoHistory:
    """Generates the events of a counter's days; pure apart from the seeded random source."""

    def __init__(
        self,
        types: Sequence[TransactionType],
        staff: Sequence[str],
        *,
        seed: int = 1,
        rating_window_s: float = 30.0,
        void_grace_s: float = 15.0,
        default_type: str | None = None,
        tz: dt.tzinfo | None = None,
        manager: str | None = None,
    ) -> None:
        if not types:
            raise ValueError("at least one transaction type is needed")
        if not staff:
            raise ValueError("at least one staff number is needed")
        self.types = list(types)
        self.staff = list(staff)
        self.rng = random.Random(seed)
        self.rating_window_s = rating_window_s
        self.void_grace_s = void_grace_s
        codes = [t.code for t in self.types]
        self.default = self.types[codes.index(default_type)] if default_type in codes else (
            self.types[0]
        )
        #: the hall's zone: opening hours and shifts are its wall-clock times
        self.tz = tz or periods.zone(periods.DEFAULT_TIME_ZONE)
        #: the duty manager who reviews cases and confirms stars; None: no manager events
        self.manager = manager
        self._backlog: list[tuple[dt.date, Draft]] = []
        # month → staff → [served, rated, rating sum, satisfied, timed, overtime]
        self._months: dict[str, dict[str, list[int]]] = {}
        self._form: dict[str, float] = {}
        self._form_month = 0
        weights = [_TYPE_MIX.get(t.code, 0.08) for t in self.types]
        total = sum(weights)
        self._type_weights = [w / total for w in weights]

    # ---- public ---------------------------------------------------------------------------

    def days(self, first: dt.date, last: dt.date) -> Iterator[tuple[dt.date, list[TimedDraft]]]:
        """Each day's events, oldest day first."""
        day = first
        while day <= last:
            yield day, self.day(day)
            day += dt.timedelta(days=1)

    def day(self, day: dt.date) -> list[TimedDraft]:
        """One opening day: two shifts, each signed in and out, customers in between."""
        rng = self.rng
        if day.month != self._form_month:
            self._form_month = day.month
            self._form = {staff: rng.gauss(0.0, 0.18) for staff in self.staff}
        index = day.toordinal()
        morning = self.staff[index % len(self.staff)]
        afternoon = self.staff[(index + 1) % len(self.staff)]
        opens = self._at(day, OPEN_AT)
        change = self._at(day, SHIFT_CHANGE_AT)
        closes = self._at(day, CLOSE_AT)
        # a slow-system day now and then makes overtime cluster, as it does in real halls
        day_factor = 1.25 if rng.random() < 0.04 else rng.uniform(0.95, 1.05)
        busy = 1.12 if day.weekday() in (0, 5) else 1.0
        crash_at = rng.uniform(opens, closes) if rng.random() < _CRASH_PER_DAY else None

        manager = self.manager
        out: list[TimedDraft] = self._manager_morning(day, manager) if manager else []
        begin = opens - rng.uniform(60, 300)
        for staff, end in ((morning, change), (afternoon, closes)):
            shift = _Shift(staff)
            left = self._serve(shift, begin, end, day_factor * self._skill(staff), busy, crash_at)
            begin = max(left, end) + rng.uniform(60, 240)  # hand-over to the next shift
            for at, _, draft in sorted(shift.events, key=lambda e: (e[0], e[1])):
                out.append((_iso(dt.datetime.fromtimestamp(at, dt.UTC)), draft))
        if manager:
            self._note_cases(day, out, manager)
        return out

    # ---- the duty manager -----------------------------------------------------------------

    def _manager_morning(self, day: dt.date, manager: str) -> list[TimedDraft]:
        """Before opening: last month's star (on the 2nd) and reviews of recent cases."""
        rng = self.rng
        at = self._at(day, MANAGER_AT)
        out: list[TimedDraft] = []

        def emit(draft: Draft) -> None:
            nonlocal at
            out.append((_iso(dt.datetime.fromtimestamp(at, dt.UTC)), draft))
            at += rng.uniform(15, 60)

        previous = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        if day.day == 2 and previous in self._months:
            summary = [StaffMonth(staff, served=v[0], rated=v[1], rating_sum=v[2],
                                  satisfied=v[3], timed=v[4], overtime=v[5], serving_s=0.0,
                                  signed_in_s=0.0)
                       for staff, v in sorted(self._months.pop(previous).items())]
            star = suggest_star(summary).star
            if star is not None:
                emit(reviews.star_confirmation(previous, star.staff, star.score, manager))
        due = [case for case in self._backlog if case[0] <= day]
        self._backlog = [case for case in self._backlog if case[0] > day]
        for _, draft in due:
            emit(draft)
        return out

    def _note_cases(self, day: dt.date, events: list[TimedDraft], manager: str) -> None:
        """Queue the manager's reviews of the day's overtime cases and poor ratings."""
        rng = self.rng
        staff_of: dict[str, str] = {}
        reasons: dict[str, str] = {}
        month = self._months.setdefault(day.strftime("%Y-%m"), {})
        for _, draft in events:
            p = draft.payload
            if draft.kind == "started":
                staff_of[p["txn"]] = p["staff"]
            elif draft.kind == "overtime_reason":
                reasons[p["txn"]] = p["reason"]
            elif draft.kind == "rating_reason":
                reasons["rating:" + p["txn"]] = p["reason"]
        for _, draft in events:
            p = draft.payload
            txn = p.get("txn", "")
            if txn not in staff_of:
                continue
            acc = month.setdefault(staff_of[txn], [0, 0, 0, 0, 0, 0])
            if draft.kind == "completed":
                acc[0] += 1
                if p["target_s"] is not None:
                    acc[4] += 1
                    acc[5] += p["overtime_s"] > 0
                if p["overtime_s"] > 0 and rng.random() < _REVIEWED:
                    when = day + dt.timedelta(days=rng.choice((1, 1, 2, 3, 4)))
                    cause = _CAUSE_OF_REASON.get(reasons.get(txn, ""), "other")
                    if rng.random() < 0.2:
                        cause = rng.choice(("staff_skill", "policy", "system"))
                    note = rng.choice(_NOTES[cause]) if rng.random() < 0.6 or cause == "other" \
                        else ""
                    self._backlog.append(
                        (when, reviews.overtime_review(txn, cause, note, manager)))
            elif draft.kind == "rated":
                acc[1] += 1
                acc[2] += p["rating"]
                acc[3] += p["rating"] >= 4
                if p["rating"] <= 2 and rng.random() < _REVIEWED:
                    when = day + dt.timedelta(days=rng.choice((1, 2, 2, 3, 5)))
                    called = rng.random() < 0.85
                    cause = _FOLLOW_UP_OF_REASON.get(reasons.get("rating:" + txn, ""),
                                                     rng.choice(("slow", "unsolved", "other")))
                    self._backlog.append((when, reviews.rating_follow_up(
                        txn, called_back=called, cause=cause,
                        resolved=called and rng.random() < 0.75,
                        note=rng.choice(_FOLLOW_UP_NOTES) if called else "",
                        manager=manager)))

    # ---- one shift ------------------------------------------------------------------------

    def _serve(self, shift: _Shift, begin: float, end: float, factor: float, busy: float,
               crash_at: float | None) -> float:
        """Serve customers from `begin` until `end`; returns the sign-out time."""
        rng = self.rng
        shift.add(begin, "signed_in", {"staff": shift.staff, "role": "staff"})
        selected = self.default
        ready = begin + rng.uniform(20, 120)  # when the counter can take the next customer
        pending: tuple[str, float] | None = None  # (txn, rating deadline) still unrated
        while True:
            now = ready + rng.expovariate(1.0 / self._gap_mean(ready, busy))
            if now >= end - 60:
                break
            kind = self._pick_type()
            txn = self._uuid()
            if pending:  # the window ran out, or this start closes it (as the machine does)
                shift.add(min(now, pending[1]), "rating_timed_out", {"txn": pending[0]})
            pending = None
            start_type = kind if rng.random() < 0.8 else selected
            shift.add(now, "started", {"txn": txn, "staff": shift.staff, "type": start_type.code,
                                       "target_s": start_type.target_s})
            if rng.random() < _VOID_RATE:
                elapsed = round(rng.uniform(2.0, self.void_grace_s - 1.0), 3)
                shift.add(now + elapsed, "voided", {"txn": txn, "elapsed_s": elapsed})
                selected = start_type
                ready = now + elapsed + rng.uniform(3, 10)
                continue
            duration = self._duration(kind, factor)
            if start_type is not kind:
                self._change_type(shift, txn, now, start_type, kind, duration)
            selected = kind
            if crash_at is not None and now <= crash_at < now + duration:
                ready = self._crash(shift, txn, now, crash_at)
                crash_at = None
                continue
            done, after = self._complete(shift, txn, now, kind, duration)
            pending, rated_by = self._rate(shift, txn, done, duration, kind)
            ready = max(after, rated_by) + rng.uniform(1, 4)
        left = max(end, ready)
        if pending:  # the window ran out, or the sign-out closes it
            shift.add(min(left, pending[1]), "rating_timed_out", {"txn": pending[0]})
        shift.add(left, "signed_out", {"staff": shift.staff})
        return left

    def _change_type(self, shift: _Shift, txn: str, start: float, old: TransactionType,
                     new: TransactionType, duration: float) -> None:
        # F3 cycles through the types, so the change passes through those in between
        rng = self.rng
        at = start + min(duration * 0.5, rng.uniform(3, 25))
        i = self.types.index(old)
        if rng.random() < 0.5:  # picked in the type list rather than cycled with F3
            i = self.types.index(new) - 1
        while True:
            i = (i + 1) % len(self.types)
            step = self.types[i]
            shift.add(at, "type_changed", {"txn": txn, "type": step.code,
                                           "target_s": step.target_s})
            if step is new:
                return
            at += rng.uniform(0.3, 1.0)

    def _complete(self, shift: _Shift, txn: str, start: float, kind: TransactionType,
                  duration: float) -> tuple[float, float]:
        """Done, and the staff's overtime reason; returns (done, when the staff is free)."""
        target = kind.target_s
        # recorded as the counter records it (to the millisecond); a time a fraction of a
        # millisecond over its target is not overtime, and is asked no reason
        overtime = round(max(0.0, duration - target), 3) if target is not None else 0.0
        end = start + duration
        shift.add(end, "completed", {"txn": txn, "duration_s": round(duration, 3),
                                     "target_s": target, "overtime_s": overtime})
        if overtime > 0:  # the machine asks for it before the next start
            reason = self._weighted({"complex": 0.34, "system": 0.2, "documents": 0.2,
                                     "several": 0.18, "other": 0.08})
            assert reason in {c.code for c in OVERTIME_REASONS}
            reason_at = end + self.rng.uniform(1.5, 6)
            shift.add(reason_at, "overtime_reason", {"txn": txn, "reason": reason})
            return end, reason_at
        return end, end

    def _rate(self, shift: _Shift, txn: str, done: float, duration: float,
              kind: TransactionType) -> tuple[tuple[str, float] | None, float]:
        """Rate (or not); returns (the pending (txn, deadline) when unrated, when done rating)."""
        rng = self.rng
        deadline = done + self.rating_window_s
        if rng.random() < _NOT_RATED:
            return (txn, deadline), done
        over = kind.target_s is not None and duration > kind.target_s
        weights = dict(_RATING_WEIGHTS)
        if over:  # overtime costs satisfaction, more the longer it runs
            excess = min(2.0, duration / float(kind.target_s or 1) - 1.0)
            weights[5] *= 0.55 - 0.15 * excess
            weights[2] *= 2.5 + 2 * excess
            weights[1] *= 2.5 + 2 * excess
            weights[3] *= 1.8
        bias = self._bias(shift.staff)
        weights[5] *= 1 + bias
        weights[1] *= 1 - bias
        weights[2] *= 1 - bias
        rating = int(self._weighted({str(k): v for k, v in weights.items()}))
        at = done + rng.uniform(1.0, min(12.0, self.rating_window_s - 1))
        shift.add(at, "rated", {"txn": txn, "rating": rating})
        if rating in POOR_RATINGS and rng.random() < 0.7:
            codes = {"slow": 0.45 if over else 0.15, "attitude": 0.2, "unsolved": 0.25,
                     "process": 0.2, "other": 0.1}
            reason = self._weighted(codes)
            assert reason in {c.code for c in POOR_RATING_REASONS}
            at += rng.uniform(1.0, 6.0)
            shift.add(at, "rating_reason", {"txn": txn, "reason": reason})
        return None, at

    def _crash(self, shift: _Shift, txn: str, start: float, crash_at: float) -> float:
        """Power cut mid-transaction: restart closes it as interrupted and signs in again."""
        rng = self.rng
        restart = crash_at + rng.uniform(90, 400)
        heartbeat = max(0.0, math.floor(crash_at - start))  # the app notes progress each second
        shift.add(restart, "interrupted", {"txn": txn, "elapsed_s": round(heartbeat, 3)})
        shift.add(restart, "signed_out", {"staff": shift.staff, "reason": "interrupted"})
        back = restart + rng.uniform(30, 120)
        shift.add(back, "signed_in", {"staff": shift.staff, "role": "staff"})
        return back

    # ---- distributions --------------------------------------------------------------------

    def _duration(self, kind: TransactionType, factor: float) -> float:
        median = (kind.target_s * _MEDIAN_FACTOR_OF_TARGET if kind.target_s
                  else _UNTIMED_MEDIAN_S) * factor
        return max(15.0, self.rng.lognormvariate(math.log(median), _SIGMA))

    def _gap_mean(self, now: float, busy: float) -> float:
        hour = dt.datetime.fromtimestamp(now, self.tz).hour
        rush = 1.35 if hour in (10, 11, 15, 16) else (0.7 if hour == 12 else 1.0)
        return 70.0 / (rush * busy)

    def _pick_type(self) -> TransactionType:
        return self.rng.choices(self.types, weights=self._type_weights)[0]

    def _weighted(self, weights: dict[str, float]) -> str:
        keys = list(weights)
        return self.rng.choices(keys, weights=[max(0.0, weights[k]) for k in keys])[0]

    def _skill(self, staff: str) -> float:
        return _STAFF_PROFILES[self.staff.index(staff) % len(_STAFF_PROFILES)][0]

    def _bias(self, staff: str) -> float:
        # each month brings its own form, so the star changes hands now and then
        return (_STAFF_PROFILES[self.staff.index(staff) % len(_STAFF_PROFILES)][1]
                + self._form.get(staff, 0.0))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _at(self, day: dt.date, clock: dt.time) -> float:
        return dt.datetime.combine(day, clock, self.tz).timestamp()


# ---- writing --------------------------------------------------------------------------------

class DemoRefused(ValueError):
    """Demo data refused for this data folder (it already holds records); the message says
    why and what to do."""


def demo_marker(version: str | None = None) -> Draft:
    """The first event of a demo log: `log_opened` with `"demo": true` (docs/design.md).

    Counters show "demo data" for such a log and head office marks its chain as demo.
    """
    return Draft(LOG_OPENED, {"app_version": version or app_version(),
                              "chain_format": CURRENT_FORMAT, "demo": True})


@dataclass(frozen=True)
class DemoResult:
    days: int
    events: int
    transactions: int
    seconds: float
    #: a database that failed its check at opening, moved aside (a new one was written)
    damaged: Damage | None = None


def write_demo_history(
    config: Config,
    data_dir: Path,
    days: int,
    *,
    seed: int = 1,
    end: dt.date | None = None,
    progress: Callable[[dt.date, int], None] | None = None,
    reviews_too: bool = True,
) -> DemoResult:
    """Append `days` days of history ending on `end` (default yesterday, in the hall's zone),
    one SQLite transaction per day, under the data folder's writer lock."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    today = periods.today(config.time_zone)
    if end is not None and end > today:
        raise ValueError(f"--end {end} is in the future: demo history ends today at the latest")
    last = end or (today - dt.timedelta(days=1))
    first = last - dt.timedelta(days=days - 1)
    begun = time.perf_counter()
    zone = periods.zone(config.time_zone)
    # the log opens (demo marker, then the demo accounts) before the first day's first event
    opened_at = _iso(dt.datetime.combine(first, LOG_OPENED_AT, tzinfo=zone))
    with open_folder(data_dir) as folder:
        store = EventStore(folder.db, config.hall_id, config.counter_id, now=lambda: opened_at)
        if store.last_seq() > 0:
            # back-dated history goes only into a log nothing else has written to: never in
            # front of or among a counter's real records
            raise DemoRefused(
                f"{data_dir} already holds {store.last_seq()} recorded events; demo data is "
                "written only into a new, empty data folder (give another --data-dir)")
        # the demo marker: the log's first event says that all of it is demo data
        store.append_timed([(opened_at, demo_marker())])
        directory = StaffDirectory(folder.db, store)
        if config.is_demo:
            ensure_demo_accounts(directory)
        accounts = directory.list()
        staff = [r.number for r in accounts if r.role == "staff"] or list(FALLBACK_STAFF)
        managers = [r.number for r in accounts if r.role == "manager"]
        history = DemoHistory(
            config.types, staff, seed=seed, rating_window_s=config.rating_window_s,
            void_grace_s=config.void_grace_s, default_type=config.default_type,
            tz=zone,
            manager=(managers[0] if managers else FALLBACK_MANAGER) if reviews_too else None,
        )
        events, transactions = store.last_seq(), 0
        for day, items in history.days(first, last):
            store.append_timed(items)
            events += len(items)
            transactions += sum(1 for _, d in items if d.kind == "started")
            if progress:
                progress(day, transactions)
    return DemoResult(days, events, transactions, time.perf_counter() - begun, folder.damaged)
