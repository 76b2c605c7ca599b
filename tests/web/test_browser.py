"""The overview in a real browser (Debian's chromium and chromium-driver, headless) against a
real `counter-hq serve`: signed in through /login's form, the ECharts chart draws with no
error in the browser's console (the CSP allows only this server's scripts), the htmx month
filter swaps the table, and at 400 px wide nothing overflows the page sideways.

Screenshots at 1280×800 and 400×800 go to the test's tmp_path, and a copy of the pair to
/tmp/web_shots/ for a person to look at."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.helpers.hq import HqServer
from tests.web.support import PASSWORD, add_user, unique, upload
from tests.web.test_pages import history

#: Debian's packages, or whatever `chromium` and `chromedriver` the PATH holds (README: Ubuntu)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SHOTS = Path("/tmp/web_shots")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    for path in (CHROMIUM, DRIVER):
        assert Path(path).exists(), (f"{path} is missing: apt-get install chromium "
                                     "chromium-driver (scripts/setup.sh test does)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,800",
                 "--lang=zh-CN"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for_chart(driver: WebDriver) -> None:
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "var c = document.querySelector('[data-name=trend] canvas');"
        "return c !== null && c.width > 0 && c.height > 0;"))


def hall_rows(driver: WebDriver) -> dict[str, str]:
    return {row.get_attribute("data-hall") or "": row.find_element(
                By.CSS_SELECTOR, 'td[data-col="service_level"]').text
            for row in driver.find_elements(By.CSS_SELECTOR, "#halls tbody tr")}


def test_the_overview_draws_filters_and_fits_a_narrow_window(
        hq_sqlite: HqServer, browser: WebDriver, tmp_path: Path) -> None:
    hall = unique("SHOT")
    for counter in ("01", "02"):
        upload(hq_sqlite, hall, f"{hall}-{counter}",
               history(hall, f"{hall}-{counter}", seed=900 + int(counter)))
    login = add_user(hq_sqlite, "hall", (hall,))

    browser.get(f"{hq_sqlite.url}/login")
    browser.find_element(By.NAME, "login").send_keys(login)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(browser, 30).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#figures[data-period]"))
    assert browser.current_url.rstrip("/") == hq_sqlite.url
    wait_for_chart(browser)
    this_month = hall_rows(browser)
    assert list(this_month) == [hall] and this_month[hall] == "—"  # nothing this month

    Select(browser.find_element(By.ID, "month")).select_by_value("2026-11")
    # read in one script: htmx swaps #figures, so a found element can go stale before it is read
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "var f = document.getElementById('figures');"
        "return f !== null && f.getAttribute('data-period') === '2026-11';"))
    wait_for_chart(browser)
    november = hall_rows(browser)
    assert november[hall].endswith("%") and november != this_month
    assert browser.current_url.endswith("month=2026-11")  # htmx pushed the period's URL
    errors = console_errors(browser)
    assert not errors, "\n".join(errors)

    shots: dict[object, Path] = {}
    for width in (1280, 400):
        # the viewport itself at width × 800 (a window's size would include its frame)
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False})
        WebDriverWait(browser, 10).until(
            lambda d, w=width: d.execute_script("return window.innerWidth") == w)
        browser.execute_script("window.dispatchEvent(new Event('resize'))")
        shot = tmp_path / f"overview-{width}x800.png"
        assert browser.save_screenshot(str(shot))
        shots[width] = shot
        if width == 400:
            inner, scroll = browser.execute_script(
                "return [window.innerWidth, document.documentElement.scrollWidth]")
            assert inner == 400
            assert scroll <= inner, f"the page is {scroll} px wide in a {inner} px window"
    # the hall's page (its Pareto chart) and the stars, in the same narrow window
    for path, chart in ((f"/halls/{hall}?month=2026-11", "pareto"), ("/stars?month=2026-11", "")):
        browser.get(hq_sqlite.url + path)
        WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "figures"))
        if chart:
            WebDriverWait(browser, 30).until(lambda d, c=chart: d.execute_script(
                f"return document.querySelector('[data-name={c}] canvas') !== null"))
        inner, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]")
        assert scroll <= inner == 400, (path, scroll)
    shots["hall"] = tmp_path / "hall-400x800.png"
    browser.get(f"{hq_sqlite.url}/halls/{hall}?month=2026-11")
    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return document.querySelector('[data-name=pareto] canvas') !== null"))
    assert browser.save_screenshot(str(shots["hall"]))
    errors = console_errors(browser)
    assert not errors, "\n".join(errors)
    SHOTS.mkdir(exist_ok=True)
    for shot in shots.values():
        shutil.copy(shot, SHOTS / shot.name)
