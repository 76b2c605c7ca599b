"""The duty manager's use cases: what the manager view reads, and the decisions it records.

Reads sit behind `ManagerReadModel`, a Protocol: `LocalManagerData` answers it from the
counter's own database; a hall server can answer it later from the whole hall. Decisions
(overtime reviewed, poor rating followed up, star confirmed) go through `ManagerDesk`,
recorded by `LocalManager` as events in the counter's log.

Every local day and month is counted in the hall's time zone (`Config.time_zone`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from counter_app.application.calendar import cached_calendar
from counter_app.application.errors import CannotOpen, InvalidDecision, NotRecorded, StorageFailed
from counter_app.application.manager_figures import (
    LocalDays,
    MonthReport,
    day_spans,
    kpi_report,
    month_report,
)
from counter_app.config import Config
from counter_app.storage import queries
from counter_app.storage.counts import is_demo_log, last_seq
from counter_app.storage.db import Database, DatabaseError
from counter_app.storage.events import EventStore, recorded_breaks
from counter_app.storage.folder import open_data_folder
from counter_core import appeals, periods
from counter_core.chain import ChainBreak
from counter_core.events import InvalidEvent
from counter_core.figures import KpiReport, StarRule
from counter_core.ratings import POOR_RATINGS
from counter_core.reviews import (
    BulkReview,
    ReviewError,
    bulk_overtime_reviews,
    cases_handover,
    overtime_review,
    rating_follow_up,
    star_confirmation,
)
from counter_core.transaction import Draft
from counter_core.workdays import (
    DEFAULT_FOLLOW_UP_WORKING_DAYS,
    WorkCalendar,
    add_working_days,
    due_moment,
)

__all__ = [
    "LocalManager", "LocalManagerData", "ManagerDesk", "ManagerReadModel", "ManagerSession",
    "MonthReport", "Period",
]


@dataclass(frozen=True)
class Period:
    """Local days first..last (inclusive) and an optional staff member and transaction type."""

    first: dt.date | None = None
    last: dt.date | None = None
    staff: str | None = None
    type_code: str | None = None


@dataclass(frozen=True)
class ReviewCases:
    """A period's review queue without each case's details (storage.queries.CASE_COLUMNS
    tuples, newest first) and the transactions whose poor-rating follow-up is overdue."""

    rows: list[tuple[Any, ...]]
    overdue: frozenset[str]


class ManagerReadModel(Protocol):
    """What the manager view reads; one implementation per place the data lives."""

    @property
    def time_zone(self) -> str:
        """The hall's IANA zone the local days and months are counted in."""
        ...

    def review_queue(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        """Overtime cases and poor ratings started on the local days first..last, newest first
        (rows with storage.queries.QUEUE_COLUMNS)."""
        ...

    def review_cases(self, first: dt.date, last: dt.date) -> ReviewCases:
        """The cases of `review_queue` without their details, newest first: what the queue
        filters, counts and sorts by time over; `queue_rows` brings the rows shown."""
        ...

    def queue_rows(self, txns: Sequence[str]) -> list[dict[str, Any]]:
        """The review-queue rows of these transactions (as `review_queue` gives them), in no
        particular order."""
        ...

    def queue_row(self, txn: str) -> dict[str, Any] | None:
        """One review-queue row, fresh after a decision."""
        ...

    def appeal_queue(self) -> list[dict[str, Any]]:
        """Every appealed rating (open or decided), whatever its day, newest appeal first
        (review-queue rows with the appeal columns)."""
        ...

    def overtime_log(self, period: Period) -> list[dict[str, Any]]:
        """Every overtime case in the period (and staff/type filter), oldest first."""
        ...

    def kpi_report(self, first: dt.date, last: dt.date, staff: str | None = None,
                   type_code: str | None = None, *, weekly: bool = False) -> KpiReport:
        """The KPIs and chart figures for the local days first..last and the filter."""
        ...

    def month_report(self, month: str, rule: StarRule | None = None) -> MonthReport:
        """The month YYYY-MM: per-staff summary, suggested and confirmed star."""
        ...

    def confirmed_star(self, month: str) -> dict[str, Any] | None:
        ...

    def staff_names(self) -> dict[str, str]:
        ...

    def staff_in_transactions(self) -> list[str]:
        """Staff numbers that ever served (the staff filter's choices)."""
        ...

    def date_span(self) -> tuple[dt.date | None, dt.date | None]:
        """The local days of the first and last transaction."""
        ...

    def unreviewed_counts(self) -> tuple[int, int]:
        """(overtime cases without a review, poor ratings without a follow-up), all time."""
        ...

    def last_seq(self) -> int:
        """A number that changes whenever new records arrive (the newest event's sequence)."""
        ...

    def overdue_count(self) -> int:
        """Poor ratings without a follow-up past their 好差评 deadline, all time."""
        ...

    def managers(self) -> list[str]:
        """The staff numbers of the enabled managers (whom open cases can be handed over to)."""
        ...

    @property
    def is_demo(self) -> bool:
        """The records are demo data (`counter-app demo-data`): the view says so."""
        ...

    def chain_breaks(self) -> list[ChainBreak]:
        """The breaks in the event chain recorded at start (chain_break_detected), oldest
        first: stored events were changed behind the app's back."""
        ...


class ManagerDesk(Protocol):
    """The duty manager's decisions; each is one event in the log."""

    @property
    def manager(self) -> str:
        """The staff number the decisions are recorded under."""
        ...

    def review_overtime(self, txn: str, cause: str, note: str, *,
                        accept_type_change: bool = False) -> None:
        """`accept_type_change`: for a case whose type was changed after its target, count
        it against the new type's target from now on (else it stays against the target
        passed)."""
        ...

    def follow_up_rating(self, txn: str, *, called_back: bool, cause: str, resolved: bool,
                         note: str) -> None:
        ...

    def confirm_star(self, month: str, staff: str, score: float | None) -> None:
        ...

    def decide_appeal(self, txn: str, *, upheld: bool, note: str) -> None:
        """Uphold or reject a clerk's appeal (申诉) of a poor rating; never the appellant's."""
        ...

    def review_overtime_window(self, start_utc: str, end_utc: str, cause: str,
                               note: str) -> BulkReview:
        """One cause to every overtime case started in [start_utc, end_utc), in one commit;
        the manager's own cases are skipped (and listed)."""
        ...

    def hand_over(self, txns: list[str], to_manager: str, note: str) -> None:
        """Hand open cases over to the next shift's manager (`cases_handed_over`)."""
        ...


class _Deadlines:
    """`follow_up_due` (the local due day, poor ratings only) and `overdue` (no follow-up by
    the end of that day) for queue rows, each local day's deadline counted once (a year's
    queue has thousands of poor ratings on a few hundred days)."""

    def __init__(self, tz: str, days: int, calendar: WorkCalendar, now: dt.datetime) -> None:
        self._tz, self._days, self._calendar, self._now = tz, days, calendar, now
        self._zone = periods.zone(tz)
        self._due: dict[dt.date, tuple[dt.date, dt.datetime]] = {}

    def mark(self, row: dict[str, Any]) -> dict[str, Any]:
        rated_at = row.get("rated_at")
        if rated_at is None:
            row["follow_up_due"], row["overdue"] = None, False
            return row
        day = periods.parse_utc(rated_at).astimezone(self._zone).date()
        found = self._due.get(day)
        if found is None:
            due = add_working_days(day, self._days, self._calendar)
            found = self._due[day] = (due, due_moment(due, self._tz))
        row["follow_up_due"] = found[0]
        row["overdue"] = row.get("followed_up_at") is None and self._now >= found[1]
        return row


class LocalManagerData:
    """`ManagerReadModel` on the counter's own database."""

    def __init__(self, db: Database, time_zone: str, *,
                 calendar: WorkCalendar | None = None,
                 follow_up_days: int = DEFAULT_FOLLOW_UP_WORKING_DAYS,
                 now: Callable[[], dt.datetime] | None = None) -> None:
        self._db = db
        self._tz = time_zone
        self._calendar = calendar if calendar is not None else cached_calendar(None)
        self._follow_up_days = follow_up_days
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._days = LocalDays(time_zone)
        self._weeks = LocalDays(time_zone, weeks=True)
        # the last period's day (or week) spans, kept while only the staff or type changes
        self._spans: tuple[tuple[str, str, bool], list[tuple[dt.date, str, str]]] | None = None

    @property
    def time_zone(self) -> str:
        return self._tz

    def _bounds(self, first: dt.date | None,
                last: dt.date | None) -> tuple[str | None, str | None]:
        return periods.day_bounds_utc(first, last, self._tz)

    def review_queue(self, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
        start, end = self._bounds(first, last)
        rows = queries.follow_up_facts(self._db, queries.review_queue(self._db, start, end),
                                       start)
        deadlines = _Deadlines(self._tz, self._follow_up_days, self._calendar, self._now())
        return self._marked([deadlines.mark(r) for r in rows])

    def review_cases(self, first: dt.date, last: dt.date) -> ReviewCases:
        start, end = self._bounds(first, last)
        rows = queries.review_cases(self._db, start, end)
        at = {name: n for n, name in enumerate(queries.CASE_COLUMNS)}
        rating, followed_up, txn = at["rating"], at["followed_up"], at["txn"]
        # only a poor rating without a follow-up can be overdue: its rating time, from the log
        waiting = [r[txn] for r in rows if r[rating] in POOR_RATINGS and not r[followed_up]]
        deadlines = _Deadlines(self._tz, self._follow_up_days, self._calendar, self._now())
        overdue = frozenset(
            t for t, rated_at in queries.rated_times(self._db, waiting).items()
            if deadlines.mark({"rated_at": rated_at})["overdue"])
        return ReviewCases(rows, overdue)

    def queue_rows(self, txns: Sequence[str]) -> list[dict[str, Any]]:
        try:
            rows = queries.queue_rows(self._db, txns)
            # an order number is set while its transaction runs or waits for its rating: the
            # order_number_set events from the first of these transactions' start on
            since = min((r["started_at"] for r in rows), default=None)
            rows = self._marked(queries.follow_up_facts(self._db, rows, since))
        except sqlite3.Error as exc:  # asked while a table paints: never a traceback there
            raise StorageFailed(f"cannot read the cases' details: {exc}") from exc
        deadlines = _Deadlines(self._tz, self._follow_up_days, self._calendar, self._now())
        return [deadlines.mark(r) for r in rows]

    def _marked(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Queue rows with what this read model adds to them (the hall view: decided twice)."""
        return rows

    def queue_row(self, txn: str) -> dict[str, Any] | None:
        row = queries.queue_row(self._db, txn)
        if row is None:
            return None
        return self._marked([self._with_deadline(queries.follow_up_facts(self._db, [row])[0])])[0]

    def _with_deadline(self, row: dict[str, Any]) -> dict[str, Any]:
        return _Deadlines(self._tz, self._follow_up_days, self._calendar, self._now()).mark(row)

    def overdue_count(self) -> int:
        now = self._now()
        deadlines = _Deadlines(self._tz, self._follow_up_days, self._calendar, now)
        return sum(1 for _, rated_at in queries.open_poor_ratings(self._db)
                   if deadlines.mark({"rated_at": rated_at})["overdue"])

    def managers(self) -> list[str]:
        return queries.manager_numbers(self._db)

    def appeal_queue(self) -> list[dict[str, Any]]:
        return queries.appeal_queue(self._db)

    def overtime_log(self, period: Period) -> list[dict[str, Any]]:
        start, end = self._bounds(period.first, period.last)
        rows = self._with_order_numbers(queries.overtime_log(self._db, start, end), start)
        return [r for r in rows if (not period.staff or r["staff"] == period.staff)
                and (not period.type_code or r["type"] == period.type_code)]

    def _with_order_numbers(self, rows: list[dict[str, Any]],
                            since: str | None) -> list[dict[str, Any]]:
        """Rows with the business order number of each transaction (`order_no`, or None)."""
        orders = queries.order_numbers(self._db, since)
        for r in rows:
            r["order_no"] = orders.get(r["txn"])
        return rows

    def kpi_report(self, first: dt.date, last: dt.date, staff: str | None = None,
                   type_code: str | None = None, *, weekly: bool = False) -> KpiReport:
        start, end = self._bounds(first, last)
        assert start is not None and end is not None
        day_of = self._weeks if weekly else self._days
        key = (start, end, weekly)
        if self._spans is None or self._spans[0] != key:
            self._spans = (key, day_spans(start, end, day_of))
        return kpi_report(self._db, start, end, day_of, staff, type_code, self._spans[1])

    def month_report(self, month: str, rule: StarRule | None = None) -> MonthReport:
        return month_report(self._db, month, rule, tz=self._tz)

    def confirmed_star(self, month: str) -> dict[str, Any] | None:
        return queries.confirmed_star(self._db, month)

    def staff_names(self) -> dict[str, str]:
        return queries.staff_names(self._db)

    def staff_in_transactions(self) -> list[str]:
        return queries.staff_in_transactions(self._db)

    def date_span(self) -> tuple[dt.date | None, dt.date | None]:
        first, last = queries.date_span(self._db)
        return (self._days(first) if first else None, self._days(last) if last else None)

    def unreviewed_counts(self) -> tuple[int, int]:
        return queries.unreviewed_counts(self._db)

    def last_seq(self) -> int:
        return last_seq(self._db)

    @property
    def is_demo(self) -> bool:
        return is_demo_log(self._db)

    def chain_breaks(self) -> list[ChainBreak]:
        return recorded_breaks(self._db)

    def transactions(self, period: Period) -> list[dict[str, Any]]:
        """Every transaction started in the period, oldest first, with the staff name."""
        start, end = self._bounds(period.first, period.last)
        orders = queries.order_numbers(self._db, start)
        rows = ({**r, "order_no": orders.get(r["txn"])}
                for r in queries.transactions(self._db, start, end))
        return [r for r in rows if (not period.staff or r["staff"] == period.staff)
                and (not period.type_code or r["type"] == period.type_code)]


@contextmanager
def read_records(config: Config, data_dir: Path) -> Iterator[LocalManagerData]:
    """The counter's records of `data_dir`, read-only (the counter may run meanwhile).

    Refusals (no database, a damaged one, one older than the manager view) are CannotOpen.
    """
    try:
        folder = open_data_folder(data_dir, readonly=True)
    except DatabaseError as exc:
        raise CannotOpen(str(exc)) from None
    with folder:
        if "reviews" not in folder.db.table_names():
            raise CannotOpen("this database predates the manager view: start counter-app once "
                             "(or run demo-data) to upgrade it")
        yield LocalManagerData(folder.db, config.time_zone,
                               calendar=cached_calendar(data_dir),
                               follow_up_days=config.follow_up_working_days)


class LocalManager:
    """`ManagerDesk` recording into the counter's own event log (its single writer)."""

    def __init__(self, store: EventStore, manager: str) -> None:
        self._store = store
        self._manager = manager

    @property
    def manager(self) -> str:
        return self._manager

    def review_overtime(self, txn: str, cause: str, note: str, *,
                        accept_type_change: bool = False) -> None:
        """Record `overtime_reviewed`: the manager's cause of an overtime case (and, for a
        type changed after its target, whether the change is accepted)."""
        self._refuse_own_case(txn)
        change = queries.type_change(self._store.db, txn)
        self._record(lambda: overtime_review(txn, cause, note, self._manager,
                                             type_change=change,
                                             accept_type_change=accept_type_change))

    def follow_up_rating(self, txn: str, *, called_back: bool, cause: str, resolved: bool,
                         note: str) -> None:
        """Record `rating_followed_up`: the manager's follow-up of a poor rating."""
        self._refuse_own_case(txn)
        self._record(lambda: rating_follow_up(txn, called_back=called_back, cause=cause,
                                              resolved=resolved, note=note,
                                              manager=self._manager))

    def confirm_star(self, month: str, staff: str, score: float | None) -> None:
        """Record `star_confirmed`: the month's service star (never the manager's own)."""
        if staff == self._manager:
            raise InvalidDecision("You cannot confirm yourself as the star: another manager "
                                  "decides it")
        self._record(lambda: star_confirmation(month, staff, score, self._manager))

    def decide_appeal(self, txn: str, *, upheld: bool, note: str) -> None:
        """Record `appeal_decided`: upheld takes the rating out of the figures (not the log).
        The appellant is the clerk who served the transaction: as a manager they never decide
        it (the same rule as their own cases)."""
        self._refuse_own_case(txn)
        row = self._store.transaction(txn)

        def make() -> Draft:
            try:
                return appeals.decision(txn, upheld=upheld, by=self._manager, note=note,
                                        appellant=None if row is None else str(row["staff"]))
            except appeals.AppealError as exc:
                raise ReviewError(str(exc)) from None

        self._record(make)

    def review_overtime_window(self, start_utc: str, end_utc: str, cause: str,
                               note: str) -> BulkReview:
        """Record one `overtime_reviewed` per overtime case started in [start_utc, end_utc)
        (e.g. an outage of the operator's business system), all in one commit; the
        manager's own cases are skipped and returned in `skipped_own`."""
        if end_utc <= start_utc:
            raise InvalidDecision("The window ends before it starts: choose a later end time")
        cases = self._overtime_cases(start_utc, end_utc)
        try:
            bulk = bulk_overtime_reviews(cases, cause, note, self._manager)
        except ReviewError as exc:
            raise InvalidDecision(str(exc)) from None
        self._record_all(list(bulk.drafts))
        return bulk

    def _overtime_cases(self, start_utc: str, end_utc: str) -> list[dict[str, Any]]:
        """The overtime cases started in [start_utc, end_utc) that a window cause covers."""
        return queries.overtime_log(self._store.db, start_utc, end_utc)

    def hand_over(self, txns: list[str], to_manager: str, note: str) -> None:
        """Record `cases_handed_over`: these open cases go to `to_manager`'s shift."""
        self._record(lambda: cases_handover(txns, self._manager, to_manager, note))

    def _refuse_own_case(self, txn: str) -> None:
        """A manager never decides their own cases (a manager who also serves)."""
        row = self._store.transaction(txn)
        if row is not None and row["staff"] == self._manager:
            raise InvalidDecision("This is your own case: another manager decides it")

    def _record(self, make: Callable[[], Draft]) -> None:
        try:
            draft = make()
        except ReviewError as exc:
            raise InvalidDecision(str(exc)) from None
        self._record_all([draft])

    def _record_all(self, drafts: list[Draft]) -> None:
        try:
            self._store.append(drafts)
        except sqlite3.Error as exc:
            raise StorageFailed(str(exc)) from exc
        except InvalidEvent as exc:  # e.g. no such transaction: nothing was committed
            raise NotRecorded(exc.reason) from None


@dataclass(frozen=True)
class ManagerSession:
    """What the manager view works with: the counter's configuration, reads and decisions."""

    config: Config
    data: ManagerReadModel
    desk: ManagerDesk

    @property
    def manager(self) -> str:
        return self.desk.manager

