"""counter-hq's API in-process (FastAPI's TestClient over a Store on a temporary SQLite file):
the wire's edge cases, each answered in the one error shape with nothing stored."""

from __future__ import annotations

import gzip
import json
import shutil
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from counter_core import periods
from counter_core.chain import Event, seal
from counter_core.events import KNOWN_KINDS
from counter_core.transaction import Draft
from head_office import cli
from head_office.access import enroll_reader
from head_office.api import MAX_BODY_BYTES, MAX_EVENTS, create_app
from head_office.app import STATUS, status_of
from head_office.errors import Refusal, all_refusals
from head_office.schema import reviews
from head_office.store import Counter, Store
from tests.helpers.hq import chained, day_drafts

HALL = "SH-0200"
COUNTER = "07"
FUTURE_KIND = "ticket_reviewed"  # a kind a newer counter might record (a review, by its name)
assert FUTURE_KIND not in KNOWN_KINDS


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path / 'hq.sqlite'}")
    yield store
    store.close()


@pytest.fixture
def token(store: Store) -> str:
    return store.enroll(HALL, COUNTER)


@pytest.fixture
def reader(store: Store) -> str:
    """The hall's read-only token: the hall's figures are read with it, never a counter's."""
    return enroll_reader(store, HALL)


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store)) as client:
        yield client


def history(n_txn: int = 6, counter: str = COUNTER, **kwargs: Any) -> list[Event]:
    return chained(HALL, counter, day_drafts(n_txn), **kwargs)


def encode(events: list[Event]) -> bytes:
    return json.dumps({"events": [e.as_dict() for e in events]}).encode()


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers}


def me(store: Store, counter: str = COUNTER) -> Counter:
    who = store.counter(HALL, counter)
    assert who is not None
    return who


def held(store: Store, counter: str = COUNTER) -> dict[str, int]:
    """Everything head office holds for the counter, to compare before and after."""
    who = me(store, counter)
    return {**store.counts(who), "hw": who.hw_seq}


