"""A hall login in headless chromium against a real `counter-hq serve`: the hall page's Pareto
and satisfaction-against-handling-time charts have as many points as their tables have rows
(read from ECharts itself), the overview's trend one point a day, the XLSX link downloads a
file that opens with the page's rows, the monthly report's PDF downloads, and another hall's
page is refused."""

from __future__ import annotations

import time
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from head_office.web import i18n
from tests.helpers.hq import HqServer
from tests.web import test_browser
from tests.web.support import PASSWORD, add_user, unique, upload
from tests.web.test_browser import console_errors
from tests.web.test_pages import history

#: headless chromium, the fixture of tests/web/test_browser.py
chromium = test_browser.browser

POINTS = ("var el = document.querySelector('[data-name=' + arguments[0] + ']');"
          "var chart = el && echarts.getInstanceByDom(el);"
          "return chart ? chart.getOption().series.map(function (s) { return s.data.length; })"
          " : null;")


def downloaded(folder: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in folder.glob(f"*{suffix}") if p.stat().st_size > 0]
        if done and not list(folder.glob("*.crdownload")):
            return done[0]
        time.sleep(0.2)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def seed(server: HqServer) -> str:
    hall = unique("DL")
    for counter in ("01", "02"):
        upload(server, hall, f"{hall}-{counter}",
               history(hall, f"{hall}-{counter}", seed=700 + int(counter)))
    return hall


def test_a_hall_login_sees_charts_as_its_tables_downloads_and_is_refused_elsewhere(
        hq_sqlite: HqServer, chromium: WebDriver, tmp_path: Path) -> None:
    hall, other = seed(hq_sqlite), seed(hq_sqlite)
    folder = tmp_path / "downloads"
    folder.mkdir()
    chromium.execute_cdp_cmd("Browser.setDownloadBehavior", {
        "behavior": "allow", "downloadPath": str(folder)})

    chromium.get(f"{hq_sqlite.url}/login")
    chromium.find_element(By.NAME, "login").send_keys(add_user(hq_sqlite, "hall", (hall,)))
    chromium.find_element(By.NAME, "password").send_keys(PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(chromium, 30).until(lambda d: d.find_elements(By.ID, "figures"))

    chromium.get(f"{hq_sqlite.url}/?month=2026-11")
    trend = WebDriverWait(chromium, 30).until(lambda d: d.execute_script(POINTS, "trend"))
    assert trend and set(trend) == {30}, trend  # one point for each of November's days

    chromium.get(f"{hq_sqlite.url}/halls/{hall}?month=2026-11")
    pareto = WebDriverWait(chromium, 30).until(lambda d: d.execute_script(POINTS, "pareto"))
    causes = chromium.find_elements(By.CSS_SELECTOR, "#causes tbody tr")
    assert causes and pareto == [len(causes), len(causes)]  # bars and cumulative line
    shown = [row.find_element(By.CSS_SELECTOR, 'td[data-col="cause"]').text for row in causes]
    handling = chromium.execute_script(POINTS, "handling")
    bands = chromium.find_elements(By.CSS_SELECTOR, "#handling tbody tr")
    assert bands and handling == [len(bands), len(bands)]  # satisfaction bars, rated line

    chromium.find_element(By.CSS_SELECTOR, f'a[href^="/halls/{hall}/causes.xlsx"]').click()
    sheet = load_workbook(downloaded(folder, ".xlsx")).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == i18n.text("cause", "zh")
    assert [r[0] for r in rows[1:]] == shown

    chromium.get(f"{hq_sqlite.url}/halls/{hall}/report?month=2026-11")
    WebDriverWait(chromium, 30).until(lambda d: d.find_elements(By.ID, "report-pdf"))
    chromium.find_element(By.ID, "report-pdf").click()
    pdf = PdfReader(downloaded(folder, ".pdf"))
    assert len(pdf.pages) == 1 and hall in pdf.pages[0].extract_text()
    assert not console_errors(chromium)

    chromium.get(f"{hq_sqlite.url}/halls/{other}?month=2026-11")
    assert other not in chromium.find_element(By.TAG_NAME, "body").text
    answer = chromium.execute_script(
        "var r = new XMLHttpRequest(); r.open('GET', arguments[0], false); r.send();"
        "return [r.status, r.responseText];", f"/halls/{other}/causes.csv?month=2026-11")
    assert answer[0] == 404 and other not in answer[1]
