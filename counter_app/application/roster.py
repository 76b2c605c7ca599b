"""The hall server's roster kept in a staff table: a counter's or a manager desk's.

Under `[roster] managed_by = "hall_server"` a `RosterPuller` (counter_app.sync.roster_pull)
fetches the hall's accounts on a thread of its own; `RosterCache` hands what it brought to the
staff table on the owner's writer thread (`apply_pulled`), keeps the puller's ETag at the
cached version, and asks the hall server first at a manager's sign-in. The desk's names of
every clerk of the hall come from here, as the counters' sign-ins do.
"""

from __future__ import annotations

import logging
import sqlite3
from typing import TYPE_CHECKING

from counter_app.application.errors import StorageFailed
from counter_app.config import Config
from counter_app.storage.staff import CachedAccount, StaffDirectory
from counter_app.sync.authority import COUNTER, authority_of

if TYPE_CHECKING:
    from counter_app.sync.roster_pull import HallRoster, RosterPuller

log = logging.getLogger(__name__)


def _version_etag(staff: StaffDirectory) -> str | None:
    try:
        applied = staff.applied_roster()
    except sqlite3.Error as exc:
        raise StorageFailed.not_saved(exc) from exc
    return None if applied is None else f'"{applied[0]}-{applied[1]}"'


class RosterCache:
    """One staff table following the hall server's roster."""

    def __init__(self, staff: StaffDirectory, puller: RosterPuller) -> None:
        self.staff = staff
        self.puller = puller
        staff.remote_check = self._check_at_hall

    @classmethod
    def start(cls, config: Config, staff: StaffDirectory, *,
              background: bool = True) -> RosterCache | None:
        """The cache for a staff table whose roster the hall server keeps (None otherwise);
        with `background` its pull starts now, off the caller's thread."""
        if authority_of(config) == COUNTER:
            return None  # the counter's own accounts: the sync stack stays unloaded at start
        from counter_app.sync.roster_pull import start_roster_pull

        puller = start_roster_pull(config, etag=_version_etag(staff), start=background)
        return None if puller is None else cls(staff, puller)

    def cached_etag(self) -> str | None:
        """The roster version the staff table holds, as the hall server's ETag."""
        return _version_etag(self.staff)

    def apply_pulled(self) -> bool:
        """Cache the roster the background pull brought, if any (the writer's thread); True
        when the staff table changed."""
        found = self.puller.take()
        return False if found is None else self._apply(found)

    def pull_now(self) -> bool:
        """Pull on this thread and cache it; SyncError when the hall server cannot be asked
        or its answer is refused."""
        self.puller.set_etag(self.cached_etag())  # a table edited since: fetched whole
        self.puller.pull_once()
        return self.apply_pulled()

    def stop(self) -> None:
        self.puller.stop()

    def _check_at_hall(self, number: str, pin: str) -> tuple[str, float | None] | None:
        answer = self.puller.check_sign_in(number, pin)
        if answer is None:
            return None
        result, wait, etag = answer
        if etag != self.puller.etag:
            self.puller.wake()  # the cache is behind the hall server's roster
        return result, wait

    def _apply(self, found: HallRoster) -> bool:
        accounts = [CachedAccount(a.number, a.name, a.role, a.pin_hash, a.disabled, a.photo)
                    for a in found.accounts]
        try:
            changed = self.staff.apply_roster(found.seq, found.hash, accounts)
        except sqlite3.Error as exc:
            raise StorageFailed.not_saved(exc) from exc
        self.puller.set_etag(self.cached_etag())
        if changed:
            log.info("hall roster version %d cached: %d accounts", found.seq, len(accounts))
        return changed
