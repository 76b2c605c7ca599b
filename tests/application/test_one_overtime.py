"""Item 22: one definition of overtime for the overtime log, the transactions export, the KPIs.

Exports round overtime up to 0.1 s, screens to whole seconds: a transaction 40 ms over its
target is overtime everywhere, and shows as overtime everywhere.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from counter_app import config as config_module
from counter_app.application.demo import write_demo_history
from counter_app.application.exports import (
    overtime_log_records,
    transaction_record,
    write_transactions_csv,
)
from counter_app.application.manager import Period, read_records
from counter_app.application.manager_figures import overtime_records
from counter_core import figures

END = dt.date(2026, 6, 30)
FIRST = END - dt.timedelta(days=89)


@pytest.fixture(scope="module")
def ninety_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("one-overtime") / "data"
    write_demo_history(config_module.load(), data_dir, 90, seed=3, end=END)
    return data_dir


def _row(duration: float, target: float | None = 180.0) -> dict[str, object]:
    return {"txn": "t1", "status": "completed", "duration_s": duration, "target_s": target,
            "overtime_s": round(max(0.0, duration - (target or duration)), 3),
            "started_at": "2026-03-02T02:00:00.000Z", "hall": "H", "counter": "01",
            "staff": "1001", "staff_name": "王芳", "type": "payment", "overtime_reason": None,
            "rating": None, "rating_reason": None, "cause": None, "note": None,
            "reviewed_by": None, "reviewed_at": None}


def test_forty_milliseconds_over_is_overtime_in_both_exports_and_on_screen() -> None:
    row = _row(180.04)
    assert figures.is_overtime(row)
    assert transaction_record(row)["overtime_s"] == 0.1  # was 0.0
    assert overtime_records([row])[0]["overtime_s"] == 0.1
    assert figures.overtime_seconds(row) == 1  # "+00:01", never "+00:00"
    assert transaction_record(_row(180.0))["overtime_s"] == 0.0  # at the target: within
    assert transaction_record(_row(200.123))["overtime_s"] == 20.2  # rounded up
    assert transaction_record(_row(99.0, None))["overtime_s"] == 0.0  # untimed


def test_an_interrupted_transaction_is_overtime_by_the_same_predicate() -> None:
    """Item 8: closed at 3:00.04 of a 3:00 payment, the known time is overtime everywhere."""
    row = {**_row(180.04), "status": "interrupted"}
    assert figures.is_timed(row) and figures.is_overtime_case(row)
    assert transaction_record(row)["overtime_s"] == 0.1  # the recorded 0.04 rounded to 0.0
    assert overtime_records([row])[0]["overtime_s"] == 0.1
    assert figures.kpis([row]).overtime == 1
    within = {**_row(179.0), "status": "interrupted"}  # closed at 2:59
    assert transaction_record(within)["overtime_s"] == 0.0
    assert figures.kpis([within]).service_level == 1.0
    older = {**row, "overtime_s": None}  # an interrupted event from before 0.2.0
    assert not figures.is_timed(older) and figures.kpis([older]).timed == 0


def test_exports_and_kpis_count_the_same_transactions(ninety_days: Path) -> None:
    config = config_module.load()
    period = Period(FIRST, END)
    with read_records(config, ninety_days) as data:
        log = {r["id"] for r in overtime_log_records(data, period)}
        out = io.StringIO()
        write_transactions_csv((transaction_record(r) for r in data.transactions(period)), out)
        exported = list(csv.DictReader(io.StringIO(out.getvalue())))
        over = {r["id"] for r in exported if r["overtime_s"] and float(r["overtime_s"]) > 0}
        rows = data.transactions(period)
        kpi = data.kpi_report(FIRST, END).kpis
    by_predicate = {r["txn"] for r in rows if figures.is_overtime_case(r)}
    assert len(log) > 100
    # the history holds a case a few milliseconds over (rounded to the nearest 0.1 s it read 0.0)
    assert any(0 < r["overtime_s"] < 0.05 for r in rows if r["status"] == "completed")
    assert log == over == by_predicate
    assert kpi.overtime == len(log)
    assert figures.kpis(rows).overtime == len(log)
