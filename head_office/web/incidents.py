"""The incidents page and the month close, on the web.

`GET /incidents`: every incident of the login's halls (the rows of `counter-hq report
incidents`), filtered by hall, kind, status and month (htmx swaps the list); `?id=N` adds
that incident's detail and, for an hq login, the form recording the operator's account
(`POST /incidents/account`: explain, resolve or reopen with a reason, exactly what `counter-hq
incident` does, the login as `by`; audited).

`GET /months`: the closed months of the login's halls; an hq login closes one with
`POST /months/close` (head_office.closing.close_month, refused before `serve
--close-grace-days`; audited).

Included by head_office.web.routes (`bind`: its CSRF guard, viewers and rendering).
"""

from __future__ import annotations

import datetime as dt
from types import ModuleType
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from counter_core import periods
from head_office import anchors, closing, reports
from head_office.errors import StoreUnavailable
from head_office.web import audit, i18n, pages

router = APIRouter()
#: head_office.web.routes, which includes this router (`bind`): its session lookup, CSRF guard,
#: rendering and audit helpers. Handed over, not imported: the import linter keeps the web
#: package free of circles.
_web: Any = None


def _render(request: Request, template: str, **context: Any) -> Response:
    return cast(Response, _web.render(request, template, **context))


def _redirect(location: str) -> Response:
    return cast(Response, _web._redirect(location))


def bind(web: ModuleType) -> APIRouter:
    """This module's router, using the pages' plumbing of `web` (head_office.web.routes)."""
    global _web
    _web = web
    return router


async def _viewer(request: Request) -> Any:
    return await _web.viewer(request)


async def _hq_viewer(request: Request) -> Any:
    return await _web.hq_viewer(request)


ViewerDep = Annotated[Any, Depends(_viewer)]
HqViewerDep = Annotated[Any, Depends(_hq_viewer)]

#: the list shows at most this many incidents (the newest first); the filter narrows it
PAGE_ROWS = 500
REASON_LIMIT = 2000

i18n.register({
    "incidents": {"zh": "异常事件", "en": "Incidents"},
    "incident_kind": {"zh": "类型", "en": "Kind"},
    "incident_status": {"zh": "状态", "en": "Status"},
    "status:open": {"zh": "未处理", "en": "open"},
    "status:explained": {"zh": "已说明", "en": "explained"},
    "status:resolved": {"zh": "已解决", "en": "resolved"},
    "kind:anchor_contradicted": {"zh": "与锚点矛盾", "en": "contradicted anchor"},
    "kind:ends_before_anchor": {"zh": "链短于锚点", "en": "chain ends before an anchor"},
    "kind:history_conflict": {"zh": "历史冲突", "en": "conflicting history"},
    "kind:invalid_event": {"zh": "无效事件", "en": "invalid event"},
    "kind:unknown_kind": {"zh": "未知类型事件", "en": "event of an unknown kind"},
    "kind:chain_break": {"zh": "链断裂", "en": "broken chain"},
    "kind:refused_upload": {"zh": "上传被拒", "en": "refused upload"},
    "seq": {"zh": "序号", "en": "Sequence"},
    "reason": {"zh": "说明", "en": "Reason"},
    "first_at": {"zh": "首次（UTC）", "en": "First seen (UTC)"},
    "last_at": {"zh": "最近（UTC）", "en": "Last seen (UTC)"},
    "times": {"zh": "次数", "en": "Times"},
    "stored_hash": {"zh": "锚定/已存哈希", "en": "Anchored or held hash"},
    "offered_hash": {"zh": "提交的哈希", "en": "Offered hash"},
    "evidence": {"zh": "证据", "en": "Evidence"},
    "status_reason": {"zh": "处理说明", "en": "Account"},
    "status_by": {"zh": "处理人", "en": "By"},
    "status_at": {"zh": "处理时间（UTC）", "en": "At (UTC)"},
    "incident_detail": {"zh": "事件详情", "en": "Incident"},
    "no_incidents": {"zh": "没有符合条件的异常事件。", "en": "No incidents match."},
    "any_month": {"zh": "全部月份", "en": "any month"},
    "record_account": {"zh": "记录处理结果", "en": "Record the account"},
    "account_action": {"zh": "处理", "en": "Action"},
    "action:explain": {"zh": "说明原因（explain）", "en": "explain"},
    "action:resolve": {"zh": "已解决（resolve）", "en": "resolve"},
    "action:reopen": {"zh": "重新打开（reopen）", "en": "reopen"},
    "account_reason": {"zh": "原因：发生了什么，核实了什么",
                       "en": "Reason: what happened, what was checked"},
    "account_saved": {"zh": "已记录。", "en": "Recorded."},
    "account_empty": {"zh": "请填写原因，不能为空。", "en": "Give a reason: it cannot be empty."},
    "account_bad_action": {"zh": "处理方式只能是说明、解决或重新打开。",
                           "en": "The action is explain, resolve or reopen."},
    "procedure": {
        "zh": "异常是证据而非结论：先与营业厅核实（是否恢复了备份、重装或更换电脑），"
              "再以原因和姓名记录说明或解决；解释有误时重新打开。",
        "en": "An incident is evidence, not a verdict: establish with the hall what happened "
              "(a restored backup, a re-imaged or replaced PC), then record it explained or "
              "resolved with a reason; reopen it if the account turns out wrong.",
    },
    "unavailable": {"zh": "数据库暂时不可用，请稍后重试；没有做任何更改。",
                    "en": "The database is busy or unavailable: nothing was changed; retry "
                          "later."},
    "months": {"zh": "月结", "en": "Month close"},
    "close_month": {"zh": "结账", "en": "Close the month"},
    "close_hall_all": {"zh": "全部未结账营业厅", "en": "every hall not closed yet"},
    "close_grace": {"zh": "月份结束后须过宽限期（天）：",
                    "en": "Grace period after a month ends (days): "},
    "close_done": {"zh": "已结账：", "en": "Closed: "},
    "no_closed": {"zh": "尚无已结账月份。", "en": "No month closed yet."},
    "close_too_early": {
        "zh": "{month} 尚在宽限期内（月末后 {days} 天，供迟到的上传计入），"
              "{at} 之后才能结账；未做任何更改。",
        "en": "{month} cannot be closed before {at} ({days} days after it ends, the grace "
              "period for late uploads); nothing was changed.",
    },
    "close_bad_month": {"zh": "月份写作 YYYY-MM。", "en": "A month is YYYY-MM."},
    "close_bad_grace": {"zh": "宽限期设置无效。", "en": "The grace period is not valid."},
    "close_no_by": {"zh": "缺少结账人。", "en": "Who closes the month is missing."},
    "close_no_hall": {"zh": "没有这个营业厅。", "en": "There is no such hall."},
    "close_already": {"zh": "{month} 已结账（{by}，{at}），结账后的数据以重述显示。",
                      "en": "{month} is closed already ({by}, {at}); later uploads show as "
                            "a restatement."},
    "close_nothing": {"zh": "{month}：所有营业厅均已结账。",
                      "en": "{month}: every hall is closed already."},
})


