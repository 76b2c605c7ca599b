"""ManagerView with pytest-qt on a small fixed data set: filters, reviews, KPIs, star, exports."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from counter_app.ui.manager import ManagerView
from counter_app.ui.manager.review_model import ReviewQueueModel
from counter_core.figures import StarRule
from counter_core.periods import format_utc, zone
from counter_core.transaction import Draft
from tests.helpers.counter import CounterService

DAY1, DAY2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
HALL_ZONE = zone("Asia/Shanghai")
TARGETS = {"payment": 180.0, "sim": 300.0, "enquiry": None}


def _at(day: dt.date, seconds: float) -> str:
    """10:00 on `day` in the hall's zone (the demo configuration's), plus `seconds`."""
    local = dt.datetime.combine(day, dt.time(10, 0), tzinfo=HALL_ZONE)
    return format_utc(local + dt.timedelta(seconds=seconds))


def _transaction(txn: str, staff: str, type_: str, duration: float, rating: int | None,
                 day: dt.date, offset: float, *, reason: str | None = None,
                 rating_reason: str | None = None) -> list[tuple[str, Draft]]:
    target = TARGETS[type_]
    overtime = max(0.0, duration - target) if target else 0.0
    items = [
        (_at(day, offset), Draft("started", {"txn": txn, "staff": staff, "type": type_,
                                             "target_s": target})),
        (_at(day, offset + duration), Draft("completed", {
            "txn": txn, "duration_s": duration, "target_s": target, "overtime_s": overtime})),
    ]
    if reason:
        items.append((_at(day, offset + duration + 2),
                      Draft("overtime_reason", {"txn": txn, "reason": reason})))
    if rating is None:
        items.append((_at(day, offset + duration + 30), Draft("rating_timed_out", {"txn": txn})))
    else:
        items.append((_at(day, offset + duration + 5),
                      Draft("rated", {"txn": txn, "rating": rating})))
        if rating_reason:
            items.append((_at(day, offset + duration + 8),
                           Draft("rating_reason", {"txn": txn, "reason": rating_reason})))
    return items


@pytest.fixture
def fixed(service: CounterService) -> CounterService:
    """Six completed transactions and a void (see the module docstring of test_reports)."""
    items: list[tuple[str, Draft]] = [
        (_at(DAY1, -60), Draft("signed_in", {"staff": "1001", "role": "staff"}))]
    items += _transaction("t1", "1001", "payment", 100.0, 5, DAY1, 0)
    items += _transaction("t2", "1001", "payment", 200.0, 2, DAY1, 600, reason="complex",
                          rating_reason="slow")
    items += _transaction("t3", "1001", "sim", 150.0, 4, DAY1, 1200)
    items += _transaction("t4", "1001", "enquiry", 60.0, None, DAY1, 1800)
    items.append((_at(DAY1, 2400), Draft("signed_out", {"staff": "1001"})))
    items.append((_at(DAY2, -60), Draft("signed_in", {"staff": "1002", "role": "staff"})))
    items += _transaction("t5", "1002", "payment", 180.0, 2, DAY2, 0)
    items += _transaction("t6", "1002", "payment", 250.0, 1, DAY2, 600, reason="system")
    items.append((_at(DAY2, 1200), Draft("started", {"txn": "t7", "staff": "1002",
                                                     "type": "payment", "target_s": 180.0})))
    items.append((_at(DAY2, 1205), Draft("voided", {"txn": "t7", "elapsed_s": 5.0})))
    items.append((_at(DAY2, 3600), Draft("signed_out", {"staff": "1002"})))
    service.store.append_timed(items)
    return service


@pytest.fixture
def view(qtbot: QtBot, fixed: CounterService) -> ManagerView:
    widget = ManagerView(fixed.manager("9001"), today=dt.date(2026, 3, 5))
    qtbot.addWidget(widget)
    widget.resize(1366, 768)
    widget.show()
    widget.set_filters(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    return widget


def shown_txns(view: ManagerView) -> list[str]:
    model = view.review_tab.table.model()  # what the table shows, in its order
    assert isinstance(model, ReviewQueueModel)
    return [row.txn for i in range(model.rowCount())
            if (row := model.source_row(i)) is not None]


def events(service: CounterService, kind: str) -> list[dict[str, Any]]:
    return [json.loads(r[0]) for r in service.db.execute(
        "SELECT payload FROM events WHERE kind = ? ORDER BY seq", [kind])]


# ---- the queue and its filters ---------------------------------------------------------------

def test_queue_holds_overtime_and_poor_ratings(view: ManagerView) -> None:
    assert sorted(shown_txns(view)) == ["t2", "t5", "t6"]
    assert shown_txns(view)[0] == "t6"  # newest first
    assert view.unreviewed == (2, 3)
    assert "2" in view.to_review.text() and "3" in view.to_review.text()


def test_filters_staff_type_kind_dates(view: ManagerView, qtbot: QtBot) -> None:
    view.set_filters(start=DAY1, end=DAY2, staff="1001")
    assert shown_txns(view) == ["t2"]
    view.set_filters(start=DAY1, end=DAY2, type_code="sim")
    assert shown_txns(view) == []
    view.set_filters(start=DAY1, end=DAY2)
    tab = view.review_tab
    tab.kind.setCurrentIndex(tab.kind.findData("overtime"))
    assert sorted(shown_txns(view)) == ["t2", "t6"]
    tab.kind.setCurrentIndex(tab.kind.findData("poor"))
    assert sorted(shown_txns(view)) == ["t2", "t5", "t6"]
    tab.kind.setCurrentIndex(tab.kind.findData("all"))
    view.set_filters(start=DAY1, end=DAY1)  # the date range goes to SQL
    assert shown_txns(view) == ["t2"]
    view.staff.setCurrentIndex(view.staff.findData("1002"))  # through the combo box too
    assert shown_txns(view) == []


def test_a_filter_change_keeps_the_selected_case_while_it_is_shown(view: ManagerView) -> None:
    tab = view.review_tab
    assert tab.select_txn("t6")
    view.staff.setCurrentIndex(view.staff.findData("1002"))  # t6 is 1002's: still shown
    assert shown_txns(view) == ["t6", "t5"]
    assert (row := tab.current_row()) is not None and row.txn == "t6"
    tab.kind.setCurrentIndex(tab.kind.findData("overtime"))
    assert (row := tab.current_row()) is not None and row.txn == "t6"
    view.staff.setCurrentIndex(view.staff.findData("1001"))  # t6 gone: nothing selected
    assert shown_txns(view) == ["t2"] and tab.current_row() is None
    assert "1" in tab.count_label.text()


def test_sorting_by_overtime(view: ManagerView) -> None:
    column = view.review_tab.model.COLUMNS.index("overtime")
    view.review_tab.table.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    assert shown_txns(view) == ["t6", "t2", "t5"]


def test_recording_a_cause_writes_an_event(view: ManagerView, fixed: CounterService,
                                            qtbot: QtBot) -> None:
    tab = view.review_tab
    assert tab.select_txn("t2")
    assert tab.overtime_box.isEnabled() and tab.follow_box.isEnabled()
    tab.cause.setCurrentIndex(tab.cause.findData("missing_documents"))
    tab.note.setText("ID card expired")
    with qtbot.waitSignal(view.recorded):
        qtbot.mouseClick(tab.record_button, Qt.MouseButton.LeftButton)
    assert events(fixed, "overtime_reviewed") == [
        {"txn": "t2", "cause": "missing_documents", "note": "ID card expired",
         "manager": "9001"}]
    assert view.unreviewed == (1, 3)
    row = tab.model.rows[tab.model.row_of("t2")]  # type: ignore[index]
    assert row.review_done and not row.reviewed  # the poor rating still needs its follow-up
    cause_column = tab.model.COLUMNS.index("cause")
    index = tab.model.index(tab.model.row_of("t2"), cause_column)  # type: ignore[arg-type]
    assert tab.model.data(index) in ("客户资料不全", "Missing documents")

    # a later review supersedes; nothing is edited
    tab.cause.setCurrentIndex(tab.cause.findData("system"))
    assert tab.record_cause()
    assert [e["cause"] for e in events(fixed, "overtime_reviewed")] == [
        "missing_documents", "system"]
    assert fixed.db.execute("SELECT cause FROM reviews WHERE txn = 't2'").fetchone()[0] == "system"



def test_a_case_no_longer_selected_leaves_nothing_of_it_in_the_forms(
        view: ManagerView, fixed: CounterService) -> None:
    """t2 is overtime and poor, its cause recorded: once the filter hides it, the greyed-out
    forms show no cause, note or follow-up of it (they kept the last case's before)."""
    tab = view.review_tab
    assert tab.select_txn("t2")
    tab.cause.setCurrentIndex(tab.cause.findData("missing_documents"))
    tab.note.setText("ID card expired")
    assert tab.record_cause()
    tab.called_back.setChecked(True)
    tab.follow_note.setText("called at noon")
    assert tab.select_txn("t2") and tab.cause.currentData() == "missing_documents"
    view.staff.setCurrentIndex(view.staff.findData("1002"))  # t2 is 1001's: gone
    assert tab.current_row() is None
    assert not tab.overtime_box.isEnabled() and not tab.follow_box.isEnabled()
    assert tab.cause.currentData() is None and tab.note.text() == ""
    assert not tab.called_back.isChecked() and tab.follow_note.text() == ""
    assert tab.follow_cause.currentData() is None and not tab.resolved.isChecked()

def test_other_needs_a_note(view: ManagerView, fixed: CounterService) -> None:
    tab = view.review_tab
    tab.select_txn("t6")
    tab.cause.setCurrentIndex(tab.cause.findData("other"))
    tab.note.clear()
    assert not tab.record_cause()
    assert "other" in tab.message.text()
    assert events(fixed, "overtime_reviewed") == []


def test_poor_rating_follow_up(view: ManagerView, fixed: CounterService) -> None:
    tab = view.review_tab
    tab.select_txn("t5")
    assert tab.follow_box.isEnabled() and not tab.overtime_box.isEnabled()
    tab.called_back.setChecked(True)
    tab.resolved.setChecked(True)
    tab.follow_cause.setCurrentIndex(tab.follow_cause.findData("misunderstanding"))
    tab.follow_note.setText("explained the fee")
    assert tab.record_follow_up()
    assert events(fixed, "rating_followed_up") == [{
        "txn": "t5", "called_back": True, "cause": "misunderstanding", "resolved": True,
        "note": "explained the fee", "manager": "9001"}]
    assert view.unreviewed == (2, 2)
    tab.unreviewed.setChecked(True)
    assert sorted(shown_txns(view)) == ["t2", "t6"]
    assert "2 to review" in tab.count_label.text()


# ---- KPIs -------------------------------------------------------------------------------------

def test_kpis_match_hand_computed_values(view: ManagerView) -> None:
    view.tabs.setCurrentWidget(view.kpi_tab)
    k = view.kpi_tab.kpis
    assert k is not None
    # completed: 60, 100, 150, 180, 200, 250 s; timed 5, over target 2 (200 and 250 s)
    assert (k.served, k.timed, k.overtime, k.voided) == (6, 5, 2, 1)
    assert k.service_level == pytest.approx(0.6)
    assert k.median_s == pytest.approx(165.0)  # (150 + 180) / 2
    assert k.p90_s == pytest.approx(225.0)  # rank 4.5: 200 + 0.5 × 50
    assert k.satisfaction_rate == pytest.approx(0.4)  # ratings 5, 2, 4, 2, 1
    assert k.participation_rate == pytest.approx(5 / 6)
    cards = view.kpi_tab.cards
    assert cards["service_level"].value.text() == "60.0%"
    assert cards["median"].value.text() == "02:45"
    assert cards["p90"].value.text() == "03:45"
    assert cards["participation"].value.text() == "83.3%"
    assert cards["mean"].value.text() == "2.80"
    view.set_filters(start=DAY1, end=DAY2, staff="1002")  # refreshes the visible tab
    assert view.kpi_tab.kpis.served == 2  # type: ignore[union-attr]
    assert cards["service_level"].value.text() == "50.0%"
    charts = [view.kpi_tab.histogram, view.kpi_tab.trend, view.kpi_tab.pareto,
              view.kpi_tab.ratings, view.kpi_tab.satisfaction]
    assert all(c.chart().series() for c in charts)
    # a redraw replaces the chart: no axes or labels pile up in the scene
    items = len(view.kpi_tab.histogram.scene().items())
    view.set_filters(start=DAY1, end=DAY2, staff="1001")
    assert len(view.kpi_tab.histogram.scene().items()) <= items + 10


# ---- monthly summary and star -----------------------------------------------------------------

def test_summary_without_enough_ratings_suggests_nobody(view: ManagerView) -> None:
    view.tabs.setCurrentWidget(view.summary_tab)
    tab = view.summary_tab
    # months run from the first data to today; February has none, so March is shown
    assert [tab.month.itemData(i) for i in range(tab.month.count())] == ["2026-03"]
    assert tab.selected_month() == "2026-03"
    assert tab.table.rowCount() == 2
    assert "30" in tab.star.text() and not tab.confirm_button.isEnabled()
    assert "30" in tab.rule_text.text()


def test_confirming_the_star(view: ManagerView, fixed: CounterService) -> None:
    view.tabs.setCurrentWidget(view.summary_tab)
    tab = view.summary_tab
    tab.rule = StarRule(min_ratings=2, prior_weight=2)
    tab.month.setCurrentIndex(tab.month.findData("2026-03"))
    tab.load()
    # 1001: 5, 2, 4 (sum 11, 3 ratings); 1002: 2, 1; hall mean 14/5 = 2.8
    # 1001: (2 × 2.8 + 11) / 5 = 3.32; 1002: (5.6 + 3) / 4 = 2.15
    assert tab.report is not None and tab.report.suggestion.star is not None
    assert tab.report.suggestion.star.staff == "1001"
    assert tab.report.score("1001") == pytest.approx(3.32)
    assert "3.32" in tab.star.text()
    assert tab.confirm_star()
    assert events(fixed, "star_confirmed") == [
        {"month": "2026-03", "staff": "1001", "score": 3.32, "manager": "9001"}]
    assert "1001" in tab.status.text()


# ---- exports and the head-office hook ---------------------------------------------------------

def test_exports_from_the_view(view: ManagerView, tmp_path: Path) -> None:
    assert view.export_overtime(tmp_path / "log.csv") == 2
    rows = list(csv.DictReader((tmp_path / "log.csv").open(encoding="utf-8-sig")))
    assert sorted(r["id"] for r in rows) == ["t2", "t6"]
    assert view.export_summary(tmp_path / "summary.xlsx", "2026-03") == 2
    assert view.export_summary(tmp_path / "summary.pdf", "2026-03") == 2
    assert (tmp_path / "summary.pdf").read_bytes().startswith(b"%PDF")
    assert "summary.pdf" in view.export_message.text()


def test_the_save_dialogs_open_in_the_users_documents(view: ManagerView,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtCore import QStandardPaths
    from PySide6.QtWidgets import QFileDialog

    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName",
                        lambda _parent, _title, start, _filters: (asked.append(start), ("", ""))[1])
    view._ask_export_overtime()
    view._ask_export_summary()
    documents = Path(QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation))
    assert len(asked) == 2
    assert all(Path(start).parent == documents for start in asked), asked
    assert Path(asked[0]).name.startswith("overtime-") and asked[1].endswith(".pdf")


