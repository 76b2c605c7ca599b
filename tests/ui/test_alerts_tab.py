"""The alerts tab against a fake feed, and the feed against a fake client: the list's order,
bold unacknowledged rows, Acknowledge as the signed-in manager (and disabled away from the
desk), one notification and one sound per batch of new alerts, the first poll's window."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from counter_app.application.alerts_feed import (
    Alert,
    AlertFeed,
    AlertsUnavailable,
    FeedUpdate,
    display_order,
)
from counter_app.config import Config, HallServer
from counter_app.sync.protocol import Refused, Unavailable
from counter_app.ui.manager.alerts_tab import AlertsTab
from tests.ui.test_translations import translated

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 3, 6, 0, tzinfo=dt.UTC)


def alert(
    seq: int,
    kind: str = "overtime",
    *,
    counter: str = "01",
    staff: str | None = "1001",
    acked: str | None = None,
    at: str = "2026-12-03T05:30:00Z",
) -> Alert:
    return Alert(
        seq=seq,
        id=f"{seq:032x}",
        kind=kind,
        counter=counter,
        staff=staff,
        at=at,
        text=f"柜台 {counter} 超时 {seq}",
        acknowledged_by=acked,
        acknowledged_at="2026-12-03T05:40:00Z" if acked else None,
    )


class FakeFeed:
    def __init__(self, can_ack: bool = True) -> None:
        self.can_ack = can_ack
        self.alerts: list[Alert] = []
        self.seen: set[str] = set()
        self.acks: list[tuple[str, str]] = []
        self.down = False
        self.lock = threading.Lock()

    def poll(self) -> FeedUpdate:
        with self.lock:
            if self.down:
                raise AlertsUnavailable("hall server unreachable: ConnectError")
            new = tuple(a for a in self.alerts if a.id not in self.seen)
            self.seen |= {a.id for a in self.alerts}
            return FeedUpdate(display_order(self.alerts), new)

    def acknowledge(self, alert_id: str, staff: str) -> Alert:
        with self.lock:
            self.acks.append((alert_id, staff))
            done = next(a for a in self.alerts if a.id == alert_id)
            done = dataclasses.replace(
                done, acknowledged_by=staff, acknowledged_at="2026-12-03T05:59:00Z"
            )
            self.alerts = [done if a.id == alert_id else a for a in self.alerts]
            return done


class Recorder:
    def __init__(self) -> None:
        self.notes: list[tuple[str, str]] = []
        self.sounds = 0

    def notify(self, title: str, message: str) -> None:
        self.notes.append((title, message))

    def sound(self) -> None:
        self.sounds += 1


def make_tab(qtbot: QtBot, feed: FakeFeed, rec: Recorder) -> AlertsTab:
    tab = AlertsTab(
        feed,
        manager="9001",
        names={"1001": "王芳", "9001": "赵主任"},
        zone=SHANGHAI,
        notifier=rec.notify,
        sound=rec.sound,
        poll_ms=100,
        autostart=False,
    )
    qtbot.addWidget(tab)
    tab.resize(800, 600)
    tab.show()
    return tab


def cells(tab: AlertsTab, row: int) -> list[str]:
    return [tab.table.item(row, c).text() for c in range(tab.table.columnCount())]


def test_unacknowledged_first_and_bold_newest_first_with_names_and_local_time(
    qtbot: QtBot,
) -> None:
    feed, rec = FakeFeed(), Recorder()
    feed.alerts = [
        alert(1),
        alert(2, "poor_rating", acked="9001"),
        alert(3, "not_reporting", counter="02", staff=None),
    ]
    tab = make_tab(qtbot, feed, rec)
    tab.start()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=3000)
    assert [a.seq for a in tab.alerts] == [3, 1, 2]
    bold = [tab.table.item(r, 0).font().bold() for r in range(3)]
    assert bold == [True, True, False]
    assert cells(tab, 1)[:5] == [
        "13:30:00" if dt.datetime.now(SHANGHAI).date() == dt.date(2026, 12, 3) else "12-03 13:30",
        "Overtime",
        "01",
        "王芳 (1001)",
        "柜台 01 超时 1",
    ]
    assert cells(tab, 0)[1] == "Not reporting" and cells(tab, 0)[3] == ""
    assert cells(tab, 2)[1] == "Poor rating"
    assert cells(tab, 2)[5].startswith("赵主任 (9001) at ")
    assert cells(tab, 0)[5] == "Not yet"
    assert tab.count.text() == "2 not acknowledged"
    tab.stop()


def test_acknowledge_sends_the_signed_in_managers_number_and_the_row_goes_down(
    qtbot: QtBot,
) -> None:
    feed, rec = FakeFeed(), Recorder()
    feed.alerts = [alert(1), alert(2)]
    tab = make_tab(qtbot, feed, rec)
    tab.start()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 2, timeout=3000)
    assert not tab.ack_button.isEnabled()  # nothing selected
    tab.table.selectRow(0)  # the newest: 2
    assert tab.ack_button.isEnabled()
    tab.ack_button.click()
    qtbot.waitUntil(lambda: tab.alerts[-1].acknowledged, timeout=3000)
    assert feed.acks == [(f"{2:032x}", "9001")]
    assert [a.seq for a in tab.alerts] == [1, 2]
    assert not tab.table.item(1, 0).font().bold()
    assert tab.table.item(0, 0).font().bold()
    tab.stop()


def test_at_a_counters_hall_view_acknowledge_is_disabled_and_says_where(qtbot: QtBot) -> None:
    feed, rec = FakeFeed(can_ack=False), Recorder()
    feed.alerts = [alert(1)]
    tab = make_tab(qtbot, feed, rec)
    tab.start()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=3000)
    tab.table.selectRow(0)
    assert not tab.ack_button.isEnabled()
    assert tab.ack_button.toolTip() == "Acknowledge at the manager desk"
    assert not tab.acknowledge_selected()
    assert feed.acks == []
    tab.stop()


def test_new_alerts_notify_once_per_batch_with_a_sound_and_old_ones_never_again(
    qtbot: QtBot,
) -> None:
    feed, rec = FakeFeed(), Recorder()
    feed.alerts = [alert(1)]
    tab = make_tab(qtbot, feed, rec)
    tab.start()
    qtbot.waitUntil(lambda: rec.sounds == 1, timeout=3000)
    assert rec.notes == [("Alert · counter 01", "Overtime: 柜台 01 超时 1")]
    qtbot.wait(400)  # polls every 100 ms: nothing new, nothing said
    assert rec.sounds == 1
    with feed.lock:
        feed.alerts = [*feed.alerts, alert(2, counter="03"), alert(3, "poor_rating")]
    qtbot.waitUntil(lambda: rec.sounds == 2, timeout=3000)
    assert rec.notes[-1] == ("2 new alerts", "Poor rating: 柜台 01 超时 3")
    tab.stop()


def test_an_unreadable_server_is_said_and_the_list_kept(qtbot: QtBot) -> None:
    feed, rec = FakeFeed(), Recorder()
    feed.alerts = [alert(1)]
    tab = make_tab(qtbot, feed, rec)
    tab.start()
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=3000)
    feed.down = True
    qtbot.waitUntil(lambda: tab.problem.isVisible(), timeout=3000)
    assert "cannot be read" in tab.problem.text() and "Traceback" not in tab.problem.text()
    assert tab.table.rowCount() == 1
    feed.down = False
    qtbot.waitUntil(lambda: not tab.problem.isVisible(), timeout=3000)
    tab.stop()


def test_without_a_tray_the_default_notifier_shows_a_banner(qtbot: QtBot) -> None:
    feed, rec = FakeFeed(), Recorder()
    feed.alerts = [alert(1)]
    tab = AlertsTab(feed, manager="9001", zone=SHANGHAI, sound=rec.sound, autostart=False)
    qtbot.addWidget(tab)
    tab.show()
    tab.start()
    qtbot.waitUntil(lambda: rec.sounds == 1, timeout=3000)
    assert tab.banner.isVisible()  # offscreen has no system tray
    assert "柜台 01 超时 1" in tab.banner.text()
    tab.stop()


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_tab_is_translated_and_fits_800_by_600(qtbot: QtBot, language: str) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with contextlib.contextmanager(translated)(app, language):
        feed, rec = FakeFeed(can_ack=False), Recorder()
        feed.alerts = [alert(n, counter=f"{n:02d}") for n in range(1, 6)]
        tab = make_tab(qtbot, feed, rec)
        tab.start()
        qtbot.waitUntil(lambda: tab.table.rowCount() == 5, timeout=3000)
        headers = [tab.table.horizontalHeaderItem(c).text() for c in range(6)]
        if language == "zh_CN":
            assert headers[0] == "时间" and tab.ack_button.text() == "确认"
            assert cells(tab, 0)[1] == "超时"
            assert tab.ack_button.toolTip() == "请在值班经理台确认"
        else:
            assert headers[0] == "Time"
        assert tab.table.horizontalScrollBar().maximum() == 0  # no sideways scrolling
        tab.stop()


# ---- the feed --------------------------------------------------------------------------------


class FakeClient:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.asked: list[str | None] = []
        self.acked: list[tuple[str, str]] = []
        self.fail: Exception | None = None

    def hall_alerts(self, since: str | None = None) -> dict[str, Any]:
        self.asked.append(since)
        if self.fail is not None:
            raise self.fail
        rows = self.rows
        if since is not None and len(since) == 32:
            seq = next(r["seq"] for r in rows if r["id"] == since)
            rows = [r for r in rows if r["seq"] > seq]
        return {"hall": "SH-0001", "now": "", "alerts": rows}

    def ack_alert(self, alert: str, staff: str) -> dict[str, Any]:
        self.acked.append((alert, staff))
        row = next(r for r in self.rows if r["id"] == alert)
        row.update(acknowledged_by=staff, acknowledged_at="2026-12-03T06:00:00Z")
        return row


def row(seq: int, acked: str | None = None) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": f"{seq:032x}",
        "kind": "overtime",
        "hall": "SH-0001",
        "counter": "01",
        "staff": "1001",
        "staff_name": "1001",
        "txn": None,
        "at": "2026-12-03T05:30:00Z",
        "text": "t",
        "detail": {},
        "quiet": None,
        "acknowledged_by": acked,
        "acknowledged_desk": None,
        "acknowledged_at": None,
    }


def test_the_first_poll_reads_the_past_hour_and_announces_only_the_unacknowledged() -> None:
    client = FakeClient()
    client.rows = [row(1, acked="9001"), row(2)]
    feed = AlertFeed(lambda: client, now=lambda: NOW)
    first = feed.poll()
    assert client.asked == ["2026-12-03T05:00:00Z"]
    assert [a.seq for a in first.new] == [2]
    assert [a.seq for a in first.alerts] == [2, 1]
    assert feed.last_id == f"{2:032x}"
    assert feed.poll().new == ()
    assert client.asked[-1] == f"{2:032x}"  # the last id seen
    client.rows.append(row(3, acked="9002"))  # raised and acknowledged elsewhere meanwhile
    assert [a.seq for a in feed.poll().new] == [3]  # after the first poll every new one counts
    done = feed.acknowledge(f"{2:032x}", "9001")
    assert done.acknowledged_by == "9001" and client.acked == [(f"{2:032x}", "9001")]
    assert all(a.acknowledged for a in feed.alerts())


def test_the_feed_reports_failures_as_unavailable_and_refuses_acks_off_the_desk() -> None:
    client = FakeClient()
    feed = AlertFeed(lambda: client, now=lambda: NOW, can_ack=False)
    client.fail = Unavailable("head office unreachable: ConnectError")
    with pytest.raises(AlertsUnavailable, match="unreachable"):
        feed.poll()
    client.fail = Refused(403, "the reader token reads alerts only")
    with pytest.raises(AlertsUnavailable):
        feed.poll()
    with pytest.raises(AlertsUnavailable, match="manager desk"):
        feed.acknowledge(f"{1:032x}", "9001")


def test_a_first_poll_that_fails_does_not_make_the_next_one_ring_for_the_past_hour() -> None:
    client = FakeClient()
    client.rows = [row(1, acked="9001"), row(2)]
    feed = AlertFeed(lambda: client, now=lambda: NOW)
    client.fail = Unavailable("head office unreachable: ConnectError")
    with pytest.raises(AlertsUnavailable):
        feed.poll()
    client.fail = None
    answer = feed.poll()
    assert client.asked[-1] == "2026-12-03T05:00:00Z"  # the window again, not an id
    assert [a.seq for a in answer.new] == [2]  # the acknowledged one is not announced


def test_only_a_desks_own_token_acknowledges_a_counters_hall_view_reads_only(
    demo_config: Config,
) -> None:
    desk = dataclasses.replace(
        demo_config, hall_server=HallServer("http://127.0.0.1:9", token="desk-token")
    )
    assert AlertFeed.for_hall_view(desk).can_ack
    counter = dataclasses.replace(
        demo_config,
        hall_server=HallServer("http://127.0.0.1:9", token="own", reader_token="reader"),
    )
    assert not AlertFeed.for_hall_view(counter).can_ack
