"""The pure parts of alerts (docs/alerts.md): configuration, quiet rules, the overtime
judgement, ids, texts, webhook syntax, success codes, backoff, the rate limit, DingTalk's
signature; and the engine over a real SQLite store (one alert per transaction, quiet alerts
listed but kept from the webhooks)."""

from __future__ import annotations

import datetime as dt
import random
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, select

from head_office import schema
from head_office.alerts import (
    HOURLY_CAP,
    NOT_REPORTING,
    OVERTIME,
    POOR_RATING,
    QUIET_HOURS,
    STALE,
    AlertConfig,
    AlertConfigError,
    AlertEngine,
    Candidate,
    KindRule,
    QuietSpan,
    alert_id,
    alert_text,
    list_alerts,
    load_config,
    overtime_due,
    parse_config,
    quiet_reason,
)
from head_office.store import Store
from head_office.webhooks import (
    DINGTALK,
    GENERIC,
    WECOM,
    RateLimit,
    backoff_s,
    body_of,
    dingtalk_sign,
    parse_webhook,
    signed_url,
    succeeded,
    webhooks_from_config,
)
from tests.helpers.hq import PgCluster


def test_defaults_without_a_file() -> None:
    config = AlertConfig()
    assert config.language == "zh"
    assert config.rule(OVERTIME).threshold == 0
    assert config.rule(POOR_RATING).threshold == 2
    assert config.rule(NOT_REPORTING).threshold == 30
    assert config.delivery.timeout_s == 10 and config.delivery.backoff_cap_s == 300
    assert config.delivery.robot_per_minute == 20


