"""Alerts against a real `counter-hq serve` and a local webhook receiver that misbehaves: every
alert id arrives at least once, an alert raised while the webhook is down arrives later with
the same id, and the outbox survives a killed server (docs/alerts.md)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from counter_core.periods import format_utc
from counter_core.transaction import Draft
from head_office import schema
from head_office.access import enroll_desk, enroll_reader
from head_office.alerts import NOT_REPORTING, OVERTIME, POOR_RATING, alert_id
from tests.head_office.test_access import get, one_shape, upload
from tests.helpers.hq import REPO, HqServer, chained
from tests.helpers.webhook import WebhookReceiver

CONFIG = """
language = "en"
[not_reporting]
threshold_s = 2
[delivery]
timeout_s = 1
backoff_s = 0.2
backoff_cap_s = 1
"""


def wait_for(check: Callable[[], Any], timeout_s: float = 40, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def presence(server: HqServer, token: str, **state: Any) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/presence",
        json=state,
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )


def alerts(server: HqServer, token: str, **params: str) -> list[dict[str, Any]]:
    answer = get(server, "/api/v1/hall/alerts", token, **params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["alerts"])


def rated_drafts(
    *ratings: tuple[str, int], staff: str = "1001", ago_s: float = 600
) -> list[tuple[str, Draft]]:
    """A sign-in and one transaction per (txn, rating), rated; `ago_s`: how long before now
    (by the test's clock) it began."""
    now = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=ago_s)

    def at(advance_s: float) -> str:
        nonlocal now
        now += dt.timedelta(seconds=advance_s)
        return format_utc(now)

    out = [(at(0), Draft("signed_in", {"staff": staff, "role": "staff"}))]
    for txn, rating in ratings:
        target = {"txn": txn, "staff": staff, "type": "payment", "target_s": 180.0}
        done = {"txn": txn, "duration_s": 120.0, "target_s": 180.0, "overtime_s": 0.0}
        out += [
            (at(5), Draft("started", target)),
            (at(120), Draft("completed", done)),
            (at(4), Draft("rated", {"txn": txn, "rating": rating})),
        ]
    return out


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "alerts.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def receivers() -> Iterator[tuple[WebhookReceiver, WebhookReceiver]]:
    # the robot misbehaves in turn: slow past the timeout, drops the connection after reading
    # the body, answers 200 with an error code, and (only then) answers properly
    robot = WebhookReceiver(("slow", "drop", "errcode", "ok"), slow_s=1.6).start()
    generic = WebhookReceiver(("http500", "ok")).start()
    try:
        yield robot, generic
    finally:
        robot.stop()
        generic.stop()


