"""Head office reports (SQLite and PostgreSQL) and the counter-hq enroll/revoke/report commands."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from counter_core.figures import StarRule
from counter_core.transaction import Draft
from head_office import cli, reports
from head_office.store import Refusal, Store
from tests.helpers.hq import PgCluster, chained

MONTH = reports.month_period("2026-11", "UTC")


def drafts() -> list[tuple[str, Draft]]:
    """Staff A: within target (5), overtime (2, reviewed), untimed unrated; B: void, within (4)."""
    def t(minute: int) -> str:
        return f"2026-11-03T02:{minute:02}:00.000Z"

    pay = {"type": "payment", "target_s": 180.0}
    return [
        (t(0), Draft("signed_in", {"staff": "A", "role": "staff"})),
        (t(1), Draft("started", {"txn": "t1", "staff": "A", **pay})),
        (t(3), Draft("completed", {"txn": "t1", "duration_s": 100.0, "target_s": 180.0,
                                   "overtime_s": 0.0})),
        (t(4), Draft("rated", {"txn": "t1", "rating": 5})),
        (t(5), Draft("started", {"txn": "t2", "staff": "A", **pay})),
        (t(9), Draft("completed", {"txn": "t2", "duration_s": 200.0, "target_s": 180.0,
                                   "overtime_s": 20.0})),
        (t(10), Draft("rated", {"txn": "t2", "rating": 2})),
        (t(11), Draft("overtime_reason", {"txn": "t2", "reason": "complex"})),
        (t(12), Draft("started", {"txn": "t3", "staff": "A", "type": "enquiry",
                                  "target_s": None})),
        (t(14), Draft("completed", {"txn": "t3", "duration_s": 90.0, "target_s": None,
                                    "overtime_s": 0.0})),
        (t(15), Draft("rating_timed_out", {"txn": "t3"})),
        (t(16), Draft("signed_out", {"staff": "A"})),
        (t(17), Draft("signed_in", {"staff": "B", "role": "staff"})),
        (t(18), Draft("started", {"txn": "t4", "staff": "B", **pay})),
        (t(19), Draft("voided", {"txn": "t4", "elapsed_s": 4.0})),
        (t(20), Draft("started", {"txn": "t5", "staff": "B", **pay})),
        (t(22), Draft("completed", {"txn": "t5", "duration_s": 150.0, "target_s": 180.0,
                                    "overtime_s": 0.0})),
        (t(23), Draft("rated", {"txn": "t5", "rating": 4})),
        (t(30), Draft("overtime_reviewed", {"txn": "t2", "cause": "system", "note": "slow",
                                            "manager": "9001"})),
        (t(31), Draft("rating_followed_up", {"txn": "t2", "called_back": True,
                                             "cause": "slow", "resolved": True, "note": "",
                                             "manager": "9001"})),
        (t(32), Draft("star_confirmed", {"month": "2026-11", "staff": "A"})),
        (t(33), Draft("some_future_kind", {"whatever": [1, 2]})),  # stored, not projected
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hq.sqlite'}"
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    return cluster.new_database("reports")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    for hall in ("H1", "H2"):
        store.enroll(hall, "01")
        who = store.counter(hall, "01")
        assert who is not None
        store.ingest(who, chained(hall, "01", drafts()))
    yield store
    store.close()


def test_service_level_rows_carry_their_counts(store: Store) -> None:
    (h1,) = reports.service_level(store, MONTH, hall="H1")
    assert {k: h1[k] for k in ("completed", "timed", "within_target", "overtime", "rated",
                               "satisfied", "voided", "interrupted")} == {
        "completed": 3 + 1, "timed": 3, "within_target": 2, "overtime": 1, "rated": 3,
        "satisfied": 2, "voided": 1, "interrupted": 0}
    assert (h1["service_level"], h1["satisfaction_rate"], h1["participation_rate"]) == \
        (2 / 3, 2 / 3, 0.75)  # fractions 0–1 (were service_level_pct etc., 66.7 %)
    assert h1["overtime_rate"] == 1 / 3
    # handling times 90, 100, 150, 200: median 125, p90 at rank 2.7 = 150 + 0.7 × 50
    assert (h1["median_s"], h1["p90_s"]) == (125.0, pytest.approx(185.0))
    assert h1["mean_rating"] == round(11 / 3, 2)
    by_staff = reports.service_level(store, MONTH, by="staff")
    assert [(r["hall"], r["staff"], r["completed"]) for r in by_staff] == [
        ("H1", "A", 3), ("H1", "B", 1), ("H2", "A", 3), ("H2", "B", 1)]
    assert reports.service_level(store, reports.month_period("2026-10", "UTC")) == []


def test_hours_signed_in_and_serving_share_by_the_counters_definitions(store: Store) -> None:
    from counter_core import figures

    rows = {r["staff"]: r for r in reports.service_level(store, MONTH, by="staff", hall="H1")}
    a, b = rows["A"], rows["B"]
    assert (a["signed_in_s"], a["serving_s"]) == (16 * 60.0, 100.0 + 200.0 + 90.0)
    assert a["hours_signed_in"] == 16 / 60
    assert a["serving_share"] == 390.0 / 960.0
    # B never signed out: signed in until the end of the month, as at the counter
    signed_b = figures.signed_in_seconds([("2026-11-03T02:17:00.000Z", "signed_in", "B")],
                                         MONTH.start_utc, MONTH.end_utc)["B"]
    assert (b["signed_in_s"], b["serving_s"]) == (signed_b, 4.0 + 150.0)
    (hall,) = reports.service_level(store, MONTH, hall="H1")
    assert hall["signed_in_s"] == 960.0 + signed_b
    assert reports.figures(store, MONTH, hall="H1")[0].keys() >= {"serving_s", "median_s"}
    assert "signed_in_s" not in reports.figures(store, MONTH, hall="H1")[0]  # hours=False


def test_overtime_by_staff_reason_and_managers_cause(store: Store) -> None:
    (row,) = reports.overtime(store, MONTH, hall="H2")
    assert row == {"period": "2026-11", "hall": "H2", "staff_reason": "complex",
                   "manager_cause": "system", "overtime": 1, "hall_overtime": 1,
                   "share": 1.0, "hall_timed": 3, "mean_overtime_s": 20.0, "reviewed": 1}


def test_stars_follow_the_counters_rule_and_show_the_managers_choice(store: Store) -> None:
    rows = reports.stars(store, MONTH, hall="H1", rule=StarRule(min_ratings=1))
    assert [(r["staff"], r["rank"], r["star"], r["confirmed"]) for r in rows] == [
        ("B", 1, True, False), ("A", 2, False, True)]
    hall_mean = 11 / 3
    assert rows[0]["score"] == round((20 * hall_mean + 4) / (20 + 1), 4)
    assert (rows[1]["rated"], rows[1]["rating_sum"], rows[1]["hall_rated"]) == (2, 7, 3)
    # the same suggestion as the counter's own monthly summary would make
    assert reports.stars(store, MONTH, hall="H1")[0]["eligible"] is False  # < 30 ratings
    assert not any(r["star"] for r in reports.stars(store, MONTH, hall="H1"))


def test_chain_report_rehashes_every_stored_event(store: Store) -> None:
    rows = reports.chains(store)
    assert [(r["hall"], r["events"], r["chain"]) for r in rows] == [
        ("H1", len(drafts()), "ok"), ("H2", len(drafts()), "ok")]
    from head_office.schema import events

    with store.engine.begin() as conn:  # an edit behind head office's back is found
        conn.execute(events.update().where(events.c.seq == 4)
                     .values(body=events.c.body + " "))
    assert reports.chains(store, hall="H1")[0]["chain"].startswith("sequence 4")


def test_month_bounds_follow_the_halls_time_zone() -> None:
    period = reports.month_period("2026-12", "Asia/Shanghai")
    assert (period.start_utc, period.end_utc) == ("2026-11-30T16:00:00.000Z",
                                                  "2026-12-31T16:00:00.000Z")
    with pytest.raises(ValueError, match="YYYY-MM"):
        reports.month_period("12/2026", "Asia/Shanghai")


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = cli.main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_enroll_revoke_and_reports_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    code, out, _ = run_cli(["enroll", "--db", url, "--hall", "H1", "--counter", "01"], capsys)
    assert code == 0
    token = out.strip().splitlines()[-1]
    store = Store(url)
    who = store.authenticate(token)
    assert (who.hall, who.counter) == ("H1", "01")
    raw = (tmp_path / "hq.sqlite").read_bytes()
    assert token.encode() not in raw  # stored hashed only
    assert hashlib.sha256(token.encode()).hexdigest().encode() in raw
    store.ingest(who, chained("H1", "01", drafts()))

    code, out, _ = run_cli(["report", "service-level", "--db", url, "--month", "2026-11",
                            "--timezone", "UTC", "--by", "staff"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["staff"], r["completed"], r["within_target"]) for r in rows] == [
        ("A", "3", "1"), ("B", "1", "1")]

    xlsx = tmp_path / "stars.xlsx"
    code, _, err = run_cli(["report", "stars", "--db", url, "--month", "2026-11",
                            "--timezone", "UTC", "--format", "xlsx", "--output", str(xlsx)],
                           capsys)
    assert code == 0 and "2 rows written" in err
    sheet = load_workbook(xlsx).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["period", "hall", "staff", "completed"] and "rated" in header

    code, out, _ = run_cli(["report", "overtime", "--db", url, "--month", "2026-11",
                            "--timezone", "UTC"], capsys)
    assert code == 0 and "complex,system,1" in out
    code, out, _ = run_cli(["report", "chains", "--db", url], capsys)
    assert code == 0 and ",ok," in out

    assert run_cli(["report", "stars", "--db", url], capsys)[0] == 2  # --month needed
    assert run_cli(["report", "stars", "--db", url, "--month", "2026-11", "--format", "xlsx"],
                   capsys)[0] == 2  # XLSX needs --output

    code, out, _ = run_cli(["revoke", "--db", url, "--hall", "H1", "--counter", "01"], capsys)
    assert code == 0
    with pytest.raises(Refusal, match="revoked"):
        store.authenticate(token)
    code, _, err = run_cli(["revoke", "--db", url, "--hall", "H9", "--counter", "01"], capsys)
    assert code == 2 and "not enrolled" in err
    store.close()


def test_reports_from_a_missing_database_file_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'typo.sqlite'}"
    code, _, err = run_cli(["report", "chains", "--db", url], capsys)
    assert code == 2 and "no head office database" in err
    assert not (tmp_path / "typo.sqlite").exists()


def test_a_database_from_a_newer_counter_hq_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    store = Store(url)
    from head_office.schema import schema_version

    with store.engine.begin() as conn:
        conn.execute(schema_version.update().values(version=99))
    store.close()
    code, _, err = run_cli(["report", "chains", "--db", url], capsys)
    assert code == 2 and "newer" in err


def test_incidents_list_conflicts_and_rejections(
    store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from counter_core.chain import seal

    who = store.counter("H1", "01")
    assert who is not None
    events = chained("H1", "01", drafts())
    forged = seal(replace(events[3], payload={**events[3].payload, "rating": 1}))
    assert store.ingest(who, [forged]).conflicts == [4]
    assert store.ingest(who, [forged]).conflicts == [4]  # counted again, stored once
    gap = chained("H1", "01", [("2026-11-04T00:00:00.000Z", Draft("signed_in", {"staff": "A"}))],
                  first_seq=len(events) + 2, prev_hash=events[-1].hash)
    with pytest.raises(Refusal, match="broken chain"):
        store.ingest(who, gap)
    rows = reports.incidents(store, hall="H1")
    assert [(r["incident"], r["seq"], r["times"]) for r in rows] == [
        ("history_conflict", 4, 2), ("unknown_kind", 22, 1),
        ("refused_upload", len(events) + 2, 1)]
    assert rows[0]["offered_hash"] == forged.hash
    assert rows[0]["stored_hash"] == events[3].hash
    assert rows[1]["reason"] == "unknown kind"  # the drafts' some_future_kind, kept aside
    assert "broken chain" in rows[2]["reason"]
    # H2 uploaded the same drafts: its only incident is its own unknown kind
    assert [(r["incident"], r["seq"], r["reason"]) for r in reports.incidents(store, hall="H2")
            ] == [("unknown_kind", 22, "unknown kind")]
    assert cli.main(["report", "incidents", "--db", db_url, "--hall", "H1"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 4 and "history_conflict,4" in out


def closing_drafts() -> list[tuple[str, Draft]]:
    """Staff C closes the app at 2:59 and at 3:10 of a 3:00 payment and during an enquiry;
    an OS shutdown interrupts D's payment (not a close by the clerk)."""
    def t(minute: int) -> str:
        return f"2026-11-04T02:{minute:02}:00.000Z"

    pay = {"type": "payment", "target_s": 180.0}
    out: list[tuple[str, Draft]] = []
    for i, (staff, kind, elapsed, reason) in enumerate((
            ("C", pay, 179.0, "closed"), ("C", pay, 190.0, "closed"),
            ("C", {"type": "enquiry", "target_s": None}, 400.0, "closed"),
            ("D", pay, 200.0, "shutdown"))):
        txn = f"i{i}"
        overtime = ({"overtime_s": round(max(0.0, elapsed - 180.0), 3)}
                    if kind["target_s"] else {})
        out += [(t(i * 10), Draft("signed_in", {"staff": staff, "role": "staff"})),
                (t(i * 10 + 1), Draft("started", {"txn": txn, "staff": staff, **kind})),
                (t(i * 10 + 5), Draft("interrupted", {"txn": txn, "elapsed_s": elapsed,
                                                      **overtime, "reason": reason})),
                (t(i * 10 + 5), Draft("signed_out", {"staff": staff, "reason": reason}))]
    return out


