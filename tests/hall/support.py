"""The hall server for tests/hall: a real `counter-hq serve` that can be killed, restarted
and rebuilt on the same address."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers.hq import HqServer, free_port

HALL = "SH-0001"
COUNTER = "07"
#: every committed event reaches the hall server within this while the LAN is up
WITHIN_S = 5.0


class Hall:
    """A hall server that can be killed, restarted and rebuilt on the same port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.generation = 0
        self.server = self._new()

    def _new(self) -> HqServer:
        self.generation += 1
        db = self.folder / f"hall-{self.generation}.sqlite"
        return HqServer(f"sqlite:///{db}", port=self.port).start()

    def rebuild(self) -> None:
        """A new, empty hall database (the old one lost), on the same address."""
        self.server.close()
        self.server = self._new()

    def held(self, counter: str = COUNTER) -> int:
        found = self.server.store.counter(HALL, counter)
        return 0 if found is None else found.hw_seq


def wait_for(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until `condition()` held; fails after `timeout_s`."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < timeout_s, f"not within {timeout_s} s"
        time.sleep(0.02)
    return time.monotonic() - began
