"""`counter-hq report` CSV and XLSX: formula-like text defused, numbers left numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from openpyxl import load_workbook

from head_office import cli, reports
from head_office.store import Store
from tests.helpers.hq import chained, day_drafts


def test_report_csv_and_xlsx_defuse_a_hostile_hall_id(
    tmp_path: Path, capsys: object
) -> None:
    url = f"sqlite:///{tmp_path / 'hq.sqlite'}"
    store = Store(url)
    try:
        store.enroll("=HYPERLINK(1)", "-01")
        who = store.counter("=HYPERLINK(1)", "-01")
        assert who is not None
        store.ingest(who, chained("=HYPERLINK(1)", "-01", day_drafts(3)))
        events = store.counts(who)["events"]
    finally:
        store.close()
    assert cli.main(["report", "chains", "--db", url]) == 0
    out = capsys.readouterr().out  # type: ignore[attr-defined]
    (row,) = csv.DictReader(io.StringIO(out, newline=""))
    assert row["hall"] == "'=HYPERLINK(1)" and row["counter"] == "'-01"
    assert row["events"] == str(events)
    target = tmp_path / "chains.xlsx"
    assert cli.main(["report", "chains", "--db", url, "--format", "xlsx",
                     "--output", str(target)]) == 0
    sheet = load_workbook(target).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    cells = dict(zip(header, [c for c in sheet[2]], strict=True))
    assert cells["hall"].value == "'=HYPERLINK(1)" and cells["hall"].data_type != "f"
    assert cells["events"].value == events and cells["counter"].value == "'-01"
    assert reports.CHAIN_COLUMNS[0] == "hall"
