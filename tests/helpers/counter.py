"""The running counter with its parts exposed, for tests that inspect what it stored.

The app's own callers (the UI, the command line) use `counter_app.application.counter.Counter`
and its use cases only; tests and benchmarks also look at the database, the event store, the
staff directory and the machine behind it.
"""

from __future__ import annotations

from counter_app.application.counter import Counter
from counter_app.config import Config
from counter_app.storage.db import Database
from counter_app.storage.events import EventStore
from counter_app.storage.folder import lock_data_dir
from counter_app.storage.staff import DEMO_ACCOUNTS, StaffDirectory, ensure_demo_accounts
from counter_core.transaction import CounterMachine

__all__ = ["DEMO_ACCOUNTS", "CounterService", "ensure_demo_accounts", "lock_data_dir"]


class CounterService(Counter):
    """`Counter` with its parts exposed, for callers that still reach through them."""

    @property
    def config(self) -> Config:
        return self._config

    @config.setter
    def config(self, value: Config) -> None:  # tests swap the configuration of a live counter
        self._config = value

    @property
    def db(self) -> Database:
        return self._db

    @property
    def store(self) -> EventStore:
        return self._store

    @property
    def staff(self) -> StaffDirectory:
        return self._staff

    @property
    def machine(self) -> CounterMachine:
        return self._machine
