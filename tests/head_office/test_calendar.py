"""The working-day calendar set at head office, against a real `counter-hq serve` on SQLite and
PostgreSQL: `counter-hq calendar set`, `GET /api/v1/calendar` with its ETag, the counter's
cached copy, and the overdue follow-ups per hall in the reports and the hall's answer."""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from counter_app.application.calendar import CALENDAR_FILE, cached_calendar, refresh_calendar
from counter_app.sync.protocol import HeadOfficeClient
from counter_core.transaction import Draft
from counter_core.workdays import WorkCalendar
from head_office import reports
from head_office.access import enroll_reader
from tests.head_office.test_access import get, one_shape
from tests.helpers.hq import REPO, HqServer, chained

CN2026 = REPO / "resources" / "calendar_cn_2026.toml"


def cli(server: HqServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "head_office.cli", *args, "--db", server.db_url],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def poor_ratings() -> list[tuple[str, Draft]]:
    """Three poor ratings on Wednesday 30 September 2026, 23:30 in Shanghai (15:30 UTC):
    f1 followed up, f2 and f3 not. Due five working days later on the 2026 calendar
    (1–7 October off, Saturday 10 worked): Tuesday 13 October."""
    pay = {"type": "payment", "target_s": 180.0}
    out: list[tuple[str, Draft]] = [
        ("2026-09-30T15:00:00.000Z", Draft("signed_in", {"staff": "A", "role": "staff"}))
    ]
    for n, txn in enumerate(("f1", "f2", "f3")):
        at = f"2026-09-30T15:{30 + n * 5:02}"
        out += [
            (f"{at}:00.000Z", Draft("started", {"txn": txn, "staff": "A", **pay})),
            (
                f"{at}:30.000Z",
                Draft(
                    "completed",
                    {"txn": txn, "duration_s": 30.0, "target_s": 180.0, "overtime_s": 0.0},
                ),
            ),
            (f"{at}:40.000Z", Draft("rated", {"txn": txn, "rating": 1})),
        ]
    out.append(
        (
            "2026-10-09T02:00:00.000Z",
            Draft(
                "rating_followed_up",
                {
                    "txn": "f1",
                    "called_back": True,
                    "cause": "slow",
                    "resolved": True,
                    "note": "",
                    "manager": "9001",
                },
            ),
        )
    )
    return out


