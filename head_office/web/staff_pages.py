"""Staff's own data on the web: the published ranking and star rules (`/rules`, every login)
and purging a departed clerk's name and photo (`POST /halls/{hall}/staff/purge`, hq logins,
audited). Included by head_office.web.routes, so its CSRF guard and scoping cover these."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from counter_core.figures import StarRule
from counter_core.ratings import POOR_RATINGS, SATISFIED_RATINGS
from head_office import roster
from head_office.web import audit, i18n, users
from head_office.web.routes import (
    HqViewerDep,
    PageError,
    ViewerDep,
    _field,
    _language,
    _record,
    _redirect,
    _store,
    render,
)

router: APIRouter = APIRouter()

i18n.register({
    "rules": {"zh": "排名规则", "en": "Ranking rules"},
    "rules_intro": {
        "zh": "每个营业厅、柜台和员工的数字都按以下规则计算，柜台、管理端与总部完全一致。",
        "en": "Every hall's, counter's and clerk's figures follow these rules, the same at "
              "the counter, in the manager view and at head office.",
    },
    "rules_star": {"zh": "服务之星", "en": "The service star"},
    "rules_figures": {"zh": "各项数字", "en": "The figures"},
    "rules_ranking": {"zh": "营业厅排名", "en": "The halls' ranking"},
    "rules_ranking_text": {
        "zh": "营业厅按所选期间的服务达标率从高到低排名（第 1 名最高）；期间内没有计时业务的"
              "营业厅不参与排名。",
        "en": "Halls are ranked by their service level in the chosen period, the highest "
              "first (rank 1); a hall with no timed transaction in the period has no rank.",
    },
    "rules_service_level": {
        "zh": "服务达标率 = 未超过目标时长的计时业务 ÷ 计时业务。",
        "en": "Service level = timed transactions within their target ÷ timed transactions.",
    },
    "rules_satisfaction": {
        "zh": "满意率 = 评分为 {satisfied} 的评价 ÷ 全部计入的评价；差评为 {poor} 分。"
              "申诉成立的评价不计入满意率和服务之星，但不会被删除。",
        "en": "Satisfaction = ratings of {satisfied} ÷ ratings counted; a poor rating is "
              "{poor}. A rating whose appeal was upheld is counted in neither satisfaction "
              "nor the star, and is never deleted.",
    },
    "purge": {"zh": "清除离职员工姓名与照片", "en": "Purge a departed clerk's name and photo"},
    "purge_hint": {
        "zh": "仅限已停用的账号。各柜台的链和数字保持不变，页面显示为“前员工 #工号”。",
        "en": "Disabled accounts only. The chains and the figures stay as they are; the "
              "pages show \u201cformer staff #N\u201d.",
    },
    "purge_button": {"zh": "清除", "en": "Purge"},
    "purge:unknown": {"zh": "此营业厅的名册中没有这个工号。",
                      "en": "The hall's roster has no such staff number."},
    "purge:enabled": {"zh": "该账号仍在使用：请先停用（离职），再清除。",
                      "en": "That account is still enabled: disable it (departed) first, "
                            "then purge."},
    "purge:purged": {"zh": "该员工的姓名与照片已清除过。",
                     "en": "That clerk's name and photo are purged already."},
})


def star_rule_text(rule: StarRule, lang: str) -> str:
    """The star rule as the counter's summary states it (StarRule.describe), in `lang`."""
    return rule.describe(lang)


def _ratings(values: frozenset[int]) -> str:
    return "–".join(str(v) for v in (min(values), max(values)))


@router.get("/rules")
def rules_page(request: Request, found: ViewerDep) -> Response:
    """The ranking and star rules, readable by every login (hall or hq)."""
    lang = _language(request)
    satisfaction = i18n.text("rules_satisfaction", lang).format(
        satisfied=_ratings(SATISFIED_RATINGS), poor=_ratings(POOR_RATINGS))
    return render(request, "rules.html", found=found, star_rule=star_rule_text(StarRule(), lang),
                  satisfaction=satisfaction)


@router.post("/halls/{hall}/staff/purge")
async def purge_staff(request: Request, hall: str, found: HqViewerDep) -> Response:
    """Purge the departed (disabled) clerk `staff` of `hall`: name and photo go from the
    roster's accounts, the chains and figures keep the number; recorded in the audit."""
    store = _store(request)
    if hall not in await run_in_threadpool(users.known_halls, store.engine):
        raise PageError(404, "not_found")
    number = _field(await request.form(), "staff", 64).strip()
    try:
        await run_in_threadpool(roster.purge, store, hall, number, found.user.login)
    except roster.PurgeRefused as exc:
        return render(request, "error.html", status=400, found=found,
                      message=i18n.text(f"purge:{exc.code}", _language(request)))
    await run_in_threadpool(_record, request, found.user.login, audit.ADMIN_CHANGE,
                            f"staff {hall}/{number}", "name and photo purged (former staff)")
    return _redirect(f"/halls/{quote(hall, safe='')}")