def test_every_alert_reaches_a_flaky_robot_and_a_generic_webhook_at_least_once(
    tmp_path: Path,
    config_file: Path,
    receivers: tuple[WebhookReceiver, WebhookReceiver],
) -> None:
    robot, generic = receivers
    server = HqServer(
        f"sqlite:///{tmp_path / 'hq.sqlite'}",
        options=(
            "--alert-config",
            str(config_file),
            "--alert-webhook",
            f"{robot.url}?key=abc#format=wecom",
            "--alert-webhook",
            f"{generic.url}#kinds=overtime,poor_rating",
        ),
    ).start()
    try:
        hall = f"H-{uuid.uuid4().hex[:6]}"
        counter = server.enroll(hall, "01")
        reader = enroll_reader(server.store, hall)

        # overtime, judged from the counter's own elapsed time: many presence posts of the
        # same running transaction raise one alert
        txn = str(uuid.uuid4())
        for n in range(12):
            answer = presence(
                server,
                counter,
                phase="serving",
                txn=txn,
                staff="1001",
                started_at="2026-12-01T01:00:00.000Z",
                elapsed_s=170.0 + n,
                target_s=175.0,
            )
            assert answer.status_code == 200, answer.text
            time.sleep(0.1)
        over = alert_id(hall, "01", txn, OVERTIME)
        wait_for(lambda: [a for a in alerts(server, reader) if a["id"] == over], 10, "overtime")

        # a poor rating in an uploaded chain
        rated = str(uuid.uuid4())
        assert (
            upload(server, counter, chained(hall, "01", rated_drafts((rated, 1)))).status_code
            == 200
        )
        poor = alert_id(hall, "01", rated, POOR_RATING)
        # the counter has gone quiet with staff signed in: not reporting after 2 s
        found = wait_for(
            lambda: (
                lambda got: (
                    got
                    if {a["kind"] for a in got} == {OVERTIME, POOR_RATING, NOT_REPORTING}
                    else None
                )
            )(alerts(server, reader)),
            15,
            "the three kinds",
        )
        by_kind = {a["kind"]: a for a in found}
        assert len(found) == 3, found  # one overtime however many presence posts
        assert by_kind[POOR_RATING]["id"] == poor
        assert by_kind[POOR_RATING]["staff"] == "1001"
        assert by_kind[POOR_RATING]["detail"]["rating"] == 1
        assert by_kind[OVERTIME]["txn"] == txn and by_kind[OVERTIME]["staff"] == "1001"
        assert "over its target" in by_kind[OVERTIME]["text"]  # the hall's language: en

        ids = {a["id"] for a in found}
        wait_for(lambda: ids <= set(robot.accepted), 60, "every id accepted by the robot")
        wait_for(lambda: {over, poor} <= set(generic.accepted), 30, "the generic webhook")
        seen = set(robot.behaviours())
        assert {"slow", "drop", "errcode", "ok"} <= seen, seen
        # the generic body, and only the kinds that webhook takes
        bodies = [r[2] for r in generic.requests if r[0] == "ok"]
        assert {b["kind"] for b in bodies} == {OVERTIME, POOR_RATING}
        body = next(b for b in bodies if b["kind"] == POOR_RATING)
        assert {"id", "kind", "hall", "counter", "staff", "staff_name", "txn", "at", "text"} <= set(
            body
        )
        assert (body["hall"], body["counter"], body["txn"]) == (hall, "01", rated)
        # the robot's body is its text message, the alert id in it
        robot_body = next(r[2] for r in robot.requests if r[1] == poor)
        assert robot_body["msgtype"] == "text" and poor in robot_body["text"]["content"]

        # repeats of a delivered alert carry the same id, and nothing is sent again
        time.sleep(2)
        settled = len(robot.requests)
        time.sleep(2)
        assert len(robot.requests) == settled
        assert set(robot.accepted) == ids
    finally:
        server.close()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_alerts_raised_while_the_webhook_is_down_arrive_later_and_the_outbox_survives_a_kill(
    tmp_path: Path, config_file: Path, database: str, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'hq.sqlite'}"
        if database == "sqlite"
        else request.getfixturevalue("pg_cluster").new_database()
    )
    hook = WebhookReceiver(("ok",))  # not started: the webhook is down
    options = ("--alert-config", str(config_file), "--alert-webhook", hook.url)
    server = HqServer(url, options=options).start()
    try:
        hall = f"H-{uuid.uuid4().hex[:6]}"
        counter = server.enroll(hall, "01")
        reader = enroll_reader(server.store, hall)
        txns = [str(uuid.uuid4()) for _ in range(3)]
        drafts = rated_drafts(*((txn, 2) for txn in txns))
        assert upload(server, counter, chained(hall, "01", drafts)).status_code == 200
        expected = {alert_id(hall, "01", txn, POOR_RATING) for txn in txns}
        wait_for(lambda: {a["id"] for a in alerts(server, reader)} == expected, 10, "raised")
        time.sleep(1.5)  # a few failed attempts

        server.stop(kill=True)  # killed with the alerts undelivered
        with server.store.engine.connect() as conn:
            pending = conn.execute(select(schema.alert_deliveries)).all()
        assert {row.alert_id for row in pending} == expected
        assert all(row.delivered_at is None and row.attempts >= 1 for row in pending)
        assert all(row.last_error for row in pending)  # the webhook's refusal, kept
        server.close()
        server = HqServer(server.db_url, port=server.port, options=options).start()
        hook.start()
        try:
            wait_for(lambda: expected <= set(hook.accepted), 30, "delivered after the restart")
            assert set(hook.accepted) == expected
            assert {a["id"] for a in alerts(server, reader)} == expected  # raised once each
        finally:
            hook.stop()
    finally:
        server.close()