def assert_error(answer: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The one error shape: a sentence, a stable code, the first bad seq or null."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert set(body) == {"detail", "code", "seq"}, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str) and len(body["detail"]) > 15, body
    assert body["seq"] is None or isinstance(body["seq"], int)
    return body


# ---- refusals of the body and headers: nothing stored, nothing set aside ----------------------

def _gzip_truncated(events: list[Event]) -> bytes:
    return gzip.compress(encode(events))[:-12]


Build = Callable[[list[Event], str], tuple[bytes, dict[str, str]]]
WIRE_REFUSALS: dict[str, tuple[Build, int, str]] = {
    "malformed JSON": (lambda ev, t: (encode(ev)[:-3], auth(t)), 400, "malformed_json"),
    "not UTF-8": (lambda ev, t: (b'{"events": ["\xff"]}', auth(t)), 400, "malformed_json"),
    "NaN": (lambda ev, t: (encode(ev).replace(b'"seq": 7', b'"seq": NaN'), auth(t)), 400,
            "malformed_json"),
    "not an object": (lambda ev, t: (b"[1, 2]", auth(t)), 400, "malformed_batch"),
    "events not a list": (lambda ev, t: (b'{"events": {}}', auth(t)), 400, "malformed_batch"),
    "event not an object": (lambda ev, t: (b'{"events": [7]}', auth(t)), 400,
                            "malformed_event"),
    "extra field": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "extra": 1}]}).encode(), auth(t)), 400, "malformed_event"),
    "seq a boolean": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "seq": True}]}).encode(), auth(t)), 400, "malformed_event"),
    "seq out of range": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "seq": 2**31}]}).encode(), auth(t)), 400, "malformed_event"),
    "hash not hex": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "hash": "Z" * 64}]}).encode(), auth(t)), 400, "malformed_event"),
    "NUL in a kind": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "kind": "rat\x00ed"}]}).encode(), auth(t)), 400,
        "malformed_event"),
    "kind over the limit": (lambda ev, t: (json.dumps({"events": [
        {**ev[0].as_dict(), "kind": "k" * 101}]}).encode(), auth(t)), 400, "malformed_event"),
    "unordered": (lambda ev, t: (encode([ev[1], ev[0]]), auth(t)), 400, "unordered_batch"),
    "body over the limit": (lambda ev, t: (b" " * (MAX_BODY_BYTES + 1), auth(t)), 413,
                            "too_large"),
    "gzip bomb": (lambda ev, t: (gzip.compress(b" " * (3 * MAX_BODY_BYTES)),
                                 auth(t, **{"Content-Encoding": "gzip"})), 413, "too_large"),
    "too many events": (lambda ev, t: (json.dumps({"events": [
        ev[0].as_dict()] * (MAX_EVENTS + 1)}).encode(), auth(t)), 400, "too_many_events"),
    "bad gzip": (lambda ev, t: (b"not gzip at all", auth(t, **{"Content-Encoding": "gzip"})),
                 400, "bad_gzip"),
    "truncated gzip": (lambda ev, t: (_gzip_truncated(ev),
                                      auth(t, **{"Content-Encoding": "gzip"})), 400, "bad_gzip"),
    "huge Content-Length": (lambda ev, t: (encode(ev), auth(t, **{
        "Content-Length": "9" * 5000})), 413, "too_large"),
    "Content-Length over the limit": (lambda ev, t: (encode(ev), auth(t, **{
        "Content-Length": str(MAX_BODY_BYTES + 1)})), 413, "too_large"),
    "non-numeric Content-Length": (lambda ev, t: (encode(ev), auth(t, **{
        "Content-Length": "a lot"})), 400, "bad_header"),
    "negative Content-Length": (lambda ev, t: (encode(ev), auth(t, **{
        "Content-Length": "-5"})), 400, "bad_header"),
    "wrong Content-Encoding": (lambda ev, t: (zlib.compress(encode(ev)), auth(t, **{
        "Content-Encoding": "deflate"})), 415, "bad_encoding"),
    "gzip twice": (lambda ev, t: (gzip.compress(gzip.compress(encode(ev))), auth(t, **{
        "Content-Encoding": "gzip, gzip"})), 415, "bad_encoding"),
    "wrong token": (lambda ev, t: (encode(ev), auth("not-a-token")), 401, "bad_token"),
    "missing token": (lambda ev, t: (encode(ev), {"Content-Type": "application/json"}), 401,
                      "no_token"),
    "another scheme": (lambda ev, t: (encode(ev), {"Authorization": f"Basic {t}"}), 401,
                       "no_token"),
}


@pytest.mark.parametrize("case", list(WIRE_REFUSALS))
def test_wire_refusals_answer_the_one_shape_and_store_nothing(
    client: TestClient, store: Store, token: str, case: str
) -> None:
    build, status, code = WIRE_REFUSALS[case]
    events = history()
    assert client.post("/api/v1/events", content=encode(events[:6]),
                       headers=auth(token)).status_code == 200
    before = held(store)
    content, headers = build(events[6:], token)
    answer = client.post("/api/v1/events", content=content, headers=headers)
    assert_error(answer, status, code)
    if status == 401:
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert held(store) == before  # no event, no transaction, nothing set aside, same mark


def test_a_malformed_event_is_named_by_its_sequence_number(
    client: TestClient, store: Store, token: str
) -> None:
    events = history()
    bad = {k: v for k, v in events[2].as_dict().items() if k != "uuid"}
    content = json.dumps({"events": [events[0].as_dict(), events[1].as_dict(), bad]}).encode()
    body = assert_error(client.post("/api/v1/events", content=content, headers=auth(token)),
                        400, "malformed_event")
    assert body["seq"] == 3 and "uuid" in body["detail"]
    assert held(store)["events"] == 0


