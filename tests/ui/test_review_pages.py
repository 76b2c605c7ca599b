"""The review queue loads a period's cases without their details and the details of the
rows it shows, a page at a time (pytest-qt): the cases' facts say what the whole rows say,
so filters, counts and sorting by time give what they gave over the whole rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from counter_app.application.demo import write_demo_history
from counter_app.application.manager import LocalManagerData
from counter_app.ui.manager.review_model import DETAILS_PAGE, QueueRow, ReviewQueueModel
from counter_core import appeals, events, periods
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService

LAST = dt.date(2026, 2, 27)
FIRST = LAST - dt.timedelta(days=29)
#: what a case's facts hold, compared with what its whole row makes of them
FACTS = ("txn", "started_at", "counter", "staff", "type_code", "target_s", "duration_s",
         "overtime_s", "rating", "is_overtime", "is_poor", "review_done", "follow_up_done",
         "appealed", "appeal_open", "overdue", "reviewed")


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Thirty days of demo data (reviews and follow-ups included), two poor ratings appealed
    and one of those appeals decided."""
    from counter_app import config as config_module

    config = config_module.load()
    data_dir = tmp_path_factory.mktemp("month") / "data"
    write_demo_history(config, data_dir, 30, seed=3, end=LAST)
    service = CounterService(config, data_dir)
    try:
        poor = service.db.execute(
            "SELECT txn, staff FROM transactions WHERE rating <= 2 AND status = 'completed'"
            " ORDER BY started_at DESC LIMIT 2").fetchall()
        reason = appeals.APPEAL_REASONS[0].code
        for txn, staff in poor:
            service.store.append([Draft(events.RATING_APPEALED,
                                        {"txn": txn, "staff": staff, "reason": reason})])
        manager = service.db.execute(
            "SELECT number FROM staff WHERE role = 'manager' AND number <> ? LIMIT 1",
            [poor[0][1]]).fetchone()[0]
        service.store.append([Draft(events.APPEAL_DECIDED, {
            "txn": poor[0][0], "upheld": True, "by": manager, "note": ""})])
        # the app closed at 3:10 of a 3:00 payment: an overtime case, reviewed as any other
        late = dt.datetime.combine(LAST, dt.time(22), tzinfo=periods.zone(config.time_zone))

        def at(s: float) -> str:
            return periods.format_utc(late + dt.timedelta(seconds=s))

        service.store.append_timed([
            (at(0), Draft("signed_in", {"staff": "1002", "role": "staff"})),
            (at(10), Draft("started", {"txn": "closed", "staff": "1002", "type": "payment",
                                       "target_s": 180.0})),
            (at(200), Draft("interrupted", {"txn": "closed", "elapsed_s": 190.0,
                                            "overtime_s": 10.0, "reason": "closed"})),
            (at(200), Draft("signed_out", {"staff": "1002", "reason": "closed"})),
        ])
    finally:
        service.close()
    return data_dir


@pytest.fixture
def data(month: Path) -> Iterator[LocalManagerData]:
    from counter_app import config as config_module

    service = CounterService(config_module.load(), month)
    # "now" a week after the month: the month's open poor ratings are overdue, not all
    now = dt.datetime.combine(LAST, dt.time(12), tzinfo=dt.UTC) + dt.timedelta(days=3)
    yield LocalManagerData(service.db, service.config.time_zone, now=lambda: now)
    service.close()


def _facts(row: QueueRow) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in FACTS)