def test_interrupted_transactions_count_and_closes_are_per_clerk_on_the_command_line(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(db_url)
    store.enroll("H3", "01")
    who = store.counter("H3", "01")
    assert who is not None
    store.ingest(who, chained("H3", "01", closing_drafts()))
    store.close()
    code, out, _ = run_cli(["report", "service-level", "--db", db_url, "--month", "2026-11",
                            "--timezone", "UTC", "--by", "staff"], capsys)
    assert code == 0
    rows = {r["staff"]: r for r in csv.DictReader(io.StringIO(out))}
    c, d = rows["C"], rows["D"]
    assert (c["completed"], c["timed"], c["within_target"], c["overtime"]) == ("0", "2", "1", "1")
    assert (c["interrupted"], c["closed_in_service"], c["rated"]) == ("3", "3", "0")
    assert c["service_level"] == "0.5" and c["overtime_rate"] == "0.5"
    assert (d["timed"], d["overtime"], d["closed_in_service"]) == ("1", "1", "0")
    code, out, _ = run_cli(["report", "stars", "--db", db_url, "--month", "2026-11",
                            "--timezone", "UTC"], capsys)
    assert code == 0
    stars = {r["staff"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (stars["C"]["closed_in_service"], stars["C"]["overtime_rate"]) == ("3", "0.5")
    code, out, _ = run_cli(["report", "overtime", "--db", db_url, "--month", "2026-11",
                            "--timezone", "UTC"], capsys)
    (over,) = list(csv.DictReader(io.StringIO(out)))
    assert (over["overtime"], over["hall_overtime"], over["hall_timed"]) == ("2", "2", "3")
