"""The nightly sync's use case at the counter: upload what head office has not acknowledged.

It runs on a worker thread with its own read-only connection; the outcome (a SyncStatus) is
recorded afterwards by the counter's single writer (`Counter.record_sync_status`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from counter_app.storage.folder import open_data_folder
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader


def upload_pending(data_dir: Path, client: HeadOfficeClient, *, retry: RetryPolicy | None,
                   cancelled: Callable[[], bool],
                   sleep: Callable[[float], None]) -> SyncStatus:
    """Send the events head office lacks; reads only (the counter keeps writing meanwhile)."""
    with open_data_folder(data_dir, readonly=True, check=False) as folder:
        return Uploader(LocalLog(folder.db), client, retry=retry, cancelled=cancelled,
                        sleep=sleep).run()
