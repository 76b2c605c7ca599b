"""Item 21: hours signed in come from the monotonic clock (signed_out's session_s)."""

from __future__ import annotations

from collections.abc import Iterator

from counter_app.application.manager_figures import month_report
from counter_app.storage import queries
from counter_app.storage.db import Database, connect, migrate
from counter_app.storage.events import EventStore
from counter_core import figures
from counter_core.transaction import CounterMachine, Staff, TransactionType
from tests.helpers.clock import FakeClock

TYPES = (TransactionType("payment", "交费", "Payment", 180.0),)


def _walls(*times: str) -> Iterator[str]:
    yield from times


def test_a_wall_clock_jump_of_30_days_during_a_shift_adds_nothing() -> None:
    db: Database = connect(":memory:")
    migrate(db)
    # sign-in at 09:00, then the PC's clock jumps 30 days ahead; sign-out 8 h later by the
    # monotonic clock
    walls = _walls("2026-03-10T01:00:00.000Z", "2026-04-09T09:00:00.000Z")
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    clock = FakeClock()
    machine = CounterMachine(TYPES, store.append, clock=clock)
    machine.sign_in(Staff("1001", "王芳"))
    clock.advance(8 * 3600)
    machine.sign_out()
    (out,) = [e for e in store.events() if e.kind == "signed_out"]
    assert out.payload["session_s"] == 8 * 3600.0
    start, end = "2026-03-01T00:00:00.000Z", "2026-05-01T00:00:00.000Z"
    signed = figures.signed_in_seconds(queries.sessions(db, start, end), start, end)
    assert signed == {"1001": 8 * 3600.0}  # not 30 days and 8 hours
    report = month_report(db, "2026-03", tz="UTC")
    (month,) = report.staff
    assert month.hours_signed_in == 8.0


def test_closing_the_app_during_a_shift_keeps_the_monotonic_length() -> None:
    db: Database = connect(":memory:")
    migrate(db)
    # the clock jumps 30 days during the shift, and the clerk closes the app mid-transaction
    walls = _walls("2026-03-10T01:00:00.000Z", "2026-04-09T09:00:00.000Z",
                   "2026-04-09T09:00:00.000Z", "2026-04-09T09:00:00.000Z")
    store = EventStore(db, "SH-0001", "03", now=lambda: next(walls))
    clock = FakeClock()
    machine = CounterMachine(TYPES, store.append, clock=clock)
    machine.sign_in(Staff("1001", "王芳"))
    clock.advance(6 * 3600)
    machine.start()
    clock.advance(60)
    machine.close_counter("closed")
    (out,) = [e for e in store.events() if e.kind == "signed_out"]
    assert out.payload == {"staff": "1001", "reason": "closed", "session_s": 6 * 3600.0 + 60}
    report = month_report(db, "2026-03", tz="UTC")
    (month,) = report.staff
    assert month.signed_in_s == 6 * 3600.0 + 60  # not 30 days and 6 hours


def test_old_sign_outs_without_session_s_use_the_wall_clock() -> None:
    entries = [("2026-03-10T01:00:00.000Z", "signed_in", "1001", None),
               ("2026-03-10T03:00:00.000Z", "signed_out", "1001", None),
               ("2026-03-10T04:00:00.000Z", "signed_in", "1002"),
               ("2026-03-10T05:00:00.000Z", "signed_out", "1002")]
    assert figures.signed_in_seconds(entries, "2026-03-10T00:00:00.000Z",
                                     "2026-03-11T00:00:00.000Z") == {"1001": 7200.0,
                                                                     "1002": 3600.0}


def test_a_session_is_clipped_to_the_period_from_its_sign_in() -> None:
    entries = [("2026-03-31T22:00:00.000Z", "signed_in", "1001", None),
               ("2026-05-30T00:00:00.000Z", "signed_out", "1001", 4 * 3600.0)]
    assert figures.signed_in_seconds(entries, "2026-04-01T00:00:00.000Z",
                                     "2026-05-01T00:00:00.000Z") == {"1001": 2 * 3600.0}
    assert figures.session_entry("x", "signed_out", {"staff": "1", "session_s": True}) == (
        "x", "signed_out", "1", None)