def test_a_periods_cases_say_what_its_whole_rows_say(data: LocalManagerData) -> None:
    tz = periods.zone(data.time_zone)
    whole = data.review_queue(FIRST, LAST)
    cases = data.review_cases(FIRST, LAST)
    rows = [QueueRow.case(values, values[0] in cases.overdue, tz, lambda r: None)
            for values in cases.rows]
    assert [r.txn for r in rows] == [d["txn"] for d in whole]  # the same cases, same order
    assert next(r for r in rows if r.txn == "closed").is_overtime
    assert [_facts(r) for r in rows] == [_facts(QueueRow(d, tz)) for d in whole]
    # the month has every kind of case the filters tell apart
    for flag in ("is_overtime", "is_poor", "review_done", "follow_up_done", "appealed",
                 "appeal_open", "overdue"):
        assert any(getattr(r, flag) for r in rows), flag
        assert not all(getattr(r, flag) for r in rows), flag
    # and the details of any of them are its whole row
    some = [whole[0]["txn"], whole[len(whole) // 2]["txn"], whole[-1]["txn"]]
    by_txn = {d["txn"]: d for d in data.queue_rows(some)}
    assert by_txn == {d["txn"]: d for d in whole if d["txn"] in some}


class _Counting:
    def __init__(self, data: LocalManagerData) -> None:
        self.data = data
        self.asked: list[int] = []

    def __call__(self, txns: Sequence[str]) -> list[dict[str, Any]]:
        self.asked.append(len(txns))
        return self.data.queue_rows(txns)


def test_the_model_loads_a_page_of_details_and_filters_as_over_whole_rows(
        qtbot: QtBot, data: LocalManagerData) -> None:
    def model() -> ReviewQueueModel:
        made = ReviewQueueModel("en", str, time_zone=data.time_zone)
        made.sort(0, made._sort_order)
        return made

    paged, whole = model(), model()
    details = _Counting(data)
    paged.set_cases(data.review_cases(FIRST, LAST), details)
    whole.set_rows(data.review_queue(FIRST, LAST))
    assert paged.rowCount() == whole.rowCount() > DETAILS_PAGE
    assert details.asked == []  # nothing asked before a row is shown
    for column in range(paged.columnCount()):
        assert paged.data(paged.index(0, column)) == whole.data(whole.index(0, column))
    assert details.asked == [DETAILS_PAGE]  # one page, from the first row shown
    staff = whole.rows[0].staff
    for kind in ("all", "overtime", "poor"):
        for unreviewed in (False, True):
            for m in (paged, whole):
                m.set_filters(staff=staff, kind=kind, unreviewed_only=unreviewed)
            assert [r.txn for r in paged.rows] == [r.txn for r in whole.rows]
            assert [r.txn for r in paged.open_cases()] == [r.txn for r in whole.open_cases()]
    for m in (paged, whole):
        m.set_filters()
        m.set_overdue_only(True)
    assert 0 < paged.rowCount() == whole.rowCount()
    assert [r.txn for r in paged.rows] == [r.txn for r in whole.rows]
    last = paged.rowCount() - 1
    assert paged.data(paged.index(last, 1)) == whole.data(whole.index(last, 1))


def test_scrolling_back_up_loads_a_page_not_a_row_at_a_time(data: LocalManagerData) -> None:
    paged = ReviewQueueModel("en", str, time_zone=data.time_zone)
    details = _Counting(data)
    paged.set_cases(data.review_cases(FIRST, LAST), details)
    last = paged.rowCount() - 1
    for row in range(last, last - 40, -1):  # from the end upwards, a row at a time
        paged.data(paged.index(row, 2))
    assert details.asked == [DETAILS_PAGE // 4 + 1]  # the end's page reaches 50 rows up
    for row in range(last - 40, last - 60, -1):
        paged.data(paged.index(row, 2))
    assert len(details.asked) == 2 and details.asked[1] <= DETAILS_PAGE


def test_sorting_by_a_detail_loads_every_case_and_sorts_as_over_whole_rows(
        data: LocalManagerData) -> None:
    paged = ReviewQueueModel("en", str, time_zone=data.time_zone)
    whole = ReviewQueueModel("en", str, time_zone=data.time_zone)
    paged.set_cases(data.review_cases(FIRST, LAST), data.queue_rows)
    whole.set_rows(data.review_queue(FIRST, LAST))
    for name in ("rating", "status", "staff", "due", "cause"):
        column = ReviewQueueModel.COLUMNS.index(name)
        for m in (paged, whole):
            m.sort(column)
        assert [r.txn for r in paged.rows] == [r.txn for r in whole.rows], name
    assert all(r.loaded for r in paged.rows)


def test_a_case_the_log_no_longer_holds_shows_what_the_queue_knew(
        data: LocalManagerData) -> None:
    paged = ReviewQueueModel("en", str, time_zone=data.time_zone)
    paged.set_cases(data.review_cases(FIRST, LAST), lambda txns: [])
    first = paged.rows[0]
    when = paged.data(paged.index(0, ReviewQueueModel.COLUMNS.index("when")))
    assert when == first.local.strftime("%Y-%m-%d %H:%M")
    assert paged.data(paged.index(0, ReviewQueueModel.COLUMNS.index("type"))) \
        == first.type_code



def test_a_database_gone_under_the_view_shows_what_the_queue_knew_without_a_traceback(
        month: Path, caplog: pytest.LogCaptureFixture) -> None:
    from counter_app import config as config_module

    service = CounterService(config_module.load(), month)
    data = LocalManagerData(service.db, service.config.time_zone)
    paged = ReviewQueueModel("en", str, time_zone=data.time_zone)
    paged.set_cases(data.review_cases(FIRST, LAST), data.queue_rows)
    service.close()  # the counter closed (or the disk went) while the view still paints
    staff = paged.data(paged.index(0, ReviewQueueModel.COLUMNS.index("staff")))
    assert staff == paged.rows[0].staff
    assert "cannot read the cases' details" in caplog.text
