"""What the overview, hall and stars pages show: the rows of head_office.reports (the very
functions `counter-hq report` runs), limited to the halls a login sees, and the ECharts
options the pages' charts draw (static/pages.js reads them from `data-chart`).

No FastAPI here: head_office.web.routes turns a request into a `Choice` and renders these.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from counter_core import periods
from counter_core.figures import rate
from counter_core.ratings import OVERTIME_CAUSES
from head_office import closing, reports
from head_office.store import Store
from head_office.web import i18n

Row = dict[str, Any]

#: months the period filter offers, the current one first
MONTHS_OFFERED = 24
#: a day range may span at most this many days (the chart has a point per day)
MAX_DAYS = 92

#: the overview's columns: (key, catalogue key, ascending is the natural order)
OVERVIEW_SORTS: dict[str, bool] = {
    "service_level": False, "satisfaction_rate": False, "participation_rate": False,
    "overtime_rate": True, "overdue_follow_ups": True, "counters": False, "last_sync": False,
    "hall": True,
}
#: the pages add up the per-day aggregates the ingest keeps (reports.SOURCES)
DAILY = "daily"
FIGURE_COLUMNS = ("service_level", "satisfaction_rate", "participation_rate", "overtime_rate")

i18n.register({
    "period": {"zh": "期间", "en": "Period"},
    "month": {"zh": "月份", "en": "Month"},
    "from": {"zh": "起始日", "en": "From"},
    "to": {"zh": "截止日", "en": "To"},
    "show": {"zh": "查看", "en": "Show"},
    "rank": {"zh": "排名", "en": "Rank"},
    "service_level": {"zh": "服务达标率", "en": "Service level"},
    "satisfaction_rate": {"zh": "满意率", "en": "Satisfaction"},
    "participation_rate": {"zh": "参评率", "en": "Participation"},
    "overtime_rate": {"zh": "超时率", "en": "Overtime rate"},
    "overdue_follow_ups": {"zh": "逾期未回访", "en": "Overdue follow-ups"},
    "completed": {"zh": "办结笔数", "en": "Completed"},
    "timed": {"zh": "计时笔数", "en": "Timed"},
    "rated": {"zh": "评价数", "en": "Rated"},
    "mean_rating": {"zh": "平均评分", "en": "Mean rating"},
    "trend": {"zh": "每日趋势（全部可见营业厅合计）",
              "en": "Per day (all visible halls together)"},
    "sort_by": {"zh": "按此列排序", "en": "Sort by this column"},
    "no_figures": {"zh": "此期间没有业务数据。", "en": "No transactions in this period."},
    "period_bad": {
        "zh": "期间无法识别：月份写作 YYYY-MM，日期写作 YYYY-MM-DD，且截止日不早于起始日、"
              "跨度不超过 92 天。已显示本月。",
        "en": "The period could not be read: a month is YYYY-MM, a day YYYY-MM-DD, the last "
              "day not before the first and at most 92 days. This month is shown instead.",
    },
    "counters_figures": {"zh": "各柜台", "en": "Counters"},
    "staff_figures": {"zh": "各员工", "en": "Staff"},
    "staff": {"zh": "员工", "en": "Staff"},
    "pareto": {"zh": "超时原因（复核认定）", "en": "Overtime causes (as reviewed)"},
    "cause": {"zh": "原因", "en": "Cause"},
    "overtime": {"zh": "超时笔数", "en": "Overtime"},
    "share": {"zh": "占比", "en": "Share"},
    "cumulative": {"zh": "累计占比", "en": "Cumulative"},
    "not_reviewed": {"zh": "未复核的超时笔数：", "en": "Overtime transactions not reviewed: "},
    "no_overtime": {"zh": "此期间没有复核过的超时。", "en": "No reviewed overtime in this period."},
    "chains_title": {"zh": "柜台同步与链状态", "en": "Counters' sync and chains"},
    "last_anchor": {"zh": "最近锚点", "en": "Last anchor"},
    "clock_skew": {"zh": "时钟偏差（秒）", "en": "Clock skew (s)"},
    "app_version": {"zh": "软件版本", "en": "App version"},
    "demo": {"zh": "演示（demo）", "en": "demo"},
    "stars": {"zh": "服务之星", "en": "Service stars"},
    "score": {"zh": "得分", "en": "Score"},
    "eligible": {"zh": "有资格", "en": "Eligible"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    "star": {"zh": "之星", "en": "Star"},
    "suggested": {"zh": "建议", "en": "suggested"},
    "confirmed": {"zh": "已确认", "en": "confirmed"},
    "no_stars": {"zh": "此月没有可排名的员工。", "en": "No staff to rank this month."},
    "hall_page": {"zh": "营业厅详情", "en": "Hall details"},
    "as_of": {"zh": "数据截至（最新接收时间，UTC）：",
              "en": "As of (newest upload counted, UTC): "},
    "as_of_short": {"zh": "数据截至（UTC）", "en": "As of (UTC)"},
    "as_of_none": {"zh": "尚未收到任何上传", "en": "no upload received yet"},
    "closed_title": {"zh": "已结账月份（公布数据）与重述",
                     "en": "Closed month (as published) and restatement"},
    "closed_at": {"zh": "结账时间", "en": "Closed at"},
    "closed_by": {"zh": "结账人", "en": "Closed by"},
    "closed_figures": {"zh": "结账时（公布）", "en": "Closed (published)"},
    "restated_figures": {"zh": "重述（含迟到上传）", "en": "Restated (with late uploads)"},
    "late_events": {"zh": "结账后迟到的事件数", "en": "Events uploaded after the close"},
    "no_restatement": {"zh": "结账后没有迟到的上传。", "en": "Nothing arrived after the close."},
    "closed_stars": {"zh": "已结账：公布的排名与之星（不再改变）",
                     "en": "Closed: the published ranking and star (never changes)"},
    "restated_stars_link": {"zh": "重述排名见服务之星页",
                            "en": "restated ranking: see the stars page"},
    "restated_stars": {"zh": "重述排名（含结账后迟到的上传，仅供参考，不改变已公布的之星）",
                       "en": "Restated ranking (with uploads after the close; for reference, "
                             "the published star stays)"},
})


#: the managers' overtime causes, as the counters label them
i18n.register({f"cause:{c.code}": {"zh": c.zh, "en": c.en} for c in OVERTIME_CAUSES})


def cause_label(code: str, lang: str) -> str:
    """A review cause's label; a code head office does not know stays as it is."""
    key = f"cause:{code}"
    return i18n.text(key, lang) if key in i18n.CATALOGUE else code