def _kind_label(kind: str, lang: str) -> str:
    key = f"kind:{kind}"
    return i18n.text(key, lang) if key in i18n.CATALOGUE else kind


def _seen_in(row: dict[str, Any], period: reports.Period | None) -> bool:
    """Whether the incident was seen (first to last) during the period."""
    if period is None:
        return True
    return bool(row["first_at"] < period.end_utc and row["last_at"] >= period.start_utc)


def _incident_rows(request: Request, found: Any) -> dict[str, Any]:
    """The filtered incidents of the login's halls, with the filter's values."""
    q = request.query_params
    store = _web._store(request)
    halls = _web.visible_halls(store, found.user)
    hall = q.get("hall", "")
    hall = hall if hall in halls else ""
    kind = q.get("kind", "")
    kind = kind if kind in anchors.INCIDENT_KINDS else ""
    status = q.get("status", "")
    status = status if status in anchors.STATUSES else ""
    month, period = q.get("month", ""), None
    if month:
        try:
            period = reports.month_period(month, _web._tz(request))
        except periods.PeriodError:
            month = ""
    seen = {hall} if hall else set(halls)
    rows = [r for r in reports.incidents(store, hall=hall or None)
            if r["hall"] in seen and (not kind or r["incident"] == kind)
            and (not status or r["status"] == status) and _seen_in(r, period)]
    rows.sort(key=lambda r: r["last_at"], reverse=True)
    return {
        "rows": rows[:PAGE_ROWS], "total": len(rows), "halls": halls, "hall": hall,
        "kinds": anchors.INCIDENT_KINDS, "kind": kind, "statuses": anchors.STATUSES,
        "status_filter": status, "month": month,
        "months": pages.months_offered(None, _web._tz(request)),
    }


def _detail(request: Request, found: Any, incident_id: int) -> dict[str, Any]:
    """The incident, when it is of one of the login's halls; else 404 (as one that does
    not exist)."""
    store = _web._store(request)
    halls = set(_web.visible_halls(store, found.user))
    for row in reports.incidents(store):
        if row["id"] == incident_id and row["hall"] in halls:
            return row
    raise _web.PageError(404, "not_found")


