"""Random counter sessions for property tests: the demo's types, an in-memory log, actions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st

from counter_core import events as vocabulary
from counter_core import projection
from counter_core.chain import GENESIS_HASH, Event, seal
from counter_core.ratings import OVERTIME_REASONS, POOR_RATING_REASONS
from counter_core.transaction import CounterError, CounterMachine, Draft, Staff, TransactionType
from tests.helpers.clock import FakeClock

TYPES = (
    TransactionType("payment", "交费", "Payment", 180.0),
    TransactionType("sim", "补换卡", "SIM card", 300.0),
    TransactionType("enquiry", "咨询", "Enquiry", None),
)


class Log:
    """An in-memory event log: sequences and seals drafts as storage does, and projects them.

    Every draft must pass the vocabulary's checks (kind, payload, lifecycle) exactly as the
    counter's append checks it: the state machine must never produce an event it refuses.
    """

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.rows: dict[str, projection.Row] = {}
        self.lifecycle = vocabulary.Lifecycle()

    def __call__(self, drafts: Sequence[Draft]) -> None:
        for draft in drafts:
            problem = self.lifecycle.feed(draft)
            assert problem is None, f"the machine produced an invalid {draft.kind}: {problem}"
            prev = self.events[-1].hash if self.events else GENESIS_HASH
            event = seal(Event(
                seq=len(self.events) + 1, uuid=f"u{len(self.events) + 1}", kind=draft.kind,
                at=f"2026-11-25T08:00:{len(self.events) % 60:02d}.000Z", hall="SH-0001",
                counter="03", payload=draft.payload, prev_hash=prev,
            ))
            self.events.append(event)
            txn = event.payload.get("txn")
            if txn is not None:
                row = projection.apply(self.rows.get(txn), event)
                if row is not None:
                    self.rows[txn] = row


ACTIONS = st.one_of(
    st.tuples(st.just("sign_in"), st.sampled_from(["1001", "1002", "9001"])),
    st.tuples(st.just("sign_out"), st.none()),
    st.tuples(st.just("start"), st.none()),
    st.tuples(st.just("complete"), st.none()),
    st.tuples(st.just("void"), st.none()),
    st.tuples(st.just("next_type"), st.none()),
    st.tuples(st.just("select_type"), st.sampled_from([t.code for t in TYPES])),
    st.tuples(st.just("rate"), st.integers(min_value=0, max_value=6)),
    st.tuples(st.just("rating_reason"), st.sampled_from([c.code for c in POOR_RATING_REASONS])),
    st.tuples(st.just("overtime_reason"), st.sampled_from([c.code for c in OVERTIME_REASONS])),
    st.tuples(st.just("wait"), st.floats(min_value=0.0, max_value=400.0)),
    st.tuples(st.just("expire"), st.none()),
)


def run_actions(actions: list[tuple[str, Any]]) -> tuple[CounterMachine, Log, dict[str, float]]:
    log = Log()
    clock = FakeClock()
    ids = (f"t{n}" for n in itertools.count(1))
    machine = CounterMachine(TYPES, log, rating_window_s=30.0, clock=clock,
                             new_id=lambda: next(ids))
    started_at: dict[str, float] = {}
    durations: dict[str, float] = {}
    for name, arg in actions:
        before = len(log.events)
        try:
            if name == "sign_in":
                machine.sign_in(Staff(arg, "x", "manager" if arg == "9001" else "staff"))
            elif name == "wait":
                clock.advance(arg)
            elif name == "rate":
                machine.rate(arg)
            elif name == "rating_reason":
                machine.give_rating_reason(arg)
            elif name == "overtime_reason":
                machine.give_overtime_reason(arg)
            elif name == "select_type":
                machine.select_type(arg)
            elif name == "start":
                machine.start()
                assert machine.running is not None
                started_at[machine.running.txn] = clock()
            elif name == "complete":
                txn = machine.running.txn if machine.running else None
                machine.complete()
                assert txn is not None
                durations[txn] = clock() - started_at[txn]
            else:
                getattr(machine, name)()
        except CounterError:
            assert len(log.events) == before, f"refused {name} recorded something"
    return machine, log, durations