def test_a_file_sets_thresholds_quiet_rules_language_and_webhooks(tmp_path: Path) -> None:
    path = tmp_path / "alerts.toml"
    path.write_text(
        'language = "en"\n'
        "[overtime]\nthreshold_s = 60\nmax_per_counter_per_hour = 3\n"
        'quiet_hours = ["12:00-13:30", "22:00-06:00"]\n'
        "[poor_rating]\nmax_rating = 1\n"
        "[not_reporting]\nenabled = false\nthreshold_s = 45\n"
        "[[webhook]]\n"
        'url = "https://oapi.dingtalk.com/robot/send?access_token=T"\n'
        'format = "dingtalk"\nsecret = "SECabc"\nkinds = ["poor_rating"]\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.language == "en"
    over = config.rule(OVERTIME)
    assert (over.threshold, over.max_per_counter_per_hour) == (60, 3)
    assert over.quiet_hours == (
        QuietSpan(dt.time(12), dt.time(13, 30)),
        QuietSpan(dt.time(22), dt.time(6)),
    )
    assert config.rule(POOR_RATING).threshold == 1
    assert not config.rule(NOT_REPORTING).enabled
    (hook,) = webhooks_from_config(config.webhooks)
    assert (hook.format, hook.secret, hook.kinds) == (DINGTALK, "SECabc", frozenset({POOR_RATING}))


@pytest.mark.parametrize(
    "data, message",
    [
        ({"language": "fr"}, "language"),
        ({"overtime": {"threshold_s": -1}}, "at least 0"),
        ({"overtime": {"threshold_s": "soon"}}, "expected a number"),
        ({"poor_rating": {"max_rating": 7}}, "1 to 5"),
        ({"poor_rating": {"max_rating": 1.5}}, "1 to 5"),
        ({"overtime": {"enabled": "yes"}}, "true or false"),
        ({"overtime": {"max_per_counter_per_hour": 0}}, "at least 1"),
        ({"overtime": {"quiet_hours": ["12:00-12:00"]}}, "empty"),
        ({"overtime": {"quiet_hours": ["noon"]}}, "HH:MM-HH:MM"),
        ({"overtime": "on"}, "expected a table"),
        ({"delivery": {"timeout_s": 0}}, "at least 0.01"),
        ({"delivery": {"robot_per_minute": 0}}, "at least 1"),
        ({"time_zone": "Mars/Base"}, "unknown time zone"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_a_wrong_configuration_says_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(AlertConfigError, match=message):
        parse_config(data)


def test_quiet_hours_and_the_hourly_cap() -> None:
    lunch = QuietSpan.parse("12:00-13:30")
    assert lunch.contains(dt.time(12)) and lunch.contains(dt.time(13, 29))
    assert not lunch.contains(dt.time(13, 30)) and not lunch.contains(dt.time(11, 59))
    night = QuietSpan.parse("22:00-06:00")
    assert night.contains(dt.time(23)) and night.contains(dt.time(5, 59))
    assert not night.contains(dt.time(6)) and not night.contains(dt.time(21, 59))

    rule = KindRule(max_per_counter_per_hour=2, quiet_hours=(lunch,))
    assert quiet_reason(rule, dt.time(10), 0) is None
    assert quiet_reason(rule, dt.time(10), 1) is None
    assert quiet_reason(rule, dt.time(10), 2) == HOURLY_CAP
    assert quiet_reason(rule, dt.time(12, 15), 0) == QUIET_HOURS
    assert quiet_reason(KindRule(), dt.time(12, 15), 99) is None
    # a rating that arrives long after it was given (a counter that was offline)
    assert quiet_reason(AlertConfig().rule(POOR_RATING), dt.time(10), 0, 3601) == STALE
    assert quiet_reason(AlertConfig().rule(POOR_RATING), dt.time(10), 0, 60) is None
    assert quiet_reason(AlertConfig().rule(POOR_RATING), dt.time(10), 0, None) is None
    assert parse_config({"poor_rating": {"max_age_s": 60}}).rule(POOR_RATING).max_age_s == 60
    with pytest.raises(AlertConfigError, match="unknown key 'max_age_s'"):
        parse_config({"overtime": {"max_age_s": 60}})


def test_overtime_is_judged_from_the_counters_elapsed_time_and_the_servers_monotonic_wait() -> None:
    assert not overtime_due(170, 180, 0, 0)
    assert overtime_due(170, 180, 10.5, 0)  # ten seconds since that presence arrived
    assert not overtime_due(170, 180, 10.5, 30)  # threshold: seconds past the target
    assert not overtime_due(180, 180, 0, 0)  # at the target is not past it
    assert not overtime_due(170, 180, -50, 0)  # a monotonic clock never runs back


def test_ids_are_stable_and_texts_in_the_halls_language() -> None:
    assert alert_id("H", "01", "t", OVERTIME) == alert_id("H", "01", "t", OVERTIME)
    assert alert_id("H", "01", "t", OVERTIME) != alert_id("H", "01", "t", POOR_RATING)
    assert alert_id("H", "01t", OVERTIME) != alert_id("H", "01", "t", OVERTIME)
    assert len(alert_id("x")) == 32
    detail = {"elapsed_s": 200.4, "target_s": 180.0}
    assert alert_text(OVERTIME, "en", "H", "01", "1001", detail) == (
        "Hall H counter 01: transaction over its target (200 s of 180 s), staff 1001"
    )
    assert "超时" in alert_text(OVERTIME, "zh", "H", "01", "1001", detail)
    assert "评分 2" in alert_text(POOR_RATING, "zh", "H", "01", None, {"rating": 2})
    assert "no signal for 31 s" in alert_text(
        NOT_REPORTING, "en", "H", "01", "1001", {"silent_s": 31}
    )


def test_webhook_syntax() -> None:
    hook = parse_webhook("https://example.test/hook")
    assert (hook.format, hook.secret) == (GENERIC, None)
    assert hook.kinds == {OVERTIME, POOR_RATING, NOT_REPORTING}
    robot = parse_webhook(
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
        "#kinds=overtime,poor_rating&format=wecom"
    )
    assert robot.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
    assert (robot.format, robot.kinds) == (WECOM, {OVERTIME, POOR_RATING})
    assert "key=K" not in robot.label  # the robot's key stays out of the outbox
    ding = parse_webhook(
        "https://oapi.dingtalk.com/robot/send?access_token=T",
        default_format=DINGTALK,
        default_secret="SEC1",
    )
    assert (ding.format, ding.secret) == (DINGTALK, "SEC1")
    # the default secret is for DingTalk webhooks only
    assert parse_webhook("https://example.test/h", default_secret="SEC1").secret is None
    for wrong, message in (
        ("ftp://x/h", "http:// or https://"),
        ("https://x/h#kinds=lunch", "kinds"),
        ("https://x/h#format=slack", "format"),
        ("https://x/h#colour=red", "unknown option"),
        ("https://x/h#format=wecom&secret=S", "dingtalk format only"),
    ):
        with pytest.raises(AlertConfigError, match=message):
            parse_webhook(wrong)


def test_the_dingtalk_signature_as_documented() -> None:
    # HMAC-SHA256 over "1700000000000\nthis is secret" keyed by the secret, Base64, URL-encoded
    # (the vector computed with `openssl dgst -sha256 -hmac 'this is secret' -binary | base64`)
    assert dingtalk_sign("this is secret", 1700000000000) == (
        "sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D"
    )
    hook = parse_webhook(
        "https://oapi.dingtalk.com/robot/send?access_token=T#format=dingtalk&secret=this is secret"
    )
    assert signed_url(hook, 1700000000000) == (
        "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000"
        "&sign=sSFWELbV2YwjdDQhWZwTcWlX5BWUx5J6TPpsZmuPii0%3D"
    )
    plain = parse_webhook("https://oapi.dingtalk.com/robot/send?access_token=T#format=dingtalk")
    assert signed_url(plain, 1) == plain.url


def test_bodies_carry_the_alert_id() -> None:
    alert = {
        "id": "a" * 32,
        "kind": POOR_RATING,
        "hall": "H",
        "counter": "01",
        "staff": "1001",
        "staff_name": "1001",
        "txn": "t",
        "at": "2026-12-03T00:00:00Z",
        "text": "Hall H counter 01: the customer rated 1 of 5, staff 1001",
        "detail": {"rating": 1},
        "seq": 1,
    }
    generic = body_of(parse_webhook("https://x/h"), alert)
    assert generic["id"] == "a" * 32 and generic["text"] == alert["text"]
    for fmt in ("wecom", "dingtalk"):
        robot = body_of(parse_webhook(f"https://x/h#format={fmt}"), alert)
        assert robot["msgtype"] == "text"
        assert "a" * 32 in robot["text"]["content"]


def test_success_is_the_services_own_code() -> None:
    assert succeeded(GENERIC, 204, b"")[0]
    assert not succeeded(GENERIC, 500, b"")[0]
    assert succeeded(WECOM, 200, b'{"errcode": 0, "errmsg": "ok"}')[0]
    ok, why = succeeded(WECOM, 200, b'{"errcode": 45009, "errmsg": "api freq out of limit"}')
    assert not ok and "45009" in why
    assert not succeeded(DINGTALK, 200, b'{"errcode": 310000}')[0]
    assert not succeeded(DINGTALK, 200, b"<html>proxy</html>")[0]
    assert not succeeded(DINGTALK, 201, b'{"errcode": 0}')[0]


def test_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    rng = random.Random(3)
    for attempt in range(1, 20):
        wait = backoff_s(attempt, 2.0, 300.0, rng)
        ceiling = min(300.0, 2.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= wait <= ceiling
    assert max(backoff_s(50, 2.0, 300.0, rng) for _ in range(100)) <= 300.0
    waits = {round(backoff_s(4, 2.0, 300.0, rng), 6) for _ in range(20)}
    assert len(waits) > 10  # jitter: many failed alerts do not come back at once


def test_the_rate_limit_allows_twenty_a_minute() -> None:
    limit = RateLimit(20)
    for n in range(20):
        assert limit.wait_s(100.0 + n) == 0
        limit.note(100.0 + n)
    assert limit.wait_s(120.0) == pytest.approx(40.0)  # the first leaves the window at 160
    assert limit.wait_s(160.0) == 0
    limit.note(160.0)
    assert limit.wait_s(160.5) == pytest.approx(0.5)
    assert RateLimit(None).wait_s(0) == 0


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")


def deliveries(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(schema.alert_deliveries.c.alert_id)).scalars())


def test_one_overtime_alert_per_transaction_however_many_presence_posts(store: Store) -> None:
    engine = AlertEngine(store, AlertConfig(), "Asia/Shanghai", [("hook", frozenset({OVERTIME}))])
    state = {
        "phase": "serving",
        "txn": "t1",
        "staff": "1001",
        "elapsed_s": 179.0,
        "target_s": 180.0,
    }
    engine.presence("H", "01", state, "2026-12-03T01:00:00.000Z")
    assert engine.evaluate() == []
    for n in range(5):
        engine.presence("H", "01", {**state, "elapsed_s": 181.0 + n}, f"2026-12-03T01:00:0{n}Z")
        engine.evaluate()
    (alert,) = list_alerts(store, "H") or []
    assert alert["id"] == alert_id("H", "01", "t1", OVERTIME)
    assert deliveries(store) == [alert["id"]]
    # a fresh engine on the same database (a restarted server) does not raise it again
    again = AlertEngine(store, AlertConfig(), "Asia/Shanghai", [("hook", frozenset({OVERTIME}))])
    again.presence("H", "01", {**state, "elapsed_s": 200.0}, "2026-12-03T01:01:00Z")
    assert again.evaluate() == []


def test_a_signed_in_counter_gone_quiet_is_not_reporting_once_per_silence(store: Store) -> None:
    config = parse_config({"not_reporting": {"threshold_s": 5}})
    engine = AlertEngine(store, config, "Asia/Shanghai")
    engine.presence("H", "01", {"phase": "idle", "staff": "1001"}, "2026-12-03T01:00:00Z")
    engine.presence("H", "02", {"phase": "signed_out"}, "2026-12-03T01:00:00Z")
    assert engine.evaluate() == []
    later = time.monotonic() + 6
    (raised,) = engine.evaluate(later)
    assert raised == alert_id("H", "01", "2026-12-03T01:00:00Z", NOT_REPORTING)
    assert engine.evaluate(later + 10) == []


def _poor(n: int, counter: str = "01") -> Candidate:
    return Candidate(alert_id("H", counter, f"t{n}", POOR_RATING), POOR_RATING, "H", counter,
                     "1001", f"t{n}", {"rating": 1})


def test_alerts_raised_together_count_toward_the_hourly_cap_in_order(store: Store) -> None:
    """One evaluation's alerts go in one transaction; the cap still counts the ones before."""
    config = parse_config({"poor_rating": {"max_per_counter_per_hour": 2}})
    engine = AlertEngine(store, config, "Asia/Shanghai", [("hook", frozenset({POOR_RATING}))])
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    found = [_poor(0), _poor(1), _poor(2, "02"), _poor(3), _poor(0)]  # one offered twice
    assert engine.raise_alerts(found, now) == [c.id for c in found[:4]]
    listed = {a["id"]: a["quiet"] for a in list_alerts(store, "H", now=now) or []}
    assert listed == {found[0].id: None, found[1].id: None, found[2].id: None,
                      found[3].id: HOURLY_CAP}
    assert sorted(deliveries(store)) == sorted(c.id for c in found[:3])
    # already recorded: nothing new, by this engine or a restarted one
    assert engine.raise_alerts(found, now) == []
    assert AlertEngine(store, config, "Asia/Shanghai").raise_alerts(found, now) == []


def test_an_alert_another_process_raised_meanwhile_leaves_the_others_recorded(
        pg_cluster: PgCluster) -> None:
    """PostgreSQL, two server processes: the other one commits an alert of the batch between
    this one's look-up and its insert. The batch's insert clashes; the alerts go in one by one,
    and every alert is recorded once, the other's kept."""
    store = Store(pg_cluster.new_database("alert_race"))
    other = create_engine(store.url)
    engine = AlertEngine(store, AlertConfig(), "Asia/Shanghai",
                         [("hook", frozenset({POOR_RATING}))])
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    found = [_poor(n) for n in range(3)]
    clashes = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def meanwhile(conn, cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.startswith("INSERT INTO alerts ") and not clashes:
            clashes.append(statement)
            with other.begin() as theirs:  # the other process, committed before this insert
                theirs.execute(schema.alerts.insert().values(
                    id=found[1].id, kind=POOR_RATING, hall="H", counter="01", at="x",
                    text="theirs", detail="{}"))

    try:
        raised = engine.raise_alerts(found, now)
    finally:
        event.remove(store.engine, "before_cursor_execute", meanwhile)
        other.dispose()
    assert clashes and raised == [found[0].id, found[2].id]
    with store.engine.connect() as conn:
        rows = dict(conn.execute(select(schema.alerts.c.id, schema.alerts.c.text)).all())
    assert sorted(rows) == sorted(c.id for c in found)
    assert rows[found[1].id] == "theirs"
    assert sorted(deliveries(store)) == sorted([found[0].id, found[2].id])
    assert engine.raise_alerts(found, now) == []
    store.close()


def test_quiet_alerts_are_listed_but_not_sent(store: Store) -> None:
    config = parse_config({"poor_rating": {"max_per_counter_per_hour": 2}})
    engine = AlertEngine(store, config, "Asia/Shanghai", [("hook", frozenset({POOR_RATING}))])
    now = dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC)
    for n in range(4):
        engine.raise_alert(
            Candidate(
                alert_id("H", "01", f"t{n}", POOR_RATING),
                POOR_RATING,
                "H",
                "01",
                "1001",
                f"t{n}",
                {"rating": 1},
            ),
            now + dt.timedelta(minutes=n),
        )
    listed = list_alerts(store, "H", now=now) or []
    assert [a["quiet"] for a in listed] == [None, None, HOURLY_CAP, HOURLY_CAP]
    assert len(deliveries(store)) == 2
    # quiet hours in the hall's zone: 12:30 in Shanghai is 04:30 UTC
    lunch = AlertEngine(
        store,
        parse_config({"poor_rating": {"quiet_hours": ["12:00-13:30"]}}),
        "Asia/Shanghai",
        [("hook", frozenset({POOR_RATING}))],
    )
    lunch.raise_alert(
        Candidate("q" * 32, POOR_RATING, "H", "02", None, "x", {"rating": 2}),
        dt.datetime(2026, 12, 3, 4, 30, tzinfo=dt.UTC),
    )
    quiet = [a for a in list_alerts(store, "H", now=now) or [] if a["id"] == "q" * 32]
    assert [a["quiet"] for a in quiet] == [QUIET_HOURS]
    assert len(deliveries(store)) == 2
