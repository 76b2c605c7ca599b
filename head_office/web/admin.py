"""Central administration at head office (`/admin`, hq logins only): a hall's counters and
desks (enrol, the token shown once; revoke), its staff roster, its central settings, and the
working-day calendar.

Each change calls the function `counter-hq` calls for it (Store.enroll / access.enroll_desk /
Store.revoke, head_office.roster, head_office.settings, head_office.calendar), so the web and
the command line do the same thing, and each is an `admin_change` entry of the audit trail
(who, what, when, from where; never a token or a PIN). Bad input answers the form again with
the reason in the page's language, and nothing is saved.

The pages' plumbing (the session, the CSRF check, the audit purge) is head_office.web.routes',
which includes this router; this module does not import it (the import linter keeps the web
package free of circles), so it looks the session up and renders with the same templates.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from counter_core import events, pins
from counter_core import settings as hall_settings
from counter_core.workdays import MAX_FOLLOW_UP_WORKING_DAYS, CalendarError, WorkCalendar
from head_office import access, roster
from head_office import calendar as work_calendar
from head_office import settings as central
from head_office.schema import COUNTER_KIND, DESK_KIND, counters
from head_office.store import Store
from head_office.web import admin_text, audit, http, i18n, sessions, users
from head_office.web.users import User

HERE = Path(__file__).resolve().parent
#: a hall's or a device's id as these pages take it (the API's ids are at most 100 characters)
ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_TYPES = 40
EXTRA_TYPE_ROWS = 3
MAX_TYPE_NAME = 100
MAX_PROMISE = 200
MAX_ZONE = 64
MAX_DATES = 366
KINDS = (COUNTER_KIND, DESK_KIND)

_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)

i18n.register(admin_text.TEXTS)


class Refused(ValueError):
    """Input a form refuses: the catalogue's key and its values (nothing was saved)."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values

    def text(self, lang: str) -> str:
        return i18n.text(self.key, lang).format(**self.values)


# ---- who is asking, and the answer ----------------------------------------------------------


@dataclass(frozen=True)
class Signed:
    """The signed-in login and its session (what head_office.web.routes keeps per request)."""

    user: User
    session: sessions.Session


class _Answer(Exception):
    """Stop here and answer this (a redirect to /login, an error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


_store = http.store_of
_language = http.language_of
_secure = http.secure_headers


def _render(request: Request, template: str, found: Signed | None, *, status: int = 200,
            **context: Any) -> HTMLResponse:
    lang = _language(request)
    html = _env.get_template(template).render(
        t=lambda key: i18n.text(key, lang), lang=lang, user=found.user if found else None,
        csrf=found.session.csrf if found else "", **context)
    response = HTMLResponse(html, status_code=status)
    _secure(response)
    return response


def _lookup(request: Request) -> Signed | None:
    known = getattr(request.state, "viewer", None)  # looked up already (the CSRF check)
    if known is not None:
        return Signed(known.user, known.session)
    store = _store(request)
    session = sessions.find_session(store.engine, request.cookies.get(sessions.COOKIE, ""),
                                    request.app.state.web.settings)
    if session is None:
        return None
    user = users.get(store.engine, session.login)
    if user is None or user.disabled_at is not None:
        return None
    return Signed(user, session)


def hq_login(request: Request) -> Signed:
    """The signed-in hq login; anonymous: to /login and back; any other role: 403."""
    found = _lookup(request)
    if found is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        response = RedirectResponse(f"/login?next={quote(here[:2000], safe='')}",
                                    status_code=303)
        response.delete_cookie(sessions.COOKIE, path="/")
        raise _Answer(_secure(response))
    if found.user.role != "hq":
        raise _Answer(_render(request, "error.html", found, status=403,
                              message=i18n.text("forbidden", _language(request))))
    return found


HqDep = Annotated[Signed, Depends(hq_login)]


def _record(request: Request, found: Signed, target: str, detail: str) -> None:
    """The change's audit entry: who, what, when (now, UTC), from where."""
    web = request.app.state.web
    ip = sessions.client_ip(request, web.settings.trusted_proxies)
    audit.record(_store(request).engine, found.user.login, audit.ADMIN_CHANGE, target, ip=ip,
                 detail=detail)
    web.purge.maybe()