def test_head_office_panel_gets_a_tab(qtbot: QtBot, fixed: CounterService) -> None:
    panel = QLabel("sync panel")
    widget = ManagerView(fixed.manager(), sync_panel=panel)
    qtbot.addWidget(widget)
    assert widget.tabs.count() == 4
    assert widget.tabs.tabText(3) == "Head office"
    bare = ManagerView(fixed.manager())
    qtbot.addWidget(bare)
    assert bare.tabs.count() == 3
    assert bare.ctx.manager == "manager"  # nobody signed in: a neutral name is recorded


def test_an_empty_counter_opens_cleanly(qtbot: QtBot, service: CounterService) -> None:
    widget = ManagerView(service.manager(), today=dt.date(2026, 3, 5))
    qtbot.addWidget(widget)
    widget.show()
    assert shown_txns(widget) == [] and widget.to_review.text()
    widget.tabs.setCurrentWidget(widget.kpi_tab)
    assert widget.kpi_tab.kpis is not None and widget.kpi_tab.kpis.served == 0
    assert widget.kpi_tab.cards["service_level"].value.text() == "–"
    widget.tabs.setCurrentWidget(widget.summary_tab)
    assert not widget.summary_tab.confirm_button.isEnabled()


def test_refresh_picks_up_new_transactions(view: ManagerView, fixed: CounterService) -> None:
    fixed.store.append_timed(_transaction("t8", "1003", "payment", 400.0, 1, DAY2, 4000,
                                          reason="documents"))
    assert "t8" not in shown_txns(view)
    view.hide()
    view.show()  # back from the counter tab: the view notices the new events
    assert "t8" in shown_txns(view)
    assert view.unreviewed == (3, 4)
    assert view.staff.findData("1003") > 0


