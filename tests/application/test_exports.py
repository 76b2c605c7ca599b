"""Manager exports read back: overtime log as CSV and XLSX, monthly summary as CSV, XLSX, PDF."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from counter_app import cli
from counter_app.application.counter import Counter
from counter_app.application.demo import write_demo_history
from counter_app.application.manager import Period
from counter_app.config import Config
from counter_core.ratings import OVERTIME_CAUSES, OVERTIME_REASONS


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """March 2026 of demo history (with the demo manager's reviews), one case re-reviewed."""
    from counter_app import config as config_module

    config = config_module.load()
    data_dir = tmp_path_factory.mktemp("exports") / "data"
    write_demo_history(config, data_dir, 31, seed=11, end=dt.date(2026, 3, 31))
    counter = Counter(config, data_dir)
    try:
        session = counter.manager("9001")
        txn = session.data.overtime_log(Period(dt.date(2026, 3, 10)))[0]["txn"]
        session.desk.review_overtime(txn, "system", "CRM down 10 min")
        session.desk.confirm_star("2026-03", "1001", 4.4)
    finally:
        counter.close()
    return data_dir


def _run(*args: str) -> int:
    return cli.main(list(args))


def test_overtime_csv_to_stdout(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("export", "overtime", "--from", "2026-03-10", "--to", "2026-03-20",
                "--format", "csv", "--output", "-", "--data-dir", str(history)) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and all(float(r["overtime_s"]) > 0 for r in rows)
    assert all("2026-03-10" <= r["local_time"][:10] <= "2026-03-20" for r in rows)
    reviewed = [r for r in rows if r["reviewed"] == "yes"]
    assert reviewed and all(r["cause"] and r["reviewed_by"] == "9001" for r in reviewed)
    ours = [r for r in reviewed if r["note"] == "CRM down 10 min"]
    assert len(ours) == 1 and ours[0]["cause"] == "system"  # the later review superseded
    assert rows[0]["staff_name"] in {"王芳", "李强", "张敏"}


def test_overtime_xlsx(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "overtime.xlsx"
    assert _run("export", "overtime", "--format", "xlsx", "--output", str(out),
                "--data-dir", str(history)) == 0
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    # read by people: headers and codes in the counter's language (the demo's is Chinese)
    assert header[:3] == ["业务编号", "开始时间（UTC）", "开始时间（本地）"]
    assert "复核认定原因" in header
    body = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(body) > 100
    overtime = header.index("超时（秒）")
    assert all(row[overtime] > 0 for row in body)
    rows = [dict(zip(header, row, strict=True)) for row in body]
    type_names = {t.name_zh for t in _config().types}
    assert {r["业务类型"] for r in rows} <= type_names
    assert {r["已复核"] for r in rows} <= {"是", "否"}
    causes = {c.zh for c in OVERTIME_CAUSES}
    assert {r["复核认定原因"] for r in rows if r["复核认定原因"]} <= causes
    reasons = {c.zh for c in OVERTIME_REASONS}
    assert {r["员工说明的超时原因"] for r in rows if r["员工说明的超时原因"]} <= reasons
    assert any(r["复核认定原因"] for r in rows) and any(r["员工说明的超时原因"] for r in rows)
    # the CSV keeps the codes, for machines
    csv_out = tmp_path / "overtime.csv"
    assert _run("export", "overtime", "--format", "csv", "--output", str(csv_out),
                "--data-dir", str(history)) == 0
    coded = list(csv.DictReader(csv_out.open(encoding="utf-8-sig")))
    assert {r["type"] for r in coded} <= {t.code for t in _config().types}
    assert {r["reviewed"] for r in coded} <= {"yes", "no"}


def test_an_english_counters_xlsx_speaks_english(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "overtime.xlsx"
    english = str(english_config(tmp_path))
    assert _run("export", "overtime", "--format", "xlsx", "--output", str(out),
                "--data-dir", str(history), "--config", english) == 0
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[:3] == ["Transaction id", "Started (UTC)", "Started (local time)"]
    rows = [dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r["Reviewed"] for r in rows} <= {"Yes", "No"}
    assert {r["Transaction type"] for r in rows} <= {t.name_en for t in _config().types}
    summary = tmp_path / "summary.xlsx"
    assert _run("export", "summary", "--month", "2026-03", "--format", "xlsx",
                "--output", str(summary), "--data-dir", str(history), "--config", english) == 0
    sheet = load_workbook(summary).active
    assert [c.value for c in sheet[1]][:3] == ["Month", "Staff number", "Name"]
    notes = [str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0]]
    assert any(n.startswith("Star rule: Eligible: at least") for n in notes)


def _config() -> Config:
    from counter_app import config as config_module

    return config_module.load()


def test_summary_csv_and_xlsx_agree(history: Path, tmp_path: Path) -> None:
    csv_path, xlsx_path = tmp_path / "s.csv", tmp_path / "s.xlsx"
    for fmt, path in (("csv", csv_path), ("xlsx", xlsx_path)):
        assert _run("export", "summary", "--month", "2026-03", "--format", fmt,
                    "--output", str(path), "--data-dir", str(history)) == 0
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8-sig")))
    assert [r["staff"] for r in rows] == ["1001", "1002", "1003"]
    assert sum(r["suggested_star"] == "yes" for r in rows) == 1
    assert [r["confirmed_star"] for r in rows] == ["yes", "", ""]
    assert all(0 < float(r["satisfaction_rate"]) <= 1 for r in rows)
    assert all(60 < float(r["hours_signed_in"]) < 130 for r in rows)  # ~21 shifts of 4.5 h
    sheet = load_workbook(xlsx_path).active
    header = [c.value for c in sheet[1]]
    first = dict(zip(header, next(sheet.iter_rows(min_row=2, values_only=True)), strict=True))
    assert first["办结笔数"] == int(rows[0]["served"])
    assert first["满意率"] == pytest.approx(float(rows[0]["satisfaction_rate"]))
    assert first["确认之星"] == "是" and first["姓名"] == rows[0]["staff_name"]
    notes = [str(row[0]) for row in sheet.iter_rows(values_only=True) if row[0]]
    assert any(n.startswith("之星规则：资格：当月至少") for n in notes)


def english_config(tmp_path: Path) -> Path:
    """The demo configuration in English, so the PDF's words are known whatever the catalogue."""
    from counter_app import config as config_module

    text = config_module.demo_config_path().read_text(encoding="utf-8")
    path = tmp_path / "en.toml"
    path.write_text(text.replace('language = "zh_CN"', 'language = "en"'), encoding="utf-8")
    return path


def test_summary_pdf_is_one_page_with_the_star(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    assert _run("export", "summary", "--month", "2026-03", "--format", "pdf",
                "--output", str(out), "--data-dir", str(history),
                "--config", str(english_config(tmp_path))) == 0
    reader = pypdf.PdfReader(out)
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Monthly service summary" in text and "2026-03" in text
    assert "Suggested service star" in text
    assert "Confirmed star" in text and "1001" in text
    assert "at least 30 ratings" in text  # the rule is printed
    assert "王芳" in text  # Chinese names survive


def test_summary_pdf_needs_a_file(history: Path) -> None:
    assert _run("export", "summary", "--month", "2026-03", "--format", "pdf", "--output", "-",
                "--data-dir", str(history)) == 2


def test_bad_month_is_refused(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _run("export", "summary", "--month", "2026-13", "--output", "x.csv",
             "--data-dir", str(history))
    assert "YYYY-MM" in capsys.readouterr().err


def test_empty_month(demo_config: Config, data_dir: Path, tmp_path: Path) -> None:
    Counter(demo_config, data_dir).close()
    out = tmp_path / "empty.pdf"
    assert _run("export", "summary", "--month", "2026-01", "--format", "pdf", "--output",
                str(out), "--data-dir", str(data_dir),
                "--config", str(english_config(tmp_path))) == 0
    text = pypdf.PdfReader(out).pages[0].extract_text()
    assert "No suggested star" in " ".join(text.split())
