"""The nightly sync's use case at the counter: upload what head office has not acknowledged.

It runs on a worker thread with its own read-only connection; the outcome (a SyncStatus) is
recorded afterwards by the counter's single writer (`Counter.record_sync_status`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from counter_app.application.calendar import refresh_calendar
from counter_app.config import Config
from counter_app.storage.folder import open_data_folder
from counter_app.sync.protocol import HeadOfficeClient
from counter_app.sync.state import SyncStatus

# the uploader, the anchors and the hall stream load when a sync or stream starts, after the
# counter's windows show (not at all on a counter with neither head office nor a hall server)
if TYPE_CHECKING:
    from counter_app.sync.anchors import AnchorSender
    from counter_app.sync.hall_stream import HallStreamer
    from counter_app.sync.uploader import LocalLog, RetryPolicy


def upload_pending(data_dir: Path, client: HeadOfficeClient, *, retry: RetryPolicy | None,
                   cancelled: Callable[[], bool],
                   sleep: Callable[[float], None]) -> SyncStatus:
    """Send the events head office lacks; reads only (the counter keeps writing meanwhile)."""
    from counter_app.sync.anchors import try_send_anchor
    from counter_app.sync.uploader import LocalLog, Uploader

    with open_data_folder(data_dir, readonly=True, check=False) as folder:
        try_send_anchor(LocalLog(folder.db), client)  # every sync reports the head first
        status = Uploader(LocalLog(folder.db), client, retry=retry, cancelled=cancelled,
                          sleep=sleep).run()
    refresh_calendar(data_dir, client)  # head office's working-day calendar, when it changed
    return status


def start_anchors(data_dir: Path, make_client: Callable[[], HeadOfficeClient],
                  interval_s: float) -> AnchorSender:
    """Report the chain head to head office now and every `interval_s` seconds, on a daemon
    thread that only reads the counter database; stop it with `.stop()`."""
    from counter_app.sync.anchors import AnchorSender

    return AnchorSender(_log_opener(data_dir), make_client, interval_s).start()


def start_streaming(data_dir: Path, config: Config,
                    record: Callable[[SyncStatus], object] | None = None
                    ) -> HallStreamer | None:
    """Stream the counter's events and presence to `[hall_server]` (None when none is
    configured), on daemon threads that only read the counter database; `record` gets each
    run's status on the streamer's thread (hand it to the writer's); stop it with `.stop()`."""
    if config.hall_server is None:
        return None  # nothing to stream to: the stream's modules stay unloaded
    from counter_app.sync.hall_stream import start_hall_stream

    return start_hall_stream(config, _log_opener(data_dir), record=record)


def _log_opener(data_dir: Path) -> Callable[[], contextlib.AbstractContextManager[LocalLog]]:
    """Opens the counter's log read-only, each time anew (a background thread's own)."""
    from counter_app.sync.uploader import LocalLog

    @contextlib.contextmanager
    def open_log() -> Iterator[LocalLog]:
        with open_data_folder(data_dir, readonly=True, check=False) as folder:
            yield LocalLog(folder.db)

    return open_log