def test_calendar_set_get_etag_and_the_counters_copy(hq_server: HqServer, tmp_path: Path) -> None:
    hall = f"H-{uuid.uuid4().hex[:6]}"
    token = hq_server.enroll(hall, "01")
    reader = enroll_reader(hq_server.store, hall)
    desk = cli(hq_server, "enroll", "--hall", hall, "--counter", "desk", "--kind", "desk")
    desk_token = desk.stdout.strip().splitlines()[-1]

    # a bad file is refused with the reason, and nothing is stored
    bad = tmp_path / "bad.toml"
    bad.write_text('[calendar.2026]\nholidays = ["2026-02-30"]\n', encoding="utf-8")
    done = cli(hq_server, "calendar", "set", "--file", str(bad))
    assert done.returncode == 2 and "expected a date" in done.stderr
    assert "Traceback" not in done.stderr
    before = get(hq_server, "/api/v1/calendar", token)
    assert before.status_code == 200
    if before.json() == {"calendar": {}}:  # none set yet on this server: the counter keeps
        data_dir = tmp_path / "before"  # the calendar it ships
        data_dir.mkdir()
        with HeadOfficeClient(hq_server.url, token) as client:
            assert refresh_calendar(data_dir, client) is False
        assert not (data_dir / CALENDAR_FILE).exists()

    done = cli(hq_server, "calendar", "set", "--file", str(CN2026))
    assert done.returncode == 0, done.stderr
    assert "2026: 33 holidays, 6 make-up working days" in done.stdout

    answer = get(hq_server, "/api/v1/calendar", token)
    assert answer.status_code == 200
    etag = answer.headers["etag"]
    expected = WorkCalendar.from_toml(CN2026.read_text(encoding="utf-8"))
    assert WorkCalendar.from_mapping(answer.json()) == expected
    for other in (reader, desk_token):  # a reader's and a desk's token read it too
        assert get(hq_server, "/api/v1/calendar", other).headers["etag"] == etag
    again = httpx.get(
        f"{hq_server.url}/api/v1/calendar",
        timeout=30,
        headers={"Authorization": f"Bearer {token}", "If-None-Match": etag},
    )
    assert again.status_code == 304 and again.content == b""
    one_shape(get(hq_server, "/api/v1/calendar", "not-a-token"), 401, "bad_token")
    shown = cli(hq_server, "calendar", "show")
    assert shown.returncode == 0 and WorkCalendar.from_toml(shown.stdout) == expected

    # the counter's sync caches it in its data folder, and asks with the ETag afterwards
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    assert cached_calendar(data_dir) == expected  # the shipped one, before any sync
    with HeadOfficeClient(hq_server.url, token) as client:
        assert refresh_calendar(data_dir, client) is True
        assert (data_dir / CALENDAR_FILE).stat().st_mode & 0o777 == 0o600
        assert refresh_calendar(data_dir, client) is False  # 304: unchanged
        assert client.calendar(etag) is None

    # a year set again replaces that year; the counter picks the change up at its next sync
    changed = tmp_path / "changed.toml"
    changed.write_text(
        '[calendar.2026]\nholidays = ["2026-12-31"]\nworkdays = []\n', encoding="utf-8"
    )
    assert cli(hq_server, "calendar", "set", "--file", str(changed)).returncode == 0
    with HeadOfficeClient(hq_server.url, token) as client:
        assert refresh_calendar(data_dir, client) is True
    assert cached_calendar(data_dir).holidays == {dt.date(2026, 12, 31)}
    assert cli(hq_server, "calendar", "set", "--file", str(CN2026)).returncode == 0


def test_overdue_follow_ups_per_hall_in_reports_and_the_halls_answer(hq_server: HqServer) -> None:
    assert cli(hq_server, "calendar", "set", "--file", str(CN2026)).returncode == 0
    hall = f"H-{uuid.uuid4().hex[:6]}"
    token = hq_server.enroll(hall, "01")
    reader = enroll_reader(hq_server.store, hall)
    who = hq_server.store.counter(hall, "01")
    assert who is not None
    hq_server.store.ingest(who, chained(hall, "01", poor_ratings()))
    assert token

    def overdue(now: str) -> int:
        moment = dt.datetime.fromisoformat(now.replace("Z", "+00:00"))
        return reports.overdue_follow_ups(
            hq_server.store, hall=hall, now=moment, tz="Asia/Shanghai"
        ).get(hall, 0)

    assert overdue("2026-10-13T15:59:59Z") == 0  # still Tuesday 13 October in Shanghai
    assert overdue("2026-10-13T16:00:00Z") == 2  # f2 and f3; f1 was followed up
    # counted in UTC the rating was on the 30th too, but the deadline ends at UTC midnight
    assert (
        reports.overdue_follow_ups(
            hq_server.store,
            hall=hall,
            now=dt.datetime(2026, 10, 13, 23, 0, tzinfo=dt.UTC),
            tz="UTC",
        ).get(hall, 0)
        == 0
    )

    done = cli(hq_server, "report", "halls", "--hall", hall, "--time-zone", "Asia/Shanghai")
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(io.StringIO(done.stdout)))
    assert row["overdue_follow_ups"] == "2"  # today is long past 13 October 2026
    assert cli(hq_server, "report", "halls", "--follow-up-days", "0").returncode == 2

    view = get(hq_server, "/api/v1/hall", reader, month="2026-09", tz="Asia/Shanghai").json()
    assert view["overdue_follow_ups"] == 2