def _page(request: Request, found: Any, *, status: int = 200, message: str = "",
          detail_id: int | None = None) -> Response:
    lang = _web._language(request)
    if not message and request.query_params.get("saved") == "1":
        message = i18n.text("account_saved", lang)
    context = _incident_rows(request, found)
    if detail_id is None:
        raw = request.query_params.get("id", "")
        detail_id = int(raw) if raw.isdigit() and len(raw) < 12 else None
    detail = _detail(request, found, detail_id) if detail_id is not None else None
    context.update(detail=detail, message=message,
                   kind_label=lambda k: _kind_label(k, lang),
                   actions=tuple(anchors.ACCOUNT_ACTIONS))
    if _web._fragment_only(request) and detail_id is None:
        return _render(request, "incidents_list.html", status=status, found=found, **context)
    return _render(request, "incidents.html", status=status, found=found, **context)


@router.get("/incidents")
def incidents_page(request: Request, found: ViewerDep) -> Response:
    """The incidents of the login's halls, filtered; `?id=N` with its detail."""
    return _page(request, found)


@router.post("/incidents/account")
async def record_account(request: Request, found: HqViewerDep) -> Response:
    """An hq login records its account of an incident (what `counter-hq incident` does)."""
    form = await request.form()
    raw_id, action = _web._field(form, "id", 12), _web._field(form, "action", 16)
    reason = _web._field(form, "reason", REASON_LIMIT).strip()
    lang = _web._language(request)
    if not raw_id.isdigit():
        raise _web.PageError(404, "not_found")
    incident_id = int(raw_id)
    await run_in_threadpool(_detail, request, found, incident_id)  # 404 before anything
    if action not in anchors.ACCOUNT_ACTIONS:
        return await run_in_threadpool(lambda: _page(
            request, found, status=400, message=i18n.text("account_bad_action", lang),
            detail_id=incident_id))
    if not reason:
        return await run_in_threadpool(lambda: _page(
            request, found, status=400, message=i18n.text("account_empty", lang),
            detail_id=incident_id))
    status = anchors.ACCOUNT_ACTIONS[action]
    login = found.user.login

    def save() -> bool:
        done = anchors.set_status(_web._store(request).engine, incident_id, status, reason, login)
        if done:
            _web._record(request, login, audit.ADMIN_CHANGE, f"incident {incident_id}",
                    f"{status}: {reason}")
        return done

    try:
        done = await run_in_threadpool(save)
    except StoreUnavailable:
        return await run_in_threadpool(lambda: _page(
            request, found, status=503, message=i18n.text("unavailable", lang),
            detail_id=incident_id))
    if not done:
        raise _web.PageError(404, "not_found")
    return _redirect(f"/incidents?id={incident_id}&saved=1")


# ---- month close ----------------------------------------------------------------------------


def _months_page(request: Request, found: Any, *, status: int = 200,
                 message: str = "") -> Response:
    store = _web._store(request)
    halls = _web.visible_halls(store, found.user)
    grace = _web._state(request).settings.close_grace_days
    tz = _web._tz(request)
    last = (periods.today(tz).replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    return _render(request, "months.html", status=status, found=found, message=message,
                  closes=closing.all_closed(store, halls), halls=halls, grace=grace,
                  months=pages.months_offered(last, tz), suggested=last,
                  done=request.query_params.get("closed", "")[:7])


@router.get("/months")
def months_page(request: Request, found: ViewerDep) -> Response:
    """The closed months of the login's halls; an hq login's close form."""
    return _months_page(request, found)


@router.post("/months/close")
async def close_month(request: Request, found: HqViewerDep) -> Response:
    """An hq login closes a month (for one hall or every hall not closed yet)."""
    form = await request.form()
    month, hall = _web._field(form, "month", 7), _web._field(form, "hall", 200)
    lang, login = _web._language(request), found.user.login
    grace = _web._state(request).settings.close_grace_days

    def close() -> list[closing.ClosedMonth]:
        made = closing.close_month(_web._store(request), month, tz=_web._tz(request),
                                   grace_days=grace, by=login, hall=hall or None)
        for c in made:
            _web._record(request, login, audit.ADMIN_CHANGE, f"month {c.month} hall {c.hall}",
                    f"closed; star {c.star or '-'}; as of {c.as_of or '-'}")
        return made

    try:
        await run_in_threadpool(close)
    except closing.CloseRefused as exc:
        message = i18n.text(exc.code, lang).format(**{"month": month, **exc.params})
        return await run_in_threadpool(lambda: _months_page(request, found, status=400,
                                                            message=message))
    except StoreUnavailable:
        return await run_in_threadpool(lambda: _months_page(
            request, found, status=503, message=i18n.text("unavailable", lang)))
    return _redirect(f"/months?closed={month}")
