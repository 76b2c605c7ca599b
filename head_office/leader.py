"""One leader among `counter-hq serve --workers N`: the worker that runs the jobs that must run
once (the alert loop, the webhook outboxes).

The leader is the worker holding a PostgreSQL session advisory lock on a connection of its own,
kept for the process' life. The other workers try again every `RETRY_S` seconds, so when the
leader dies (its session ends, and with it the lock) another one takes over. The leader checks
its connection as often; a lost connection is a lost lock, so it stops its jobs and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

#: the advisory lock's key (any 64-bit number no other program on the database uses)
LOCK_KEY = 0x636F756E746572  # "counter"
#: the lock's connection's application_name, followed by the worker's pid
APPLICATION_NAME = "counter-hq leader"
#: how often a follower tries for the lock, and the leader checks that it still holds it
RETRY_S = 2.0


class Leadership:
    """The advisory lock of one worker process (PostgreSQL only)."""

    def __init__(self, url: str, key: int = LOCK_KEY) -> None:
        self.key = key
        # the worker's pid in pg_stat_activity says which worker leads
        self._engine = create_engine(
            url, poolclass=NullPool,
            connect_args={"application_name": f"{APPLICATION_NAME} {os.getpid()}"})
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def try_acquire(self) -> bool:
        """Take the lock if no other session holds it; True when this process holds it."""
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        try:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                    {"k": self.key}).scalar_one())
            conn.commit()  # the lock is the session's, not the transaction's
        except Exception:
            conn.close()
            raise
        if got:
            self._conn = conn
        else:
            conn.close()
        return got

    def still_held(self) -> bool:
        """Whether the lock's connection is alive (False, and released, when it is not)."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar_one()
            self._conn.commit()
            return True
        except Exception:
            log.warning("worker %d: the leader's database connection was lost", os.getpid())
            self.release()
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # the session ends, and the lock with it

    def close(self) -> None:
        self.release()
        self._engine.dispose()


async def lead(leadership: Leadership,
               jobs: Callable[[], list[asyncio.Task[Any]]],
               sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
    """Until cancelled: take the lock when free, run `jobs()` while it is held, and cancel
    them when it is lost."""
    running: list[asyncio.Task[Any]] = []
    try:
        while True:
            try:
                if running:
                    held = await asyncio.to_thread(leadership.still_held)
                else:
                    held = await asyncio.to_thread(leadership.try_acquire)
                    if held:
                        log.info("worker %d leads: it runs the alert loop and the webhook "
                                 "outboxes", os.getpid())
                        running = jobs()
            except Exception as exc:
                log.warning("worker %d: cannot reach the database for the leader's lock: %s",
                            os.getpid(), exc)
                held = False
            if not held and running:
                await _cancel(running)
                running = []
            await sleep(RETRY_S)
    finally:
        await _cancel(running)
        await asyncio.to_thread(leadership.close)


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