def test_the_queue_shows_the_halls_wall_time(view: ManagerView) -> None:
    """Times are the hall's (Asia/Shanghai in the demo configuration), not the PC's zone."""
    model = view.review_tab.model
    row = model.rows[model.row_of("t2")]  # type: ignore[index]
    assert row.local.strftime("%Y-%m-%d %H:%M") == "2026-03-02 10:10" and row.day == DAY1


def test_the_summary_shows_closes_during_service_and_counts_them_as_overtime(
        qtbot: QtBot, fixed: CounterService) -> None:
    """Item 8: 1002 closes the app at 3:10 of a payment: a close during service, overtime."""
    fixed.store.append_timed([
        (_at(DAY2, 4000), Draft("signed_in", {"staff": "1002", "role": "staff"})),
        (_at(DAY2, 4010), Draft("started", {"txn": "t8", "staff": "1002", "type": "payment",
                                            "target_s": 180.0})),
        (_at(DAY2, 4200), Draft("interrupted", {"txn": "t8", "elapsed_s": 190.0,
                                                "overtime_s": 10.0, "reason": "closed"})),
        (_at(DAY2, 4200), Draft("signed_out", {"staff": "1002", "reason": "closed"})),
    ])
    widget = ManagerView(fixed.manager("9001"), today=dt.date(2026, 3, 5))
    qtbot.addWidget(widget)
    widget.show()
    widget.tabs.setCurrentWidget(widget.summary_tab)
    tab = widget.summary_tab
    tab.load()
    table = tab.table
    headers = [table.horizontalHeaderItem(j).text().replace("\n", " ")
               for j in range(table.columnCount())]
    column = headers.index(tab.tr("Closes during service"))
    assert headers[column + 1] == tab.tr("Star score")
    cells = {table.item(i, 0).text(): [table.item(i, j).text()
                                       for j in range(table.columnCount())]
             for i in range(table.rowCount())}
    (first,) = [c for name, c in cells.items() if "1001" in name]
    (second,) = [c for name, c in cells.items() if "1002" in name]
    assert first[column] == "0" and second[column] == "1"
    # 1002: t5 within, t6 and the interrupted t8 over: 2 of 3 timed transactions
    assert second[headers.index(tab.tr("Overtime rate"))].startswith("66.7")
