"""The hall board: one tile per counter, live from the hall server's presence.

Each tile shows what its counter is doing (closed, open with the clerk's name, serving with the
type and a live timer against the target, overtime, waiting for the customer, back soon, not
reporting) and today's served count, service level and satisfaction; a line above the tiles
gives the hall's. The data comes through a `BoardSource` (counter_app.application.board), read
off the UI thread: presence every second, today's figures every 30 s and after a phase change.
When the hall server cannot be read a banner says so and the tiles grey out, keeping the last
state known.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QRunnable, QSize, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from counter_app.application.board import (
    FIGURES_EVERY_S,
    PRESENCE_EVERY_S,
    BoardSource,
    BoardUnavailable,
    CounterPresence,
    Figures,
    HallFigures,
    HallPresence,
    TileKind,
    TileState,
    clock_text,
    tile_state,
)
from counter_app.ui.hourglass import SAND, SAND_OVERTIME
from counter_app.ui.widgets import ElidedLabel
from counter_core.periods import local_hhmm

log = logging.getLogger(__name__)

#: the narrowest a tile gets: five across at 800 px
TILE_MIN_W = 148
TILE_MIN_H = 150
#: the height a tile's text takes at scale 1 (its text grows with the tile up to 2.5 times)
TILE_TEXT_H = 180


@dataclass(frozen=True)
class Look:
    """A tile's colours and border: each state is told apart by border style as well as by
    colour (overtime is hatched and marked with a warning sign, like the hourglass)."""

    accent: QColor
    background: QColor
    border: str  # a CSS border style
    width: int


LOOKS: dict[TileKind, Look] = {
    TileKind.CLOSED: Look(QColor("#90a4ae"), QColor("#eceff1"), "dotted", 2),
    TileKind.OPEN: Look(QColor("#2e7d32"), QColor("#e8f5e9"), "solid", 2),
    TileKind.SERVING: Look(SAND, QColor("#fff8e1"), "solid", 3),
    TileKind.OVERTIME: Look(SAND_OVERTIME, QColor("#ffebee"), "solid", 4),
    TileKind.RATING: Look(QColor("#1565c0"), QColor("#e3f2fd"), "solid", 2),
    TileKind.AWAY: Look(QColor("#6a1b9a"), QColor("#f3e5f5"), "dashed", 2),
    TileKind.NOT_REPORTING: Look(QColor("#455a64"), QColor("#cfd8dc"), "dashed", 3),
}
STALE = Look(QColor("#9e9e9e"), QColor("#eeeeee"), "dotted", 2)


def percent(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


class BoardTile(QFrame):
    """One counter's tile; `painted` fires after each repaint (the latency benchmark's mark)."""

    painted = Signal(str, str)  # counter, state line

    def __init__(self, counter: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.counter = counter
        self.setObjectName("tile")
        self.kind = TileKind.CLOSED
        self.stale = False
        self.setMinimumSize(TILE_MIN_W, TILE_MIN_H)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        box = QVBoxLayout(self)
        box.setContentsMargins(7, 5, 7, 5)
        box.setSpacing(1)

        self._sizes: dict[QLabel, tuple[int, bool]] = {}
        self.scale = 1.0

        def label(name: str, size: int, bold: bool = False) -> QLabel:
            # one-line texts elide where a tile is too narrow; the wrapping ones wrap
            made = (
                ElidedLabel(self, objectName=name)
                if name not in ("status", "timer")
                else QLabel(self, objectName=name)
            )
            made.setTextFormat(Qt.TextFormat.PlainText)
            self._sizes[made] = (size, bold)
            box.addWidget(made)
            return made

        self.title = label("title", 15, bold=True)
        self.who = label("who", 13)
        self.status = label("status", 14, bold=True)
        self.status.setWordWrap(True)  # "Back soon · back at 10:45" takes two lines at 800 px
        self.timer = label("timer", 16, bold=True)
        self.timer.setWordWrap(True)  # "Overtime +00:13" in English
        box.addStretch(1)
        self.served = label("served", 12)
        self.level = label("level", 12)
        self.satisfaction = label("satisfaction", 12)
        self._apply_look()

    @property
    def look(self) -> Look:
        return STALE if self.stale else LOOKS[self.kind]

    def texts(self) -> list[str]:
        return [
            w.text()
            for w in (
                self.title,
                self.who,
                self.status,
                self.timer,
                self.served,
                self.level,
                self.satisfaction,
            )
        ]

    def show_texts(
        self,
        kind: TileKind,
        stale: bool,
        title: str,
        who: str,
        status: str,
        timer: str,
        figures: tuple[str, str, str],
    ) -> None:
        before = (self.kind, self.stale, self.texts())
        for widget, text in zip(
            (
                self.title,
                self.who,
                self.status,
                self.timer,
                self.served,
                self.level,
                self.satisfaction,
            ),
            (title, who, status, timer, *figures),
            strict=True,
        ):
            if widget.text() != text:
                widget.setText(text)
        self.timer.setVisible(bool(timer))
        if (kind, stale) != before[:2]:
            self.kind, self.stale = kind, stale
            self._apply_look()
        if (self.kind, self.stale, self.texts()) != before:
            self.update()

    def set_scale(self, scale: float) -> None:
        """Text size for the tile's size: 1 at the smallest tile, larger on a big screen."""
        scale = round(max(1.0, min(2.5, scale)) * 4) / 4
        if scale != self.scale:
            self.scale = scale
            self._apply_look()

    def _apply_look(self) -> None:
        look = self.look
        self.setStyleSheet(
            f"#tile {{ background: {look.background.name()}; border: {look.width}px "
            f"{look.border} {look.accent.name()}; border-radius: 6px; }}"
        )
        for widget, (size, bold) in self._sizes.items():
            colour = (
                "color: #757575;"
                if self.stale
                else f"color: {look.accent.darker(135).name()};"
                if widget is self.status
                else ""
            )
            widget.setStyleSheet(
                f"font-size: {round(size * self.scale)}px; "
                f"{'font-weight: bold;' if bold else ''}{colour}"
                "background: transparent; border: none;"
            )

    def paintEvent(self, event: object) -> None:
        super().paintEvent(event)  # type: ignore[arg-type]
        if self.kind is TileKind.OVERTIME and not self.stale:
            painter = QPainter(self)
            pen = QPen(SAND_OVERTIME)
            painter.setPen(pen)
            painter.setBrush(QBrush(QColor(198, 40, 40, 40), Qt.BrushStyle.BDiagPattern))
            painter.drawRoundedRect(self.rect().adjusted(4, 4, -5, -5), 4, 4)
            painter.end()
        self.painted.emit(self.counter, self.status.text())


