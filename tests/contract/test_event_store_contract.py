"""One contract for "an event store", run against every backend that keeps a counter's chain.

A store takes sealed events that continue its chain and keeps them exactly:

* a chain offered in batches is stored, and read back equal, event for event;
* re-sending events it holds is a no-op (duplicates counted, nothing stored twice);
* an event at a used sequence with another hash is a conflict: reported, not stored;
* a batch that does not continue the chain is refused naming the first bad sequence, and
  nothing of it is stored.

Backends, each behind a small adapter: the counter's SQLite `EventStore` (its `accept`), and
head office's `Store` (its `ingest`) on SQLite and on PostgreSQL. The chains come from a real
counter `EventStore`: one written in chain format 1 only, one that switches to format 2
(RFC 8785) part-way through with `log_opened`.
"""

from __future__ import annotations

import dataclasses
import itertools
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pytest

from counter_app.storage.db import open_counter_db
from counter_app.storage.events import ChainRefused, EventStore, verify
from counter_core import events as vocabulary
from counter_core.chain import FORMAT_JCS, FORMAT_PYTHON_JSON, Event, head_of, seal
from counter_core.transaction import Draft
from head_office.store import Refusal, Store
from tests.helpers.hq import PgCluster

HALL = "SH-0200"


# ---- the contract's vocabulary ------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    stored: int
    duplicates: int
    conflicts: list[int]


class Broken(Exception):
    """The backend refused a batch as not continuing its chain, at `seq`."""

    def __init__(self, seq: int | None, message: str) -> None:
        super().__init__(message)
        self.seq = seq


class Backend(Protocol):
    hall: str
    counter: str

    def accept(self, events: Sequence[Event]) -> Outcome: ...

    def read(self) -> list[Event]: ...

    def verify(self) -> str | None: ...


# ---- adapters -----------------------------------------------------------------------------------

class CounterBackend:
    """The counter's own SQLite log, taking sealed events through `EventStore.accept`."""

    def __init__(self, path: Path, hall: str, counter: str) -> None:
        self.hall, self.counter = hall, counter
        self.opened = open_counter_db(path)
        self.store = EventStore(self.opened.db, hall, counter)

    def accept(self, events: Sequence[Event]) -> Outcome:
        try:
            result = self.store.accept(events)
        except ChainRefused as exc:
            raise Broken(exc.seq, str(exc)) from exc
        return Outcome(result.stored, result.duplicates, result.conflicts)

    def read(self) -> list[Event]:
        return list(self.store.events())

    def verify(self) -> str | None:
        report = verify(self.opened.db)
        return None if report.ok else str(report.chain_problem or report.projection_problem)

    def close(self) -> None:
        self.opened.db.conn.close()


class HeadOfficeBackend:
    """Head office's store: a counter enrolled with a token, batches through `ingest`."""

    def __init__(self, store: Store, hall: str, counter: str) -> None:
        self.hall, self.counter = hall, counter
        self.store = store
        self.who = store.authenticate(store.enroll(hall, counter))

    def accept(self, events: Sequence[Event]) -> Outcome:
        try:
            result = self.store.ingest(self.who, events)
        except Refusal as exc:
            if exc.code == "broken_chain":
                raise Broken(exc.seq, exc.message) from exc
            raise
        return Outcome(result.stored, result.duplicates, list(result.conflicts))

    def read(self) -> list[Event]:
        return self.store.events(self.who)

    def verify(self) -> str | None:
        who = self.store.counter(self.hall, self.counter)
        assert who is not None
        return self.store.verify(who)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def hq_sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('contract') / 'hq.sqlite'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def hq_postgres_store(pg_cluster: PgCluster) -> Iterator[Store]:
    store = Store(pg_cluster.new_database("contract"))
    yield store
    store.close()


