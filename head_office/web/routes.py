"""The web pages: login and logout, the halls a login may see, a hall's counters, the audit
trail (hq logins only) and the login's own account. Server-rendered (Jinja2, autoescaped),
Chinese by default (`?lang=en`), nothing fetched from elsewhere.

Every page needs a session (anonymous: 303 to /login?next=…); a "hall" login sees its halls
only, and another hall's page answers 404, exactly as a hall that does not exist. Every POST,
PUT, PATCH and DELETE carries the session's CSRF token (form field `csrf` or header
`X-CSRF-Token`; the login form a cookie's) or is refused 403 before it does anything.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, cast
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from head_office import reports, roster
from head_office.store import Store
from head_office.web import admin, audit, http, i18n, incidents, pages, sessions, users
from head_office.web.sessions import LoginThrottle, Session, WebSettings
from head_office.web.users import User

HERE = Path(__file__).resolve().parent
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUDIT_PAGE_ROWS = 500
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def _pct(value: float | None) -> str:
    """A rate 0–1 as the pages show it: 66.7 %; nothing to divide by: —."""
    return "—" if value is None else f"{value * 100:.1f}%"


_env.filters["pct"] = _pct


@dataclass
class WebState:
    settings: WebSettings
    throttle: LoginThrottle
    purge: audit.DailyPurge


@dataclass(frozen=True)
class Viewer:
    """The signed-in login of a request, and its session."""

    user: User
    session: Session


class LoginRequired(Exception):
    """No live session: the browser is sent to /login, and back here afterwards."""


class PageError(Exception):
    """A page that answers with an error page: its status and the catalogue's sentence."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def _state(request: Request) -> WebState:
    return cast(WebState, request.app.state.web)


_store = http.store_of


def _ip(request: Request) -> str:
    return sessions.client_ip(request, _state(request).settings.trusted_proxies)


def _https(request: Request) -> bool:
    return sessions.is_https(request, _state(request).settings.trusted_proxies)


def safe_next(value: str | None) -> str:
    """Where to go after the login: a path of this site only, else "/"."""
    if not value or len(value) > 2000 or not value.startswith("/") or value.startswith("//"):
        return "/"
    if any(c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path.startswith("/login"):
        return "/"
    return value


def _record(request: Request, login: str, action: str, target: str = "", detail: str = "") -> None:
    engine = _store(request).engine
    audit.record(engine, login, action, target, ip=_ip(request), detail=detail)
    _state(request).purge.maybe()


# ---- who is asking --------------------------------------------------------------------------


def _lookup(request: Request) -> Viewer | None:
    store = _store(request)
    session = sessions.find_session(
        store.engine, request.cookies.get(sessions.COOKIE, ""), _state(request).settings
    )
    if session is None:
        return None
    user = users.get(store.engine, session.login)
    if user is None or user.disabled_at is not None:
        return None
    return Viewer(user, session)


async def optional_viewer(request: Request) -> Viewer | None:
    """The request's signed-in login, looked up once per request."""
    if not hasattr(request.state, "viewer"):
        request.state.viewer = await run_in_threadpool(_lookup, request)
    return cast(Viewer | None, request.state.viewer)


async def viewer(request: Request) -> Viewer:
    found = await optional_viewer(request)
    if found is None:
        raise LoginRequired()
    return found


async def hq_viewer(request: Request) -> Viewer:
    found = await viewer(request)
    if found.user.role != "hq":
        raise PageError(403, "forbidden")
    return found


ViewerDep = Annotated[Viewer, Depends(viewer)]
HqViewerDep = Annotated[Viewer, Depends(hq_viewer)]


async def csrf_guard(request: Request) -> None:
    """Refuse (403) an unsafe method without the CSRF token of its session (of the login
    form's cookie for POST /login)."""
    if request.method not in UNSAFE_METHODS:
        return
    offered = request.headers.get("x-csrf-token")
    if offered is None:
        form = await request.form()
        value = form.get("csrf")
        offered = value if isinstance(value, str) else None
    if request.url.path == "/login":
        expected = request.cookies.get(sessions.LOGIN_CSRF_COOKIE, "")
    else:
        found = await optional_viewer(request)
        expected = found.session.csrf if found else ""
    if not sessions.tokens_match(expected, offered):
        raise PageError(403, "csrf")


router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_guard)])