@dataclass(frozen=True)
class Choice:
    """The period a page shows: a month, or local days first..last."""

    period: reports.Period
    month: str | None  # YYYY-MM when a month was chosen
    first: dt.date
    last: dt.date
    bad: bool = False  # the request's period could not be read: the current month is shown

    def query(self) -> dict[str, str]:
        """The query parameters that choose this period again."""
        if self.month:
            return {"month": self.month}
        return {"from": self.first.isoformat(), "to": self.last.isoformat()}

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n)
                for n in range((self.last - self.first).days + 1)]


def current_month(tz: str, now: dt.datetime | None = None) -> str:
    return periods.today(tz, now).strftime("%Y-%m")


def choose(month: str | None, first: str | None, last: str | None, tz: str,
           now: dt.datetime | None = None) -> Choice:
    """The period of `?month=` or `?from=&to=` (both days given); nothing readable: the
    current month, with `bad` set when something was given."""
    try:
        if first or last:
            start, end = periods.parse_date(first or ""), periods.parse_date(last or "")
            if end < start or (end - start).days + 1 > MAX_DAYS:
                raise periods.PeriodError("bad range")
            return Choice(reports.days_period(start, end, tz), None, start, end)
        if month:
            return _month_choice(month, tz)
    except periods.PeriodError:
        return _month_choice(current_month(tz, now), tz, bad=True)
    return _month_choice(current_month(tz, now), tz)


def _month_choice(month: str, tz: str, *, bad: bool = False) -> Choice:
    first = periods.parse_month(month)
    last = periods.next_month(first) - dt.timedelta(days=1)
    return Choice(reports.month_period(month, tz), month, first, last, bad)


