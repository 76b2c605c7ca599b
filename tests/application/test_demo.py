"""Tests for `counter-app demo-data`: valid chain, machine-shaped events, realistic proportions."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from counter_app import cli, paths
from counter_app.application.counter import Counter as AppCounter
from counter_app.application.demo import DemoHistory, write_demo_history
from counter_app.config import Config
from counter_app.storage.db import DatabaseError, connect
from counter_app.storage.events import verify
from counter_app.storage.folder import lock_data_dir
from counter_core import reviews
from counter_core.ratings import OVERTIME_REASONS, POOR_RATING_REASONS, reason_codes

END = dt.date(2026, 3, 31)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 days of demo history in a data folder of its own (shared: it takes a few seconds)."""
    from counter_app import config as config_module

    data_dir = tmp_path_factory.mktemp("demo") / "data"
    write_demo_history(config_module.load(), data_dir, 30, seed=7, end=END)
    return data_dir


def _rows(data_dir: Path, sql: str) -> list[dict[str, Any]]:
    db = connect(paths.database_path(data_dir), readonly=True)
    try:
        return list(db.query(sql))
    finally:
        db.conn.close()


def test_chain_and_projection_verify(month: Path) -> None:
    db = connect(paths.database_path(month), readonly=True)
    report = verify(db)
    db.conn.close()
    assert report.ok, (report.chain_problem, report.projection_problem)
    assert report.events > 3000