# ---- rendering ------------------------------------------------------------------------------


_language = http.language_of
_secure_headers = http.secure_headers


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    found: Viewer | None = None,
    csrf: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page; `csrf`: the forms' token when there is no session (the login form)."""
    lang = _language(request)
    html = _env.get_template(template).render(
        t=lambda key: i18n.text(key, lang),
        lang=lang,
        user=found.user if found else None,
        csrf=csrf if csrf is not None else found.session.csrf if found else "",
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    _secure_headers(response)
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=365 * 86400,
            httponly=True,
            samesite="lax",
            secure=_https(request),
        )
    return response


def _redirect(location: str) -> RedirectResponse:
    response = RedirectResponse(location, status_code=303)
    _secure_headers(response)
    return response


async def _on_login_required(request: Request, _exc: Exception) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = _redirect(f"/login?next={quote(safe_next(here), safe='')}")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


async def _on_page_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    found = getattr(request.state, "viewer", None)
    return render(
        request,
        "error.html",
        status=exc.status,
        found=found,
        message=i18n.text(exc.key, _language(request)),
    )


def _field(form: FormData, name: str, limit: int = 1000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# ---- login and logout -----------------------------------------------------------------------


def _login_page(
    request: Request, *, next_path: str, login: str = "", message: str = "", status: int = 200
) -> HTMLResponse:
    token = request.cookies.get(sessions.LOGIN_CSRF_COOKIE) or sessions.new_token()
    # no session yet: the login form's token is double-submitted (cookie and field)
    response = render(
        request,
        "login.html",
        status=status,
        csrf=token,
        next=next_path,
        login=login,
        message=message,
    )
    response.set_cookie(
        sessions.LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_https(request),
        path="/login",
    )
    return response


@router.get("/login")
async def login_form(request: Request, next: str = "/") -> Response:
    if await optional_viewer(request) is not None:
        return _redirect(safe_next(next))
    return _login_page(request, next_path=safe_next(next))


@router.post("/login")
async def login_submit(request: Request) -> Response:
    form = await request.form()
    login, password = _field(form, "login", 64).strip(), _field(form, "password", 1000)
    next_path = safe_next(_field(form, "next", 2000))
    state, ip = _state(request), _ip(request)
    delay = state.throttle.delay(login, ip)
    if delay:
        await asyncio.sleep(delay)
    engine = _store(request).engine
    user = await run_in_threadpool(users.check_password, engine, login, password)
    if user is None:
        state.throttle.failed(login, ip)
        await run_in_threadpool(
            _record,
            request,
            login or "-",
            audit.LOGIN_FAILED,
            login,
            "the login or password is not right",
        )
        return _login_page(
            request,
            next_path=next_path,
            login=login,
            status=401,
            message=i18n.text("login_failed", _language(request)),
        )
    state.throttle.succeeded(login, ip)
    token, _session = await run_in_threadpool(sessions.open_session, engine, user.login, ip)
    await run_in_threadpool(_record, request, user.login, audit.LOGIN, user.login)
    response = _redirect(next_path)
    response.set_cookie(
        sessions.COOKIE, token, httponly=True, samesite="lax", secure=_https(request), path="/"
    )
    response.delete_cookie(sessions.LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, found: ViewerDep) -> Response:
    sessions.close_session(_store(request).engine, found.session.id)
    _record(request, found.user.login, audit.LOGOUT, found.user.login)
    response = _redirect("/login")
    response.delete_cookie(sessions.COOKIE, path="/")
    return response


# ---- pages ----------------------------------------------------------------------------------


def visible_halls(store: Store, user: User) -> list[str]:
    return user.visible(users.known_halls(store.engine) | set(user.halls))


def _tz(request: Request) -> str:
    return cast(str, request.app.state.settings.time_zone)


def _choice(request: Request, *, months_only: bool = False) -> pages.Choice:
    q = request.query_params
    if months_only:
        return pages.choose(q.get("month"), None, None, _tz(request))
    return pages.choose(q.get("month"), q.get("from"), q.get("to"), _tz(request))


def _fragment_only(request: Request) -> bool:
    """An htmx request swapping the figures (not a history restore, which wants the page)."""
    return (request.headers.get("hx-request") == "true"
            and request.headers.get("hx-history-restore-request") != "true")


def _period_context(request: Request, choice: pages.Choice, target: str,
                    keep: dict[str, str] | None = None, *, days: bool = True) -> dict[str, Any]:
    """The period filter's: `target` the page's path, `keep` more parameters it carries."""
    return {
        "choice": choice,
        "target": target,
        "keep": keep or {},
        "days_filter": days,
        "months": pages.months_offered(choice.month, _tz(request)),
        "period_query": urlencode(choice.query()),
    }


@router.get("/")
def overview(request: Request, found: ViewerDep, sort: str = "service_level") -> Response:
    """Every visible hall ranked by service level for the chosen month or days."""
    store, tz, lang = _store(request), _tz(request), _language(request)
    halls = visible_halls(store, found.user)
    choice = _choice(request)
    sort = sort if sort in pages.OVERVIEW_SORTS else "service_level"
    context = {
        **_period_context(request, choice, "/", {"sort": sort}),
        "halls": pages.overview_rows(store, halls, choice, tz, sort),
        "sort": sort,
        "sorts": pages.OVERVIEW_SORTS,
        "trend": json.dumps(pages.trend_chart(store, halls, choice, tz, lang),
                            ensure_ascii=False) if halls else None,
        **pages.closing_context(store, halls, choice),
    }
    if _fragment_only(request):
        return render(request, "overview_figures.html", found=found, **context)
    return render(request, "overview.html", found=found, **context)


@router.get("/halls/{hall}")
def hall_page(request: Request, hall: str, found: ViewerDep) -> Response:
    """A hall's counters and staff with their figures, the overtime causes' Pareto and each
    counter's sync and chain status."""
    store, lang = _store(request), _language(request)
    if not found.user.sees(hall) or hall not in users.known_halls(store.engine):
        raise PageError(404, "not_found")  # the same answer for a hall that does not exist
    choice = _choice(request)
    causes, unreviewed = pages.pareto(store, hall, choice, lang)
    bands = pages.handling_bands(store, hall, choice, lang)
    # figures per staff member are data about staff: looking at them is recorded
    _record(request, found.user.login, audit.PAGE_VIEW_STAFF, f"hall {hall}",
            f"period={choice.period.label}")
    names = roster.shown_names(store, hall,
                               retention_days=_state(request).settings.staff_retention_days)
    context = {
        **_period_context(request, choice, f"/halls/{quote(hall, safe='')}"),
        "hall": hall,
        "by_counter": pages.hall_figures(store, hall, choice, "counter"),
        "by_staff": pages.name_staff(pages.hall_figures(store, hall, choice, "staff"), names,
                                     lang),
        "causes": causes,
        "unreviewed": unreviewed,
        "queue": pages.review_state(store, hall, unreviewed, _tz(request)),
        "can_purge": found.user.role == "hq",
        "pareto": json.dumps(pages.pareto_chart(causes, lang), ensure_ascii=False)
        if causes else None,
        "bands": bands,
        "handling": json.dumps(pages.handling_chart(bands, lang), ensure_ascii=False)
        if any(b["rated"] for b in bands) else None,
        "rows": reports.chains(store, hall=hall, since_check=True),
        **pages.closing_context(store, [hall], choice),
    }
    if _fragment_only(request):
        return render(request, "hall_figures.html", found=found, **context)
    return render(request, "hall.html", found=found, **context)


@router.get("/stars")
def stars_page(request: Request, found: ViewerDep) -> Response:
    """Every visible hall's service-star ranking for the month (`counter-hq report stars`)."""
    store = _store(request)
    halls = visible_halls(store, found.user)
    choice = _choice(request, months_only=True)
    _record(request, found.user.login, audit.PAGE_VIEW_STAFF, "stars",
            f"month={choice.month}")
    context = {
        **_period_context(request, choice, "/stars", days=False),
        "stars": pages.star_rows(store, halls, choice, every_hall=found.user.role == "hq"),
        **pages.closing_context(store, halls, choice, stars=True),
    }
    if _fragment_only(request):
        return render(request, "stars_figures.html", found=found, **context)
    return render(request, "stars.html", found=found, **context)


@router.get("/audit")
def audit_page(request: Request, found: HqViewerDep, login: str = "", action: str = "") -> Response:
    engine = _store(request).engine
    action = action if action in audit.ACTIONS else ""
    shown = list(
        audit.entries(
            engine, login=login[:64] or None, action=action or None, limit=AUDIT_PAGE_ROWS
        )
    )
    # the trail is data about staff: looking at it is itself recorded
    _record(
        request,
        found.user.login,
        audit.PAGE_VIEW_STAFF,
        "audit",
        f"login={login[:64]} action={action}",
    )
    return render(
        request,
        "audit.html",
        found=found,
        entries=shown,
        login=login[:64],
        action=action,
        actions=audit.ACTIONS,
    )


@router.get("/account")
def account(request: Request, found: ViewerDep) -> Response:
    return render(request, "account.html", found=found, message="")


@router.post("/account/password")
async def change_password(request: Request, found: ViewerDep) -> Response:
    form = await request.form()
    current, new, repeat = (_field(form, name) for name in ("current", "new", "repeat"))
    lang, state, ip = _language(request), _state(request), _ip(request)
    login = found.user.login
    delay = state.throttle.delay(login, ip)
    if delay:
        await asyncio.sleep(delay)
    engine = _store(request).engine
    if await run_in_threadpool(users.check_password, engine, login, current) is None:
        state.throttle.failed(login, ip)
        await run_in_threadpool(
            _record,
            request,
            login,
            audit.LOGIN_FAILED,
            login,
            "password change: the current password is not right",
        )
        return render(
            request,
            "account.html",
            status=400,
            found=found,
            message=i18n.text("password_wrong", lang),
        )
    if new != repeat:
        return render(
            request,
            "account.html",
            status=400,
            found=found,
            message=i18n.text("password_mismatch", lang),
        )
    problem = users.password_problem(new, login)
    if problem:
        return render(
            request, "account.html", status=400, found=found, message=i18n.text("policy", lang)
        )
    await run_in_threadpool(users.set_password, engine, login, new, keep_session=found.session.id)
    await run_in_threadpool(
        _record,
        request,
        login,
        audit.ADMIN_CHANGE,
        f"user {login}",
        "password changed by its owner; the login's other sessions ended",
    )
    return render(request, "account.html", found=found, message=i18n.text("password_changed", lang))


def install(app: FastAPI, settings: WebSettings) -> None:
    """Mount the pages, their static files and their error pages on the application."""
    store = cast(Store, app.state.store)
    purge = audit.DailyPurge(store.engine, settings.audit_retention_days)
    app.state.web = WebState(settings, LoginThrottle(), purge)
    purge.maybe()  # as the server starts; a database down now does not stop it starting
    app.add_exception_handler(LoginRequired, _on_login_required)
    app.add_exception_handler(PageError, _on_page_error)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")


router.include_router(admin.router)
router.include_router(incidents.bind(sys.modules[__name__]))
from head_office.web import staff_pages  # noqa: E402  (its routes use this module's helpers)

router.include_router(staff_pages.router)
# exports adds its routes to this router itself, at its end: imported first (as a test may),
# it would otherwise find this module's router before its own routes exist
from head_office.web import exports  # noqa: E402,F401 (its routes use this module's helpers)
