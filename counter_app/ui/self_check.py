"""`counter-app self-check`: what a counter PC (or a freshly built bundle) can really show.

Three checks a smoke test that only opens the windows cannot make:
- Chinese text draws with real glyphs: each character is drawn on its own and compared, pixel
  for pixel, with what the same font draws for a code point no font has (the missing-glyph
  box, or nothing at all); a character that looks like that box is missing.
- a chart draws: a QtCharts line chart rendered off screen shows its series' colour.
- which speech engines exist (voice prompts are silent, and say so once, without one).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter

#: the texts both windows show first, in both languages
SAMPLE = "您好，欢迎光临 请您对我的服务作出评价 非常满意 本月服务之星 监督电话 Counter App"
#: a private-use code point: no font has a glyph for it, so it draws the missing-glyph box
NO_GLYPH = "\U0010fffd"


@dataclass(frozen=True)
class Result:
    ok: bool
    line: str


def _drawn(text: str, font: QFont) -> QImage:
    image = QImage(QSize(64, 64), QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(image.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def missing_glyphs(text: str, font: QFont) -> list[str]:
    """The characters of `text` that `font` (with Qt's fallbacks) draws as the missing-glyph box
    or not at all."""
    box, blank = _drawn(NO_GLYPH, font), _drawn("", font)
    seen: set[str] = set()
    missing = []
    for char in text:
        if char.isspace() or char in seen:
            continue
        seen.add(char)
        drawn = _drawn(char, font)
        if drawn in (box, blank):
            missing.append(char)
    return missing


def check_text(font: QFont | None = None) -> Result:
    font = font or QGuiApplication.font()
    font.setPixelSize(32)
    missing = missing_glyphs(SAMPLE, font)
    if missing:
        return Result(False, f"Chinese text: MISSING GLYPHS for {''.join(missing)!r} in "
                             f"{font.family()!r}: install a CJK font (fonts-wqy-microhei)")
    return Result(True, f"Chinese text: every glyph drawn ({font.family()})")


def check_chart() -> Result:
    from PySide6.QtCharts import QChart, QChartView, QLineSeries

    series = QLineSeries()
    for x, y in ((0, 1), (1, 3), (2, 2), (3, 4)):
        series.append(QPointF(x, y))
    colour = QColor(200, 30, 30)
    pen = series.pen()
    pen.setColor(colour)
    pen.setWidth(4)
    series.setPen(pen)
    chart = QChart()
    chart.addSeries(series)
    chart.createDefaultAxes()
    chart.legend().hide()
    view = QChartView(chart)
    view.resize(400, 300)
    image = view.grab().toImage()
    hits = sum(1 for y in range(0, image.height(), 2) for x in range(0, image.width(), 2)
               if image.pixelColor(x, y) == colour)
    view.deleteLater()
    if hits < 20:
        return Result(False, "chart: NOT DRAWN (QtCharts rendered no line)")
    return Result(True, f"chart: drawn ({hits} sampled pixels of its line)")


#: Qt's own test engine: it starts everywhere and says nothing
MOCK_ENGINE = "mock"


def check_speech() -> Result:
    """Each installed engine started as the app starts one (a plugin may be listed and still
    fail to load, e.g. speechd without libspeechd), and what the app's default would do."""
    from PySide6.QtTextToSpeech import QTextToSpeech

    engines = [str(e) for e in QTextToSpeech.availableEngines()]
    if not engines:
        return Result(True, "speech: no engine (voice prompts stay silent and say so once)")
    said = []
    for name in engines:
        tts = QTextToSpeech(name)
        if name == MOCK_ENGINE:
            said.append(f"{name} (Qt's test engine, silent)")
        elif tts.state() == QTextToSpeech.State.Error:
            said.append(f"{name} (does not start: {tts.errorString() or 'error'})")
        else:
            said.append(f"{name} (starts)")
        tts.deleteLater()
    default = QTextToSpeech()
    works = default.state() != QTextToSpeech.State.Error and default.engine() != MOCK_ENGINE
    outcome = (f"voice prompts would speak through {default.engine() or 'the default engine'}"
               if works else "voice prompts would stay silent and say so once")
    default.deleteLater()
    return Result(True, f"speech engines: {', '.join(said)}; {outcome}")


def run_checks() -> list[Result]:
    """Every check, in order (a QApplication must exist)."""
    return [check_text(), check_chart(), check_speech()]