BACKENDS = ("counter-sqlite", "hq-sqlite", "hq-postgresql")


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    counter = uuid.uuid4().hex[:8]
    made: CounterBackend | HeadOfficeBackend
    if request.param == "counter-sqlite":
        made = CounterBackend(tmp_path / "restored.sqlite", HALL, counter)
    else:
        name = "hq_sqlite_store" if request.param == "hq-sqlite" else "hq_postgres_store"
        made = HeadOfficeBackend(request.getfixturevalue(name), HALL, counter)
    yield made
    made.close()


# ---- the chains: written by a real counter ------------------------------------------------------

def _day(store: EventStore, first: int) -> None:
    t1, t2, t3 = (f"t{first + n}" for n in range(3))
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"})])
    store.append([Draft("started", {"txn": t1, "staff": "1001", "type": "payment",
                                    "target_s": 180.0})])
    store.append([Draft("completed", {"txn": t1, "duration_s": 95.5, "target_s": 180.0,
                                      "overtime_s": 0.0})])
    store.append([Draft("rated", {"txn": t1, "rating": 2}),
                  Draft("rating_reason", {"txn": t1, "reason": "slow"})])
    store.append([Draft("started", {"txn": t2, "staff": "1001", "type": "payment",
                                    "target_s": 180.0})])
    store.append([Draft("type_changed", {"txn": t2, "type": "sim", "target_s": 300.0})])
    store.append([Draft("completed", {"txn": t2, "duration_s": 320.25, "target_s": 300.0,
                                      "overtime_s": 20.25})])
    store.append([Draft("overtime_reason", {"txn": t2, "reason": "complex"}),
                  Draft("rating_timed_out", {"txn": t2})])
    store.append([Draft("started", {"txn": t3, "staff": "1001", "type": "enquiry",
                                    "target_s": None})])
    store.append([Draft("voided", {"txn": t3, "elapsed_s": 4.0})])
    store.append([Draft("overtime_reviewed", {"txn": t2, "cause": "system", "note": "网络慢",
                                              "manager": "9001"})])
    store.append([Draft("signed_out", {"staff": "1001"})])


def written_chain(path: Path, hall: str, counter: str, *, switch: bool) -> list[Event]:
    """Two days at a counter; with `switch`, the app is upgraded to JCS between them."""
    times = (f"2026-11-25T08:{n // 60:02d}:{n % 60:02d}.000Z" for n in itertools.count())
    opened = open_counter_db(path)
    try:
        store = EventStore(opened.db, hall, counter, now=lambda: next(times))
        _day(store, 1)
        if switch:
            store = EventStore(opened.db, hall, counter, now=lambda: next(times),
                               record_opening=True, version="0.3.0")
        _day(store, 4)
        return list(store.events())
    finally:
        opened.db.conn.close()


CHAINS = ("format-1", "format-1-then-2")


@pytest.fixture(params=CHAINS)
def chain(request: pytest.FixtureRequest, backend: Any, tmp_path: Path) -> list[Event]:
    made = written_chain(tmp_path / "source.sqlite", backend.hall, backend.counter,
                         switch=request.param == "format-1-then-2")
    formats = {head_of(made[:n]).chain_format for n in range(1, len(made) + 1)}
    assert formats == ({FORMAT_PYTHON_JSON, FORMAT_JCS} if request.param != "format-1"
                       else {FORMAT_PYTHON_JSON})
    return made


def split(chain: list[Event]) -> int:
    """Where the second batch starts: just after the format switch when there is one."""
    for n, ev in enumerate(chain):
        if ev.kind == vocabulary.LOG_OPENED:
            return n + 1
    return len(chain) // 2


def format_of(chain: list[Event], seq: int) -> int:
    return head_of(chain[:seq]).chain_format


def switches(chain: list[Event]) -> bool:
    return any(ev.kind == vocabulary.LOG_OPENED for ev in chain)


# ---- the contract -------------------------------------------------------------------------------

