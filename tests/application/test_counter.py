"""The running counter's use cases: what callers can do, and how failures reach them."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from pathlib import Path

import pytest

from counter_app import paths
from counter_app.application.counter import Counter
from counter_app.application.errors import (
    ApplicationError,
    CannotOpen,
    DataFolderBusy,
    SignInRefused,
    StorageFailed,
)
from counter_app.cli import main
from counter_app.config import Config
from counter_app.storage import db as db_module
from counter_app.storage.db import DatabaseError
from counter_core.transaction import CounterError, Phase
from tests.helpers.clock import FakeClock


@pytest.fixture
def counter(demo_config: Config, data_dir: Path, clock: FakeClock) -> Counter:
    made = Counter(demo_config, data_dir, clock=clock)
    yield made  # type: ignore[misc]
    made.close()


def payloads(data_dir: Path) -> list[tuple[str, dict[str, object]]]:
    conn = sqlite3.connect(paths.database_path(data_dir))
    try:
        return [(k, json.loads(p)) for k, p in conn.execute(
            "SELECT kind, payload FROM events ORDER BY seq")]
    finally:
        conn.close()


def test_a_transaction_through_the_use_cases(counter: Counter, clock: FakeClock) -> None:
    staff = counter.sign_in("1001", "1234")
    assert staff.number == "1001" and counter.state.staff == staff
    counter.start_transaction()
    assert counter.state.phase is Phase.SERVING
    counter.change_type("sim")
    assert counter.state.running is not None and counter.state.running.type.code == "sim"
    clock.advance(320)
    counter.heartbeat()
    reading = counter.complete()
    assert reading.is_overtime
    counter.give_overtime_reason("complex")
    assert counter.rate(2) and counter.give_rating_reason("slow")
    assert counter.state.rating_time_left() is not None  # the window stays open: fixed from Done
    assert counter.served_today() in (0, 1)  # 1 unless the hall's midnight fell in between
    assert counter.staff_name("1001") == "王芳" and counter.staff_name("7") == "7"
    # log opened, the 4 demo accounts, signed in, started, type, completed, reason, …
    assert counter.last_seq() == 12


def test_the_counter_exposes_no_storage(counter: Counter) -> None:
    """Callers use the use cases and the read-only state, never the parts behind them."""
    for part in ("db", "store", "staff", "machine"):
        assert not hasattr(counter, part), part
    with pytest.raises(AttributeError):
        counter.state.phase = Phase.IDLE  # type: ignore[misc]


def test_sign_in_refusal_is_the_applications_own(counter: Counter) -> None:
    with pytest.raises(SignInRefused, match="wrong PIN") as info:
        counter.sign_in("1001", "0000")
    # the same answer as for an unknown number: no "tries left" that tells real numbers apart
    assert isinstance(info.value, ApplicationError)
    assert info.value.message == "Unknown staff number or wrong PIN"


def test_a_refused_write_is_storage_failed_and_changes_nothing(
    counter: Counter, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT_MS", 100)
    counter.sign_in("1001", "1234")
    before = counter.last_seq()
    intruder = sqlite3.connect(paths.database_path(data_dir), isolation_level=None)
    intruder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageFailed, match="NOT SAVED: the database refused") as info:
            counter.start_transaction()
        assert isinstance(info.value.__cause__, sqlite3.OperationalError)
        assert counter.state.phase is Phase.IDLE
    finally:
        intruder.execute("ROLLBACK")
        intruder.close()
    counter.start_transaction()
    assert counter.last_seq() == before + 1


def test_domain_refusals_stay_counter_errors(counter: Counter) -> None:
    with pytest.raises(CounterError, match="Sign in first"):
        counter.start_transaction()


def test_a_disabled_clerk_cannot_sign_in_at_the_counter(
    demo_config: Config, data_dir: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    Counter(demo_config, data_dir, clock=clock).close()  # the demo accounts
    monkeypatch.setattr(sys, "stdin", io.StringIO("999999\n"))
    assert main(["--data-dir", str(data_dir), "staff", "disable", "--number", "1001",
                 "--manager", "9001", "--manager-pin-stdin"]) == 0
    counter = Counter(demo_config, data_dir, clock=clock)
    try:
        with pytest.raises(SignInRefused) as wrong:
            counter.sign_in("1001", "0000")
        assert wrong.value.message == "Unknown staff number or wrong PIN"
        with pytest.raises(SignInRefused) as right:
            counter.sign_in("1001", "1234")
        assert right.value.message == "This account is disabled"
        assert counter.state.staff is None
        assert counter.sign_in("1002", "1234").number == "1002"  # the others still can
    finally:
        counter.close()
    assert ("staff_disabled", {"staff": "1001", "by": "9001"}) in payloads(data_dir)
    assert not any(kind == "signed_in" and p["staff"] == "1001"
                   for kind, p in payloads(data_dir))


def test_a_second_counter_on_the_folder_is_refused(counter: Counter, demo_config: Config,
                                                   data_dir: Path) -> None:
    with pytest.raises(DataFolderBusy, match="another Counter App is using") as info:
        Counter(demo_config, data_dir)
    assert isinstance(info.value, DatabaseError)  # what the command line already catches


def test_a_newer_schema_is_refused_and_the_folder_let_go(demo_config: Config,
                                                         data_dir: Path) -> None:
    Counter(demo_config, data_dir).close()
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute(f"PRAGMA user_version = {db_module.SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(CannotOpen, match="newer than this app"):
        Counter(demo_config, data_dir)
    conn = sqlite3.connect(paths.database_path(data_dir))
    conn.execute(f"PRAGMA user_version = {db_module.SCHEMA_VERSION}")
    conn.commit()
    conn.close()
    Counter(demo_config, data_dir).close()  # the refused start did not keep the lock


def test_events_carry_staff_numbers_never_names_or_photos(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter = Counter(demo_config, data_dir, clock=clock)
    try:
        counter.sign_in("1001", "1234")
        counter.start_transaction()
        clock.advance(200)
        counter.complete()
        counter.give_overtime_reason("other")
        counter.rate(1)
        counter.give_rating_reason("attitude")
        clock.advance(31)  # the rating window is waited out
        counter.sign_out()
        counter.sign_in("9001", "999999")
        session = counter.manager()
        first, last = session.data.date_span()
        assert first is not None and last is not None
        txn = session.data.review_queue(first, last)[0]["txn"]
        session.desk.review_overtime(txn, "system", "")
        session.desk.follow_up_rating(txn, called_back=True, cause="attitude", resolved=True,
                                      note="")
        session.desk.confirm_star("2026-03", "1001", 4.5)
        counter.sign_out()
    finally:
        counter.close()
    recorded = payloads(data_dir)
    assert {kind for kind, _ in recorded} >= {
        "signed_in", "started", "completed", "rated", "overtime_reviewed",
        "rating_followed_up", "star_confirmed", "signed_out"}
    names = {"王芳", "李强", "张敏", "陈经理"}
    for kind, payload in recorded:
        assert not {"name", "staff_name", "photo"} & set(payload), (kind, payload)
        assert not names & {str(v) for v in payload.values()}, (kind, payload)
    assert [p["manager"] for k, p in recorded if k == "star_confirmed"] == ["9001"]
