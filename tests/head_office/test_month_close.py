"""Month close: an operator closes a month after the grace period and its figures and star
are frozen as published; a late upload shows as a restatement beside them and never changes
the published star (head_office.closing, `counter-hq month`, `report stars`)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter_core import periods
from counter_core.chain import Event
from counter_core.transaction import Draft
from head_office import cli, closing, reports
from head_office.store import Store
from head_office.web import audit
from tests.helpers.hq import chained

MONTH = "2026-10"
AFTER_GRACE = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def staff_day(staff: str, ratings: list[int], start: dt.datetime) -> list[tuple[str, Draft]]:
    """A staff member's session: one payment per rating, each within target and rated."""
    now = start

    def at(minutes: float) -> str:
        nonlocal now
        now += dt.timedelta(minutes=minutes)
        return periods.format_utc(now)

    out = [(at(0), Draft("signed_in", {"staff": staff, "role": "staff"}))]
    for n, rating in enumerate(ratings):
        txn = f"{staff}-{start:%d%H}-{n}"
        out += [
            (at(1), Draft("started", {"txn": txn, "staff": staff, "type": "payment",
                                      "target_s": 180.0})),
            (at(2), Draft("completed", {"txn": txn, "duration_s": 100.0, "target_s": 180.0,
                                        "overtime_s": 0.0})),
            (at(0.1), Draft("rated", {"txn": txn, "rating": rating})),
        ]
    out.append((at(1), Draft("signed_out", {"staff": staff})))
    return out


def october(hall: str, counter: str = "01") -> tuple[list[Event], list[Event]]:
    """The month uploaded in time (A rated 4 × 30, B 3 × 30: A is the star) and a late
    upload of the same month (B rated 5 × 40, which would make B the star)."""
    drafts = (staff_day("A", [4] * 30, dt.datetime(2026, 10, 12, 2, tzinfo=dt.UTC))
              + staff_day("B", [3] * 30, dt.datetime(2026, 10, 13, 2, tzinfo=dt.UTC)))
    late = staff_day("B", [5] * 40, dt.datetime(2026, 10, 20, 2, tzinfo=dt.UTC))
    events = chained(hall, counter, drafts + late)
    return events[:len(drafts)], events[len(drafts):]


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'hq.sqlite'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = Store(db_url)
    yield opened
    opened.close()


def upload(store: Store, hall: str, events: list[Event], counter: str = "01") -> None:
    who = store.counter(hall, counter)
    assert who is not None
    store.ingest(who, events)


