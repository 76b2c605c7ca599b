"""The overview, hall and stars pages against a real `counter-hq serve` (SQLite and
PostgreSQL): the figures they show are reports.*'s for the same data, a hall login sees its
halls only, and the vendored scripts are served from here under a CSP of 'self' scripts."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from counter_core.chain import Event
from counter_core.transaction import Draft
from head_office import reports
from head_office.web import audit, pages, routes
from tests.helpers.hq import HqServer, chained, day_drafts
from tests.web.support import add_user, signed_in, unique

VENDOR = Path(routes.__file__).resolve().parent / "static" / "vendor"


def test_the_vendor_readme_names_each_files_sha256() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|", readme))
    files = {p.name for p in VENDOR.iterdir() if p.name != "README.md"}
    assert set(listed) == files == {"echarts.min.js", "echarts.LICENSE", "echarts.NOTICE",
                                    "htmx.min.js", "htmx.LICENSE"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "5.6.0" in readme and "2.0.4" in readme


def test_pages_load_their_scripts_from_this_server_only(hq_sqlite: HqServer) -> None:
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hq"))
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline JS
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert {"/static/vendor/htmx.min.js", "/static/pages.js"} <= set(sources)
    assert all(s.startswith("/static/") for s in sources)
    for path in (*sources, "/static/vendor/echarts.min.js"):
        answer = httpx.get(hq_sqlite.url + path, timeout=30)
        assert answer.status_code == 200, path
        assert "javascript" in answer.headers["content-type"]
        local = routes.HERE / path.removeprefix("/")
        assert answer.content == local.read_bytes()


# ---- the figures pages against reports.* ------------------------------------------------

TZ = "Asia/Shanghai"  # counter-hq serve's default --time-zone
NOVEMBER = reports.month_period("2026-11", TZ)
CAUSES = ("system", "system", "missing_documents", "complex_request", "system", "other")


class Cells(HTMLParser):
    """Each table's rows as {row key: {data-col: data-value}} (the key: the row's data-*)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, dict[str, str | None]]] = {}
        self._table = ""
        self._row: dict[str, str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id") or a.get("data-hall") or ""
            self.tables.setdefault(self._table, {})
        elif tag == "tr":
            keys = [v for k, v in attrs if k.startswith("data-") and v]
            self._row = {} if keys else None
            if keys and self._row is not None:
                self.tables[self._table][keys[0]] = self._row
        elif tag in ("td", "span") and self._row is not None and "data-col" in a:
            self._row[a["data-col"] or ""] = a.get("data-value")


def cells(html: str) -> dict[str, dict[str, dict[str, str | None]]]:
    parser = Cells()
    parser.feed(html)
    return parser.tables


def history(hall: str, counter: str, seed: int, *, demo: bool = False) -> list[Event]:
    """October 15th and November 2nd of a counter: transactions, ratings, overtime reasons,
    managers' reviews of the overtime, and (counter 01) November's confirmed star; `demo`:
    the chain starts with the demo marker."""
    drafts = day_drafts(12, dt.date(2026, 10, 15), seed=seed) + day_drafts(
        16, dt.date(2026, 11, 2), seed=seed + 500)
    over = [d.payload["txn"] for at, d in drafts
            if d.kind == "completed" and d.payload["overtime_s"] > 0 and at.startswith("2026-11")]
    late = "2026-11-02T10:{:02}:00.000Z"
    for n, txn in enumerate(over[:-1]):  # the last one stays unreviewed
        drafts.append((late.format(n), Draft("overtime_reviewed", {
            "txn": txn, "cause": CAUSES[n % len(CAUSES)], "note": "", "manager": "9001"})))
    if counter.endswith("01"):
        drafts.append(("2026-11-30T09:00:00.000Z",
                       Draft("star_confirmed", {"month": "2026-11", "staff": "1002"})))
    if demo:  # the demo marker first, as `counter-app demo-data` writes it
        drafts.insert(0, ("2026-10-15T00:00:00.000Z", Draft("log_opened", {
            "app_version": "0.2.0", "chain_format": 1, "demo": True})))
    return chained(hall, counter, drafts, seed=seed)


@dataclass
class Data:
    server: HqServer
    a: str
    b: str
    login_a: str
    login_b: str
    hq: str


@pytest.fixture(scope="module")
def data(hq_server: HqServer) -> Data:
    return seed_halls(hq_server)


def seed_halls(hq_server: HqServer) -> Data:
    """Two halls of two counters each (`history`), a hall login for each and an hq login."""
    halls = []
    for h in range(2):
        hall = unique("PAGES")
        for n, counter in enumerate(("01", "02")):
            token = hq_server.enroll(hall, f"{hall}-{counter}")
            events = history(hall, f"{hall}-{counter}", seed=100 * h + n + 1,
                             demo=counter == "02")
            answer = httpx.post(
                f"{hq_server.url}/api/v1/events", timeout=60,
                content=json.dumps({"events": [e.as_dict() for e in events]}).encode(),
                headers={"Authorization": f"Bearer {token}",
                         "Content-Type": "application/json"})
            assert answer.status_code == 200, answer.text
        halls.append(hall)
    a, b = halls
    return Data(hq_server, a, b, add_user(hq_server, "hall", (a,)),
                add_user(hq_server, "hall", (b,)), add_user(hq_server, "hq"))


def pareto_labels(text: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<td data-col="cause">([^<]*)</td>', text)]


def value(x: object) -> str:
    return str(x)  # as Jinja writes it into data-value


def test_the_overview_shows_reports_figures_ranked_by_service_level(data: Data) -> None:
    page = signed_in(data.server, data.hq).get("/?month=2026-11")
    assert page.status_code == 200
    shown = cells(page.text)["halls"]
    expected = {r["hall"]: r for r in reports.figures(data.server.store, NOVEMBER)}
    standing = {r["hall"]: r for r in reports.halls(data.server.store, tz=TZ)}
    for hall in (data.a, data.b):
        row = shown[hall]
        for key in pages.FIGURE_COLUMNS:
            assert row[key] == value(expected[hall][key]), (hall, key)
        assert row["overdue_follow_ups"] == value(standing[hall]["overdue_follow_ups"])
        assert row["counters"] == "2"
        assert row["last_sync"] not in (None, "None")
    levels = {h: expected[h]["service_level"] for h in (data.a, data.b)}
    best, worst = sorted(levels, key=lambda h: -levels[h])
    assert int(shown[best]["rank"] or 0) < int(shown[worst]["rank"] or 0)
    order = [h for h in shown if h in levels]
    assert order == [best, worst] or levels[best] == levels[worst]
    # the chart's points: the visible halls' daily figures added up
    chart = json.loads(html.unescape(re.search(r'data-chart="([^"]*)"', page.text).group(1)))  # type: ignore[union-attr]
    day = chart["xAxis"]["data"].index("11-02")
    day_rows = [r for r in reports.figures(data.server.store,
                                           reports.day_period(dt.date(2026, 11, 2), TZ))
                if r["hall"] in levels]
    within = sum(r["within_target"] for r in day_rows)
    timed = sum(r["timed"] for r in day_rows)
    assert chart["series"][0]["data"][day] == round(within / timed * 100, 1)
    assert chart["series"][0]["data"][chart["xAxis"]["data"].index("11-03")] is None


def test_the_overview_sorts_and_swaps_its_fragment_for_htmx(data: Data) -> None:
    client = signed_in(data.server, data.hq)
    by_hall = list(cells(client.get("/?month=2026-11&sort=hall").text)["halls"])
    assert by_hall == sorted(by_hall)
    fragment = client.get("/?month=2026-10", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="figures" data-period="2026-10"')
    assert "<html" not in fragment.text
    october = reports.figures(data.server.store, reports.month_period("2026-10", TZ))
    shown = cells(fragment.text)["halls"]
    for r in october:
        if r["hall"] in (data.a, data.b):
            assert shown[r["hall"]]["service_level"] == value(r["service_level"])
    days = client.get("/?from=2026-11-01&to=2026-11-03")
    assert 'data-period="2026-11-01..2026-11-03"' in days.text
    assert cells(days.text)["halls"][data.a]["service_level"] == value(next(
        r["service_level"] for r in reports.figures(
            data.server.store, reports.days_period(dt.date(2026, 11, 1),
                                                   dt.date(2026, 11, 3), TZ))
        if r["hall"] == data.a))


def test_a_period_that_cannot_be_read_shows_this_month_with_a_message(data: Data) -> None:
    client = signed_in(data.server, data.hq)
    now = dt.datetime.now(ZoneInfo(TZ)).strftime("%Y-%m")
    assert f'data-period="{now}"' in client.get("/").text
    for query in ("month=2026-13", "month=x", "from=2026-11-05&to=2026-11-01",
                  "from=2026-01-01&to=2026-12-31", "from=2026-11-01"):
        page = client.get(f"/?{query}&lang=en")
        assert page.status_code == 200, query
        assert f'data-period="{now}"' in page.text
        assert "The period could not be read" in page.text


def test_a_hall_page_shows_its_counters_staff_causes_and_chains(data: Data) -> None:
    client = signed_in(data.server, data.login_a)
    page = client.get(f"/halls/{data.a}?month=2026-11")
    assert page.status_code == 200
    tables = cells(page.text)
    store = data.server.store
    for by in ("counter", "staff"):
        for r in reports.figures(store, NOVEMBER, by=("hall", by), hall=data.a):
            row = tables[f"by-{by}"][r[by]]
            for key in (*pages.FIGURE_COLUMNS, "completed", "timed", "rated", "mean_rating"):
                assert row[key] == value(r[key]), (by, r[by], key)
    reviewed: dict[str, int] = {}
    unreviewed = 0
    for r in reports.overtime(store, NOVEMBER, hall=data.a):
        if r["manager_cause"] == "(not reviewed)":
            unreviewed += r["overtime"]
        else:
            reviewed[r["manager_cause"]] = reviewed.get(r["manager_cause"], 0) + r["overtime"]
    causes = tables["causes"]
    assert {c: int(row["overtime"] or 0) for c, row in causes.items()} == reviewed
    assert pareto_labels(page.text) == [pages.cause_label(c, "zh") for c in causes]
    assert "系统或网络" in pareto_labels(page.text)
    counts = [int(row["overtime"] or 0) for row in causes.values()]
    assert counts == sorted(counts, reverse=True)  # Pareto: the biggest cause first
    assert float(list(causes.values())[-1]["cumulative"] or 0) == 1.0
    assert f'id="unreviewed" data-value="{unreviewed}"' in page.text and unreviewed >= 1
    pareto = json.loads(html.unescape(re.search(  # type: ignore[union-attr]
        r'data-name="pareto" data-chart="([^"]*)"', page.text).group(1)))
    assert [s["type"] for s in pareto["series"]] == ["bar", "line"]
    assert pareto["series"][0]["data"] == counts
    for r in reports.chains(store, hall=data.a):
        row = tables["chains"][r["counter"]]
        assert row["events"] == value(r["events"])
        assert row["last_sync_at"] == value(r["last_sync_at"])
        assert row["last_anchor"] == value(r["last_anchor_seq"])
        assert row["clock_skew_s"] == value(r["clock_skew_s"])
        assert row["app_version"] == value(r["app_version"])
        assert ("demo" in row) == (r["demo"] == "demo") == r["counter"].endswith("02")
    assert "ok" in page.text


def test_the_stars_page_shows_each_halls_ranking_with_the_confirmed_star(data: Data) -> None:
    page = signed_in(data.server, data.hq).get("/stars?month=2026-11&lang=en")
    assert page.status_code == 200 and "Service stars" in page.text
    tables = cells(page.text)
    rows = reports.stars(data.server.store, NOVEMBER)
    for hall in (data.a, data.b):
        expected = [r for r in rows if r["hall"] == hall]
        assert list(tables[hall]) == [r["staff"] for r in expected]
        for r in expected:
            row = tables[hall][r["staff"]]
            for key in ("rank", "score", "eligible", "rated", "mean_rating"):
                assert row[key] == value(r[key]), (hall, r["staff"], key)
            assert row["star"] == ("confirmed" if r["confirmed"] else
                                   "suggested" if r["star"] else "")
        assert [r["staff"] for r in expected if r["confirmed"]] == ["1002"]
    assert '<tr data-staff="1002" class="confirmed">' in page.text


def test_a_hall_login_sees_its_own_halls_only(data: Data) -> None:
    client = signed_in(data.server, data.login_b)
    for path in ("/?month=2026-11", "/stars?month=2026-11", "/?from=2026-11-01&to=2026-11-30"):
        page = client.get(path)
        assert page.status_code == 200
        assert data.b in page.text and data.a not in page.text, path
    assert client.get(f"/halls/{data.a}?month=2026-11").status_code == 404
    assert client.get(f"/halls/{data.b}?month=2026-11").status_code == 200


def test_staff_level_pages_are_recorded_in_the_audit_log(data: Data) -> None:
    client = signed_in(data.server, data.login_a)
    client.get(f"/halls/{data.a}?month=2026-11")
    client.get("/stars?month=2026-10")
    client.get("/?month=2026-11")
    seen = [(e["action"], e["target"], e["detail"]) for e in audit.entries(
        data.server.store.engine, login=data.login_a)]
    assert (audit.PAGE_VIEW_STAFF, f"hall {data.a}", "period=2026-11") in seen
    assert (audit.PAGE_VIEW_STAFF, "stars", "month=2026-10") in seen
    assert not [s for s in seen if s[0] == audit.PAGE_VIEW_STAFF and s[1] == "/"]


def test_the_pages_speak_chinese_by_default_and_english_on_request(data: Data) -> None:
    client = signed_in(data.server, data.hq)
    for path in ("/?month=2026-11", f"/halls/{data.a}?month=2026-11", "/stars?month=2026-11"):
        zh = client.get(path).text
        en = client.get(path + "&lang=en").text
        assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
        assert ("服务达标率" in zh and "Service level" in en) or ("得分" in zh and "Score" in en)
        client.get(path + "&lang=zh")


def test_figures_by_day_counts_what_figures_counts_for_each_day(data: Data) -> None:
    store = data.server.store
    days = [reports.day_period(dt.date(2026, 10, 14) + dt.timedelta(days=n), TZ)
            for n in range(21)]  # October 14th to November 3rd
    by_day = {(r["hall"], r["day"]): r
              for r in reports.figures_by_day(store, days, halls=[data.a, data.b])}
    assert {h for h, _ in by_day} == {data.a, data.b}
    for day in days:
        for r in reports.figures(store, day):
            if r["hall"] not in (data.a, data.b):
                continue
            got = by_day.pop((r["hall"], day.label))
            for key in ("completed", "timed", "within_target", "rated", "satisfied",
                        "voided", "interrupted", "upheld_appeals", *pages.FIGURE_COLUMNS):
                assert got[key] == r[key], (day.label, key)
    assert not by_day  # no day or hall that figures() does not have


def test_a_hall_page_shows_satisfaction_against_handling_time(data: Data) -> None:
    page = signed_in(data.server, data.login_a).get(f"/halls/{data.a}?month=2026-11&lang=en")
    assert page.status_code == 200 and "Satisfaction against handling time" in page.text
    bands = reports.satisfaction_by_handling_time(data.server.store, NOVEMBER, hall=data.a)
    [whole] = reports.figures(data.server.store, NOVEMBER, hall=data.a)
    # every rating of the period in exactly one band, the same ones `figures` counts
    assert sum(b["rated"] for b in bands) == whole["rated"] > 0
    assert sum(b["satisfied"] for b in bands) == whole["satisfied"]
    assert [b["from_s"] for b in bands] == list(reports.HANDLING_BANDS)
    shown = cells(page.text)["handling"]
    assert list(shown) == [str(b["from_s"]) for b in bands]
    for b in bands:
        row = shown[str(b["from_s"])]
        assert row["rated"] == value(b["rated"])
        assert row["satisfaction_rate"] == value(b["satisfaction_rate"])
    chart = json.loads(html.unescape(re.search(  # type: ignore[union-attr]
        r'data-name="handling" data-chart="([^"]*)"', page.text).group(1)))
    assert chart["series"][1]["data"] == [b["rated"] for b in bands]
    assert chart["xAxis"]["data"][0] == "0–1 min" and chart["xAxis"]["data"][-1] == "≥ 10 min"
