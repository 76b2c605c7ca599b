"""Screenshots of every head office web page, as a user sees them in a real browser.

    PYTHONPATH=. python scripts/web_screenshots.py [--out screenshots/web]

Starts a `counter-hq serve` on SQLite in a temporary folder with two halls of demo history
(the web tests' own, October and November 2026), signs in to Debian's headless `chromium`
(through `chromedriver`, as tests/web/test_browser.py does) as an hq login and as a hall
login, and saves every page in Chinese and English, wide (1280 px) and narrow (400 px), whole
pages (the window grown to the page's height), as PNG files named page-login-language-width.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from head_office import roster
from tests.helpers.hq import running_server
from tests.web.support import PASSWORD
from tests.web.test_browser import CHROMIUM, DRIVER
from tests.web.test_pages import seed_halls

WIDTHS = (1280, 400)
LANGUAGES = ("zh", "en")
MONTH = "2026-11"


def driver_for(profile: Path) -> WebDriver:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-dev-shm-usage", "--hide-scrollbars",
                 f"--user-data-dir={profile}", "--window-size=1280,800"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options, service=Service(DRIVER))


def sign_in(driver: WebDriver, base: str, login: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "login").send_keys(login)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit], form input[type=submit]"
                        ).click()
    WebDriverWait(driver, 30).until(lambda d: "/login" not in d.current_url)


def set_viewport(driver: WebDriver, width: int, height: int) -> None:
    """The page's own width and height, exactly (a headless window is at least 500 px wide,
    and larger than its page by the browser's frame)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def shoot(driver: WebDriver, url: str, path: Path, width: int) -> None:
    set_viewport(driver, width, 800)
    driver.get(url)
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    # charts draw after load: wait until every chart holder has its canvas
    WebDriverWait(driver, 30).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('[data-chart]')]"
        ".every(e => e.querySelector('canvas') !== null);"))
    # htmx fragments and charts may still arrive: grow the window until the page stops growing
    height = 0
    for _ in range(10):
        time.sleep(0.4)
        now = int(driver.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"))
        if now == height:
            break
        height = now
        set_viewport(driver, width, min(max(height, 600), 6000))
    driver.save_screenshot(str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="screenshots/web")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, \
            running_server(f"sqlite:///{Path(folder) / 'hq.sqlite'}") as server:
        data = seed_halls(server)
        roster.add(server.store, data.a, "1001", "王芳", "staff", "2468", None)
        hall = data.a
        pages = {
            "hq": {
                "overview": f"/?month={MONTH}",
                "hall": f"/halls/{hall}?month={MONTH}",
                "report": f"/halls/{hall}/report?month={MONTH}",
                "stars": f"/stars?month={MONTH}",
                "incidents": "/incidents",
                "months": "/months",
                "audit": "/audit",
                "admin": "/admin",
                "devices": f"/admin/devices?hall={hall}",
                "staff": f"/admin/staff?hall={hall}",
                "staff-edit": f"/admin/staff/edit?hall={hall}&number=1001",
                "settings": f"/admin/settings?hall={hall}",
                "calendar": "/admin/calendar",
                "rules": "/rules",
                "account": "/account",
            },
            "hall": {
                "overview": f"/?month={MONTH}",
                "hall": f"/halls/{hall}?month={MONTH}",
                "stars": f"/stars?month={MONTH}",
                "rules": "/rules",
            },
        }
        driver = driver_for(Path(folder) / "profile")
        try:
            for width in WIDTHS:
                for language in LANGUAGES:
                    driver.delete_all_cookies()
                    shoot(driver, f"{server.url}/login?lang={language}",
                          out / f"login-none-{language}-{width}.png", width)
            for who, login in (("hq", data.hq), ("hall", data.login_a)):
                sign_in(driver, server.url, login)
                for name, path in pages[who].items():
                    for language in LANGUAGES:
                        joiner = "&" if "?" in path else "?"
                        for width in WIDTHS:
                            target = out / f"{name}-{who}-{language}-{width}.png"
                            shoot(driver, f"{server.url}{path}{joiner}lang={language}",
                                  target, width)
                            print(target, flush=True)
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
