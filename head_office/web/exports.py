"""Every table of the web pages as CSV (UTF-8 with BOM, for Excel) and XLSX, and a hall's
monthly report as a printable page and a PDF.

A download is the page's own table: the same rows for the same period filter (`?month=`,
`?from=&to=`, the overview's `?sort=`, the audit's `?login=&action=`), headers and codes in
the page's language, through the one formula-safe writer of each format
(counter_core.tables). Every download is scoped as its page is (another hall's answers 404,
like a hall that does not exist) and recorded in the audit trail (`export`).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from counter_core.tables import write_csv, xlsx_bytes
from head_office import errors, reports
from head_office.web import audit, i18n, pages, report, routes, users
from head_office.web.routes import (
    PageError,
    Viewer,
    ViewerDep,
    _choice,
    _language,
    _record,
    _secure_headers,
    _store,
    _tz,
    render,
    visible_halls,
)

router: APIRouter = APIRouter()

FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

i18n.register({
    "download": {"zh": "下载", "en": "Download"},
    "last_anchor_at": {"zh": "最近锚点时间", "en": "Last anchor at"},
    "record_id": {"zh": "编号", "en": "No."},
})


@dataclass(frozen=True)
class Column:
    """A column of a download: the row's key, its header's catalogue key, how it is shown
    (`rate`: a fraction 0–1, a percentage in XLSX; `yes_no`, `cause`, `star`, `never`: a
    code said in words; `text`: as it is)."""

    key: str
    label: str
    kind: str = "text"


def _cols(*spec: str | tuple[str, str] | tuple[str, str, str]) -> tuple[Column, ...]:
    out = []
    for s in spec:
        if isinstance(s, str):
            out.append(Column(s, s, _KINDS.get(s, "text")))
        else:
            out.append(Column(*s))
    return tuple(out)


_KINDS = {k: "rate" for k in (*pages.FIGURE_COLUMNS, "share", "cumulative")}

FIGURE_TABLE = ("completed", "timed", *pages.FIGURE_COLUMNS, "rated", "mean_rating")
OVERVIEW = _cols("rank", "hall", *pages.FIGURE_COLUMNS, "overdue_follow_ups", "counters",
                 ("last_sync", "last_sync", "never"))
BY_COUNTER = _cols("counter", *FIGURE_TABLE)
BY_STAFF = _cols("staff", *FIGURE_TABLE)
CAUSES = _cols(("cause", "cause", "cause"), "overtime", "share", "cumulative")
HANDLING = _cols(("band", "band"), "rated", "satisfaction_rate", "mean_rating")
CHAINS = _cols(("counter", "counter", "revoked"), "events",
               ("last_sync_at", "last_sync", "never"), ("last_anchor_seq", "last_anchor"),
               ("last_anchor_at", "last_anchor_at"), ("clock_skew_s", "clock_skew"),
               "app_version", "chain", ("demo", "demo", "demo"))
STARS = _cols("hall", "rank", "staff", "score", ("eligible", "eligible", "yes_no"), "rated",
              "mean_rating", ("star", "star", "star"))
AUDIT = _cols(("id", "record_id"), "at", ("login", "who"), "action", "target", "ip",
              "detail")


def _cell(row: dict[str, Any], column: Column, lang: str) -> Any:
    value = row.get(column.key)
    kind = column.kind
    if kind == "rate":
        return round(value, 4) if isinstance(value, float) else value
    if kind == "yes_no":
        return i18n.text("yes" if value else "no", lang)
    if kind == "cause":
        return pages.cause_label(str(value), lang)
    if kind == "never":
        return value or i18n.text("never", lang)
    if kind == "revoked":
        return f"{value} ({i18n.text('revoked', lang)})" if row.get("revoked_at") else value
    if kind == "demo":
        return i18n.text("demo", lang) if value else ""
    if kind == "star":
        if row.get("confirmed"):
            return i18n.text("confirmed", lang)
        return i18n.text("suggested", lang) if row.get("star") else ""
    return value


@dataclass(frozen=True)
class Table:
    name: str  # the file's name without its extension
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]
    detail: str  # the audit entry's: the filter that chose the rows

    def records(self, lang: str) -> tuple[list[str], list[dict[str, Any]]]:
        headers = [i18n.text(c.label, lang) for c in self.columns]
        assert len(set(headers)) == len(headers), headers
        return headers, [{h: _cell(r, c, lang) for h, c in zip(headers, self.columns,
                                                                   strict=True)}
                         for r in self.rows]


def _download(request: Request, found: Viewer, table: Table, fmt: str) -> Response:
    lang = _language(request)
    headers, records = table.records(lang)
    if fmt == "csv":
        out = io.StringIO()
        write_csv(records, headers, out)
        body = out.getvalue().encode("utf-8-sig")  # the BOM: Excel reads UTF-8
    else:
        rates = [h for h, c in zip(headers, table.columns, strict=True) if c.kind == "rate"]
        body = xlsx_bytes(records, headers, table.name, percent_columns=rates)
    name = f"{table.name}.{fmt}"
    _record(request, found.user.login, audit.EXPORT, name,
            f"{len(records)} rows; {table.detail}")
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    response = Response(body, media_type=FORMATS[fmt], headers={
        "Content-Disposition":
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"})
    _secure_headers(response)
    return response


def _hall(request: Request, found: Viewer, hall: str) -> str:
    """The hall, if the login sees it; else 404, as a hall that does not exist."""
    if not found.user.sees(hall) or hall not in users.known_halls(_store(request).engine):
        raise PageError(404, "not_found")
    return hall


# ---- the tables ---------------------------------------------------------------------------

def overview_table(request: Request, found: Viewer) -> Table:
    store, tz = _store(request), _tz(request)
    choice = _choice(request)
    sort = request.query_params.get("sort", "service_level")
    sort = sort if sort in pages.OVERVIEW_SORTS else "service_level"
    rows = pages.overview_rows(store, visible_halls(store, found.user), choice, tz, sort)
    return Table(f"halls-{choice.period.label}", OVERVIEW, rows,
                 f"period={choice.period.label} sort={sort}")


def stars_table(request: Request, found: Viewer) -> Table:
    store = _store(request)
    choice = _choice(request, months_only=True)
    by_hall = pages.star_rows(store, visible_halls(store, found.user), choice,
                              every_hall=found.user.role == "hq")
    rows = [r for hall_rows in by_hall.values() for r in hall_rows]
    return Table(f"stars-{choice.period.label}", STARS, rows, f"month={choice.month}")


def audit_table(request: Request, _found: Viewer) -> Table:
    q = request.query_params
    login, action = q.get("login", "")[:64], q.get("action", "")
    action = action if action in audit.ACTIONS else ""
    rows = list(audit.entries(_store(request).engine, login=login or None,
                              action=action or None))
    return Table("audit", AUDIT, rows, f"login={login} action={action}")


def _hall_tables() -> dict[str, Callable[[Request, str], tuple[Sequence[Column],
                                                                list[dict[str, Any]]]]]:
    def figures(by: str, columns: Sequence[Column]) -> Callable[..., Any]:
        return lambda request, hall: (columns, pages.hall_figures(
            _store(request), hall, _choice(request), by))

    return {
        "counters": figures("counter", BY_COUNTER),
        "staff": figures("staff", BY_STAFF),
        "causes": lambda request, hall: (CAUSES, pages.pareto(
            _store(request), hall, _choice(request), _language(request))[0]),
        "handling": lambda request, hall: (HANDLING, pages.handling_bands(
            _store(request), hall, _choice(request), _language(request))),
        "chains": lambda request, hall: (CHAINS, reports.chains(_store(request), hall=hall)),
    }


HALL_TABLES = _hall_tables()


def _add_download(path: str, make: Callable[[Request, Viewer], Table], fmt: str,
                  *, hq_only: bool = False) -> None:
    def page(request: Request, found: ViewerDep) -> Response:
        if hq_only and found.user.role != "hq":
            raise PageError(403, "forbidden")
        return _download(request, found, make(request, found), fmt)

    router.add_api_route(f"{path}.{fmt}", page, methods=["GET"], name=f"{path}.{fmt}")


def _add_hall_download(table: str, fmt: str) -> None:
    def page(request: Request, hall: str, found: ViewerDep) -> Response:
        _hall(request, found, hall)
        columns, rows = HALL_TABLES[table](request, hall)
        choice = _choice(request)
        # figures per staff member are data about staff: their download is recorded as such
        made = Table(f"{hall}-{table}-{choice.period.label}", tuple(columns), rows,
                     f"hall {hall}; period={choice.period.label}")
        return _download(request, found, made, fmt)

    router.add_api_route(f"/halls/{{hall}}/{table}.{fmt}", page, methods=["GET"],
                         name=f"hall {table}.{fmt}")


for _fmt in FORMATS:
    _add_download("/overview", overview_table, _fmt)
    _add_download("/stars", stars_table, _fmt)
    _add_download("/audit", audit_table, _fmt, hq_only=True)
    for _table in HALL_TABLES:
        _add_hall_download(_table, _fmt)


# ---- the monthly report -------------------------------------------------------------------

def _month(request: Request) -> str:
    choice = _choice(request, months_only=True)
    assert choice.month is not None  # months_only: always a month
    return choice.month


@router.get("/halls/{hall}/report")
def report_page(request: Request, hall: str, found: ViewerDep) -> Response:
    """The hall's month on one printable page (static/print.css: A4, no navigation)."""
    _hall(request, found, hall)
    choice = _choice(request, months_only=True)
    made = report.month_report(_store(request), hall, _month(request), _tz(request))
    _record(request, found.user.login, audit.PAGE_VIEW_STAFF, f"hall {hall} report",
            f"month={made.month}")
    lang = _language(request)
    return render(request, "report.html", found=found, report=made, choice=choice,
                  figures=report.FIGURES, counter_columns=report.COUNTER_COLUMNS,
                  shown=report.shown, kind_of=report.kind_of,
                  rule=report.rule_text(made.rule, lang),
                  months=pages.months_offered(made.month, _tz(request)))


@router.get("/halls/{hall}/report.pdf")
async def report_pdf(request: Request, hall: str, found: ViewerDep) -> Response:
    """The same report as a one-page PDF; without a usable CJK font, the API's error shape."""
    _hall(request, found, hall)
    lang = _language(request)
    font = request.app.state.web.settings.pdf_font
    if font is None or not font.is_file():
        raise errors.NoPdfFont(i18n.text("no_pdf_font", lang))
    made = await run_in_threadpool(report.month_report, _store(request), hall,
                                   _month(request), _tz(request))
    try:
        body = await run_in_threadpool(report.pdf_bytes, made, lang, font)
    except report.FontUnusable as exc:
        raise errors.NoPdfFont(f"{i18n.text('no_pdf_font', lang)} ({exc})") from None
    name = f"{hall}-report-{made.month}.pdf"
    await run_in_threadpool(_record, request, found.user.login, audit.EXPORT, name,
                            f"hall {hall}; month={made.month}")
    response = Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=\"report-{made.month}.pdf\"; "
                               f"filename*=UTF-8''{quote(name, safe='')}"})
    _secure_headers(response)
    return response


# last, once every route above exists (routes imports this module at its own end)
routes.router.include_router(router)