def months_offered(chosen: str | None, tz: str, now: dt.datetime | None = None) -> list[str]:
    """The filter's months: the current one and the 23 before it (and the chosen one)."""
    first = periods.parse_month(current_month(tz, now))
    out = []
    for _ in range(MONTHS_OFFERED):
        out.append(first.strftime("%Y-%m"))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    if chosen and chosen not in out:
        out.append(chosen)
        out.sort(reverse=True)
    return out


# ---- the overview -----------------------------------------------------------------------

def overview_rows(store: Store, halls: Sequence[str], choice: Choice, tz: str,
                  sort: str) -> list[Row]:
    """Each visible hall's figures for the period (reports.figures by hall), its counters and
    overdue follow-ups (reports.halls) and last sync; ranked by service level (rank 1 the
    highest; a hall with nothing timed has no rank), shown in the order of `sort`."""
    seen = set(halls)
    by_hall = {r["hall"]: r for r in reports.figures(store, choice.period, by=("hall",),
                                                     handling_times=False, source=DAILY)
               if r["hall"] in seen}
    standing = {r["hall"]: r for r in reports.halls(store, tz=tz, source=DAILY)
                if r["hall"] in seen}
    last_sync: dict[str, str] = {}
    for counter in store.counters():
        if counter.hall in seen and counter.last_sync_at and (
                counter.last_sync_at > last_sync.get(counter.hall, "")):
            last_sync[counter.hall] = counter.last_sync_at
    rows: list[Row] = []
    for hall in halls:
        figures = by_hall.get(hall, {})
        rows.append({
            "hall": hall,
            **{k: figures.get(k) for k in FIGURE_COLUMNS},
            "completed": figures.get("completed", 0),
            "timed": figures.get("timed", 0),
            "rated": figures.get("rated", 0),
            "overdue_follow_ups": standing.get(hall, {}).get("overdue_follow_ups", 0),
            "counters": standing.get(hall, {}).get("counters", 0),
            "last_sync": last_sync.get(hall),
        })
    ranked = sorted((r for r in rows if r["service_level"] is not None),
                    key=lambda r: (-r["service_level"], r["hall"]))
    for rank, r in enumerate(ranked, start=1):
        r["rank"] = rank
    return sort_rows(rows, sort)


def sort_rows(rows: list[Row], sort: str) -> list[Row]:
    """Rows by the column `sort` in its natural order (rates high first, overtime low
    first), a row without the figure last, the hall's name breaking ties."""
    key = sort if sort in OVERVIEW_SORTS else "service_level"
    ascending = OVERVIEW_SORTS[key]
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: r["hall"])
    present.sort(key=lambda r: r[key], reverse=not ascending)
    return present + sorted(missing, key=lambda r: r["hall"])


def trend_chart(store: Store, halls: Sequence[str], choice: Choice, tz: str,
                lang: str) -> Row:
    """The ECharts option of the period's daily service level and satisfaction, the visible
    halls' counts added up (reports.figures_by_day: reports.figures' counts of each local
    day, in one query)."""
    days = [reports.day_period(day, tz) for day in choice.days()]
    totals: dict[str, list[int]] = {d.label: [0, 0, 0, 0] for d in days}
    for r in reports.figures_by_day(store, days, halls=halls, source=DAILY):
        for i, key in enumerate(("within_target", "timed", "satisfied", "rated")):
            totals[r["day"]][i] += r[key]
    labels = [day.strftime("%m-%d") for day in choice.days()]
    service = [_percent(rate(totals[d.label][0], totals[d.label][1])) for d in days]
    satisfaction = [_percent(rate(totals[d.label][2], totals[d.label][3])) for d in days]
    names = (i18n.text("service_level", lang), i18n.text("satisfaction_rate", lang))
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "renderMode": "richText"},
        "legend": {"data": list(names), "top": 0},
        "grid": {"left": 40, "right": 16, "top": 32, "bottom": 28, "containLabel": True},
        "xAxis": {"type": "category", "data": labels},
        "yAxis": {"type": "value", "min": 0, "max": 100,
                  "axisLabel": {"formatter": "{value}%"}},
        "series": [
            {"name": names[0], "type": "line", "data": service, "connectNulls": False},
            {"name": names[1], "type": "line", "data": satisfaction, "connectNulls": False},
        ],
    }


