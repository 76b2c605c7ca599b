"""Anchors: the counter's chain head (sequence and hash, no records) sent to head office every
few minutes whenever it is reachable, idle or not, and at every sync.

Head office keeps each anchor; an upload that later contradicts one (another hash at an
anchored sequence, or a chain that ends before it) is refused and recorded as an incident, so
a tail rewritten and rehashed after an anchor no longer passes for the original. Sending never
blocks the UI and never raises into it: a failed anchor is simply sent again next time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import counter_app
import counter_core
from counter_app.storage.events import app_version
from counter_app.sync.protocol import HeadOfficeClient, HighWater
from counter_app.sync.uploader import LocalLog
from counter_core.chain import GENESIS_HASH
from counter_core.periods import utc_now

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_S = 300.0
#: the first anchor waits this long (at most the interval): a starting app's own catch-up
#: sync goes first, and a fleet starting together does not arrive at once
FIRST_DELAY_S = 5.0

#: one anchor at a time per process: a head read earlier must not arrive after a later one
_SENDING = threading.Lock()


@functools.cache
def code_hash() -> str:
    """SHA-256 over the installed counter_app and counter_core .py files (their paths and
    bytes, in path order), computed once per run."""
    digest = hashlib.sha256()
    for package in (counter_app, counter_core):
        root = Path(package.__file__ or "").resolve().parent
        for path in sorted(root.rglob("*.py")):
            with contextlib.suppress(OSError):
                data = path.read_bytes()
                digest.update(path.relative_to(root.parent).as_posix().encode("utf-8"))
                digest.update(b"\0")
                digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def send_anchor(local: LocalLog, client: HeadOfficeClient) -> HighWater:
    """Send the chain head; when head office's mark is not this chain's event at that
    sequence (a different history), send this chain's hash there too, so head office records
    it. Head office's mark comes back; SyncError when head office cannot be reached."""
    with _SENDING:
        seq = local.last_seq()
        head = (seq, local.hash_at(seq) or GENESIS_HASH)
        version, code = app_version(), code_hash()
        mark = client.anchor(head, app_version=version, code_hash=code, clock=utc_now())
        if 0 < mark.seq <= seq:
            mine = local.hash_at(mark.seq)
            if mine is not None and mine != mark.hash:
                client.anchor(head, app_version=version, code_hash=code, clock=utc_now(),
                              at_mark=(mark.seq, mine))
        return mark


def try_send_anchor(local: LocalLog, client: HeadOfficeClient) -> bool:
    """send_anchor, never raising: False (logged) when it did not get through."""
    try:
        send_anchor(local, client)
    except Exception as exc:  # network, head office, a database busy: next time
        log.info("anchor not sent: %s", exc)
        return False
    return True


class AnchorSender:
    """A daemon thread sending an anchor soon after start and every `interval_s` seconds
    after."""

    def __init__(self, open_log: Callable[[], AbstractContextManager[LocalLog]],
                 make_client: Callable[[], HeadOfficeClient],
                 interval_s: float = DEFAULT_INTERVAL_S) -> None:
        self._open_log = open_log
        self._make_client = make_client
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.sent = 0

    def start(self) -> AnchorSender:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="anchor-sender",
                                            daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 1.0) -> None:
        """Stop between anchors; one still in flight is left to its daemon thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def send_once(self) -> bool:
        """One anchor, never raising."""
        try:
            with self._open_log() as local, self._make_client() as client:
                ok = try_send_anchor(local, client)
        except Exception as exc:  # the database or the configuration: next time
            log.info("anchor not sent: %s", exc)
            return False
        self.sent += ok
        return ok

    def _run(self) -> None:
        if self._stop.wait(min(FIRST_DELAY_S, self.interval_s)):
            return
        while not self._stop.is_set():
            self.send_once()
            self._stop.wait(self.interval_s)
