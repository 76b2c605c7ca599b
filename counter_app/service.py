"""Compatibility names for callers not yet moved to counter_app.application.

The running counter is `counter_app.application.counter.Counter`; the data folder's lock and
opening are `counter_app.storage.folder` (`lock_data_dir`, `open_data_folder`); the demo
accounts are `counter_app.storage.staff.ensure_demo_accounts`. `CounterService` here is that
Counter plus the attributes older callers (the command line's and sync's tests, benchmarks)
still reach through: `db`, `store`, `staff`, `machine`. New code must not use them.
"""

from __future__ import annotations

import sqlite_utils

from counter_app.application.counter import Counter
from counter_app.config import Config
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
    def db(self) -> sqlite_utils.Database:
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
