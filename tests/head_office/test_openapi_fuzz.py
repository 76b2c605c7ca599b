"""`schemathesis run --checks all` against the OpenAPI schema a real `counter-hq serve` serves,
with valid tokens: every answer is documented, in the one error shape, and as the schema
promises (what is schema-valid is accepted, what is not is refused)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from head_office.access import enroll_reader
from tests.helpers.hq import running_server

HALL = "SH-0500"

#: What the schema cannot say. A batch the schema accepts may still not continue head office's
#: chain (its order, its hashes, its hall and counter are checked against what is stored), so
#: POST /events may refuse schema-valid data with 400 `unordered_batch`, 403 `foreign_event` or
#: 422 `broken_chain`; and a body over 1 MB is 413 whatever it holds. The hall's figures are
#: read with the hall's reader token (a counter's own token reads its own status only).
CONFIG = """
headers = { Authorization = "Bearer ${HQ_COUNTER_TOKEN}" }

[[operations]]
include-path = "/api/v1/hall"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }

[[operations]]
include-path = "/api/v1/events"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "422", "429"]
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}") as server:
        env = {**os.environ, "HQ_COUNTER_TOKEN": server.enroll(HALL, "01"),
               "HQ_READER_TOKEN": enroll_reader(server.store, HALL), "NO_COLOR": "1"}
        config = tmp_path / "schemathesis.toml"
        config.write_text(CONFIG, encoding="utf-8")
        started = time.monotonic()
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(config),
             "run", "--checks", "all", f"{server.url}/openapi.json", "--max-examples", "40",
             "--seed", "1", "--workers", "1", "--no-color"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
        took = time.monotonic() - started
    report = run.stdout[-6000:] + run.stderr[-2000:]
    assert run.returncode == 0, report
    assert "No issues found" in run.stdout, report
    assert "4 selected" in run.stdout and "Authentication failed" not in run.stdout, report
    assert took < 120, f"schemathesis took {took:.0f} s"