def _percent(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


# ---- a hall -------------------------------------------------------------------------------

def hall_figures(store: Store, hall: str, choice: Choice, by: str) -> list[Row]:
    """The hall's figures per counter or per staff member (reports.figures)."""
    return reports.figures(store, choice.period, by=("hall", by), hall=hall,
                           handling_times=False, source=DAILY)


def pareto(store: Store, hall: str, choice: Choice, lang: str) -> tuple[list[Row], int]:
    """The overtime causes managers recorded in their reviews (reports.overtime's
    manager_cause), most frequent first with each one's share and the cumulative share;
    and how many overtime transactions no one reviewed yet."""
    counts: dict[str, int] = defaultdict(int)
    unreviewed = 0
    for r in reports.overtime(store, choice.period, hall=hall, source=DAILY):
        if r["manager_cause"] == "(not reviewed)":
            unreviewed += r["overtime"]
        else:
            counts[r["manager_cause"]] += r["overtime"]
    total = sum(counts.values())
    out: list[Row] = []
    running = 0
    for cause, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        running += n
        out.append({"cause": cause, "label": cause_label(cause, lang), "overtime": n,
                    "share": rate(n, total), "cumulative": rate(running, total)})
    return out, unreviewed


i18n.register({
    "review_state": {"zh": "复核与申诉队列", "en": "Review queue"},
    "unreviewed_overtime": {"zh": "未复核的超时（本期间）",
                            "en": "Overtime not reviewed (this period)"},
    "open_appeals": {"zh": "待裁定的申诉", "en": "Appeals waiting for a decision"},
    "upheld_appeal_rate": {"zh": "申诉成立率（成立 ÷ 差评，全部时间）",
                           "en": "Upheld-appeal rate (upheld ÷ poor ratings, all time)"},
    "staff_name": {"zh": "姓名", "en": "Name"},
    "former_staff": {"zh": "前员工 #{number}", "en": "former staff #{number}"},
})


def review_state(store: Store, hall: str, unreviewed: int, tz: str) -> Row:
    """The hall's review queue: overtime not reviewed in the period (`pareto`'s count), poor
    ratings past their follow-up deadline and the upheld-appeal rate (reports.halls, as the
    overview and `report halls`), and the appeals no manager decided (reports.open_appeals)."""
    standing = next(iter(reports.halls(store, hall=hall, tz=tz)), {})
    return {
        "unreviewed_overtime": unreviewed,
        "overdue_follow_ups": standing.get("overdue_follow_ups", 0),
        "open_appeals": reports.open_appeals(store, hall=hall),
        "poor_ratings": standing.get("poor_ratings", 0),
        "upheld_appeals": standing.get("upheld_appeals", 0),
        "upheld_appeal_rate": standing.get("upheld_appeal_rate"),
    }


def former_staff(number: str, lang: str) -> str:
    return i18n.text("former_staff", lang).format(number=number)


def name_staff(rows: Sequence[Row], names: dict[str, str | None], lang: str) -> list[Row]:
    """Rows of staff figures with `staff_name`: the roster's name, "former staff #N" for a
    purged clerk or one gone longer than the retention (None in `names`), "" when the hall's
    roster does not know the number. The numbers are never changed."""
    out = []
    for r in rows:
        number = str(r["staff"])
        name = names.get(number, "")
        out.append({**r, "staff_name": former_staff(number, lang) if name is None else name})
    return out


def pareto_chart(rows: Sequence[Row], lang: str) -> Row:
    """Bars of each cause's overtime count and the line of the cumulative share."""
    bar, line = i18n.text("overtime", lang), i18n.text("cumulative", lang)
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "renderMode": "richText"},
        "legend": {"data": [bar, line], "top": 0},
        "grid": {"left": 40, "right": 48, "top": 32, "bottom": 28, "containLabel": True},
        "xAxis": {"type": "category", "data": [r["label"] for r in rows],
                  "axisLabel": {"interval": 0, "rotate": 30 if len(rows) > 4 else 0}},
        "yAxis": [
            {"type": "value", "minInterval": 1},
            {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
        ],
        "series": [
            {"name": bar, "type": "bar", "data": [r["overtime"] for r in rows]},
            {"name": line, "type": "line", "yAxisIndex": 1,
             "data": [_percent(r["cumulative"]) for r in rows]},
        ],
    }