class _Carrier(QObject):
    arrived = Signal(str, object)  # "presence" | "figures", the answer or a BoardUnavailable


class _Read(QRunnable):
    def __init__(self, what: str, read: Callable[[], object], carrier: _Carrier) -> None:
        super().__init__()
        self.what, self.read, self.carrier = what, read, carrier

    def run(self) -> None:
        try:
            answer: object = self.read()
        except BoardUnavailable as exc:
            answer = exc
        except Exception as exc:  # a source's bug must not take the desk down
            log.exception("the hall board's source failed")
            answer = BoardUnavailable(f"{type(exc).__name__}: {exc}")
        with contextlib.suppress(RuntimeError):  # the board was closed meanwhile
            self.carrier.arrived.emit(self.what, answer)


def grid_columns(tiles: int, width: int, height: int, spacing: int) -> tuple[int, float, float]:
    """How many columns the tiles take in width × height, and a tile's size: the layout in
    which every tile fits without scrolling and is as large as it can be (a tile no wider than
    1.2 times its height counts by its width); when none fits, as many columns as the width
    takes, and the board scrolls."""
    best: tuple[float, int, float, float] | None = None
    for columns in range(1, max(1, tiles) + 1):
        rows = -(-max(1, tiles) // columns)
        tile_w = (width - spacing * (columns - 1)) / columns
        tile_h = (height - spacing * (rows - 1)) / rows
        if tile_w < TILE_MIN_W or tile_h < TILE_MIN_H:
            continue
        size = min(tile_w, tile_h * 1.2)
        if best is None or size > best[0]:
            best = (size, columns, tile_w, tile_h)
    if best is not None:
        return best[1], best[2], best[3]
    columns = max(1, (width + spacing) // (TILE_MIN_W + spacing))
    return columns, (width - spacing * (columns - 1)) / columns, TILE_MIN_H


def counter_order(counter: str) -> tuple[int, int, str]:
    return (0, int(counter), counter) if counter.isdigit() else (1, 0, counter)


class HallBoard(QWidget):
    """The hall view's first tab: the tiles, the hall's figures and the unreachable banner."""

    #: the hall server answered after being unreachable (True) or stopped answering (False)
    reachable_changed = Signal(bool)
    #: a tile was repainted: its counter and its state line (the latency benchmark's mark)
    tile_painted = Signal(str, str)

    def __init__(
        self,
        source: BoardSource,
        *,
        names: Mapping[str, str] | None = None,
        type_names: Mapping[str, str] | None = None,
        zone: dt.tzinfo | None = None,
        clock: Callable[[], float] = time.monotonic,
        poll_s: float = PRESENCE_EVERY_S,
        figures_s: float = FIGURES_EVERY_S,
        autostart: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.source = source
        self.names = dict(names or {})
        self.type_names = dict(type_names or {})
        self.zone = zone
        self.clock = clock
        self.tiles: dict[str, BoardTile] = {}
        self.reachable = True
        self._presence: dict[str, CounterPresence] = {}
        self._presence_at = clock()
        self._figures = HallFigures()
        self._in_flight: set[str] = set()
        self._columns = 0

        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._carrier = _Carrier(self)
        self._carrier.arrived.connect(self._on_answer)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        outer.setSpacing(4)
        self.banner = QLabel(self, objectName="banner")
        self.banner.setStyleSheet(
            "background: #b71c1c; color: white; font-size: 15px; "
            "font-weight: bold; padding: 6px; border-radius: 4px;"
        )
        self.banner.setWordWrap(True)
        self.banner.hide()
        outer.addWidget(self.banner)
        self.hall_line = QLabel(self, objectName="hall_line")
        self._hall_line_px = 15
        self.hall_line.setStyleSheet("font-size: 15px; font-weight: bold; padding: 2px;")
        # wraps: its text is sized for the board, and the board never grows past its window
        self.hall_line.setWordWrap(True)
        outer.addWidget(self.hall_line)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(6)
        self.scroll_area.setWidget(self.grid_host)
        self.scroll_area.viewport().installEventFilter(self)
        outer.addWidget(self.scroll_area, 1)
        self.empty = QLabel(
            self.tr("No counter has reported to the hall server yet"),
            self.grid_host,
            objectName="empty",
        )
        self.grid.addWidget(self.empty, 0, 0)

        self._poll_timer = QTimer(self, interval=max(50, int(poll_s * 1000)))
        self._poll_timer.timeout.connect(self.poll)
        self._tick_timer = QTimer(self, interval=1000)
        self._tick_timer.timeout.connect(self.tick)
        self._figures_timer = QTimer(self, interval=max(1000, int(figures_s * 1000)))
        self._figures_timer.timeout.connect(self.refresh_figures)
        self._soon = QTimer(self, singleShot=True, interval=1500)
        self._soon.timeout.connect(self.refresh_figures)
        self._show_hall_line()
        if autostart:
            self.start()

    def sizeHint(self) -> QSize:
        return QSize(800, 600)

    # ---- reading -------------------------------------------------------------------------------

    def start(self) -> None:
        self._poll_timer.start()
        self._tick_timer.start()
        self._figures_timer.start()
        self.poll()
        self.refresh_figures()

    def stop(self, wait_ms: int = 3000) -> None:
        for timer in (self._poll_timer, self._tick_timer, self._figures_timer, self._soon):
            timer.stop()
        self._pool.waitForDone(wait_ms)

    def poll(self) -> bool:
        """Ask for presence, off the UI thread (not while the last ask is unanswered)."""
        return self._ask("presence", self.source.presence)

    def refresh_figures(self) -> bool:
        return self._ask("figures", self.source.today)

    def _ask(self, what: str, read: Callable[[], object]) -> bool:
        if what in self._in_flight:
            return False
        self._in_flight.add(what)
        self._pool.start(_Read(what, read, self._carrier))
        return True

    def _on_answer(self, what: str, answer: object) -> None:
        self._in_flight.discard(what)
        if isinstance(answer, BoardUnavailable):
            log.info("hall board: %s unavailable: %s", what, answer)
            self.show_unreachable()
        elif isinstance(answer, HallPresence):
            self.show_presence(answer)
        elif isinstance(answer, HallFigures):
            self.show_figures(answer)

    # ---- what arrived --------------------------------------------------------------------------

    def show_presence(self, presence: HallPresence) -> None:
        """A fresh presence answer, received now (the desk's monotonic clock)."""
        before = {c: p.phase for c, p in self._presence.items()}
        self._presence = presence.by_counter()
        self._presence_at = self.clock()
        self._set_reachable(True)
        after = {c: p.phase for c, p in self._presence.items()}
        if before and after != before and not self._soon.isActive():
            self._soon.start()  # a phase change: today's figures again, once ingested
        self._sync_tiles()
        self.tick()

    def show_figures(self, figures: HallFigures) -> None:
        self._figures = figures
        self._sync_tiles()
        self._show_hall_line()
        self.tick()

    def show_unreachable(self) -> None:
        self._set_reachable(False)
        self.tick()

    def _set_reachable(self, reachable: bool) -> None:
        if reachable == self.reachable:
            return
        self.reachable = reachable
        self.banner.setText(self.tr("Hall server unreachable: the tiles show the last state known"))
        self.banner.setVisible(not reachable)
        self.reachable_changed.emit(reachable)

    # ---- the tiles ----------------------------------------------------------------------------

    def counters(self) -> list[str]:
        return sorted(
            set(self._figures.counters) | set(self._figures.by_counter) | set(self._presence),
            key=counter_order,
        )

    def _sync_tiles(self) -> None:
        wanted = self.counters()
        if wanted == list(self.tiles):
            return
        for counter in wanted:
            if counter not in self.tiles:
                tile = self.tiles[counter] = BoardTile(counter, self.grid_host)
                tile.painted.connect(self.tile_painted)
        for counter in set(self.tiles) - set(wanted):
            self.tiles[counter].deleteLater()
        self.tiles = {c: self.tiles[c] for c in wanted}
        self.empty.setVisible(not wanted)
        self._columns = 0
        self._relayout()

    def _relayout(self) -> None:
        viewport = self.scroll_area.viewport()
        columns, tile_w, tile_h = grid_columns(
            len(self.tiles),
            viewport.width() or self.width(),
            viewport.height() or self.height(),
            self.grid.spacing(),
        )
        scale = max(1.0, min(2.5, tile_w / TILE_MIN_W, tile_h / TILE_TEXT_H))
        for tile in self.tiles.values():
            tile.set_scale(scale)
        self._hall_line_px = round(15 * max(1.0, scale * 0.8))
        self._style_hall_line()
        if columns == self._columns:
            return
        self._columns = columns
        for tile in self.tiles.values():
            self.grid.removeWidget(tile)
        for index, tile in enumerate(self.tiles.values()):
            self.grid.addWidget(tile, index // columns, index % columns)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # the tiles wrap to the scroll area's own width, known once its layout has run
        if watched is self.scroll_area.viewport() and event.type() == QEvent.Type.Resize:
            self._relayout()
        return super().eventFilter(watched, event)

    def tick(self) -> None:
        """Bring every tile up to now: live timers, overtime, not reporting."""
        since = self.clock() - self._presence_at
        for counter, tile in self.tiles.items():
            state = tile_state(counter, self._presence.get(counter), since)
            self._show(tile, state)

    def _show(self, tile: BoardTile, state: TileState) -> None:
        who = self._name(state.staff) if state.staff else ""
        timer = ""
        kind = state.kind
        if kind is TileKind.CLOSED:
            status = self.tr("Closed")
        elif kind is TileKind.OPEN:
            status = self.tr("Open")
        elif kind in (TileKind.SERVING, TileKind.OVERTIME):
            type_name = self.type_names.get(state.type or "", state.type or "")
            status = (
                self.tr("Serving · %1").replace("%1", type_name)
                if type_name
                else self.tr("Serving")
            )
            elapsed = state.elapsed_s or 0.0
            if kind is TileKind.OVERTIME and state.target_s is not None:
                timer = self.tr("Overtime +%1").replace("%1", clock_text(elapsed - state.target_s))
            elif state.target_s is not None:
                timer = f"{clock_text(elapsed)} / {clock_text(state.target_s)}"
            else:
                timer = clock_text(elapsed)
        elif kind is TileKind.RATING:
            status = self.tr("Waiting for the customer")
        elif kind is TileKind.AWAY:
            status = self.tr("Back soon · back at %1").replace(
                "%1", local_hhmm(state.back_at, self.zone)
            )
        else:
            status = self.tr("Not reporting")
        figures = self._figures.by_counter.get(tile.counter, Figures())
        tile.show_texts(
            kind,
            not self.reachable,
            self.tr("Counter %1").replace("%1", tile.counter),
            who,
            status,
            timer,
            self._figure_texts(figures),
        )

    def _figure_texts(self, figures: Figures) -> tuple[str, str, str]:
        return (
            self.tr("Served %1").replace("%1", str(figures.served)),
            self.tr("Service level %1").replace("%1", percent(figures.service_level)),
            self.tr("Satisfaction %1").replace("%1", percent(figures.satisfaction)),
        )

    def _name(self, number: str) -> str:
        return self.names.get(number) or number

    def _show_hall_line(self) -> None:
        total = self._figures.total
        text = (self.tr("Hall today: served %1 · service level %2 · satisfaction %3")
                .replace("%1", str(total.served))
                .replace("%2", percent(total.service_level))
                .replace("%3", percent(total.satisfaction)))
        overdue = self._figures.overdue_follow_ups
        if overdue:  # past the 好差评 deadline: said on the board, in red
            text += " · " + self.tr("%n follow-ups overdue", "", overdue)
        self.hall_line.setText(text)
        self._style_hall_line()

    def _style_hall_line(self) -> None:
        """The hall line's style: its size follows the tiles, red while any follow-up is overdue."""
        overdue = self._figures.overdue_follow_ups
        self.hall_line.setStyleSheet(
            f"font-size: {self._hall_line_px}px; font-weight: bold; padding: 2px;"
            + (" color: #b71c1c;" if overdue else "")
        )
