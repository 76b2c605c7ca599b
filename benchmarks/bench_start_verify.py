"""Verification at start on a 100,000-event log: the first start (no mark: the whole chain),
a start with nothing new since the mark, and one with a day's events (1,500) new.

Usage: PYTHONPATH=. python benchmarks/bench_start_verify.py [EVENTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from counter_app.storage.db import open_counter_db
from counter_app.storage.events import VERIFIED_KEY, EventStore, verify_at_start
from tests.helpers.hq import day_drafts


def main(total: int = 100_000) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = open_counter_db(Path(folder) / "counter.sqlite").db
        store = EventStore(db, "SH-0001", "03", record_opening=True, version="0.2.0")
        seed = 0
        while store.last_seq() < total:
            seed += 1
            store.append_timed(day_drafts(300, seed=seed)[: total - store.last_seq()])
        db.execute("DELETE FROM meta WHERE key = ?", [VERIFIED_KEY])
        db.conn.commit()
        for label in ("first start (whole chain, no mark)", "nothing new since the mark"):
            began = time.perf_counter()
            check = verify_at_start(store)
            print(f"{label}: {check.checked} events in {time.perf_counter() - began:.3f} s")
        store.append_timed(day_drafts(300, seed=seed + 1)[:1500])
        began = time.perf_counter()
        check = verify_at_start(store)
        print(f"a day's events new: {check.checked} events in "
              f"{time.perf_counter() - began:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
