"""The incidents page and the month close on the web, against a real `counter-hq serve`
(SQLite and PostgreSQL): scoped like every page, the explain/resolve form for hq logins does
what `counter-hq incident` does and is audited; a month closed from the web keeps its star
when a late upload restates it; the filter swaps the list with htmx in headless chromium."""

from __future__ import annotations

import re

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from head_office import anchors, closing
from head_office.errors import EndsBeforeAnchor
from head_office.web import audit
from tests.head_office.test_incidents import restored_backup, run
from tests.head_office.test_month_close import MONTH, october, upload
from tests.helpers.hq import HqServer
from tests.web import test_browser
from tests.web.support import PASSWORD, add_user, csrf_of, signed_in, unique
from tests.web.test_browser import console_errors

#: headless chromium, the fixture of tests/web/test_browser.py
chromium = test_browser.browser


def opened_incident(server: HqServer, hall: str, counter: str) -> int:
    """An honest break that looks like a cut tail: an open ends_before_anchor incident."""
    store = server.store
    who, events = restored_backup(store, hall, counter)
    with pytest.raises(EndsBeforeAnchor):
        store.ingest(who, events[10:15])
    (incident,) = anchors.counter_incidents(store.engine, who)
    return int(incident["id"])


def incident_row(server: HqServer, incident_id: int) -> tuple[str, str | None, str | None]:
    for who in server.store.counters():
        for row in anchors.counter_incidents(server.store.engine, who):
            if row["id"] == incident_id:
                return row["status"], row["status_reason"], row["status_by"]
    raise AssertionError(f"no incident {incident_id}")


def ids_listed(page: httpx.Response) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-id="(\d+)"', page.text)}


def test_a_hall_login_sees_its_halls_incidents_only_and_cannot_act(hq_server: HqServer) -> None:
    hall_a, hall_b = unique("HALL"), unique("HALL")
    mine = opened_incident(hq_server, hall_a, "c1")
    theirs = opened_incident(hq_server, hall_b, "c1")
    client = signed_in(hq_server, add_user(hq_server, "hall", (hall_a,)))

    page = client.get("/incidents")
    assert page.status_code == 200
    assert mine in ids_listed(page) and theirs not in ids_listed(page)
    assert hall_b not in page.text
    # asking for the other hall by filter or by id shows nothing of it
    assert hall_b not in client.get(f"/incidents?hall={hall_b}").text
    foreign, missing = client.get(f"/incidents?id={theirs}"), client.get("/incidents?id=99999999")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text
    detail = client.get(f"/incidents?id={mine}")
    assert detail.status_code == 200 and "ends_before_anchor" in detail.text
    assert 'action="/incidents/account"' not in detail.text  # the form is for hq logins

    token = csrf_of(detail)
    answer = client.post("/incidents/account", data={
        "csrf": token, "id": str(mine), "action": "resolve", "reason": "not mine to say"})
    assert answer.status_code == 403
    assert incident_row(hq_server, mine)[0] == anchors.OPEN
    answer = client.post("/months/close", data={"csrf": token, "month": MONTH, "hall": hall_a})
    assert answer.status_code == 403
    assert closing.closed(hq_server.store, MONTH, [hall_a]) == {}


def test_the_filter_narrows_by_hall_kind_and_status(hq_server: HqServer) -> None:
    hall = unique("HALL")
    first, second = opened_incident(hq_server, hall, "c1"), opened_incident(hq_server, hall, "c2")
    hq = signed_in(hq_server, add_user(hq_server, "hq"))
    listed = ids_listed(hq.get(f"/incidents?hall={hall}"))
    assert listed == {first, second}
    anchors.set_status(hq_server.store.engine, second, anchors.EXPLAINED, "backup", "Li Wei")
    assert ids_listed(hq.get(f"/incidents?hall={hall}&status=open")) == {first}
    assert ids_listed(hq.get(f"/incidents?hall={hall}&status=explained")) == {second}
    assert ids_listed(hq.get(f"/incidents?hall={hall}&kind=chain_break")) == set()
    fragment = hq.get(f"/incidents?hall={hall}&kind=ends_before_anchor",
                      headers={"HX-Request": "true"})
    assert ids_listed(fragment) == {first, second} and "<html" not in fragment.text


def test_resolving_on_the_web_equals_the_command_line_and_is_audited(
        hq_server: HqServer) -> None:
    hall = unique("HALL")
    by_cli, by_web = opened_incident(hq_server, hall, "c1"), opened_incident(hq_server, hall, "c2")
    login = add_user(hq_server, "hq")
    reason = "PC restored from the 30 Nov backup; checked with the hall manager"
    code, _, err = run(hq_server.db_url, "incident", "resolve", "--id", str(by_cli),
                       "--reason", reason, "--by", login)
    assert code == 0, err

    hq = signed_in(hq_server, login)
    detail = hq.get(f"/incidents?id={by_web}")
    assert 'action="/incidents/account"' in detail.text
    token = csrf_of(detail)
    empty = hq.post("/incidents/account", data={"csrf": token, "id": str(by_web),
                                                "action": "resolve", "reason": "  "})
    assert empty.status_code == 400 and "原因" in empty.text
    assert incident_row(hq_server, by_web)[0] == anchors.OPEN  # nothing recorded
    done = hq.post("/incidents/account", data={"csrf": token, "id": str(by_web),
                                               "action": "resolve", "reason": reason})
    assert done.status_code == 303
    assert incident_row(hq_server, by_web) == incident_row(hq_server, by_cli) == (
        anchors.RESOLVED, reason, login)
    shown = hq.get(done.headers["location"] + "&lang=en")
    assert 'data-status="resolved"' in shown.text and reason in shown.text
    assert "Recorded." in shown.text
    trail = [e for e in audit.entries(hq_server.store.engine, login=login,
                                      action=audit.ADMIN_CHANGE)]
    assert [(e["target"], e["detail"]) for e in trail] == [
        (f"incident {by_web}", f"resolved: {reason}")]
    from_cli = [e for e in audit.entries(hq_server.store.engine, login="cli",
                                         action=audit.ADMIN_CHANGE)
                if e["target"] == f"incident {by_cli}"]
    assert [(e["ip"], e["detail"]) for e in from_cli] == [
        ("local", f"resolved by {login}: {reason}")]