class AdminRoute(APIRoute):
    """A route whose dependencies may stop it with an answer (`_Answer`)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except _Answer as stop:
                return stop.response

        return answer


router = APIRouter(include_in_schema=False, route_class=AdminRoute)


# ---- reading the forms ----------------------------------------------------------------------


def _raw(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _id(value: str, key: str) -> str:
    value = value.strip()
    if not ID_PATTERN.fullmatch(value):
        raise Refused(key)
    return value


def _hall_of(raw: str | None) -> str | None:
    """A hall id of the query; None when none or not a hall id."""
    value = (raw or "").strip()
    return value if ID_PATTERN.fullmatch(value) else None


# ---- the index ------------------------------------------------------------------------------


@router.get("/admin")
def admin_index(request: Request, found: HqDep) -> Response:
    halls = sorted(users.known_halls(_store(request).engine))
    return _render(request, "admin/index.html", found, halls=halls)


# ---- devices --------------------------------------------------------------------------------


def _devices(store: Store, hall: str) -> list[dict[str, Any]]:
    with store.reader.connect() as conn:
        rows = conn.execute(
            select(counters.c.counter, counters.c.kind, counters.c.enrolled_at,
                   counters.c.last_sync_at, counters.c.revoked_at)
            .where(counters.c.hall == hall).order_by(counters.c.kind, counters.c.counter)).all()
    return [dict(row._mapping) for row in rows]


def _devices_page(request: Request, found: Signed, hall: str, *, status: int = 200,
                  message: str = "", kind: str = COUNTER_KIND, device: str = "") -> Response:
    return _render(request, "admin/devices.html", found, status=status, hall=hall,
                   devices=_devices(_store(request), hall), kinds=KINDS, message=message,
                   kind=kind, device=device)


@router.get("/admin/devices")
def devices_page(request: Request, found: HqDep, hall: str = "") -> Response:
    chosen = _hall_of(hall)
    if chosen is None:
        return _redirect_index()
    return _devices_page(request, found, chosen)


async def _hall_form(request: Request, found: Signed,
                     handler: Callable[[Request, Signed, FormData, str], Response]) -> Response:
    """A POST of a hall's form: the form is read here, the work (database, PIN hashing) runs
    off the event loop; a form naming no valid hall gets the error page."""
    form = await request.form()

    def work() -> Response:
        hall = _hall_of(_raw(form, "hall"))
        if hall is None:
            return _render(request, "error.html", found, status=400,
                           message=Refused("admin_bad_hall").text(_language(request)))
        return handler(request, found, form, hall)

    return await run_in_threadpool(work)


def _redirect_index() -> Response:
    return _secure(RedirectResponse("/admin", status_code=303))


@router.post("/admin/devices/enroll")
async def enroll_device(request: Request, found: HqDep) -> Response:
    return await _hall_form(request, found, _enroll_device)


def _enroll_device(request: Request, found: Signed, form: FormData, hall: str) -> Response:
    lang, store = _language(request), _store(request)
    kind, device = _raw(form, "kind"), _raw(form, "device")[:200]
    try:
        if kind not in KINDS:
            raise Refused("admin_bad_kind")
        device = _id(device, "admin_bad_device")
        held = store.counter(hall, device)
        if held is not None and held.revoked_at is None and _raw(form, "replace") != "yes":
            raise Refused("admin_device_taken", device=device)
        try:
            access.check_kind(store, hall, device, kind)
        except ValueError:
            raise Refused("admin_device_other_kind", device=device) from None
    except Refused as refused:
        return _devices_page(request, found, hall, status=400, kind=kind, device=device,
                             message=refused.text(lang))
    if kind == DESK_KIND:
        token = access.enroll_desk(store, hall, device)
    else:
        token = store.enroll(hall, device)
    # the token is in this answer only: neither the trail nor any log holds it
    _record(request, found, f"{kind} {hall}/{device}",
            f"enrolled as a {kind}" + ("; its older token no longer works" if held else ""))
    return _render(request, "admin/token.html", found, hall=hall, device=device, token=token,
                   done=i18n.text("admin_enrolled", lang).format(
                       hall=hall, device=device, kind=i18n.text(f"admin_kind_{kind}", lang)))


@router.post("/admin/devices/revoke")
async def revoke_device(request: Request, found: HqDep) -> Response:
    return await _hall_form(request, found, _revoke_device)


def _revoke_device(request: Request, found: Signed, form: FormData, hall: str) -> Response:
    lang, store = _language(request), _store(request)
    device = _raw(form, "device").strip()[:200]
    held = store.counter(hall, device) if device else None
    try:
        if held is None:
            raise Refused("admin_device_unknown", device=device)
        if held.revoked_at is not None:
            raise Refused("admin_device_revoked", device=device)
    except Refused as refused:
        return _devices_page(request, found, hall, status=400, message=refused.text(lang))
    store.revoke(hall, device)
    _record(request, found, f"{access.kind_of(store, held.id)} {hall}/{device}", "token revoked")
    return _devices_page(request, found, hall,
                         message=i18n.text("admin_revoked_done", lang).format(hall=hall,
                                                                        device=device))


# ---- the roster -----------------------------------------------------------------------------


def _staff_page(request: Request, found: Signed, hall: str, *, status: int = 200,
                message: str = "", entered: dict[str, str] | None = None) -> Response:
    held = roster.roster(_store(request), hall)
    return _render(request, "admin/staff.html", found, status=status, hall=hall,
                   accounts=held.accounts, version=held.version.seq, message=message,
                   entered=entered or {"role": "staff"}, roles=("staff", "manager"))


def _staff_edit_page(request: Request, found: Signed, hall: str, account: dict[str, Any], *,
                     status: int = 200, message: str = "") -> Response:
    return _render(request, "admin/staff_edit.html", found, status=status, hall=hall,
                   account=account, message=message, roles=("staff", "manager"))


@router.get("/admin/staff")
def staff_page(request: Request, found: HqDep, hall: str = "") -> Response:
    chosen = _hall_of(hall)
    if chosen is None:
        return _redirect_index()
    return _staff_page(request, found, chosen)


def _account(store: Store, hall: str, number: str) -> dict[str, Any] | None:
    return next((a for a in roster.roster(store, hall).accounts if a["number"] == number), None)


@router.get("/admin/staff/edit")
def staff_edit_page(request: Request, found: HqDep, hall: str = "",
                    number: str = "") -> Response:
    chosen = _hall_of(hall)
    if chosen is None:
        return _redirect_index()
    account = _account(_store(request), chosen, number.strip()[:64])
    if account is None:
        return _staff_page(request, found, chosen, status=404, message=Refused(
            "admin_number_unknown", number=number.strip()[:64]).text(_language(request)))
    return _staff_edit_page(request, found, chosen, account)


def _pin(form: FormData, role: str) -> str:
    pin = _raw(form, "pin").strip()
    if pins.pin_problem(pin[:64], role) is not None:
        raise Refused("admin_bad_pin")
    return pin


def _saved(lang: str, version: roster.Version) -> str:
    return i18n.text("admin_roster_saved", lang).format(seq=version.seq)


@router.post("/admin/staff/add")
async def add_staff(request: Request, found: HqDep) -> Response:
    return await _hall_form(request, found, _add_staff)


def _add_staff(request: Request, found: Signed, form: FormData, hall: str) -> Response:
    lang, store = _language(request), _store(request)
    number = _raw(form, "number").strip()[:200]
    name = _raw(form, "name").strip()
    role = _raw(form, "role")
    entered = {"number": number, "name": name[:roster.MAX_NAME], "role": role}  # never the PIN
    try:
        if not events.is_staff_number(number):
            raise Refused("admin_bad_number")
        if not name or len(name) > roster.MAX_NAME:
            raise Refused("admin_bad_name")
        if role not in events.ROLES:
            raise Refused("admin_bad_role")
        pin = _pin(form, role)
        if _account(store, hall, number) is not None:
            raise Refused("admin_number_taken", number=number)
        try:
            version = roster.add(store, hall, number, name, role, pin)
        except roster.RosterError:  # added meanwhile by another hand
            raise Refused("admin_number_taken", number=number) from None
    except Refused as refused:
        return _staff_page(request, found, hall, status=400, message=refused.text(lang),
                           entered=entered)
    _record(request, found, f"staff {hall}/{number}",
            f"added as {role}; roster version {version.seq}")
    return _staff_page(request, found, hall, message=_saved(lang, version))


def _last_manager(store: Store, hall: str, account: dict[str, Any]) -> bool:
    if account["role"] != "manager" or account["disabled"]:
        return False
    return not any(a["role"] == "manager" and not a["disabled"] and a["number"] != account["number"]
                   for a in roster.roster(store, hall).accounts)


@router.post("/admin/staff/change")
async def change_staff(request: Request, found: HqDep) -> Response:
    """One change of an account: `change` = pin, role, disable or enable."""
    return await _hall_form(request, found, _change_staff)


def _change_staff(request: Request, found: Signed, form: FormData, hall: str) -> Response:
    lang, store = _language(request), _store(request)
    number, change = _raw(form, "number").strip()[:64], _raw(form, "change")
    account = _account(store, hall, number)
    if account is None or change not in ("pin", "role", "disable", "enable"):
        return _staff_page(request, found, hall, status=400, message=Refused(
            "admin_number_unknown", number=number).text(lang))
    try:
        if change == "pin":
            version = roster.set_pin(store, hall, number, _pin(form, account["role"]))
            detail = "PIN set"
        elif change == "role":
            role = _raw(form, "role")
            if role not in events.ROLES:
                raise Refused("admin_bad_role")
            if role == account["role"]:
                raise Refused("admin_role_same")
            if _last_manager(store, hall, account):
                raise Refused("admin_last_manager")
            new_pin = _pin(form, role) if role == "manager" else None
            version = roster.set_role(store, hall, number, role, new_pin)
            detail = f"role {account['role']} -> {role}" + ("; PIN set" if new_pin else "")
        else:
            disable = change == "disable"
            if account["disabled"] == disable:
                raise Refused("admin_already_so")
            if disable and _last_manager(store, hall, account):
                raise Refused("admin_last_manager")
            version = roster.set_disabled(store, hall, number, disable)
            detail = f"{change}d"
    except Refused as refused:
        return _staff_edit_page(request, found, hall, account, status=400,
                                message=refused.text(lang))
    except roster.RosterError as exc:  # changed meanwhile by another hand
        return _staff_edit_page(request, found, hall, account, status=409,
                                message=i18n.text("admin_not_saved", lang) + str(exc))
    _record(request, found, f"staff {hall}/{number}", f"{detail}; roster version {version.seq}")
    return _staff_edit_page(request, found, hall, _account(store, hall, number) or account,
                            message=_saved(lang, version))


# ---- settings -------------------------------------------------------------------------------


def _rows_of(document: dict[str, Any] | None) -> list[dict[str, str]]:
    """The settings' types as the form's rows (strings), and a few empty rows to add more."""
    rows: list[dict[str, str]] = []
    for item in (document or {}).get("transaction_types", []):
        target = item.get("target_s")
        rows.append({
            "code": item["code"], "name_zh": item["name_zh"], "name_en": item["name_en"],
            "target_s": "" if target is None else f"{target:g}",
            "promise_zh": item.get("promise_zh", ""), "promise_en": item.get("promise_en", ""),
        })
    return rows + [dict.fromkeys(hall_settings.TYPE_SCHEMA, "")
                   for _ in range(min(EXTRA_TYPE_ROWS, MAX_TYPES - len(rows)))]


def _settings_page(request: Request, found: Signed, hall: str, *, status: int = 200,
                   message: str = "", entered: dict[str, Any] | None = None) -> Response:
    stored = central.latest(_store(request), hall)
    if entered is None:
        document = stored.settings if stored else None
        entered = {"rows": _rows_of(document),
                   "time_zone": (document or {}).get("time_zone", ""),
                   "follow_up_working_days": str((document or {}).get(
                       "follow_up_working_days", "")),
                   "supervision_hotline": (document or {}).get("supervision_hotline", "")}
    return _render(request, "admin/settings.html", found, status=status, hall=hall,
                   stored=stored, message=message, entered=entered,
                   max_follow_up=MAX_FOLLOW_UP_WORKING_DAYS)


@router.get("/admin/settings")
def settings_page(request: Request, found: HqDep, hall: str = "") -> Response:
    chosen = _hall_of(hall)
    if chosen is None:
        return _redirect_index()
    return _settings_page(request, found, chosen)


def _type_of(row: dict[str, str], number: int, codes: set[str]) -> dict[str, Any]:
    """One form row as a `[[transaction_types]]` table (Refused naming the row)."""
    code = row["code"]
    if len(code) > events.MAX_CODE:
        raise Refused("admin_bad_code", row=number)
    if code in codes:
        raise Refused("admin_code_twice", row=number, code=code)
    codes.add(code)
    if not all(0 < len(row[k]) <= MAX_TYPE_NAME for k in ("name_zh", "name_en")):
        raise Refused("admin_bad_type_name", row=number)
    item: dict[str, Any] = {"code": code, "name_zh": row["name_zh"], "name_en": row["name_en"]}
    if row["target_s"]:
        try:
            target = float(row["target_s"])
        except ValueError:
            raise Refused("admin_bad_target", row=number) from None
        if not (math.isfinite(target) and target > 0):
            raise Refused("admin_bad_target", row=number)
        item["target_s"] = int(target) if target.is_integer() else target
    zh, en = row["promise_zh"], row["promise_en"]
    if zh or en:
        if not (zh and en) or "target_s" not in item or max(len(zh), len(en)) > MAX_PROMISE:
            raise Refused("admin_bad_promise", row=number)
        item["promise_zh"], item["promise_en"] = zh, en
    return item


def _settings_of(entered: dict[str, Any]) -> hall_settings.HallSettings:
    """The form's settings, checked by the counter's own rules (counter_core.settings)."""
    codes: set[str] = set()
    types = [_type_of(row, number, codes)
             for number, row in enumerate(entered["rows"], start=1) if row["code"]]
    if not types:
        raise Refused("admin_no_types")
    data: dict[str, Any] = {"transaction_types": types}
    zone_name = entered["time_zone"]
    if zone_name:
        if len(zone_name) > MAX_ZONE:
            raise Refused("admin_bad_zone", zone=zone_name[:MAX_ZONE])
        try:  # validated against zoneinfo (counter_core.periods.zone), as a counter does
            data["time_zone"] = hall_settings.time_zone(zone_name)
        except hall_settings.SettingsError:
            raise Refused("admin_bad_zone", zone=zone_name) from None
    days = entered["follow_up_working_days"]
    if days:
        if not (days.isdigit() and 1 <= int(days) <= MAX_FOLLOW_UP_WORKING_DAYS):
            raise Refused("admin_bad_follow_up", max=MAX_FOLLOW_UP_WORKING_DAYS)
        data["follow_up_working_days"] = int(days)
    hotline = entered["supervision_hotline"]
    if hotline:
        try:  # the counter's own rule, as the supervision sign prints it
            data["supervision_hotline"] = hall_settings.supervision_hotline(hotline)
        except hall_settings.SettingsError:
            raise Refused("admin_bad_hotline") from None
    return hall_settings.parse(data)


@router.post("/admin/settings")
async def save_settings(request: Request, found: HqDep) -> Response:
    return await _hall_form(request, found, _save_settings)


def _save_settings(request: Request, found: Signed, form: FormData, hall: str) -> Response:
    lang, store = _language(request), _store(request)
    rows = []
    for index in range(MAX_TYPES + 1):
        if f"code_{index}" not in form:
            continue
        rows.append({key: _raw(form, f"{key}_{index}").strip()[:1000]
                     for key in hall_settings.TYPE_SCHEMA})
    entered = {"rows": rows, "time_zone": _raw(form, "time_zone").strip()[:200],
               "follow_up_working_days": _raw(form, "follow_up_working_days").strip()[:20],
               "supervision_hotline": _raw(form, "supervision_hotline").strip()[:40]}
    try:
        if sum(1 for row in rows if row["code"]) > MAX_TYPES:
            raise Refused("admin_too_many_types")
        parsed = _settings_of(entered)
    except Refused as refused:
        return _settings_page(request, found, hall, status=400, entered=entered,
                              message=refused.text(lang))
    except hall_settings.SettingsError as exc:  # a rule the form's checks did not name
        return _settings_page(request, found, hall, status=400, entered=entered,
                              message=i18n.text("admin_not_saved", lang) + str(exc))
    try:
        stored = central.put(store, hall, parsed, found.user.login)
    except central.SettingsFileError as exc:  # a hall server relaying head office's
        return _settings_page(request, found, hall, status=409, entered=entered,
                              message=str(exc))
    _record(request, found, f"settings {hall}",
            f"version {stored.version} from the web ({len(parsed.types)} transaction types)")
    return _settings_page(request, found, hall, message=i18n.text(
        "admin_settings_saved", lang).format(version=stored.version))


# ---- the working-day calendar ---------------------------------------------------------------


def _calendar_page(request: Request, found: Signed, year: int, *, status: int = 200,
                   message: str = "", entered: dict[str, str] | None = None) -> Response:
    held = work_calendar.read_calendar(_store(request))
    if entered is None:
        table = (held.to_mapping()["calendar"].get(str(year), {}) if held else {})
        entered = {name: "\n".join(table.get(name, [])) for name in ("holidays", "workdays")}
    return _render(request, "admin/calendar.html", found, status=status, year=year,
                   years=held.years if held else (), message=message, entered=entered)


def _year(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and 2000 <= int(value) <= 2100 else None


@router.get("/admin/calendar")
def calendar_page(request: Request, found: HqDep, year: str = "") -> Response:
    chosen = _year(year) if year else dt.datetime.now(dt.UTC).year
    if chosen is None:
        return _calendar_page(request, found, dt.datetime.now(dt.UTC).year, status=400,
                              message=Refused("admin_bad_year").text(_language(request)))
    return _calendar_page(request, found, chosen)


def _dates(text: str, year: int) -> list[str]:
    found = [part for part in re.split(r"[\s,;，；、]+", text) if part]
    if len(found) > MAX_DATES:
        raise Refused("admin_too_many_dates")
    for part in found:
        try:
            day = dt.date.fromisoformat(part)
        except ValueError:
            day = None
        if day is None or day.year != year or len(part) != 10:
            raise Refused("admin_bad_date", date=part[:20], year=year)
    return sorted(set(found))


@router.post("/admin/calendar")
async def save_calendar(request: Request, found: HqDep) -> Response:
    # the form is read here; the work (database, PIN hashing) off the event loop
    return await run_in_threadpool(_save_calendar, request, found, await request.form())


def _save_calendar(request: Request, found: Signed, form: FormData) -> Response:
    lang = _language(request)
    year = _year(_raw(form, "year"))
    entered = {name: _raw(form, name)[:20_000] for name in ("holidays", "workdays")}
    if year is None:
        return _calendar_page(request, found, dt.datetime.now(dt.UTC).year, status=400,
                              entered=entered, message=Refused("admin_bad_year").text(lang))
    try:
        holidays, workdays = _dates(entered["holidays"], year), _dates(entered["workdays"], year)
        both = sorted(set(holidays) & set(workdays))
        if both:
            raise Refused("admin_date_both", date=both[0])
        if not holidays and not workdays:
            raise Refused("admin_no_dates")
        calendar = WorkCalendar.from_mapping(
            {"calendar": {str(year): {"holidays": holidays, "workdays": workdays}}})
    except Refused as refused:
        return _calendar_page(request, found, year, status=400, entered=entered,
                              message=refused.text(lang))
    except CalendarError as exc:
        return _calendar_page(request, found, year, status=400, entered=entered,
                              message=i18n.text("admin_not_saved", lang) + str(exc))
    work_calendar.set_calendar(_store(request), calendar)
    _record(request, found, f"calendar {year}",
            f"{len(holidays)} holidays, {len(workdays)} make-up working days")
    saved = i18n.text("admin_calendar_saved", lang)
    return _calendar_page(request, found, year, message=saved.format(
        year=year, holidays=len(holidays), workdays=len(workdays)))