def test_a_revoked_token_is_refused(client: TestClient, store: Store, token: str) -> None:
    assert store.revoke(HALL, COUNTER)
    body = assert_error(client.post("/api/v1/events", content=encode(history()),
                                    headers=auth(token)), 403, "revoked")
    assert "revoked" in body["detail"]
    assert_error(client.get("/api/v1/status", headers=auth(token)), 403, "revoked")
    assert held(store)["events"] == 0


def test_events_of_another_counter_are_refused_and_kept_aside(
    client: TestClient, store: Store, token: str
) -> None:
    store.enroll(HALL, "99")
    theirs = history(counter="99")
    body = assert_error(client.post("/api/v1/events", content=encode(theirs),
                                    headers=auth(token)), 403, "foreign_event")
    assert body["seq"] == 1 and "99" in body["detail"]
    assert held(store) == {"events": 0, "conflicts": 0, "rejected": 0, "transactions": 0,
                           "refusals": 1, "pending": 0, "hw": 0}
    assert held(store, "99")["events"] == 0


@pytest.mark.parametrize("case", ["gap", "tampered", "not from the mark"])
def test_a_broken_chain_is_refused_naming_its_sequence(
    client: TestClient, store: Store, token: str, case: str
) -> None:
    events = history()
    assert client.post("/api/v1/events", content=encode(events[:5]),
                       headers=auth(token)).status_code == 200
    before = held(store)
    rest = events[5:]
    if case == "gap":
        sent, bad_seq = [rest[0], *rest[2:]], rest[1].seq
    elif case == "tampered":
        sent = [rest[0], replace(rest[1], at="2026-11-02T01:00:00.000Z"), *rest[2:]]
        bad_seq = rest[1].seq
    else:
        sent, bad_seq = history(first_seq=6), 6  # continues from genesis, not from seq 5
    body = assert_error(client.post("/api/v1/events", content=encode(sent),
                                    headers=auth(token)), 422, "broken_chain")
    assert body["seq"] == bad_seq and str(bad_seq) in body["detail"]
    after = held(store)
    assert {**after, "refusals": before["refusals"]} == before  # nothing stored ...
    assert after["refusals"] == before["refusals"] + 1  # ... but the refusal is recorded


# ---- unknown kinds: stored, chained, set aside, listed -------------------------------------

def test_an_unknown_kind_is_stored_set_aside_and_the_mark_moves_past_it(
    client: TestClient, store: Store, token: str
) -> None:
    known = history(2)
    future = seal(Event(seq=len(known) + 1, uuid="2c8e0f3e-1111-4a4a-9999-000000000001",
                        kind=FUTURE_KIND, at="2026-11-02T03:00:00.000Z", hall=HALL,
                        counter=COUNTER, payload={"txn": "t-future", "ticket": 17},
                        prev_hash=known[-1].hash))
    after = chained(HALL, COUNTER, [("2026-11-02T03:01:00.000Z", Draft(
        "signed_in", {"staff": "1003", "role": "staff"}))], first_seq=future.seq + 1,
        prev_hash=future.hash)
    events = [*known, future, *after]
    answer = client.post("/api/v1/events", content=encode(events), headers=auth(token))
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "high_water": {"seq": events[-1].seq, "hash": events[-1].hash},
        "stored": len(events), "duplicates": 0, "conflicts": [],
        "aside": [{"seq": future.seq, "kind": FUTURE_KIND, "reason": "unknown kind"}],
        "invalid": [], "pending": [],
    }
    who = me(store)
    assert who.hw_seq == events[-1].seq
    assert store.events(who) == events  # stored byte for byte, the chain re-verifies
    assert store.verify(who) is None
    assert held(store)["transactions"] == 2  # t-future is in no projection ...
    with store.reader.connect() as conn:  # ... nor among the manager's reviews
        assert conn.execute(select(func.count()).select_from(reviews)).scalar_one() == 0
    (kept,) = store.incidents(who)["rejected"]
    assert (kept["seq"], kept["reason"]) == (future.seq, "unknown kind")
    # a resend is a duplicate, not a second incident; the next batch continues past it
    again = client.post("/api/v1/events", content=encode(events), headers=auth(token)).json()
    assert (again["duplicates"], again["aside"]) == (len(events), [])
    assert len(store.incidents(who)["rejected"]) == 1