def handling_bands(store: Store, hall: str, choice: Choice, lang: str) -> list[Row]:
    """reports.satisfaction_by_handling_time with each band's label ("2–3 分钟", "≥ 10 min")."""
    rows = reports.satisfaction_by_handling_time(store, choice.period, hall=hall)
    unit = i18n.text("minutes_short", lang)
    for r in rows:
        low = f"{r['from_s'] // 60:g}"
        r["band"] = (f"{low}–{r['to_s'] // 60:g} {unit}" if r["to_s"] is not None
                     else f"≥ {low} {unit}")
    return rows


def handling_chart(rows: Sequence[Row], lang: str) -> Row:
    """Bars of each handling-time band's satisfaction rate (%) and the line of its rated count."""
    bar, line = i18n.text("satisfaction_rate", lang), i18n.text("rated", lang)
    return {
        "animation": False,
        "tooltip": {"trigger": "axis", "renderMode": "richText"},
        "legend": {"data": [bar, line], "top": 0},
        "grid": {"left": 40, "right": 48, "top": 32, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": [r["band"] for r in rows],
                  "name": i18n.text("handling_time", lang), "nameLocation": "middle",
                  "nameGap": 28, "axisLabel": {"interval": 0}},
        "yAxis": [
            {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}},
            {"type": "value", "minInterval": 1},
        ],
        "series": [
            {"name": bar, "type": "bar",
             "data": [_percent(r["satisfaction_rate"]) for r in rows]},
            {"name": line, "type": "line", "yAxisIndex": 1, "data": [r["rated"] for r in rows]},
        ],
    }


i18n.register({
    "satisfaction_by_time": {"zh": "满意率与办理时长", "en": "Satisfaction against handling time"},
    "handling_time": {"zh": "办理时长", "en": "Handling time"},
    "band": {"zh": "办理时长区间", "en": "Handling time"},
    "minutes_short": {"zh": "分钟", "en": "min"},
    "no_ratings": {"zh": "本期间没有评价。", "en": "No ratings in this period."},
})


# ---- stars ------------------------------------------------------------------------------

def star_rows(store: Store, halls: Iterable[str], choice: Choice, *,
              every_hall: bool) -> dict[str, list[Row]]:
    """Per visible hall, its staff ranked for the month's star (reports.stars, the rows of
    `counter-hq report stars`); `every_hall`: one query for all halls (an hq login)."""
    wanted = list(halls)
    if every_hall:
        rows = reports.stars(store, choice.period, hours=False, source=DAILY)
    else:
        rows = [r for hall in wanted
                for r in reports.stars(store, choice.period, hall=hall, hours=False,
                                       source=DAILY)]
    seen = set(wanted)
    out: dict[str, list[Row]] = {h: [] for h in wanted}
    for r in rows:
        if r["hall"] in seen:
            out[r["hall"]].append(r)
    return out


# ---- closed months ----------------------------------------------------------------------

@dataclass(frozen=True)
class Closed:
    """A visible hall's closed month, and what arrived after the close."""

    hall: str
    month: closing.ClosedMonth
    restated: closing.Restatement | None


def closing_context(store: Store, halls: Sequence[str], choice: Choice, *,
                    stars: bool = False) -> Row:
    """What every figures page adds: "as of" (the newest upload the figures count) and, for
    a closed month, each closed hall's published figures and star with the restatement
    (`stars`: with the restated ranking, which the stars page shows)."""
    out: Row = {"as_of": closing.as_of(store, halls), "closes": {}}
    if choice.month and halls:
        out["closes"] = {
            hall: Closed(hall, c, closing.restatement(store, c, stars=stars))
            for hall, c in sorted(closing.closed(store, choice.month, halls).items())
        }
    return out
