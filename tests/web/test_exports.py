"""Downloads against a real `counter-hq serve` (SQLite and PostgreSQL): every web table as CSV
and XLSX with the page's rows, headers in the page's language, formula-safe; each download
scoped as its page and audited; a hall's monthly report as a printable page and a one-page
PDF in a CJK font, or the API's error shape `no_pdf_font` when the font cannot be used."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from head_office import reports
from head_office.web import audit, exports, i18n
from tests.helpers.hq import HqServer, running_server
from tests.web.support import add_user, login, signed_in
from tests.web.test_pages import NOVEMBER, Data, seed_halls

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def data(hq_server: HqServer) -> Data:
    return seed_halls(hq_server)


def csv_rows(answer: httpx.Response) -> tuple[list[str], list[dict[str, str]]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    reader = csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))
    return list(reader.fieldnames or []), list(reader)


def xlsx_rows(answer: httpx.Response) -> tuple[list[str], list[dict[str, object]], object]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    return headers, [dict(zip(headers, r, strict=True)) for r in rows[1:]], sheet


def header(column: str, lang: str = "zh") -> str:
    return i18n.text(column, lang)


def test_the_overview_downloads_its_rows_in_both_formats(data: Data) -> None:
    client = signed_in(data.server, data.hq)
    expected = {r["hall"]: r for r in reports.figures(data.server.store, NOVEMBER)}
    names, rows = csv_rows(client.get("/overview.csv?month=2026-11"))
    assert names == [header(c.label) for c in exports.OVERVIEW]
    assert all(n != c.key for n, c in zip(names, exports.OVERVIEW, strict=True)
               if c.key not in ("ip",))  # every header in words, none a code
    by_hall = {r[header("hall")]: r for r in rows}
    assert {data.a, data.b} <= set(by_hall)
    for hall in (data.a, data.b):
        for key in ("service_level", "satisfaction_rate", "overtime_rate"):
            assert float(by_hall[hall][header(key)]) == pytest.approx(
                expected[hall][key], abs=5e-5), (hall, key)
    xnames, xrows, sheet = xlsx_rows(client.get("/overview.xlsx?month=2026-11"))
    assert xnames == names
    x_by_hall = {r[header("hall")]: r for r in xrows}
    for hall in (data.a, data.b):
        assert x_by_hall[hall][header("service_level")] == pytest.approx(
            expected[hall]["service_level"], abs=5e-5)
    level = xnames.index(header("service_level")) + 1
    assert "%" in sheet.cell(row=2, column=level).number_format  # type: ignore[attr-defined]
    english, _ = csv_rows(client.get("/overview.csv?month=2026-11&lang=en"))
    assert english == [header(c.label, "en") for c in exports.OVERVIEW]


def test_a_halls_four_tables_download_for_its_login_only(data: Data) -> None:
    mine, other = signed_in(data.server, data.login_a), signed_in(data.server, data.login_b)
    store = data.server.store
    for table in exports.HALL_TABLES:
        for fmt in ("csv", "xlsx"):
            path = f"/halls/{data.a}/{table}.{fmt}?month=2026-11"
            answer = mine.get(path)
            assert answer.status_code == 200, (path, answer.text)
            assert data.a in answer.headers["content-disposition"]
            refused = other.get(path)
            assert refused.status_code == 404, path
            assert data.a not in refused.text
    _, counters = csv_rows(mine.get(f"/halls/{data.a}/counters.csv?month=2026-11"))
    expected = reports.figures(store, NOVEMBER, by=("hall", "counter"), hall=data.a)
    assert [r[header("counter")] for r in counters] == [r["counter"] for r in expected]
    assert [int(r[header("completed")]) for r in counters] == [r["completed"] for r in expected]
    _, causes = csv_rows(mine.get(f"/halls/{data.a}/causes.csv?month=2026-11"))
    assert "系统或网络" in {r[header("cause")] for r in causes}  # the cause's name, no code
    _, chains, _ = xlsx_rows(mine.get(f"/halls/{data.a}/chains.xlsx?month=2026-11"))
    demo = {str(r[header("counter")]): r[header("demo")] for r in chains}
    assert demo == {f"{data.a}-01": None, f"{data.a}-02": header("demo")}


def test_the_stars_download_is_the_stars_pages_ranking(data: Data) -> None:
    client = signed_in(data.server, data.login_a)
    _, rows = csv_rows(client.get("/stars.csv?month=2026-11"))
    assert {r[header("hall")] for r in rows} == {data.a}  # a hall login: its own hall
    expected = [r for r in reports.stars(data.server.store, NOVEMBER) if r["hall"] == data.a]
    assert [r[header("staff")] for r in rows] == [r["staff"] for r in expected]
    confirmed = [r[header("staff")] for r in rows if r[header("star")] == header("confirmed")]
    assert confirmed == ["1002"]


def test_downloads_are_audited_and_the_audit_export_is_hq_only_and_formula_safe(
        data: Data) -> None:
    hostile = "=HYPERLINK(\"http://x\",\"1\")"
    assert login(httpx.Client(base_url=data.server.url, timeout=30), hostile,
                 "wrong").status_code == 401
    hall_login = signed_in(data.server, data.login_a)
    assert hall_login.get(f"/halls/{data.a}/staff.csv?month=2026-11").status_code == 200
    assert hall_login.get("/audit.csv").status_code == 403
    assert hall_login.get("/audit.xlsx").status_code == 403
    seen = [(e["action"], e["target"]) for e in audit.entries(
        data.server.store.engine, login=data.login_a)]
    assert (audit.EXPORT, f"{data.a}-staff-2026-11.csv") in seen

    hq = signed_in(data.server, data.hq)
    _, rows = csv_rows(hq.get("/audit.csv", params={"action": "login_failed"}))
    who = [r[header("who")] for r in rows]
    assert "'" + hostile in who and hostile not in who  # defused, never a formula
    _, xrows, _ = xlsx_rows(hq.get("/audit.xlsx", params={"action": "login_failed"}))
    assert "'" + hostile in {r[header("who")] for r in xrows}


def test_the_monthly_report_prints_on_one_page_for_its_hall_only(data: Data) -> None:
    mine = signed_in(data.server, data.login_a)
    page = mine.get(f"/halls/{data.a}/report?month=2026-11")
    assert page.status_code == 200
    assert "营业厅月度服务报告" in page.text and data.a in page.text and "2026-11" in page.text
    assert "/static/print.css" in page.text and 'id="as-of"' in page.text
    assert signed_in(data.server, data.login_b).get(
        f"/halls/{data.a}/report?month=2026-11").status_code == 404

    answer = mine.get(f"/halls/{data.a}/report.pdf?month=2026-11")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(answer.content))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "营业厅月度服务报告" in text and data.a in text and "2026-11" in text
    assert "1002" in text  # November's confirmed star
    english = PdfReader(io.BytesIO(mine.get(
        f"/halls/{data.a}/report.pdf?month=2026-11&lang=en").content))
    assert "Monthly service report" in english.pages[0].extract_text()
    refused = signed_in(data.server, data.login_b).get(
        f"/halls/{data.a}/report.pdf?month=2026-11")
    assert refused.status_code == 404 and data.a not in refused.text


@pytest.fixture(scope="module")
def fontless(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HqServer]:
    folder = tmp_path_factory.mktemp("fontless")
    not_a_font = folder / "font.ttf"
    not_a_font.write_bytes(b"this is not a font")
    with running_server(f"sqlite:///{folder / 'hq.sqlite'}", "--pdf-font",
                        str(not_a_font)) as server:
        yield server


def test_a_pdf_without_a_usable_font_is_the_apis_error_shape(fontless: HqServer,
                                                            tmp_path: Path) -> None:
    hall = "FONTLESS"
    fontless.enroll(hall, f"{hall}-01")
    client = signed_in(fontless, add_user(fontless, "hall", (hall,)))
    answer = client.get(f"/halls/{hall}/report.pdf?month=2026-11")
    assert answer.status_code == 503
    body = answer.json()
    assert body["code"] == "no_pdf_font" and body["detail"], body
    assert "Traceback" not in answer.text
    assert client.get(f"/halls/{hall}/report?month=2026-11").status_code == 200  # the page
