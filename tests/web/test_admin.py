"""The central administration pages (`/admin`) against a real `counter-hq serve --signing-key`,
through the forms as a browser posts them (tests/web/support.py): hq logins only; a device
enrolled (its token shown once, never again, never in the trail) and revoked; staff added,
changed and disabled in the hall's signed roster; a hall's settings saved as a new version;
the working-day calendar edited. A counter's own pullers (counter_app.sync) then take the new
roster and settings version, verified with the server's key. Bad input answers the form in the
page's language and saves nothing; every change is an audit row (who, what, when, where)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from counter_app.config import Config, HeadOffice
from counter_app.sync.roster_pull import start_roster_pull
from counter_app.sync.settings_pull import settings_puller
from head_office import calendar as work_calendar
from head_office import roster
from head_office import settings as central
from head_office.web import audit
from tests.helpers.hq import REPO, HqServer, running_server
from tests.web.support import add_user, browser, csrf_of, new_hall, signed_in, unique

PAGES = ("/admin", "/admin/devices?hall={hall}", "/admin/staff?hall={hall}",
         "/admin/settings?hall={hall}", "/admin/calendar")
_TOKEN = re.compile(r'<code id="token" class="token">([^<]+)</code>')
_MESSAGE = re.compile(r'<p class="message" role="alert" id="message">([^<]*)</p>')


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HqServer, str]]:
    """counter-hq with a signing key, as counters that pull settings and rosters need."""
    folder = tmp_path_factory.mktemp("admin")
    key = folder / "signing.pem"
    made = subprocess.run([sys.executable, "-m", "head_office.cli", "signing-key", "create",
                           str(key)], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert made.returncode == 0, made.stderr
    with running_server(f"sqlite:///{folder / 'hq.sqlite'}", "--signing-key", str(key)) as server:
        yield server, made.stdout.strip()


@pytest.fixture(scope="module")
def server(keyed: tuple[HqServer, str]) -> HqServer:
    return keyed[0]


@pytest.fixture(scope="module")
def hq(server: HqServer) -> httpx.Client:
    return signed_in(server, add_user(server, "hq"))


def post(client: httpx.Client, path: str, data: dict[str, str], page: str) -> httpx.Response:
    """Submit a form of `page` as the browser would: with the page's CSRF token."""
    return client.post(path, data={"csrf": csrf_of(client.get(page)), **data})


def message(answer: httpx.Response) -> str:
    found = _MESSAGE.search(answer.text)
    assert found, answer.text[:2000]
    return found.group(1)


def trail(server: HqServer, target: str) -> list[dict[str, object]]:
    return [e for e in audit.entries(server.store.engine, action=audit.ADMIN_CHANGE)
            if e["target"] == target]


def counter_config(demo_config: Config, server: HqServer, public: str, hall: str,
                   token: str) -> Config:
    return dataclasses.replace(
        demo_config, hall_id=hall, counter_id="C01", settings_managed_by="head_office",
        roster_managed_by="head_office",
        head_office=HeadOffice(server.url, token, signing_key=public))


def test_hall_logins_are_refused_and_anonymous_visits_go_to_login(server: HqServer,
                                                                   hq: httpx.Client) -> None:
    hall, _ = new_hall(server, ("01",))
    hall_login = signed_in(server, add_user(server, "hall", (hall,)))
    anonymous = browser(server)
    for page in PAGES:
        path = page.format(hall=hall)
        assert hq.get(path).status_code == 200, path
        refused = hall_login.get(path)
        assert refused.status_code == 403, path
        assert hall not in refused.text.replace(f"hall={hall}", "")
        gone = anonymous.get(path)
        assert gone.status_code == 303 and gone.headers["location"].startswith("/login?next=")
    token = csrf_of(hall_login.get("/account"))
    answer = hall_login.post("/admin/devices/enroll",
                             data={"csrf": token, "hall": hall, "device": "X9", "kind": "counter"})
    assert answer.status_code == 403
    assert server.store.counter(hall, "X9") is None
    assert 'href="/admin"' in hq.get("/").text and 'href="/admin"' not in hall_login.get("/").text


