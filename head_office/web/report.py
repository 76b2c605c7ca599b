"""A hall's monthly report: its figures (head_office.reports, the rows `counter-hq report`
writes), the month's star with its rule, and the time it was made; shown as one printable page
(templates/report.html, static/print.css) and as a one-page A4 PDF drawn with fpdf2, which
needs no Qt, in a CJK font (`counter-hq serve --pdf-font`, else a well-known path).

No FastAPI here: head_office.web.exports serves these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from counter_core.figures import StarRule
from counter_core.periods import format_utc
from head_office import reports
from head_office.store import Store
from head_office.web import i18n

#: where a CJK font usually is: Debian's fonts-wqy-microhei (scripts/setup.sh installs it),
#: Noto CJK on Debian/Ubuntu, Fedora and Arch, and Windows' Microsoft YaHei
WELL_KNOWN_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)

#: the report's figures, in the order shown: (row key, catalogue key, kind)
FIGURES = (
    ("completed", "completed", "count"), ("timed", "timed", "count"),
    ("service_level", "service_level", "rate"),
    ("satisfaction_rate", "satisfaction_rate", "rate"),
    ("participation_rate", "participation_rate", "rate"),
    ("overtime_rate", "overtime_rate", "rate"), ("rated", "rated", "count"),
    ("mean_rating", "mean_rating", "number"), ("median_s", "median_s", "seconds"),
    ("p90_s", "p90_s", "seconds"),
)
COUNTER_COLUMNS = ("counter", "completed", "service_level", "satisfaction_rate",
                   "participation_rate", "overtime_rate", "rated", "mean_rating")

i18n.register({
    "report": {"zh": "月度报告", "en": "Monthly report"},
    "report_title": {"zh": "营业厅月度服务报告", "en": "Monthly service report"},
    "report_as_of": {"zh": "数据截至", "en": "As of"},
    "median_s": {"zh": "办理时长中位数（秒）", "en": "Median time (s)"},
    "p90_s": {"zh": "办理时长 90 分位（秒）", "en": "90th percentile (s)"},
    "star_of_month": {"zh": "本月服务之星", "en": "Service star of the month"},
    "suggested_star": {"zh": "建议之星", "en": "Suggested star"},
    "confirmed_star": {"zh": "确认之星", "en": "Confirmed star"},
    "no_suggested_star": {"zh": "暂无建议之星：本月无人达到评价数要求。",
                          "en": "No suggested star: nobody has enough ratings this month."},
    "not_confirmed": {"zh": "值班经理尚未确认。", "en": "Not yet confirmed by the duty manager."},
    "star_rule": {
        "zh": "规则：员工当月至少需有 {min} 条评价。得分 =（C × m + 本人评分之和）÷"
              "（C + 本人评价数），其中 C = {c}，m 为本厅当月平均评分。这是贝叶斯平均："
              "评价较少时得分接近平均值。建议得分最高者；得分保留两位小数后相同的，"
              "超时率低者优先，再以评价数多者优先。",
        "en": "Rule: a staff member needs at least {min} ratings in the month. Score = (C × m "
              "+ sum of own ratings) ÷ (C + number of own ratings), with C = {c} and m = the "
              "hall's mean rating that month: a Bayesian average, so a few ratings stay close "
              "to the mean. The highest score is suggested; scores equal to two decimals go "
              "to the lower overtime rate, then to more ratings.",
    },
    "print_hint": {"zh": "用浏览器打印本页（Ctrl+P），A4 一页。",
                   "en": "Print this page from the browser (Ctrl+P): one A4 page."},
    "download_pdf": {"zh": "下载 PDF", "en": "Download PDF"},
    "no_pdf_font": {
        "zh": "无法生成 PDF：服务器上没有可用的中文字体。请安装 fonts-wqy-microhei，或用 "
              "counter-hq serve --pdf-font 指定字体文件。",
        "en": "No PDF can be made: the server has no CJK font it can use. Install "
              "fonts-wqy-microhei or give a font file with counter-hq serve --pdf-font.",
    },
})


def find_font(given: str | None = None,
              candidates: Iterable[str] = WELL_KNOWN_FONTS) -> Path | None:
    """The PDF's font: `given` (serve --pdf-font), else the first well-known one present."""
    if given:
        return Path(given)
    return next((Path(c) for c in candidates if Path(c).is_file()), None)


@dataclass(frozen=True)
class Star:
    staff: str
    score: float | None
    rated: int
    mean_rating: float | None


@dataclass(frozen=True)
class MonthReport:
    hall: str
    month: str
    as_of_utc: str
    as_of_local: str
    figures: dict[str, Any]
    overdue_follow_ups: int
    by_counter: list[dict[str, Any]]
    suggested: Star | None
    confirmed: Star | None
    rule: StarRule = field(default_factory=StarRule)