def test_a_month_closed_on_the_web_keeps_its_star_after_a_late_upload(
        hq_server: HqServer) -> None:
    hall = unique("HALL")
    hq_server.enroll(hall, "01")
    in_time, late = october(hall)
    upload(hq_server.store, hall, in_time)
    login = add_user(hq_server, "hq")
    hq = signed_in(hq_server, login)
    token = csrf_of(hq.get("/months"))

    current = closing.periods.today("Asia/Shanghai").strftime("%Y-%m")
    early = hq.post("/months/close", data={"csrf": token, "month": current, "hall": hall})
    assert early.status_code == 400
    assert "宽限期" in early.text and closing.closed(hq_server.store, current, [hall]) == {}

    for month, hall_id, says in (("2026-13", hall, "YYYY-MM"), (MONTH, "NO-SUCH", "没有这个营业厅"),
                                 ("", "", "YYYY-MM")):
        bad = hq.post("/months/close", data={"csrf": token, "month": month, "hall": hall_id})
        assert bad.status_code == 400 and says in bad.text and "Traceback" not in bad.text
    assert closing.closed(hq_server.store, MONTH, [hall]) == {}

    done = hq.post("/months/close", data={"csrf": token, "month": MONTH, "hall": hall})
    assert done.status_code == 303
    closed = closing.closed(hq_server.store, MONTH, [hall])[hall]
    assert (closed.closed_by, closed.star) == (login, "A")
    assert any(e["target"] == f"month {MONTH} hall {hall}"
               for e in audit.entries(hq_server.store.engine, login=login,
                                      action=audit.ADMIN_CHANGE))
    listed = hq.get("/months")
    assert f'data-month="{MONTH}" data-hall="{hall}"' in listed.text

    upload(hq_server.store, hall, late)
    stars = hq.get(f"/stars?month={MONTH}").text
    section = stars[stars.index(f'data-closed="{hall}"'):]
    closed_table = section[section.index('data-basis="closed"'):section.index("</table>")]
    restated = section[section.index('data-basis="restated"'):]
    restated_table = restated[:restated.index("</table>")]
    star = re.compile(r'<tr data-staff="(\w+)"[^>]*>(?:(?!</tr>).)*data-value="suggested"', re.S)
    assert star.findall(closed_table) == ["A"]
    assert star.findall(restated_table) == ["B"]

    overview = hq.get(f"/?month={MONTH}").text
    assert f'data-hall="{hall}" data-basis="closed"' in overview
    assert f'data-hall="{hall}" data-basis="restated"' in overview
    assert re.search(r'id="as-of" data-value="\d{4}-\d\d-\d\dT', overview)
    hall_page = hq.get(f"/halls/{hall}?month={MONTH}").text
    late_cell = re.search(r'data-basis="restated">(?:(?!</tr>).)*data-col="late_events" '
                          r'data-value="(\d+)"', hall_page, re.S)
    assert late_cell and int(late_cell.group(1)) == len(late)


def test_the_filter_swaps_the_list_in_a_browser(hq_sqlite: HqServer,
                                                chromium: WebDriver) -> None:
    """htmx: choosing a status swaps the list (no page load), under the CSP with no error."""
    hall = unique("HALL")
    first, second = opened_incident(hq_sqlite, hall, "c1"), opened_incident(hq_sqlite, hall, "c2")
    anchors.set_status(hq_sqlite.store.engine, second, anchors.RESOLVED, "re-enrolled", "Li")
    login = add_user(hq_sqlite, "hall", (hall,))
    chromium.get(f"{hq_sqlite.url}/login?next=/incidents")
    chromium.find_element(By.NAME, "login").send_keys(login)
    chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(chromium, 30).until(lambda d: d.find_elements(By.ID, "incident-list"))

    def listed(driver: WebDriver) -> set[int]:
        return {int(row.get_attribute("data-id") or 0) for row in driver.find_elements(
            By.CSS_SELECTOR, "#incident-list tbody tr")}

    assert listed(chromium) == {first, second}
    chromium.execute_script("window.notReloaded = true")
    Select(chromium.find_element(By.NAME, "status")).select_by_value("resolved")
    WebDriverWait(chromium, 30).until(lambda d: "status=resolved" in d.current_url)
    WebDriverWait(chromium, 30).until(lambda d: listed(d) == {second})
    assert chromium.execute_script("return window.notReloaded === true")  # swapped, not loaded
    assert not console_errors(chromium)