def test_a_chain_in_batches_is_stored_and_read_back_equal(
    request: pytest.FixtureRequest, backend: Any, chain: list[Event]
) -> None:
    k = split(chain)
    assert backend.accept(chain[:k]) == Outcome(k, 0, [])
    assert backend.accept(chain[k:]) == Outcome(len(chain) - k, 0, [])
    assert backend.read() == chain


def test_a_stored_chain_re_verifies_from_what_is_stored(
    request: pytest.FixtureRequest, backend: Any, chain: list[Event]
) -> None:
    backend.accept(chain)
    assert backend.verify() is None


def test_resending_is_idempotent(request: pytest.FixtureRequest, backend: Any,
                                 chain: list[Event]) -> None:
    k = split(chain)
    backend.accept(chain[:k])
    overlap = chain[k - 3:]  # a lost answer: the counter sends again from an older mark
    assert backend.accept(overlap) == Outcome(len(chain) - k, 3, [])
    assert backend.accept(chain) == Outcome(0, len(chain), [])
    assert backend.read() == chain


def test_a_used_sequence_with_another_hash_is_a_conflict(backend: Any, chain: list[Event]
                                                         ) -> None:
    backend.accept(chain)
    for seq in (3, len(chain) - 1):
        original = chain[seq - 1]
        forged = seal(dataclasses.replace(original, at="2026-11-25T07:00:00.000Z"),
                      format_of(chain, seq))
        assert forged.hash != original.hash
        assert backend.accept([forged]) == Outcome(0, 0, [seq])
    assert backend.read() == chain


def _broken(chain: list[Event], how: str, at: int) -> tuple[list[Event], int]:
    """The chain with a break at index `at`, and the sequence a store must name."""
    bad = list(chain)
    ev = bad[at]
    if how == "gap":
        del bad[at]
    elif how == "edited":  # contents changed, hash left as it was
        bad[at] = dataclasses.replace(ev, payload={**ev.payload, "pad": "x"})
    elif how == "relinked":  # resealed, but linked to the wrong predecessor
        bad[at] = seal(dataclasses.replace(ev, prev_hash=chain[at - 2].hash),
                       format_of(chain, ev.seq))
    elif how == "forged_hash":
        bad[at] = dataclasses.replace(ev, hash="f" * 64)
    return bad, ev.seq


BREAKS = ("gap", "edited", "relinked", "forged_hash")


@pytest.mark.parametrize("how", BREAKS)
def test_a_broken_chain_is_refused_naming_the_first_bad_sequence(
    request: pytest.FixtureRequest, backend: Any, chain: list[Event], how: str
) -> None:
    k = split(chain)
    backend.accept(chain[:k])
    bad, seq = _broken(chain, how, k + 2)
    with pytest.raises(Broken) as refused:
        backend.accept(bad[k:])
    assert refused.value.seq == seq
    assert backend.read() == chain[:k]  # nothing of the refused batch
    assert backend.accept(chain[k:]) == Outcome(len(chain) - k, 0, [])
    assert backend.read() == chain


@pytest.mark.parametrize("how", BREAKS)
def test_a_break_in_a_first_batch_stores_nothing(backend: Any, chain: list[Event], how: str
                                                 ) -> None:
    bad, seq = _broken(chain, how, 4)
    with pytest.raises(Broken) as refused:
        backend.accept(bad)
    assert refused.value.seq == seq
    assert backend.read() == []


def test_a_format_2_event_hashed_in_format_1_is_a_break(backend: Any, chain: list[Event]
                                                        ) -> None:
    if not switches(chain):
        pytest.skip("a chain in format 1 only")
    k = split(chain)
    bad = list(chain)
    ev = chain[k + 1]
    assert seal(ev, FORMAT_PYTHON_JSON).hash != ev.hash
    bad[k + 1] = seal(ev, FORMAT_PYTHON_JSON)  # a writer that missed the switch
    with pytest.raises(Broken) as refused:
        backend.accept(bad)
    assert refused.value.seq == ev.seq
    assert backend.read() == []
