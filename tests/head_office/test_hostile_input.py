"""Hostile input against a real `counter-hq serve`: every case of issue 10 item 9 is a 400 in the
one error shape, and no input to any route gives a 5xx."""

from __future__ import annotations

import itertools
import json
import socket
import uuid
from typing import Any

import httpx
import pytest

from head_office.access import enroll_reader
from tests.helpers.hq import HqServer, chained, day_drafts

HALL = "SH-0400"
LONE = "\\ud800"  # a lone surrogate, as a JSON escape


def one_shape(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"detail", "code", "seq"} and isinstance(body["detail"], str), body
    assert isinstance(body["code"], str) and body["code"]
    return dict(body)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def event_text(counter: str, field: str) -> bytes:
    """A batch of one good event whose `field` (or a payload key or value) holds a lone
    surrogate."""
    (ev,) = chained(HALL, counter, day_drafts(1))[:1]
    item = ev.as_dict()
    marker = "@@LONE@@"
    if field == "payload key":
        item["payload"] = {marker: 1, **item["payload"]}
    elif field == "payload value":
        item["payload"] = {**item["payload"], "staff": f"10{marker}01"}
    else:
        item[field] = f"{item[field]}{marker}"
    return json.dumps({"events": [item]}).replace(marker, LONE).encode()


@pytest.mark.parametrize("field", ["payload key", "payload value", "kind", "uuid", "hall",
                                   "at", "counter"])
def test_a_lone_surrogate_anywhere_in_an_event_is_a_400(hq_sqlite: HqServer, field: str) -> None:
    counter = uuid.uuid4().hex[:8]
    token = hq_sqlite.enroll(HALL, counter)
    answer = httpx.post(f"{hq_sqlite.url}/api/v1/events", content=event_text(counter, field),
                        headers=auth(token), timeout=30)
    body = one_shape(answer, 400)
    assert body["code"] == "malformed_event" and "Unicode" in body["detail"]
    assert body["seq"] == 1
    who = hq_sqlite.store.counter(HALL, counter)
    assert who is not None and who.hw_seq == 0 and hq_sqlite.store.counts(who)["events"] == 0


def test_a_lone_surrogate_outside_the_events_is_a_400(hq_sqlite: HqServer) -> None:
    token = hq_sqlite.enroll(HALL, uuid.uuid4().hex[:8])
    for content in (b'{"events": [], "' + LONE.encode() + b'": 1}',
                    b'{"' + LONE.encode() + b'": []}'):
        answer = httpx.post(f"{hq_sqlite.url}/api/v1/events", content=content,
                            headers=auth(token), timeout=30)
        assert one_shape(answer, 400)["code"] in ("malformed_batch", "malformed_event")


@pytest.mark.parametrize("params", [
    {"month": "9999-12"}, {"day": "9999-12-31"}, {"tz": "x" * 5000}, {"day": "0"},
    {"month": "0"}, {"month": "1999-12"}, {"day": "0001-01-01"}, {"day": "2026-02-30"},
    {"month": "2026-11", "tz": "../../etc/passwd"}, {"tz": "Asia/Shanghai\x00"},
    {"month": "true", "day": "2026-11-02"}, {"month": "2026-11", "day": "2026-11-32"},
    {"month": ""}, {"tz": ""}, {"day": ""},
])
def test_a_period_out_of_range_is_a_400(hq_sqlite: HqServer, params: dict[str, str]) -> None:
    reader = enroll_reader(hq_sqlite.store, HALL)
    answer = httpx.get(f"{hq_sqlite.url}/api/v1/hall", params=params, headers=auth(reader),
                       timeout=30)
    assert one_shape(answer, 400)["code"] in ("bad_period", "bad_request")


def test_no_input_to_any_route_gives_a_5xx(hq_sqlite: HqServer) -> None:
    counter = uuid.uuid4().hex[:8]
    tokens = {"counter": hq_sqlite.enroll(HALL, counter),
              "reader": enroll_reader(hq_sqlite.store, HALL), "garbage": "x" * 3000}
    good = chained(HALL, counter, day_drafts(2))
    item = good[0].as_dict()
    bodies: list[bytes] = [
        b"", b"null", b"[]", b"{}", b'{"events": null}', b'{"events": {}}', b"[" * 100000,
        b'{"events": [1e999]}', b'{"events": [NaN]}', b"\xff\xfe", b'"' + LONE.encode() + b'"',
        json.dumps({"events": [{**item, "seq": 2**70}]}).encode(),
        json.dumps({"events": [{**item, "seq": -1}]}).encode(),
        json.dumps({"events": [{**item, "payload": {"n": 1e308}}]}).encode(),
        json.dumps({"events": [{**item, "at": "9999-12-31T23:59:59.999Z"}]}).encode(),
        json.dumps({"events": [{**item, "hall": "\x00"}]}).encode(),
        json.dumps({"events": [{**item, "payload": {"txn": "\x00"}}]}).encode(),
        json.dumps({"events": [item] * 501}).encode(),
        json.dumps({"events": [{**item, "kind": LONE}]}).replace("\\\\ud800", LONE).encode(),
    ]
    queries: list[str] = [
        "", "month=9999-12", "day=9999-12-31", "day=0", "tz=" + "x" * 5000, "month=%ED%A0%80",
        "tz=%00", "day=%FF", "month=-1", "tz=UTC&day=1e9",
    ]
    paths = ["/api/v1/status", "/api/v1/events", "/api/v1/hall", "/api/v1/health",
             "/api/v1/nothing", "/api/v1/hall/..%2f..%2f", "/api/v1/%ED%A0%80"]
    with httpx.Client(base_url=hq_sqlite.url, timeout=30) as client:
        for path, who in itertools.product(paths, tokens):
            for query in queries:
                answer = client.get(f"{path}?{query}", headers=auth(tokens[who]))
                assert answer.status_code < 500, (path, who, query, answer.text)
                if answer.status_code >= 400:
                    one_shape(answer, answer.status_code)
            for content in bodies:
                for method in ("POST", "PUT"):
                    answer = client.request(method, path, content=content,
                                            headers=auth(tokens[who]))
                    assert answer.status_code < 500, (method, path, who, content[:80],
                                                      answer.text)
                    if answer.status_code >= 400:
                        one_shape(answer, answer.status_code)
        for headers in ({"Content-Encoding": "br"},
                        {"Content-Encoding": "gzip"}, {"Content-Type": "text/plain"}):
            answer = client.post("/api/v1/events", content=b"{}",
                                 headers={**auth(tokens["counter"]), **headers})
            assert 400 <= answer.status_code < 500, (headers, answer.text)
            one_shape(answer, answer.status_code)
    for length in (b"abc", b"-1", b"9" * 5000, "١٢".encode()):  # Arabic-Indic digits
        raw = raw_request(hq_sqlite, b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
                          + f"Authorization: Bearer {tokens['counter']}\r\n".encode()
                          + b"Content-Length: " + length + b"\r\nConnection: close\r\n\r\n{}")
        assert raw.startswith(b"HTTP/1.1 4"), (length, raw[:200])


def raw_request(server: HqServer, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return data


def test_a_parameter_given_twice_is_a_400(hq_sqlite: HqServer) -> None:
    reader = enroll_reader(hq_sqlite.store, HALL)
    answer = httpx.get(f"{hq_sqlite.url}/api/v1/hall?month=2026-11&month=2026-12",
                       headers=auth(reader), timeout=30)
    body = one_shape(answer, 400)
    assert body["code"] == "bad_request" and "month" in body["detail"]