def month_report(store: Store, hall: str, month: str, tz: str,
                 now: dt.datetime | None = None) -> MonthReport:
    """The hall's month from reports.figures, reports.halls and reports.stars."""
    period = reports.month_period(month, tz)
    hall_rows = reports.figures(store, period, by=("hall",), hall=hall)
    standing = reports.halls(store, hall=hall, tz=tz)
    stars = reports.stars(store, period, hall=hall)

    def star(rows: Sequence[dict[str, Any]]) -> Star | None:
        return next((Star(r["staff"], r["score"], r["rated"], r["mean_rating"])
                     for r in rows), None)

    at = now or dt.datetime.now(dt.UTC)
    return MonthReport(
        hall=hall, month=month, as_of_utc=format_utc(at),
        as_of_local=at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
        figures=hall_rows[0] if hall_rows else {},
        overdue_follow_ups=int(standing[0]["overdue_follow_ups"]) if standing else 0,
        by_counter=reports.figures(store, period, by=("hall", "counter"), hall=hall),
        suggested=star([r for r in stars if r["star"]]),
        confirmed=star([r for r in stars if r["confirmed"]]),
    )


def shown(value: Any, kind: str) -> str:
    """A figure as the report prints it: rates as 66.7%, nothing to show as —."""
    if value is None or value == "":
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "seconds":
        return f"{value:.0f}"
    if kind == "number" and isinstance(value, int | float):
        return f"{value:.2f}"  # one precision for one figure: 3.00 beside 3.46
    return str(value)


def kind_of(key: str) -> str:
    return next((kind for k, _label, kind in FIGURES if k == key), "text")


def rule_text(rule: StarRule, lang: str) -> str:
    return i18n.text("star_rule", lang).format(min=rule.min_ratings, c=rule.prior_weight)


class FontUnusable(Exception):
    """The font file is missing or fpdf2 cannot read it (the message says which)."""


def pdf_bytes(report: MonthReport, lang: str, font: Path) -> bytes:
    """The report on one A4 page, in `font` (a TTF/TTC/OTF with CJK glyphs)."""
    from fpdf import FPDF  # only the PDF pays for fpdf2's import
    from fpdf.fonts import FontFace

    def t(key: str) -> str:
        return i18n.text(key, lang)

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 15, 15)
    pdf.add_page()
    try:
        pdf.add_font("cjk", fname=str(font))
    except Exception as exc:  # fpdf2 and fontTools raise many kinds for a bad file
        raise FontUnusable(f"{font}: {exc.__class__.__name__}: {exc}") from None
    pdf.set_title(f"{t('report_title')} {report.hall} {report.month}")
    width = pdf.epw

    def line(text: str, size: float, height: float, color: int = 0) -> None:
        pdf.set_font("cjk", size=size)
        pdf.set_text_color(color)
        pdf.multi_cell(width, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    line(t("report_title"), 18, 9)
    line(f"{t('hall')}: {report.hall}    {t('month')}: {report.month}", 12, 7)
    line(f"{t('report_as_of')}: {report.as_of_local} ({report.as_of_utc})", 9, 5, color=90)
    pdf.ln(3)
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(0)
    pairs = [(t(label), shown(report.figures.get(key), kind)) for key, label, kind in FIGURES]
    pairs.append((t("overdue_follow_ups"), str(report.overdue_follow_ups)))
    with pdf.table(col_widths=(3, 2, 3, 2), text_align=("LEFT", "RIGHT", "LEFT", "RIGHT"),
                   line_height=6.5, first_row_as_headings=False) as table:
        for left, right in zip(pairs[0::2], [*pairs[1::2], ("", "")], strict=True):
            table.row([*left, *right])
    pdf.ln(4)
    line(t("counters_figures"), 12, 7)
    pdf.set_font("cjk", size=8.5)
    rows = report.by_counter[:20]  # one page: a hall has fewer counters than this
    # headings shaded, not bold: the one CJK font has no bold face
    with pdf.table(line_height=5.5, text_align="RIGHT", col_widths=(3, 2, 2, 2, 2, 2, 2, 2),
                   headings_style=FontFace(emphasis="", fill_color=(230, 230, 230))) as table:
        table.row([t(c) for c in COUNTER_COLUMNS])
        for r in rows:
            table.row([str(r["counter"]), *(shown(r.get(c), kind_of(c))
                                             for c in COUNTER_COLUMNS[1:])])
    pdf.ln(4)
    line(t("star_of_month"), 12, 7)
    for label, star in (("suggested_star", report.suggested), ("confirmed_star",
                                                               report.confirmed)):
        if star is None:
            text = t("no_suggested_star") if label == "suggested_star" else t("not_confirmed")
        else:
            text = (f"{star.staff} · {t('score')} {shown(star.score, 'number')} · "
                    f"{t('rated')} {star.rated} · {t('mean_rating')} "
                    f"{shown(star.mean_rating, 'number')}")
        line(f"{t(label)}: {text}", 10, 6)
    pdf.ln(1)
    line(rule_text(report.rule, lang), 8.5, 4.5, color=70)
    return bytes(pdf.output())
