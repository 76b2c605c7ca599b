"""The overview, hall and stars pages against a real `counter-hq serve` (SQLite and
PostgreSQL): the figures they show are reports.*'s for the same data, a hall login sees its
halls only, and the vendored scripts are served from here under a CSP of 'self' scripts."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx

from head_office.web import routes
from tests.helpers.hq import HqServer
from tests.web.support import add_user, signed_in

VENDOR = Path(routes.__file__).resolve().parent / "static" / "vendor"


def test_the_vendor_readme_names_each_files_sha256() -> None:
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|", readme))
    files = {p.name for p in VENDOR.iterdir() if p.name != "README.md"}
    assert set(listed) == files == {"echarts.min.js", "echarts.LICENSE", "echarts.NOTICE",
                                    "htmx.min.js", "htmx.LICENSE"}
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    assert "5.6.0" in readme and "2.0.4" in readme


def test_pages_load_their_scripts_from_this_server_only(hq_sqlite: HqServer) -> None:
    client = signed_in(hq_sqlite, add_user(hq_sqlite, "hq"))
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-inline" not in csp
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)  # no inline JS
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _ in scripts]  # type: ignore[union-attr]
    assert {"/static/vendor/htmx.min.js", "/static/pages.js"} <= set(sources)
    assert all(s.startswith("/static/") for s in sources)
    for path in (*sources, "/static/vendor/echarts.min.js"):
        answer = httpx.get(hq_sqlite.url + path, timeout=30)
        assert answer.status_code == 200, path
        assert "javascript" in answer.headers["content-type"]
        local = routes.HERE / path.removeprefix("/")
        assert answer.content == local.read_bytes()
