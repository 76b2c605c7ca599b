"""The hall board against a fake BoardSource: every tile state, the live timer, not reporting,
the unreachable banner, today's figures, 15 tiles at 800×600 in both languages."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from counter_app.application.board import (
    BoardUnavailable,
    CounterPresence,
    Figures,
    HallFigures,
    HallPresence,
    HttpBoardSource,
    TileKind,
    figures_from,
    presence_from,
)
from counter_app.config import Config, HallServer
from counter_app.ui.hourglass import SAND_OVERTIME
from counter_app.ui.manager.hall_board import LOOKS, STALE, HallBoard
from tests.helpers.clock import FakeClock
from tests.ui.test_translations import translated

BACK_AT = "2026-12-03T02:45:00.000Z"  # 10:45 in Shanghai
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


class FakeSource:
    """A hall server in memory; `down` makes every read fail as an unreachable server does."""

    def __init__(self) -> None:
        self.counters: list[CounterPresence] = []
        self.figures = HallFigures()
        self.down = False
        self.presence_reads = 0
        self.figure_reads = 0
        self.lock = threading.Lock()

    def presence(self) -> HallPresence:
        with self.lock:
            self.presence_reads += 1
            if self.down:
                raise BoardUnavailable("hall server unreachable: ConnectError")
            return HallPresence("SH-0001", tuple(self.counters))

    def today(self) -> HallFigures:
        with self.lock:
            self.figure_reads += 1
            if self.down:
                raise BoardUnavailable("hall server unreachable: ConnectError")
            return self.figures


@pytest.fixture
def source() -> FakeSource:
    return FakeSource()


@pytest.fixture
def board(qtbot: QtBot, source: FakeSource, clock: FakeClock) -> Iterator[HallBoard]:
    made = HallBoard(
        source,
        names={"1001": "王芳", "1002": "李强"},
        type_names={"payment": "Payment"},
        zone=SHANGHAI,
        clock=clock,
        autostart=False,
    )
    qtbot.addWidget(made)
    made.resize(800, 600)
    made.show()
    yield made
    made.stop()


def refresh(qtbot: QtBot, board: HallBoard, source: FakeSource) -> None:
    """One presence read through the thread pool, waited for."""
    reads = source.presence_reads
    assert board.poll()
    qtbot.waitUntil(
        lambda: source.presence_reads > reads and "presence" not in board._in_flight, timeout=3000
    )


def every_state() -> list[CounterPresence]:
    return [
        CounterPresence("01", "signed_out"),
        CounterPresence("02", "idle", staff="1001"),
        CounterPresence(
            "03", "serving", staff="1002", type="payment", elapsed_s=65.0, target_s=180.0
        ),
        CounterPresence(
            "04", "serving", staff="1001", type="payment", elapsed_s=193.0, target_s=180.0
        ),
        CounterPresence("05", "rating", staff="1002"),
        CounterPresence("06", "away", staff="1001", back_at=BACK_AT),
        CounterPresence("07", "idle", staff="1003", age_s=31.0),
    ]


def test_every_state_renders_with_its_text_and_colour(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.counters = every_state()
    source.figures = HallFigures(counters=("08",))  # enrolled, never reported: closed
    board.refresh_figures()
    qtbot.waitUntil(lambda: "08" in board.tiles, timeout=3000)
    refresh(qtbot, board, source)
    tiles = board.tiles
    assert list(tiles) == ["01", "02", "03", "04", "05", "06", "07", "08"]
    expected = {
        "01": (TileKind.CLOSED, "Closed", ""),
        "02": (TileKind.OPEN, "Open", "王芳"),
        "03": (TileKind.SERVING, "Serving · Payment", "李强"),
        "04": (TileKind.OVERTIME, "Serving · Payment", "王芳"),
        "05": (TileKind.RATING, "Waiting for the customer", "李强"),
        "06": (TileKind.AWAY, "Back soon · back at 10:45", "王芳"),
        "07": (TileKind.NOT_REPORTING, "Not reporting", "1003"),  # no name: the number
        "08": (TileKind.CLOSED, "Closed", ""),
    }
    for counter, (kind, status, who) in expected.items():
        tile = tiles[counter]
        assert tile.kind is kind, counter
        assert tile.status.text() == status, counter
        assert tile.who.text() == who, counter
        assert tile.title.text() == f"Counter {counter}"
        assert LOOKS[kind].accent.name() in tile.styleSheet()
    assert tiles["03"].timer.text() == "01:05 / 03:00"
    assert tiles["04"].timer.text() == "Overtime +00:13"
    # overtime is told apart by more than colour: the hourglass's red, a thicker border
    assert tiles["04"].look.accent == SAND_OVERTIME
    assert tiles["04"].look.width > LOOKS[TileKind.SERVING].width
    assert len({(look.accent.name(), look.border) for look in LOOKS.values()}) == len(LOOKS)
    assert not board.banner.isVisible()


def test_the_live_timer_ticks_every_second_on_the_desk_clock(
    qtbot: QtBot, board: HallBoard, source: FakeSource, clock: FakeClock
) -> None:
    # received 2 s before the hall server answered: those seconds count too
    source.counters = [
        CounterPresence(
            "03",
            "serving",
            staff="1002",
            type="payment",
            elapsed_s=170.0,
            target_s=180.0,
            age_s=2.0,
        )
    ]
    refresh(qtbot, board, source)
    tile = board.tiles["03"]
    assert tile.timer.text() == "02:52 / 03:00"
    clock.advance(1)
    board.tick()
    assert tile.timer.text() == "02:53 / 03:00"
    clock.advance(8)
    board.tick()
    assert tile.kind is TileKind.OVERTIME and tile.timer.text() == "Overtime +00:01"
    assert board._tick_timer.interval() == 1000


def test_untimed_service_shows_the_elapsed_time_only(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.counters = [
        CounterPresence("03", "serving", staff="1002", type="enquiry", elapsed_s=3725.0)
    ]
    refresh(qtbot, board, source)
    tile = board.tiles["03"]
    assert tile.kind is TileKind.SERVING
    assert tile.status.text() == "Serving · enquiry"  # an unknown type: its code
    assert tile.timer.text() == "1:02:05"


def test_a_silent_counter_is_not_reporting_after_30_s_and_comes_back(
    qtbot: QtBot, board: HallBoard, source: FakeSource, clock: FakeClock
) -> None:
    source.counters = [
        CounterPresence("02", "idle", staff="1001", age_s=1.0),
        CounterPresence("01", "signed_out", age_s=1.0),
    ]
    refresh(qtbot, board, source)
    tile = board.tiles["02"]
    assert tile.kind is TileKind.OPEN
    clock.advance(29)
    board.tick()
    assert tile.kind is TileKind.OPEN  # 30 s exactly: still reporting
    clock.advance(0.5)
    board.tick()
    assert tile.kind is TileKind.NOT_REPORTING and tile.status.text() == "Not reporting"
    assert board.tiles["01"].kind is TileKind.CLOSED  # signed out: closed, never "silent"
    refresh(qtbot, board, source)  # a fresh signal (age 1 s)
    assert tile.kind is TileKind.OPEN


def test_an_unreachable_hall_server_shows_a_banner_and_greys_the_tiles(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.counters = [CounterPresence("02", "idle", staff="1001")]
    refresh(qtbot, board, source)
    source.down = True
    refresh(qtbot, board, source)
    assert board.banner.isVisible() and "unreachable" in board.banner.text()
    tile = board.tiles["02"]
    assert tile.stale and tile.look == STALE and STALE.background.name() in tile.styleSheet()
    assert tile.status.text() == "Open"  # the last state known stays
    source.down = False
    refresh(qtbot, board, source)
    assert not board.banner.isVisible() and not tile.stale


def test_todays_figures_per_counter_and_for_the_hall(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.figures = HallFigures(
        total=Figures(57, 0.912, 0.95),
        by_counter={"01": Figures(30, 0.9, 1.0), "02": Figures(27, None, None)},
        counters=("01", "02"),
    )
    reads = source.figure_reads
    board.refresh_figures()
    qtbot.waitUntil(lambda: source.figure_reads > reads and "02" in board.tiles, timeout=3000)
    assert board.hall_line.text() == (
        "Hall today: served 57 · service level 91% · satisfaction 95%"
    )
    one = board.tiles["01"]
    assert (one.served.text(), one.level.text(), one.satisfaction.text()) == (
        "Served 30",
        "Service level 90%",
        "Satisfaction 100%",
    )
    assert board.tiles["02"].level.text() == "Service level –"
    assert board._figures_timer.interval() == 30_000


def test_a_phase_change_fetches_the_figures_again(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.counters = [CounterPresence("03", "serving", staff="1002", elapsed_s=5.0)]
    refresh(qtbot, board, source)
    reads = source.figure_reads
    source.counters = [CounterPresence("03", "rating", staff="1002")]
    refresh(qtbot, board, source)
    assert board._soon.isActive()
    qtbot.waitUntil(lambda: source.figure_reads > reads, timeout=4000)


def test_it_polls_presence_every_second_off_the_ui_thread(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    threads: list[threading.Thread] = []
    original = source.presence

    def spy() -> HallPresence:
        threads.append(threading.current_thread())
        return original()

    source.presence = spy  # type: ignore[method-assign]
    board.start()
    qtbot.waitUntil(lambda: len(threads) >= 3, timeout=4500)
    assert all(t is not threading.main_thread() for t in threads)
    assert board._poll_timer.interval() == 1000


def fifteen() -> list[CounterPresence]:
    made = []
    for n in range(1, 16):
        states = every_state()
        one = states[n % len(states)]
        made.append(
            CounterPresence(
                f"{n:02}",
                one.phase,
                staff=one.staff,
                type=one.type,
                elapsed_s=one.elapsed_s,
                target_s=one.target_s,
                back_at=one.back_at,
                age_s=one.age_s,
            )
        )
    return made


def assert_everything_fits(board: HallBoard) -> None:
    """Every tile in the scroll area's view, every text whole in its label, the tiles no wider
    than the view and the board no wider than its window."""
    assert board.grid_host.width() <= board.scroll_area.viewport().width()
    viewport = board.scroll_area.viewport().rect()
    for counter, tile in board.tiles.items():
        box = tile.geometry()
        assert viewport.contains(box), f"tile {counter} at {box} outside {viewport}"
        for label in tile.findChildren(QLabel):
            if not (label.isVisible() and label.text()):
                continue
            room = label.contentsRect()
            if label.wordWrap():  # wraps: all its lines must fit in its height
                words = label.text().split()
                widest = max(label.fontMetrics().horizontalAdvance(w) for w in words)
                assert widest <= room.width(), f"tile {counter}: {label.text()!r}"
                assert label.heightForWidth(room.width()) <= label.height() + 1, (
                    f"tile {counter}: {label.text()!r} is cut off at the bottom"
                )
            else:
                needed = label.fontMetrics().horizontalAdvance(label.text())
                assert needed <= room.width(), f"tile {counter}: {label.text()!r} needs {needed} px"
                assert label.sizeHint().height() <= label.height() + 1, label.text()
    hall_line = board.hall_line
    assert hall_line.heightForWidth(hall_line.contentsRect().width()) <= hall_line.height() + 1


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_fifteen_tiles_fit_800_by_600_without_clipping(
    qtbot: QtBot, board: HallBoard, source: FakeSource, language: str
) -> None:
    with contextlib.contextmanager(translated)(QApplication.instance(), language):  # type: ignore[arg-type]
        source.counters = fifteen()
        source.figures = HallFigures(
            total=Figures(250, 0.9, 0.97),
            by_counter={f"{n:02}": Figures(n * 3, 0.875, 0.96) for n in range(1, 16)},
        )
        board.refresh_figures()
        qtbot.waitUntil(lambda: "figures" not in board._in_flight, timeout=3000)
        refresh(qtbot, board, source)
        qtbot.wait(50)
        assert len(board.tiles) == 15
        if language == "zh_CN":
            assert board.tiles["01"].status.text() == "开放"
        assert_everything_fits(board)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_an_unreachable_board_of_fifteen_never_grows_past_800_by_600(
    qtbot: QtBot, board: HallBoard, source: FakeSource, language: str
) -> None:
    # what the screenshots showed: greyed tiles after a big screen, "Serving · Enquiry" and
    # the hall's line at the big screen's size held the window 14 px past 800
    with contextlib.contextmanager(translated)(QApplication.instance(), language):  # type: ignore[arg-type]
        board.type_names = {"payment": "Enquiry", "plan": "Plan change"}
        source.counters = fifteen()
        source.figures = HallFigures(
            total=Figures(312, 0.914, 0.962),
            by_counter={f"{n:02}": Figures(n * 3, 0.875, 0.96) for n in range(1, 16)},
        )
        board.refresh_figures()
        qtbot.waitUntil(lambda: "figures" not in board._in_flight, timeout=3000)
        refresh(qtbot, board, source)
        board.resize(1920, 1080)
        qtbot.wait(50)
        board.resize(800, 600)
        source.down = True
        refresh(qtbot, board, source)
        qtbot.wait(50)
        assert not board.reachable and board.banner.isVisible()
        assert all(tile.stale for tile in board.tiles.values())
        assert board.width() == 800 and board.height() == 600
        assert board.minimumSizeHint().width() <= 800
        if language == "en":
            assert "Serving · Enquiry" in [t.status.text() for t in board.tiles.values()]
        assert_everything_fits(board)


def test_a_tile_too_narrow_for_its_text_elides_it_with_a_tooltip(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.counters = [CounterPresence("01", "idle", staff="1001")]
    board.names["1001"] = "A very long name of a clerk that no tile can hold"
    refresh(qtbot, board, source)
    tile = board.tiles["01"]
    tile.setFixedWidth(150)
    qtbot.wait(50)
    assert tile.who.text() == "A very long name of a clerk that no tile can hold"
    assert tile.who.toolTip() == tile.who.text()
    assert tile.who.minimumSizeHint().width() < 150
    board.names["1001"] = "王芳"
    board.tick()
    assert tile.who.text() == "王芳" and tile.who.toolTip() == ""  # fits: no tooltip


def test_tiles_wrap_again_when_the_board_is_resized(
    qtbot: QtBot, source: FakeSource, clock: FakeClock
) -> None:
    board = HallBoard(source, clock=clock, autostart=False)
    qtbot.addWidget(board)
    source.counters = fifteen()
    board.show_presence(source.presence())  # the tiles exist before the board has a size
    board.resize(800, 600)
    board.show()
    qtbot.waitExposed(board)
    qtbot.wait(50)
    assert board._columns == 5
    rows = {tile.geometry().top() for tile in board.tiles.values()}
    assert len(rows) == 3
    assert all(tile.scale == 1.0 for tile in board.tiles.values())
    board.resize(1920, 1080)
    qtbot.wait(50)
    # a big screen: the same grid, larger tiles with larger text, all in view
    viewport = board.scroll_area.viewport().rect()
    assert all(viewport.contains(tile.geometry()) for tile in board.tiles.values())
    assert all(tile.scale >= 1.75 for tile in board.tiles.values())
    assert board.scroll_area.verticalScrollBar().maximum() == 0
    board.stop()


def test_more_tiles_than_fit_scroll(qtbot: QtBot, board: HallBoard, source: FakeSource) -> None:
    source.counters = [CounterPresence(f"{n:02}", "idle", staff="1001") for n in range(1, 41)]
    refresh(qtbot, board, source)
    qtbot.wait(50)
    assert len(board.tiles) == 40
    assert board.scroll_area.verticalScrollBar().maximum() > 0


def test_the_http_answers_are_read_as_presence_and_figures() -> None:
    presence = presence_from(
        {
            "hall": "SH-0001",
            "now": "2026-12-03T02:00:10.000Z",
            "counters": [
                {
                    "counter": "03",
                    "phase": "serving",
                    "txn": "t",
                    "started_at": None,
                    "elapsed_s": 12.5,
                    "target_s": 180.0,
                    "staff": "1001",
                    "type": "payment",
                    "received_at": "2026-12-03T02:00:07.500Z",
                },
                {
                    "counter": "06",
                    "phase": "away",
                    "staff": "1002",
                    "back_at": BACK_AT,
                    "received_at": "2026-12-03T02:00:09.000Z",
                },
                {"not": "a row"},
            ],
        }
    )
    serving, away = presence.counters
    assert serving.age_s == pytest.approx(2.5) and serving.type == "payment"
    assert away.back_at == BACK_AT and len(presence.counters) == 2
    figures = figures_from(
        {
            "counters_synced": [{"counter": "01"}, {"counter": "02"}],
            "total": {"completed": 9, "service_level": 0.5, "satisfaction_rate": None},
            "by_counter": [{"counter": "01", "completed": 9, "service_level": 0.5}],
        }
    )
    assert figures.counters == ("01", "02")
    assert figures.total == Figures(9, 0.5, None)
    assert figures.by_counter["01"].served == 9


def test_the_http_source_needs_a_hall_server_and_says_when_it_is_unreachable(
    demo_config: Config,
) -> None:
    with pytest.raises(BoardUnavailable, match="hall server"):
        HttpBoardSource.from_config(demo_config)  # no [hall_server]
    config = dataclasses.replace(
        demo_config, hall_server=HallServer("http://127.0.0.1:9", token="desk-token")
    )
    source = HttpBoardSource.from_config(config)
    try:
        with pytest.raises(BoardUnavailable, match="unreachable"):
            source.presence()
        with pytest.raises(BoardUnavailable, match="unreachable"):
            source.today()
    finally:
        source.close()


def test_overdue_follow_ups_are_said_on_the_hall_line_in_red(
    qtbot: QtBot, board: HallBoard, source: FakeSource
) -> None:
    source.figures = figures_from({"total": {"completed": 5}, "by_counter": [],
                                   "counters_synced": [{"counter": "01"}],
                                   "overdue_follow_ups": 2})
    assert source.figures.overdue_follow_ups == 2
    reads = source.figure_reads
    board.refresh_figures()
    qtbot.waitUntil(lambda: source.figure_reads > reads and "overdue" in board.hall_line.text(),
                    timeout=3000)
    assert board.hall_line.text().endswith(" · 2 follow-ups overdue")
    assert "#b71c1c" in board.hall_line.styleSheet()
    board.resize(board.width() + 300, board.height() + 200)  # the tiles regrow: the red stays
    qtbot.waitUntil(lambda: "#b71c1c" in board.hall_line.styleSheet(), timeout=1000)
    board._relayout()
    assert "#b71c1c" in board.hall_line.styleSheet()
    source.figures = figures_from({"total": {"completed": 5}, "overdue_follow_ups": 0})
    reads = source.figure_reads
    board.refresh_figures()
    qtbot.waitUntil(lambda: source.figure_reads > reads
                    and "overdue" not in board.hall_line.text(), timeout=3000)
    assert "#b71c1c" not in board.hall_line.styleSheet()
