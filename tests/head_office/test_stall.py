"""Uploads that send their headers and then stall, against a real `counter-hq serve`: they hold
no upload slot, and they are cut off (408 in the one error shape) within a few seconds."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from head_office.deps import MAX_CONCURRENT_UPLOADS
from tests.helpers.hq import HqServer, chained, day_drafts, running_server

HALL = "SH-0300"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HqServer]:
    path = tmp_path_factory.mktemp("stall") / "hq.sqlite"
    with running_server(f"sqlite:///{path}") as server:  # the default cap and body timeout
        yield server


def stalled_upload(server: HqServer, token: str, sent: bytes = b"") -> socket.socket:
    """An upload whose headers promise a body that never (fully) comes."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(
        b"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + f"Authorization: Bearer {token}\r\n".encode()
        + b"Content-Type: application/json\r\nContent-Length: 50000\r\n\r\n" + sent)
    return sock


def answer_of(sock: socket.socket) -> bytes:
    """What the server sends before it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_stalled_uploads_hold_no_slot_and_are_cut_off(server: HqServer) -> None:
    tokens = [server.enroll(HALL, f"s{n:02}") for n in range(MAX_CONCURRENT_UPLOADS)]
    # half of them stall before any byte of the body, half in the middle of it
    stalled = [stalled_upload(server, token, b'{"events": [' if n % 2 else b"")
               for n, token in enumerate(tokens)]
    started = time.monotonic()
    try:
        time.sleep(0.5)  # every stalled request has reached the route
        counter = uuid.uuid4().hex[:8]
        token = server.enroll(HALL, counter)
        events = chained(HALL, counter, day_drafts(6))
        answer = httpx.post(f"{server.url}/api/v1/events", timeout=30,
                            content=json.dumps({"events": [e.as_dict() for e in events]}),
                            headers={"Authorization": f"Bearer {token}",
                                     "Content-Type": "application/json"})
        assert answer.status_code == 200, answer.text
        assert time.monotonic() - started < 3.0, "the good upload waited for the stalled ones"
        for sock in stalled:
            raw = answer_of(sock)
            head, _, body = raw.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), raw[:200]
            error = json.loads(body)
            assert set(error) == {"detail", "code", "seq"}
            assert error["code"] == "body_timeout"
        assert time.monotonic() - started < 12.0, "stalled uploads were not cut off promptly"
        # nothing of theirs was stored
        for n in range(MAX_CONCURRENT_UPLOADS):
            who = server.store.counter(HALL, f"s{n:02}")
            assert who is not None and who.hw_seq == 0
    finally:
        for sock in stalled:
            sock.close()


def test_a_body_that_keeps_coming_is_not_cut_off(tmp_path: Path) -> None:
    """The timeout is for a body that makes no progress, not for a slow one."""
    with running_server(f"sqlite:///{tmp_path / 'hq.sqlite'}", "--body-timeout", "1") as server:
        counter = uuid.uuid4().hex[:8]
        token = server.enroll(HALL, counter)
        content = json.dumps({"events": [e.as_dict() for e in
                                         chained(HALL, counter, day_drafts(3))]}).encode()
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        with sock:
            sock.sendall(
                b"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                + f"Authorization: Bearer {token}\r\n".encode()
                + f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n\r\n"
                .encode())
            pieces = [content[i:i + len(content) // 4 + 1]
                      for i in range(0, len(content), len(content) // 4 + 1)]
            for piece in pieces:  # 0.6 s between pieces: 2.4 s in all, > the 1 s timeout
                time.sleep(0.6)
                sock.sendall(piece)
            raw = answer_of(sock)
        assert raw.startswith(b"HTTP/1.1 200"), raw[:300]


def test_the_counter_retries_a_body_timeout_like_a_busy_server() -> None:
    """408 is the network's fault, not the batch's: the counter's client tries again later
    (Unavailable), it does not wait for the next night (Refused)."""
    from counter_app.sync.protocol import HeadOfficeClient, Refused, Unavailable

    answer = {"detail": "the request body made no progress for 5 s; send it again",
              "code": "body_timeout", "seq": None}
    transport = httpx.MockTransport(lambda _request: httpx.Response(408, json=answer))
    with HeadOfficeClient("http://hq.test", "t", transport=transport) as client, \
            pytest.raises(Unavailable) as raised:
        client.status()
    assert not isinstance(raised.value, Refused) and "no progress" in str(raised.value)
