"""Closing the counter through the use case: what is open is recorded, and an interrupted
transaction past its target is an overtime case in the manager's review queue."""

from __future__ import annotations

from pathlib import Path

from counter_app.application.counter import Counter
from counter_app.config import Config
from counter_core.transaction import Phase
from tests.helpers.clock import FakeClock
from tests.helpers.counter import CounterService


def queue(counter: Counter) -> list[dict[str, object]]:
    session = counter.manager("9001")
    first, last = session.data.date_span()
    assert first is not None and last is not None
    return session.data.review_queue(first, last)


def test_closing_at_2_59_plus_is_an_overtime_case(service: CounterService,
                                                  clock: FakeClock) -> None:
    service.sign_in("1001", "1234")
    service.start_transaction()
    clock.advance(181.25)  # a payment's target is 180 s
    assert service.close_counter("closed") is True
    assert service.state.phase is Phase.SIGNED_OUT
    row = next(iter(service.db.query("SELECT * FROM transactions")))
    assert (row["status"], row["duration_s"], row["overtime_s"]) == ("interrupted", 181.25, 1.25)
    cases = queue(service)
    assert [c["txn"] for c in cases] == [row["txn"]]
    assert cases[0]["overtime_s"] == 1.25
    assert service.manager("9001").data.unreviewed_counts()[0] == 1


def test_closing_within_target_is_no_case(service: CounterService, clock: FakeClock) -> None:
    service.sign_in("1001", "1234")
    service.start_transaction()
    clock.advance(100)
    service.close_counter("closed")
    row = next(iter(service.db.query("SELECT * FROM transactions")))
    assert (row["status"], row["overtime_s"]) == ("interrupted", 0.0)
    assert queue(service) == []


def test_a_crash_past_target_is_an_overtime_case_after_restart(
    demo_config: Config, data_dir: Path, clock: FakeClock
) -> None:
    counter = CounterService(demo_config, data_dir, clock=clock)
    counter.sign_in("1001", "1234")
    counter.start_transaction()
    clock.advance(200)
    counter.heartbeat()
    counter.close()  # the app dies: nothing recorded on the way out
    again = CounterService(demo_config, data_dir, clock=clock)
    try:
        assert again.interrupted_at_start == 1
        cases = queue(again)
        assert len(cases) == 1 and cases[0]["overtime_s"] == 20.0
    finally:
        again.close()


def test_closing_with_nothing_open_records_nothing(service: CounterService) -> None:
    before = service.last_seq()
    assert service.close_counter("closed") is False
    assert service.last_seq() == before