def test_proportions_are_realistic(month: Path) -> None:
    rows = _rows(month, "SELECT * FROM transactions")
    completed = [r for r in rows if r["status"] == "completed"]
    assert 100 * 30 <= len(completed) <= 170 * 30  # ≈ 50,000 a year
    timed = [r for r in completed if r["target_s"] is not None]
    overtime = sum(1 for r in timed if r["overtime_s"] > 0) / len(timed)
    assert 0.05 <= overtime <= 0.15
    rated = [r for r in completed if r["rating_status"] == "rated"]
    participation = len(rated) / len(completed)
    assert 0.7 <= participation <= 0.92  # some not rated
    ratings = Counter(r["rating"] for r in rated)
    satisfied = (ratings[4] + ratings[5]) / len(rated)
    poor = (ratings[1] + ratings[2]) / len(rated)
    assert satisfied >= 0.75 and ratings[5] > ratings[4] > ratings[3]  # skewed positive
    assert 0.02 <= poor <= 0.15
    assert any(r["rating_reason"] for r in rated if r["rating"] <= 2)
    statuses = Counter(r["status"] for r in rows)
    assert 0.002 <= statuses["voided"] / len(rows) <= 0.03
    assert statuses["running"] == 0
    with_reason = sum(1 for r in timed if r["overtime_s"] > 0 and r["overtime_reason"])
    assert with_reason / max(1, overtime * len(timed)) > 0.9
    # handling times spread: the slowest tenth is well above the median
    durations = sorted(r["duration_s"] for r in completed if r["type"] == "payment")
    median, p90 = durations[len(durations) // 2], durations[int(len(durations) * 0.9)]
    assert 80 < median < 160 and p90 > 1.4 * median


def test_the_manager_reviewed_most_older_cases(month: Path) -> None:
    open_overtime = _rows(month, "SELECT COUNT(*) AS n FROM transactions t WHERE overtime_s > 0"
                          " AND txn NOT IN (SELECT txn FROM reviews WHERE subject = 'overtime')"
                          " AND started_at < '2026-03-25'")[0]["n"]
    reviewed = _rows(month, "SELECT subject, COUNT(*) AS n FROM reviews GROUP BY subject")
    counts = {r["subject"]: r["n"] for r in reviewed}
    assert counts["overtime"] > 10 * open_overtime  # a few older cases stay open
    assert counts["rating"] > 50
    recent = _rows(month, "SELECT COUNT(*) AS n FROM transactions WHERE overtime_s > 0"
                          " AND started_at >= '2026-03-31' AND txn IN (SELECT txn FROM reviews)")
    assert recent[0]["n"] == 0  # yesterday's cases wait for the manager
    assert _rows(month, "SELECT month FROM stars") == []  # March's star is named on 2 April


def test_the_manager_confirms_last_months_star_on_the_second(demo_config: Config) -> None:
    gen = DemoHistory(demo_config.types, ["1001", "1002", "1003"], seed=2, tz=dt.UTC,
                      manager="9001")
    days = dict(gen.days(dt.date(2026, 2, 1), dt.date(2026, 3, 2)))
    stars = [(at, d.payload) for at, d in days[dt.date(2026, 3, 2)] if d.kind == "star_confirmed"]
    assert len(stars) == 1
    at, payload = stars[0]
    assert payload["month"] == "2026-02" and at.startswith("2026-03-02T08:1")
    assert payload["staff"] in {"1001", "1002", "1003"} and payload["score"] > 3.5
    assert not any(d.kind == "star_confirmed" for day, items in days.items()
                   if day != dt.date(2026, 3, 2) for _, d in items)


def test_every_staff_member_has_shifts_and_types_change(month: Path) -> None:
    kinds = Counter(r["kind"] for r in _rows(month, "SELECT kind FROM events"))
    assert kinds["signed_in"] == kinds["signed_out"] >= 60
    assert kinds["type_changed"] > 0
    staff = {r["staff"] for r in _rows(month, "SELECT DISTINCT staff FROM transactions")}
    assert staff == {"1001", "1002", "1003"}


def test_events_follow_the_counter_rules(month: Path) -> None:
    """Replay the log against the rules CounterMachine enforces."""
    events = _rows(month, "SELECT * FROM events ORDER BY seq")
    signed_in: str | None = None
    running: dict[str, Any] | None = None
    pending_rating: str | None = None
    pending_reason: str | None = None
    waiting_reason: str | None = None
    targets: dict[str, float | None] = {}
    overtime: set[str] = set()
    poor: set[str] = set()
    last_at = ""
    for e in events:
        p = json.loads(e["payload"])
        kind = e["kind"]
        if kind.startswith("staff_"):
            continue  # the demo accounts, recorded (now) when the folder was made
        assert e["at"] >= last_at, f"time goes backwards at {e['seq']}"
        last_at = e["at"]
        if kind == "signed_in":
            assert signed_in is None
            assert set(p) == {"staff", "role"}
            signed_in = p["staff"]
        elif kind == "signed_out":
            assert signed_in == p["staff"] and running is None
            signed_in = pending_rating = waiting_reason = None
        elif kind == "started":
            assert signed_in == p["staff"] and running is None and waiting_reason is None
            assert pending_rating is None, f"rating window left open at {e['seq']}"
            assert set(p) == {"txn", "staff", "type", "target_s"}
            running = p
            targets[p["txn"]] = p["target_s"]
            pending_reason = None
        elif kind == "type_changed":
            assert running and running["txn"] == p["txn"]
            assert set(p) == {"txn", "type", "target_s"}
            targets[p["txn"]] = p["target_s"]
        elif kind == "completed":
            assert running and running["txn"] == p["txn"]
            assert set(p) == {"txn", "duration_s", "target_s", "overtime_s"}
            assert p["target_s"] == targets[p["txn"]]
            expected = max(0.0, p["duration_s"] - p["target_s"]) if p["target_s"] else 0.0
            assert p["overtime_s"] == pytest.approx(expected, abs=0.002)
            running = None
            pending_rating = p["txn"]
            waiting_reason = p["txn"] if p["overtime_s"] > 0 else None
            if p["overtime_s"] > 0:
                overtime.add(p["txn"])
        elif kind == "overtime_reason":
            assert waiting_reason == p["txn"] and p["reason"] in reason_codes(OVERTIME_REASONS)
            waiting_reason = None
        elif kind == "rated":
            assert pending_rating == p["txn"] and 1 <= p["rating"] <= 5
            pending_rating = None
            pending_reason = p["txn"] if p["rating"] <= 2 else None
            if p["rating"] <= 2:
                poor.add(p["txn"])
        elif kind == "rating_reason":
            assert pending_reason == p["txn"]
            assert p["reason"] in reason_codes(POOR_RATING_REASONS)
            pending_reason = None
        elif kind == "rating_timed_out":
            assert pending_rating == p["txn"]
            pending_rating = None
        elif kind == "voided":
            assert running and running["txn"] == p["txn"] and p["elapsed_s"] <= 15
            running = None
        elif kind == "interrupted":
            assert running and running["txn"] == p["txn"]
            running = None
        elif kind == "overtime_reviewed":
            assert p["txn"] in overtime and p["cause"] in reason_codes(reviews.OVERTIME_CAUSES)
            assert p["manager"] == "9001" and (p["note"] or p["cause"] != "other")
            assert signed_in is None  # before opening
        elif kind == "rating_followed_up":
            assert p["txn"] in poor and p["cause"] in reason_codes(reviews.FOLLOW_UP_CAUSES)
        elif kind == "star_confirmed":
            assert p["month"] < e["at"][:7] and p["staff"] in {"1001", "1002", "1003"}
        elif kind == "log_opened":
            assert e["seq"] == 1 and p["demo"] is True  # the demo marker, first and only once
        else:
            pytest.fail(f"unexpected kind {kind}")
    assert signed_in is None and running is None


def test_same_seed_same_history(demo_config: Config) -> None:
    def history(seed: int) -> list[tuple[str, str, dict[str, Any]]]:
        gen = DemoHistory(demo_config.types, ["1001", "1002"], seed=seed, tz=dt.UTC)
        return [(at, d.kind, d.payload) for at, d in gen.day(dt.date(2026, 1, 5))]

    assert history(3) == history(3)
    assert history(3) != history(4)
    assert history(3)[0][0].startswith("2026-01-05T08:5")


def test_refuses_a_folder_the_app_has_recorded_in(demo_config: Config, data_dir: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Back-dated history never goes in front of or among real records."""
    service = AppCounter(demo_config, data_dir)
    service.sign_in("1001", "1234")
    service.sign_out()
    before = service.last_seq()
    assert not service.is_demo
    service.close()
    with pytest.raises(ValueError, match=f"already holds {before} recorded events"):
        write_demo_history(demo_config, data_dir, 2, seed=1, end=dt.date(2026, 2, 1))
    assert cli.main(["demo-data", "--days", "1", "--data-dir", str(data_dir)]) == 2
    assert "empty data folder" in capsys.readouterr().err
    rows = _rows(data_dir, "SELECT seq, kind FROM events ORDER BY seq")
    assert len(rows) == before  # nothing written


def test_a_demo_log_starts_with_the_marker_and_says_so(demo_config: Config,
                                                        data_dir: Path) -> None:
    write_demo_history(demo_config, data_dir, 2, seed=1, end=dt.date(2026, 2, 1))
    first = _rows(data_dir, "SELECT seq, kind, payload FROM events ORDER BY seq LIMIT 2")
    assert first[0]["kind"] == "log_opened" and json.loads(first[0]["payload"])["demo"] is True
    assert first[0]["seq"] == 1
    service = AppCounter(demo_config, data_dir)  # the app opens it as usual, and knows
    try:
        assert service.is_demo
        assert service.manager("9001").data.is_demo
    finally:
        service.close()
    with pytest.raises(ValueError, match="empty data folder"):  # and no second helping
        write_demo_history(demo_config, data_dir, 1, seed=2, end=dt.date(2026, 2, 2))
    db = connect(paths.database_path(data_dir), readonly=True)
    assert verify(db).ok
    db.conn.close()


def test_refuses_while_the_app_holds_the_lock(demo_config: Config, data_dir: Path) -> None:
    lock = lock_data_dir(data_dir)
    try:
        with pytest.raises(DatabaseError, match="another Counter App"):
            write_demo_history(demo_config, data_dir, 1)
        assert cli.main(["demo-data", "--days", "1", "--data-dir", str(data_dir)]) == 2
    finally:
        lock.release()


def test_command_line(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo-data", "--days", "1", "--seed", "5", "--end", "2026-05-04",
                     "--data-dir", str(data_dir)]) == 0
    assert "transactions" in capsys.readouterr().out
    assert cli.main(["verify", "--data-dir", str(data_dir)]) == 0
    assert cli.main(["demo-data", "--days", "0", "--data-dir", str(data_dir)]) == 2
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert cli.main(["demo-data", "--days", "1", "--end", future, "--data-dir", str(data_dir)]) == 2
    assert "future" in capsys.readouterr().err


@pytest.mark.parametrize(("over_s", "asked"), [(0.0004, False), (0.0006, True), (0.0, False)])
def test_a_time_a_fraction_of_a_millisecond_over_its_target_asks_no_reason(
        demo_config: Config, over_s: float, asked: bool) -> None:
    """The counter records times to the millisecond: 0.4 ms over is on time, and an overtime
    reason for it would be refused (seed 10 of a year ending 2026-12-07 wrote one)."""
    from counter_app.application import demo

    gen = DemoHistory(demo_config.types, ["1001"], seed=1, tz=dt.UTC)
    kind = next(t for t in demo_config.types if t.target_s is not None)
    assert kind.target_s is not None
    shift = demo._Shift("1001")
    shift.add(0.0, "started", {"txn": "t", "staff": "1001", "type": kind.code,
                               "target_s": kind.target_s})
    gen._complete(shift, "t", 0.0, kind, kind.target_s + over_s)
    kinds = [d.kind for _, _, d in shift.events]
    completed = next(d.payload for _, _, d in shift.events if d.kind == "completed")
    assert ("overtime_reason" in kinds) is asked
    assert (completed["overtime_s"] > 0) is asked
