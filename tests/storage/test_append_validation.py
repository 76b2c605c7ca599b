"""The counter's append refuses the events head office marks invalid, for the same reasons
(counter_core.validation and the append share counter_core.events' rules), before anything is
written; the next valid event goes in as if the refused one had never been offered."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_app.storage.db import Database, open_counter_db
from counter_app.storage.events import EventStore, InvalidEvent, verify
from counter_core.transaction import Draft
from counter_core.validation import Validator


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    opened = open_counter_db(tmp_path / "counter.sqlite")
    yield opened.db
    opened.db.conn.close()


@pytest.fixture
def store(db: Database) -> EventStore:
    times = (f"2026-11-25T08:{n // 60:02d}:{n % 60:02d}.000Z" for n in itertools.count())
    return EventStore(db, "SH-0001", "03", now=lambda: next(times))


def started(txn: str) -> Draft:
    return Draft("started", {"txn": txn, "staff": "1001", "type": "payment", "target_s": 180})


def completed(txn: str, duration: float) -> Draft:
    return Draft("completed", {"txn": txn, "duration_s": duration, "target_s": 180,
                               "overtime_s": 0.0})


def rated(txn: str, rating: int) -> Draft:
    return Draft("rated", {"txn": txn, "rating": rating})


#: case → (drafts before the bad one, the bad one, what the reason says, a valid next one)
CASES: dict[str, tuple[list[Draft], Draft, str, Draft]] = {
    "rating of 999": ([started("t1"), completed("t1", 100.0)], rated("t1", 999), "rating",
                      rated("t1", 4)),
    "second rating": ([started("t1"), completed("t1", 100.0), rated("t1", 4)],
                      rated("t1", 1), "already rated", started("t2")),
    "duration of -5000 s": ([started("t1")], completed("t1", -5000.0), "duration_s",
                            completed("t1", 90.0)),
    "started reusing an id": ([started("t1"), completed("t1", 100.0), rated("t1", 4)],
                              started("t1"), "already started", started("t2")),
    "rating of an unknown transaction": ([], rated("nope", 5), "unknown transaction",
                                         started("t1")),
    "done of an unknown transaction": ([], completed("nope", 10.0), "unknown transaction",
                                       started("t1")),
}


@pytest.mark.parametrize("case", list(CASES))
def test_append_refuses_what_head_office_marks_invalid(
    store: EventStore, db: Database, case: str
) -> None:
    before, bad, reason, after = CASES[case]
    store.append([Draft("signed_in", {"staff": "1001", "role": "staff"}), *before])
    held = store.last_seq()
    with pytest.raises(InvalidEvent) as refused:
        store.append([bad])
    assert reason in refused.value.reason
    assert store.last_seq() == held  # nothing written
    # the same reason as head office's validator gives, fed the same events
    validator = Validator()
    for ev in store.events():
        assert validator.feed(ev).ok
    assert validator.feed(bad).reason == refused.value.reason
    # a batch holding the bad event is refused whole
    with pytest.raises(InvalidEvent):
        store.append([after, bad])
    assert store.last_seq() == held
    (stored,) = store.append([after])
    assert stored.seq == held + 1
    assert verify(db).ok