def test_a_device_is_enrolled_with_its_token_shown_once_then_revoked(
        server: HqServer, hq: httpx.Client) -> None:
    hall = unique("ADM")
    page = f"/admin/devices?hall={hall}"
    answer = post(hq, "/admin/devices/enroll",
                  {"hall": hall, "device": "C01", "kind": "counter"}, page)
    assert answer.status_code == 200, answer.text
    found = _TOKEN.search(answer.text)
    assert found, answer.text
    token = found.group(1)
    assert answer.headers["cache-control"] == "no-store"
    status = httpx.get(f"{server.url}/api/v1/status", timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert status.status_code == 200, status.text  # the token shown is the one that works
    listing = hq.get(page)
    assert 'data-device="C01"' in listing.text and token not in listing.text  # never again
    assert all(token not in str(e) for e in audit.entries(server.store.engine))
    [entry] = trail(server, f"counter {hall}/C01")
    assert entry["login"] != "cli" and entry["ip"] == "127.0.0.1" and entry["at"]

    # a desk, enrolled the same way, is marked a desk
    desk = post(hq, "/admin/devices/enroll", {"hall": hall, "device": "D01", "kind": "desk"},
                page)
    assert desk.status_code == 200 and _TOKEN.search(desk.text)
    assert "值班台" in hq.get(page).text

    # enrolling an active id again needs "issue a new token": the old one keeps working
    again = post(hq, "/admin/devices/enroll", {"hall": hall, "device": "C01", "kind": "counter"},
                 page)
    assert again.status_code == 400 and not _TOKEN.search(again.text)
    assert "换发新令牌" in message(again)
    other_kind = post(hq, "/admin/devices/enroll",
                      {"hall": hall, "device": "C01", "kind": "desk", "replace": "yes"}, page)
    assert other_kind.status_code == 400 and not _TOKEN.search(other_kind.text)
    assert httpx.get(f"{server.url}/api/v1/status", timeout=30,
                     headers={"Authorization": f"Bearer {token}"}).status_code == 200

    revoked = post(hq, "/admin/devices/revoke", {"hall": hall, "device": "C01"}, page)
    assert revoked.status_code == 200 and "已吊销" in revoked.text
    refused = httpx.get(f"{server.url}/api/v1/status", timeout=30,
                        headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code in (401, 403)
    assert [e["detail"] for e in trail(server, f"counter {hall}/C01")] == [
        "token revoked", "enrolled as a counter"]
    twice = post(hq, "/admin/devices/revoke", {"hall": hall, "device": "C01"}, page)
    assert twice.status_code == 400

    bad = post(hq, "/admin/devices/enroll?lang=en",
               {"hall": hall, "device": "x" * 500, "kind": "counter"}, page)
    assert bad.status_code == 400 and message(bad).startswith("A device id is 1 to 64")
    assert len(server.store.counters(hall)) == 2


def test_staff_changes_are_signed_and_pulled_by_the_counter(
        keyed: tuple[HqServer, str], hq: httpx.Client, demo_config: Config) -> None:
    server, public = keyed
    hall = unique("ROS")
    token = server.enroll(hall, "C01")
    puller = start_roster_pull(counter_config(demo_config, server, public, hall, token),
                               start=False)
    assert puller is not None
    page = f"/admin/staff?hall={hall}"
    added = post(hq, "/admin/staff/add",
                 {"hall": hall, "number": "2001", "name": "王小明", "role": "manager",
                  "pin": "246810"}, page)
    assert added.status_code == 200, added.text
    assert "246810" not in added.text
    pulled = puller.pull_once()  # verified with the server's key by the counter's own code
    assert pulled is not None and pulled.seq == 1
    [account] = pulled.accounts
    assert (account.number, account.name, account.role) == ("2001", "王小明", "manager")
    assert roster.check_sign_in(server.store, hall, "2001", "246810") == roster.OK
    assert "246810" not in str(roster.roster(server.store, hall).accounts)  # hashed

    clerk = post(hq, "/admin/staff/add",
                 {"hall": hall, "number": "2002", "name": "李四", "role": "staff", "pin": "1357"},
                 page)
    assert clerk.status_code == 200
    edit = f"/admin/staff/edit?hall={hall}&number=2002"
    assert post(hq, "/admin/staff/change",
                {"hall": hall, "number": "2002", "change": "pin", "pin": "9753"},
                edit).status_code == 200
    assert roster.check_sign_in(server.store, hall, "2002", "9753") == roster.OK
    short = post(hq, "/admin/staff/change",
                 {"hall": hall, "number": "2002", "change": "role", "role": "manager",
                  "pin": "1234"}, edit)
    assert short.status_code == 400 and "至少 6 位" in message(short)
    promoted = post(hq, "/admin/staff/change",
                    {"hall": hall, "number": "2002", "change": "role", "role": "manager",
                     "pin": "864200"}, edit)
    assert promoted.status_code == 200 and "值班经理" in promoted.text
    disabled = post(hq, "/admin/staff/change",
                    {"hall": hall, "number": "2001", "change": "disable"},
                    f"/admin/staff/edit?hall={hall}&number=2001")
    assert disabled.status_code == 200, disabled.text
    last = post(hq, "/admin/staff/change", {"hall": hall, "number": "2002", "change": "disable"},
                edit)
    assert last.status_code == 400 and "最后一位" in message(last)

    pulled = puller.pull_once()
    assert pulled is not None
    accounts = {a.number: a for a in pulled.accounts}
    assert accounts["2001"].disabled and accounts["2002"].role == "manager"
    assert pulled.seq == roster.current_version(server.store, hall).seq == 6
    assert roster.verify(server.store, hall) is None  # the log and the accounts agree
    details = [e["detail"] for e in trail(server, f"staff {hall}/2002")]
    assert details == ["role staff -> manager; PIN set; roster version 5",
                       "PIN set; roster version 3", "added as staff; roster version 2"]
    assert not any("9753" in str(e) or "864200" in str(e)
                   for e in audit.entries(server.store.engine))


def test_bad_staff_input_answers_the_form_in_the_page_language(
        server: HqServer, hq: httpx.Client) -> None:
    hall = unique("ROS")
    page = f"/admin/staff?hall={hall}"
    assert post(hq, "/admin/staff/add", {"hall": hall, "number": "3001", "name": "张三",
                                         "role": "staff", "pin": "1234"}, page).status_code == 200
    cases = [
        ({"number": "3001", "name": "另一人", "pin": "4321"}, "本厅已有工号 3001"),
        ({"number": "3002", "name": "x" * 201, "pin": "4321"}, "姓名须为 1 至 200 个字符"),
        ({"number": "30 02", "name": "赵六", "pin": "4321"}, "工号须为"),
        ({"number": "3002", "name": "赵六", "pin": "12a4"}, "PIN 须为 4 至 12 位数字"),
        ({"number": "3002", "name": "赵六", "pin": "1" * 5000}, "PIN 须为 4 至 12 位数字"),
    ]
    for fields, expected in cases:
        answer = post(hq, "/admin/staff/add", {"hall": hall, "role": "staff", **fields}, page)
        assert answer.status_code == 400, fields
        assert expected in message(answer), (fields, message(answer))
        assert "Traceback" not in answer.text and fields["pin"] not in answer.text
    english = post(hq, "/admin/staff/add?lang=en",
                   {"hall": hall, "number": "3001", "name": "x", "role": "staff", "pin": "4321"},
                   page)
    assert message(english) == ("The hall already has staff number 3001: edit that account "
                                "instead.")
    unknown = hq.get(f"/admin/staff/edit?hall={hall}&number=NOPE")
    assert unknown.status_code == 404 and "本厅没有工号 NOPE" in message(unknown)
    change = post(hq, "/admin/staff/change",
                  {"hall": hall, "number": "NOPE", "change": "disable"}, page)
    assert change.status_code == 400 and "本厅没有工号 NOPE" in message(change)
    same = post(hq, "/admin/staff/change", {"hall": hall, "number": "3001", "change": "enable"},
                f"/admin/staff/edit?hall={hall}&number=3001")
    assert same.status_code == 400 and "已是这个状态" in message(same)
    assert roster.current_version(server.store, hall).seq == 1  # nothing saved
    assert [a["name"] for a in roster.roster(server.store, hall).accounts] == ["张三"]


def settings_form(hall: str, rows: list[dict[str, str]], **more: str) -> dict[str, str]:
    data = {"hall": hall, "time_zone": "", "follow_up_working_days": "",
            "supervision_hotline": "", **more}
    for index, row in enumerate(rows):
        for key in ("code", "name_zh", "name_en", "target_s", "promise_zh", "promise_en"):
            data[f"{key}_{index}"] = row.get(key, "")
    return data


PAYMENT = {"code": "payment", "name_zh": "缴费", "name_en": "Payment", "target_s": "240",
           "promise_zh": "四分钟内办结", "promise_en": "Done within four minutes"}
ENQUIRY = {"code": "enquiry", "name_zh": "咨询", "name_en": "Enquiry"}


def test_settings_are_saved_as_a_new_version_and_pulled_by_the_counter(
        keyed: tuple[HqServer, str], hq: httpx.Client, demo_config: Config) -> None:
    server, public = keyed
    hall = unique("SET")
    token = server.enroll(hall, "C01")
    puller = settings_puller(counter_config(demo_config, server, public, hall, token),
                             start=False)
    assert puller is not None
    page = f"/admin/settings?hall={hall}"
    saved = post(hq, "/admin/settings", settings_form(
        hall, [PAYMENT, ENQUIRY, {}], time_zone="Asia/Urumqi", follow_up_working_days="7",
        supervision_hotline="021-6123 4567"), page)
    assert saved.status_code == 200, saved.text
    assert "设置版本 1" in message(saved)
    pulled = puller.pull_once()
    assert pulled is not None and pulled.version == 1
    assert pulled.settings.time_zone == "Asia/Urumqi"
    assert pulled.settings.follow_up_working_days == 7
    assert pulled.settings.supervision_hotline == "021-6123 4567"
    assert [(t.code, t.target_s) for t in pulled.settings.types] == [
        ("payment", 240.0), ("enquiry", None)]
    assert dict(pulled.settings.promises)["payment"].en == "Done within four minutes"

    form = hq.get(page).text  # the form holds what is stored
    assert 'value="Asia/Urumqi"' in form and 'value="四分钟内办结"' in form
    assert 'value="021-6123 4567"' in form  # saved again from this form, the hotline stays
    again = post(hq, "/admin/settings", settings_form(
        hall, [PAYMENT, ENQUIRY], time_zone="Asia/Urumqi", follow_up_working_days="7",
        supervision_hotline="021-6123 4567"), page)
    assert again.status_code == 200
    kept = puller.pull_once()
    assert kept is not None and kept.settings.supervision_hotline == "021-6123 4567"
    saved = post(hq, "/admin/settings", settings_form(hall, [{**PAYMENT, "target_s": "300"}]),
                 page)
    assert saved.status_code == 200 and "设置版本 3" in message(saved)
    pulled = puller.pull_once()
    assert pulled is not None and pulled.version == 3
    assert [(t.code, t.target_s) for t in pulled.settings.types] == [("payment", 300.0)]
    assert pulled.settings.time_zone is None  # emptied: each counter keeps its own
    stored = central.latest(server.store, hall)
    assert stored is not None and stored.set_by != "cli"
    assert [e["detail"] for e in trail(server, f"settings {hall}")] == [
        "version 3 from the web (1 transaction types)",
        "version 2 from the web (2 transaction types)",
        "version 1 from the web (2 transaction types)"]


@pytest.mark.parametrize(("rows", "more", "lang", "expected"), [
    ([PAYMENT], {"time_zone": "Asia/Nowhere"}, "zh", "未知时区“Asia/Nowhere”"),
    ([PAYMENT], {"time_zone": "Mars/Olympus"}, "en", "Unknown time zone “Mars/Olympus”"),
    ([{**PAYMENT, "target_s": "-5"}], {}, "zh", "第 1 行：目标时长须为正数"),
    ([ENQUIRY, {**PAYMENT, "target_s": "-5"}], {}, "en", "Row 2: a target is a positive"),
    ([{**PAYMENT, "target_s": "nan"}], {}, "en", "Row 1: a target is a positive"),
    ([{**PAYMENT, "code": "c" * 65}], {}, "zh", "第 1 行：代码须为 1 至 64 个字符"),
    ([{**PAYMENT, "name_en": "n" * 101}], {}, "en", "Row 1: the Chinese and English names"),
    ([{**ENQUIRY, "promise_zh": "马上", "promise_en": "At once"}], {}, "en", "Row 1: a promise"),
    ([PAYMENT, PAYMENT], {}, "zh", "第 2 行：代码 payment 重复"),
    ([{}], {}, "en", "Give at least one transaction type."),
    ([PAYMENT], {"follow_up_working_days": "0"}, "zh", "回访期限须为 1 至"),
    ([PAYMENT], {"supervision_hotline": "call us"}, "zh", "监督电话须为 3 至 24 个字符"),
    ([PAYMENT], {"supervision_hotline": "=1+2"}, "en", "The supervision hotline is a phone"),
])
def test_bad_settings_answer_the_form_and_save_nothing(
        server: HqServer, hq: httpx.Client, rows: list[dict[str, str]], more: dict[str, str],
        lang: str, expected: str) -> None:
    hall = unique("SET")
    page = f"/admin/settings?hall={hall}"
    answer = post(hq, f"/admin/settings?lang={lang}", settings_form(hall, rows, **more), page)
    assert answer.status_code == 400
    assert expected in message(answer)
    assert central.current_version(server.store, hall) == 0
    assert not trail(server, f"settings {hall}")


def test_the_calendar_is_edited_and_saved(server: HqServer, hq: httpx.Client) -> None:
    page = "/admin/calendar?year=2031"
    saved = post(hq, "/admin/calendar",
                 {"year": "2031", "holidays": "2031-10-01\n2031-10-02, 2031-10-03",
                  "workdays": "2031-09-28"}, page)
    assert saved.status_code == 200, saved.text
    assert "2031 年日历已保存：3 个节假日，1 个调休上班日" in message(saved)
    held = work_calendar.read_calendar(server.store)
    assert held is not None
    assert not held.is_working_day(dt.date(2031, 10, 2))
    assert held.is_working_day(dt.date(2031, 9, 28))  # a Sunday, made a working day
    assert "2031-10-03" in hq.get(page).text
    [entry] = trail(server, "calendar 2031")
    assert entry["detail"] == "3 holidays, 1 make-up working days"

    for fields, expected in (
        ({"holidays": "2031-02-30"}, "“2031-02-30”不是 2031 年的日期"),
        ({"holidays": "2032-01-01"}, "“2032-01-01”不是 2031 年的日期"),
        ({"holidays": "2031-05-01", "workdays": "2031-05-01"}, "2031-05-01 不能既是节假日"),
        ({"holidays": "", "workdays": ""}, "请至少填写一个日期"),
        ({"holidays": "2031-05-01\n" * 400}, "每栏至多 366 个日期"),
    ):
        answer = post(hq, "/admin/calendar", {"year": "2031", "workdays": "", **fields}, page)
        assert answer.status_code == 400, fields
        assert expected in message(answer)
    again = work_calendar.read_calendar(server.store)
    assert again is not None and again.holidays == held.holidays  # nothing saved
    bad_year = post(hq, "/admin/calendar?lang=en", {"year": "1999", "holidays": "1999-01-01"},
                    page)
    assert bad_year.status_code == 400 and message(bad_year) == "The year is 2000 to 2100."