def run(db_url: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([*argv, "--db", db_url])
    return code, out.getvalue(), err.getvalue()


def star_of(rows: list[dict[str, str]], basis: str) -> list[str]:
    return [r["staff"] for r in rows if r["basis"] == basis and r["star"] == "True"]


def test_a_late_upload_is_a_restatement_and_the_closed_star_stays(store: Store,
                                                                  db_url: str) -> None:
    store.enroll("H1", "01")
    in_time, late = october("H1")
    upload(store, "H1", in_time)
    (closed,) = closing.close_month(store, MONTH, tz="UTC", grace_days=5, by="Li Wei",
                                    now=AFTER_GRACE)
    assert (closed.hall, closed.scope, closed.closed_by, closed.star) == ("H1", "all",
                                                                         "Li Wei", "A")
    assert closed.as_of == closing.as_of(store, ["H1"])
    assert closed.figures is not None and closed.figures["rated"] == 60
    assert closing.restatement(store, closed) is None  # nothing came after the close

    upload(store, "H1", late)
    period = reports.month_period(MONTH, "UTC")
    live = reports.stars(store, period, hall="H1")
    assert [r["staff"] for r in live if r["star"]] == ["B"]  # the late ratings move the star
    again = closing.closed(store, MONTH)["H1"]
    assert again.star == "A" and again.figures == closed.figures  # the published one stays
    restated = closing.restatement(store, again)
    assert restated is not None
    assert restated.late_events == len(late)
    assert restated.star == "B" and restated.figures is not None
    assert restated.figures["rated"] == 100

    code, out, err = run(db_url, "report", "stars", "--month", MONTH, "--time-zone", "UTC")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert star_of(rows, "closed") == ["A"]
    assert star_of(rows, "restated") == ["B"]
    assert {r["closed_at"] for r in rows} == {again.closed_at}


def test_closing_before_the_grace_period_is_refused(store: Store, db_url: str) -> None:
    store.enroll("H1", "01")
    with pytest.raises(closing.CloseRefused) as refused:
        closing.close_month(store, "2026-11", tz="UTC", grace_days=5, by="me",
                            now=dt.datetime(2026, 12, 5, 23, 59, tzinfo=dt.UTC))
    assert refused.value.code == "close_too_early"
    assert "2026-12-06T00:00:00.000Z" in refused.value.message
    assert closing.closed(store, "2026-11") == {}
    # the moment the grace period has passed, it closes
    closing.close_month(store, "2026-11", tz="UTC", grace_days=5, by="me",
                        now=dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    assert set(closing.closed(store, "2026-11")) == {"H1"}

    current = periods.today("UTC").strftime("%Y-%m")
    code, _, err = run(db_url, "month", "close", current, "--time-zone", "UTC")
    assert code == 2
    assert "cannot be closed before" in err and "grace period" in err
    assert "Traceback" not in err
    assert closing.closed(store, current) == {}


def test_month_close_and_list_on_the_command_line_are_audited(store: Store,
                                                              db_url: str) -> None:
    for hall in ("H1", "H2"):
        store.enroll(hall, "01")
        upload(store, hall, october(hall)[0])
    code, out, err = run(db_url, "month", "close", MONTH, "--hall", "H1", "--by", "Li Wei",
                         "--time-zone", "UTC")
    assert code == 0, err
    assert "2026-10 closed for hall H1 by Li Wei" in out and "star A" in out
    code, _, err = run(db_url, "month", "close", MONTH, "--hall", "H1", "--time-zone", "UTC")
    assert code == 2 and "was closed for hall H1 by Li Wei" in err
    code, out, err = run(db_url, "month", "close", MONTH, "--time-zone", "UTC")
    assert code == 0, err
    assert "hall H2" in out and "hall H1" not in out  # every hall not closed yet
    code, _, err = run(db_url, "month", "close", MONTH, "--hall", "NOPE", "--time-zone", "UTC")
    assert code == 2 and "no hall NOPE" in err

    code, out, err = run(db_url, "month", "list")
    assert code == 0, err
    listed = {r["hall"]: r for r in csv.DictReader(io.StringIO(out))}
    assert (listed["H1"]["scope"], listed["H1"]["closed_by"], listed["H1"]["star"]) == (
        "hall", "Li Wei", "A")
    assert (listed["H2"]["scope"], listed["H2"]["closed_by"]) == ("all", "cli")
    trail = [e for e in audit.entries(store.engine, action=audit.ADMIN_CHANGE)
             if e["target"].startswith("month ")]
    assert {e["target"] for e in trail} == {"month 2026-10 hall H1", "month 2026-10 hall H2"}
    assert all(e["login"] == "cli" and e["ip"] == "local" for e in trail)


def test_the_published_star_is_the_confirmed_one_when_a_manager_confirmed_one() -> None:
    rows = [{"staff": "A", "star": True, "confirmed": False},
            {"staff": "B", "star": False, "confirmed": True}]
    assert closing.star_of(rows) == "B"
    assert closing.star_of(rows[:1]) == "A"
    assert closing.star_of([{"staff": "A", "star": False, "confirmed": False}]) is None


def test_serve_refuses_a_grace_period_out_of_range(db_url: str) -> None:
    code, _, err = run(db_url, "serve", "--close-grace-days", "-1", "--port", "1")
    assert code == 2 and "--close-grace-days must be 0 to 60" in err