def test_a_desk_acknowledges_an_alert_and_no_counter_or_reader_can(
    tmp_path: Path,
    config_file: Path,
) -> None:
    server = HqServer(
        f"sqlite:///{tmp_path / 'hq.sqlite'}", options=("--alert-config", str(config_file))
    ).start()
    try:
        hall = f"H-{uuid.uuid4().hex[:6]}"
        counter = server.enroll(hall, "01")
        desk = enroll_desk(server.store, hall, "desk")
        reader = enroll_reader(server.store, hall)
        txns = [str(uuid.uuid4()), str(uuid.uuid4())]
        drafts = rated_drafts((txns[0], 1), (txns[1], 5))
        assert upload(server, counter, chained(hall, "01", drafts)).status_code == 200
        (alert,) = wait_for(lambda: alerts(server, desk), 10, "the poor rating")
        assert alert["txn"] == txns[0]  # a 5 raises nothing

        def ack(token: str, alert_id: str, body: Any) -> httpx.Response:
            return httpx.post(
                f"{server.url}/api/v1/hall/alerts/{alert_id}/ack",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )

        one_shape(ack(counter, alert["id"], {"staff": "2001"}), 403, "forbidden")
        one_shape(ack(reader, alert["id"], {"staff": "2001"}), 403, "forbidden")
        one_shape(ack(desk, "0" * 32, {"staff": "2001"}), 404, "not_found")
        one_shape(ack(desk, alert["id"], {"who": "x"}), 400, "bad_request")
        one_shape(get(server, "/api/v1/hall/alerts", counter), 403, "forbidden")
        answer = ack(desk, alert["id"], {"staff": 2001})
        assert answer.status_code == 200, answer.text
        done = answer.json()
        assert (done["acknowledged_by"], done["acknowledged_desk"]) == ("2001", "desk")
        assert done["acknowledged_at"]
        again = ack(desk, alert["id"], {"staff": "2002"}).json()
        assert again["acknowledged_by"] == "2001"  # the first acknowledgement stands
        # an acknowledged alert of today is still listed; after its id, nothing is newer
        assert [a["id"] for a in alerts(server, reader)] == [alert["id"]]
        assert alerts(server, reader, since=alert["id"]) == []
        assert [a["id"] for a in alerts(server, reader, since="2026-01-01T00:00:00Z")] == [
            alert["id"]
        ]
        one_shape(get(server, "/api/v1/hall/alerts", reader, since="yesterday"), 400, "bad_request")
        one_shape(get(server, "/api/v1/hall/alerts", reader, since="0" * 32), 404, "not_found")
        one_shape(
            get(server, "/api/v1/hall/alerts", reader, since="2026-02-30T00:00:00Z"),
            400,
            "bad_request",
        )

        # a rating given two days ago arrives now (the counter was offline): listed, quiet
        other = server.enroll(hall, "02")
        old = str(uuid.uuid4())
        drafts = rated_drafts((old, 2), ago_s=2 * 86400)
        assert upload(server, other, chained(hall, "02", drafts)).status_code == 200
        (late,) = wait_for(lambda: alerts(server, desk, since=alert["id"]), 10, "the late one")
        assert (late["txn"], late["quiet"]) == (old, "stale")
    finally:
        server.close()


@pytest.mark.parametrize(
    "text, message",
    [
        ("language = 'fr'", "language: expected zh or en"),
        ("[overtime]\nthreshold = 3", "unknown key 'threshold'"),
        ("[overtime]\nquiet_hours = ['lunch']", "expected HH:MM-HH:MM"),
        ("[not_reporting\n", "not valid TOML"),
    ],
)
def test_a_malformed_alert_configuration_stops_serve_with_a_clear_message(
    tmp_path: Path,
    text: str,
    message: str,
) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "head_office.cli",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'hq.sqlite'}",
            "--port",
            "1",
            "--alert-config",
            str(path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("counter-hq: alerts: ")


def test_a_bad_webhook_stops_serve_with_a_clear_message(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "head_office.cli",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'hq.sqlite'}",
            "--port",
            "1",
            "--alert-webhook",
            "http://127.0.0.1:9/hook#kinds=everything",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "kinds: expected some of overtime, poor_rating, not_reporting" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_robot_gets_no_more_than_its_rate_limit(tmp_path: Path) -> None:
    config = tmp_path / "alerts.toml"
    config.write_text(CONFIG + "robot_per_minute = 2\n", encoding="utf-8")
    with WebhookReceiver(("ok",)) as robot:
        server = HqServer(
            f"sqlite:///{tmp_path / 'hq.sqlite'}",
            options=(
                "--alert-config",
                str(config),
                "--alert-webhook",
                robot.url,
                "--alert-format",
                "wecom",
            ),
        ).start()
        try:
            hall = f"H-{uuid.uuid4().hex[:6]}"
            counter = server.enroll(hall, "01")
            txns = [str(uuid.uuid4()) for _ in range(4)]
            drafts = rated_drafts(*((txn, 1) for txn in txns))
            assert upload(server, counter, chained(hall, "01", drafts)).status_code == 200
            wait_for(lambda: len(robot.accepted) >= 2, 15, "the first two")
            time.sleep(3)
            assert len(robot.requests) == 2  # the other two wait for the minute to pass
            with server.store.engine.connect() as conn:
                waiting = conn.execute(
                    select(schema.alert_deliveries).where(
                        schema.alert_deliveries.c.delivered_at.is_(None)
                    )
                ).all()
            assert len(waiting) == 2 and all(row.attempts == 0 for row in waiting)
        finally:
            server.close()