def test_known_kinds_are_never_set_aside(client: TestClient, token: str) -> None:
    answer = client.post("/api/v1/events", content=encode(history(20)), headers=auth(token))
    assert answer.status_code == 200, answer.text
    assert answer.json()["aside"] == []


# ---- head office's own state: 429 and 503 with Retry-After ---------------------------------

def test_too_many_uploads_at_once_is_429_with_retry_after(store: Store, token: str) -> None:
    with TestClient(create_app(store, max_uploads=0)) as busy:
        answer = busy.post("/api/v1/events", content=encode(history()), headers=auth(token))
    assert_error(answer, 429, "busy")
    assert answer.headers["Retry-After"] == "2"
    assert held(store)["events"] == 0


def test_a_database_gone_is_503_with_retry_after(tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    store = Store(f"sqlite:///{folder / 'hq.sqlite'}")
    token = store.enroll(HALL, COUNTER)
    store.close()
    shutil.rmtree(folder)  # SQLite cannot even open the file again
    try:
        with TestClient(create_app(store)) as client:
            for answer in (client.get("/api/v1/status", headers=auth(token)),
                           client.post("/api/v1/events", content=encode(history()),
                                       headers=auth(token))):
                assert_error(answer, 503, "unavailable")
                assert answer.headers["Retry-After"] == "30"
    finally:
        store.close()


def test_unknown_paths_and_methods_answer_the_one_shape(client: TestClient) -> None:
    assert_error(client.get("/api/v1/nothing"), 404, "not_found")
    assert_error(client.delete("/api/v1/events"), 405, "method_not_allowed")


def test_every_refusal_has_a_status_in_the_one_table() -> None:
    for cls in all_refusals():
        assert cls in STATUS, f"{cls.__name__} has no status in head_office.app.STATUS"
        assert 400 <= status_of(cls) < 600
    codes = [cls.code for cls in all_refusals()]
    assert len(codes) == len(set(codes)), "two refusals share a code"
    assert status_of(Refusal) == 400


def test_a_refusal_never_carries_an_http_status() -> None:
    for cls in all_refusals():
        refusal = cls("a sentence explaining the refusal", 3)
        assert not any(isinstance(v, int) and 400 <= v < 600 and k != "seq"
                       for k, v in vars(refusal).items()), cls


# ---- the wire's answers, unchanged ------------------------------------------------------

def test_status_and_upload_answers_keep_their_shape(
    client: TestClient, store: Store, token: str
) -> None:
    status = client.get("/api/v1/status", headers=auth(token)).json()
    assert status == {"hall": HALL, "counter": COUNTER,
                      "high_water": {"seq": 0, "hash": "0" * 64}, "last_sync_at": None,
                      "limits": {"max_events": MAX_EVENTS, "max_body_bytes": MAX_BODY_BYTES}}
    events = history()
    first = client.post("/api/v1/events", content=gzip.compress(encode(events)),
                        headers=auth(token, **{"Content-Encoding": "gzip"}))
    assert first.status_code == 200, first.text
    assert first.json() == {"high_water": {"seq": len(events), "hash": events[-1].hash},
                            "stored": len(events), "duplicates": 0, "conflicts": [],
                            "aside": [], "invalid": [], "pending": []}
    assert client.get("/api/v1/status", headers=auth(token)).json()["last_sync_at"]
    assert client.get("/api/v1/health").json() == {"ok": True, "api": "v1"}


# ---- the halls' time zone: a setting, never the server's zone ------------------------------

@pytest.fixture
def server_in_new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone far from the halls' (it must not matter)."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("server_in_new_york")
@pytest.mark.parametrize(("zone", "midnight_utc"), [
    (None, "T16:00:00.000Z"),  # Asia/Shanghai, the default
    ("UTC", "T00:00:00.000Z"),
    ("Asia/Kolkata", "T18:30:00.000Z"),
])
def test_the_hall_view_counts_months_in_the_configured_zone(
    store: Store, reader: str, zone: str | None, midnight_utc: str
) -> None:
    app = create_app(store) if zone is None else create_app(store, time_zone=zone)
    name = zone or periods.DEFAULT_TIME_ZONE
    with TestClient(app) as client:
        view = client.get("/api/v1/hall", headers=auth(reader)).json()
        assert view["time_zone"] == name
        assert view["period"]["label"] == periods.today(name).strftime("%Y-%m")
        assert view["period"]["start_utc"].endswith(midnight_utc)
        day = client.get("/api/v1/hall", params={"day": "2026-11-02"},
                         headers=auth(reader)).json()
        assert day["period"]["start_utc"].endswith(midnight_utc)
        # the query's tz still overrides the setting
        other = client.get("/api/v1/hall", params={"month": "2026-11", "tz": "UTC"},
                           headers=auth(reader)).json()
        assert other["period"]["start_utc"] == "2026-11-01T00:00:00.000Z"


def test_the_hall_view_counts_what_was_synced(client: TestClient, token: str,
                                              reader: str) -> None:
    client.post("/api/v1/events", content=encode(history(8)), headers=auth(token))
    view = client.get("/api/v1/hall", params={"month": "2026-11"}, headers=auth(reader)).json()
    assert view["hall"] == HALL
    assert view["total"]["completed"] == sum(r["completed"] for r in view["by_counter"]) > 0
    assert [c["counter"] for c in view["counters_synced"]] == [COUNTER]


@pytest.mark.parametrize("params", [{"tz": "Mars/Olympus_Mons"}, {"month": "2026-13"},
                                    {"month": "11/2026"}, {"day": "2026-02-30"}])
def test_a_bad_period_or_zone_is_a_clear_400(client: TestClient, reader: str,
                                            params: dict[str, str]) -> None:
    body = assert_error(client.get("/api/v1/hall", params=params, headers=auth(reader)), 400,
                        "bad_period")
    assert next(iter(params.values())) in body["detail"]


def test_an_unreadable_query_is_a_400_in_the_one_shape(client: TestClient, reader: str) -> None:
    assert_error(client.get("/api/v1/hall", params={"tz": "x" * 200}, headers=auth(reader)),
                 400, "bad_request")


def test_an_unknown_zone_stops_the_app_factory(store: Store) -> None:
    with pytest.raises(periods.PeriodError, match="Mars/Olympus_Mons"):
        create_app(store, time_zone="Mars/Olympus_Mons")


@pytest.mark.parametrize("argv", [
    ["serve", "--time-zone", "Mars/Olympus_Mons"],
    ["report", "chains", "--time-zone", "Mars/Olympus_Mons"],
])
def test_the_command_line_refuses_an_unknown_zone_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    db = tmp_path / "hq.sqlite"
    assert cli.main([*argv, "--db", f"sqlite:///{db}"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown time zone 'Mars/Olympus_Mons'" in err
    assert not db.exists()  # refused before opening anything


def test_the_zone_setting_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.build_parser().parse_args(["serve"]).time_zone == periods.DEFAULT_TIME_ZONE
    monkeypatch.setenv("COUNTER_HQ_TIME_ZONE", "Europe/Paris")
    assert cli.build_parser().parse_args(["serve"]).time_zone == "Europe/Paris"
    args = cli.build_parser().parse_args(["report", "stars", "--timezone", "UTC"])
    assert args.time_zone == "UTC"  # the older spelling still works
