"""A local webhook receiver for the alert tests: a tiny http.server in a thread that answers
each POST by a script of behaviours (cycled): "ok" (the service's success), "slow" (answers
only after the sender's timeout), "drop" (reads and keeps the alert, then closes the
connection without an answer), "errcode" (HTTP 200 with `{"errcode": 310000}`, a robot's
refusal), "http500". It can be stopped and started again on the same port (a webhook down).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.helpers.hq import free_port

#: the alert id a robot's message carries ("… [overtime 0123…]")
_ROBOT_ID = re.compile(r"\[[a-z_]+ ([0-9a-f]{32})\]")


class WebhookReceiver:
    def __init__(self, script: Iterable[str] = ("ok",), *, slow_s: float = 2.0) -> None:
        self.port = free_port()
        self.slow_s = slow_s
        self._script = itertools.cycle(tuple(script))
        self._lock = threading.Lock()
        #: every request: (behaviour, alert id, body, query string)
        self.requests: list[tuple[str, str | None, dict[str, Any], str]] = []
        #: alert ids answered with the service's success, in order (repeats kept)
        self.accepted: list[str] = []
        #: alert ids the receiver read and kept (accepted, slow and dropped ones)
        self.processed: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def set_script(self, script: Iterable[str]) -> None:
        with self._lock:
            self._script = itertools.cycle(tuple(script))

    def behaviours(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.requests]

    def _next(self) -> str:
        with self._lock:
            return next(self._script)

    def _note(self, mode: str, alert: str | None, body: dict[str, Any], query: str) -> None:
        with self._lock:
            self.requests.append((mode, alert, body, query))
            if alert and mode in ("ok", "slow", "drop"):
                self.processed.append(alert)
            if alert and mode == "ok":
                self.accepted.append(alert)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {}
                alert = body.get("id")
                if alert is None:
                    found = _ROBOT_ID.search(str(body.get("text", {}).get("content", "")))
                    alert = found.group(1) if found else None
                query = self.path.partition("?")[2]
                mode = receiver._next()
                receiver._note(mode, alert, body, query)
                if mode == "drop":
                    self.close_connection = True
                    return  # kept, but no answer: the sender sees the connection drop
                if mode == "slow":
                    time.sleep(receiver.slow_s)
                if mode == "http500":
                    self._answer(500, {"error": "down"})
                elif mode == "errcode":
                    self._answer(200, {"errcode": 310000, "errmsg": "keywords not in content"})
                else:
                    self._answer(200, {"errcode": 0, "errmsg": "ok"})

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the sender gave up waiting (slow)

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
