"""`schemathesis run --checks all` against the OpenAPI schema a real `counter-hq serve` serves,
with valid tokens: every answer is documented, in the one error shape, and as the schema
promises (what is schema-valid is accepted, what is not is refused)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from counter_core import settings as hall_settings
from head_office import settings as central
from head_office.access import enroll_desk, enroll_reader
from head_office.routes.hall import DAY_PATTERN, MONTH_PATTERN
from head_office.routes.models import MAX_EVENTS, MAX_SEQ
from tests.helpers.hq import HqServer, running_server

HALL = "SH-0500"

#: What the schema cannot say. A batch the schema accepts may still not continue head office's
#: chain (its order, its hashes, its hall and counter are checked against what is stored), so
#: POST /events may refuse schema-valid data with 400 `unordered_batch`, 403 `foreign_event` or
#: 422 `broken_chain`; and a body over 1 MB is 413 whatever it holds. The hall's figures are
#: read with the hall's reader token (a counter's own token reads its own status only); a
#: schema-valid chain id the hall does not have is 404 on GET /hall/events.
CONFIG = """
headers = { Authorization = "Bearer ${HQ_COUNTER_TOKEN}" }

[[operations]]
include-path = "/api/v1/hall"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }

[[operations]]
include-path = "/api/v1/hall/presence"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }

[[operations]]
include-path = "/api/v1/hall/alerts"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }
# `since` matches a time's pattern but may name no day of the calendar (November 31st): 400
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "404"]

[[operations]]
include-path-regex = "^/api/v1/hall/alerts/.+/ack$"
headers = { Authorization = "Bearer ${HQ_DESK_TOKEN}" }
parameters = { alert = "${HQ_ALERT_ID}" }

[[operations]]
include-path = "/api/v1/hall/chains"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }

[[operations]]
include-path = "/api/v1/hall/events"
headers = { Authorization = "Bearer ${HQ_READER_TOKEN}" }
checks.positive_data_acceptance.expected-statuses = ["2xx", "404"]

[[operations]]
include-path = "/api/v1/events"
checks.positive_data_acceptance.expected-statuses = ["2xx", "400", "403", "422", "429"]
checks.negative_data_rejection.expected-statuses = [
    "400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]
"""


def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}") as server:
        env = {**os.environ, "HQ_COUNTER_TOKEN": server.enroll(HALL, "01"),
               "HQ_READER_TOKEN": enroll_reader(server.store, HALL),
               "HQ_DESK_TOKEN": enroll_desk(server.store, HALL, "desk"), "NO_COLOR": "1"}
        env["HQ_ALERT_ID"] = _an_alert(server, env["HQ_COUNTER_TOKEN"], env["HQ_READER_TOKEN"])
        # the hall's central settings, so GET /hall/settings answers more than its 404
        central.put(server.store, HALL, hall_settings.parse({"transaction_types": [
            {"code": "payment", "name_zh": "缴费", "name_en": "Payment", "target_s": 180}]}),
            "test")
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
    # every operation of the schema tested, none shut out by its token
    assert re.search(r"(\d+) selected / \1 total", run.stdout), report
    assert "Authentication failed" not in run.stdout, report
    assert took < 120, f"schemathesis took {took:.0f} s"


def _an_alert(server: HqServer, counter: str, reader: str) -> str:
    """A real alert's id (a transaction past its target, as the counter's presence says), for
    the acknowledgement's path."""
    httpx.post(f"{server.url}/api/v1/presence", timeout=30,
               headers={"Authorization": f"Bearer {counter}"},
               json={"phase": "serving", "txn": "t-1", "started_at": "2026-12-03T05:00:00Z",
                     "elapsed_s": 200.0, "target_s": 180.0, "staff": "1001"}).raise_for_status()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        alerts = httpx.get(f"{server.url}/api/v1/hall/alerts", timeout=30,
                           headers={"Authorization": f"Bearer {reader}"}).json()["alerts"]
        if alerts:
            return str(alerts[0]["id"])
        time.sleep(0.3)
    raise AssertionError("no overtime alert within 20 s")


def test_the_schema_carries_the_limits_and_the_one_error_shape(hq_sqlite: HqServer) -> None:
    spec = httpx.get(f"{hq_sqlite.url}/openapi.json", timeout=30).json()
    body = spec["paths"]["/api/v1/events"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    events = body["properties"]["events"]
    assert events["maxItems"] == MAX_EVENTS
    event = events["items"]["properties"]
    for name in ("hash", "prev_hash"):
        assert event[name]["pattern"] == "^[0-9a-f]{64}$"
    assert event["seq"]["type"] == "integer" and event["seq"]["minimum"] == 1
    assert event["seq"]["exclusiveMaximum"] == MAX_SEQ
    # one error shape, documented on every route; never FastAPI's {"detail": [...]}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert set(spec["components"]["schemas"]["ErrorOut"]["properties"]) == {
        "detail", "code", "seq"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            statuses = {int(s) for s in operation["responses"] if s != "200"}
            assert {400, 404, 405, 408, 413, 500} <= statuses, (method, path)
            for status in statuses:
                content = operation["responses"][str(status)]["content"]["application/json"]
                assert content["schema"] == error, (method, path, status)
    hall = {p["name"]: p["schema"]
            for p in spec["paths"]["/api/v1/hall"]["get"]["parameters"]}
    assert hall["month"]["pattern"] == MONTH_PATTERN and hall["day"]["pattern"] == DAY_PATTERN
    assert "Asia/Shanghai" in hall["tz"]["enum"]
