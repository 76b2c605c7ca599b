"""The administration pages in a real browser (headless chromium, tests/web/test_browser.py's
fixture) against a real `counter-hq serve`: an hq login signs in through /login's form, enrols
a counter through the devices form (its token shown once, and it works), and adds a clerk
through the roster's form; nothing in the browser's console, and at 400 px wide nothing
overflows the page sideways. A screenshot of the token page goes to /tmp/web_shots/."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from head_office import roster
from tests.helpers.hq import HqServer
from tests.web.support import PASSWORD, add_user, unique
from tests.web.test_browser import SHOTS, browser, console_errors

__all__ = ["browser"]  # the fixture, reused


def submit(driver: WebDriver, form: str) -> None:
    driver.find_element(By.CSS_SELECTOR, f"{form} button[type=submit]").click()


def test_an_hq_login_enrols_a_counter_and_adds_a_clerk_through_the_forms(
        hq_sqlite: HqServer, browser: WebDriver, tmp_path: Path) -> None:
    hall = unique("WEB")
    login = add_user(hq_sqlite, "hq")
    browser.get(f"{hq_sqlite.url}/login?next=/admin")
    browser.find_element(By.NAME, "login").send_keys(login)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    submit(browser, "form")
    WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("/admin"))

    browser.find_element(By.NAME, "hall").send_keys(hall)
    submit(browser, "form.inline-form")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "enroll"))
    browser.find_element(By.CSS_SELECTOR, "#enroll input[name=device]").send_keys("C01")
    Select(browser.find_element(By.CSS_SELECTOR, "#enroll select[name=kind]")
           ).select_by_value("counter")
    submit(browser, "#enroll")
    token = WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.ID, "token"))[0].text
    assert len(token) > 30
    assert browser.find_element(By.CSS_SELECTOR, "p.message").text.startswith("令牌只显示这一次")
    status = httpx.get(f"{hq_sqlite.url}/api/v1/status", timeout=30,
                       headers={"Authorization": f"Bearer {token}"})
    assert status.status_code == 200, status.text
    shots = {"token": tmp_path / "admin-token-1280x800.png"}
    assert browser.save_screenshot(str(shots["token"]))

    browser.get(f"{hq_sqlite.url}/admin/devices?hall={hall}")
    row = browser.find_element(By.CSS_SELECTOR, '#devices tr[data-device="C01"]')
    assert "有效" in row.text and token not in browser.page_source  # shown once only

    browser.find_element(By.LINK_TEXT, "员工名册").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "add-staff"))
    for name, value in (("number", "1001"), ("name", "陈柜员"), ("pin", "2468")):
        browser.find_element(By.CSS_SELECTOR, f"#add-staff input[name={name}]").send_keys(value)
    submit(browser, "#add-staff")
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, '#staff tr[data-number="1001"]'))
    assert "名册版本 1" in browser.find_element(By.ID, "message").text
    assert roster.check_sign_in(hq_sqlite.store, hall, "1001", "2468") == roster.OK
    shots["staff"] = tmp_path / "admin-staff-1280x800.png"
    assert browser.save_screenshot(str(shots["staff"]))

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    for path in (f"/admin/devices?hall={hall}", f"/admin/staff?hall={hall}",
                 f"/admin/settings?hall={hall}", "/admin/calendar"):
        browser.get(hq_sqlite.url + path)
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner == 400, (path, scroll)
    shots["settings"] = tmp_path / "admin-settings-400x800.png"
    browser.get(f"{hq_sqlite.url}/admin/settings?hall={hall}")
    assert browser.save_screenshot(str(shots["settings"]))
    errors = console_errors(browser)
    assert not errors, "\n".join(errors)
    SHOTS.mkdir(exist_ok=True)
    for shot in shots.values():
        shutil.copy(shot, SHOTS / shot.name)
