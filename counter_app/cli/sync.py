"""`counter-app sync [--now] [--attempts N]`: upload what head office has not acknowledged."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from counter_app.cli.common import CliError, open_readonly, writer_if_free
from counter_app.config import Config
from counter_app.sync.anchors import try_send_anchor
from counter_app.sync.protocol import HeadOfficeClient, SyncError
from counter_app.sync.scheduler import SyncSchedule
from counter_app.sync.state import read_status, record_status
from counter_app.sync.uploader import LocalLog, RetryPolicy, Uploader

DESCRIPTION = (
    "Upload the events head office has not acknowledged. Without --now it uploads only when "
    "due (this counter's slot in the nightly window has passed without a successful sync, or "
    "a retry is due), so an OS scheduler can run it every 15 minutes."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    parser.add_argument("--now", action="store_true", help="sync now, whatever the time")
    parser.add_argument("--attempts", type=int, default=6, metavar="N",
                        help="tries per request when head office is unreachable or busy, "
                             "with backoff (default 6)")


def run(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    url = config.head_office.url
    if not url:
        raise CliError("no head office configured: set [head_office] url and token in the "
                       "configuration file")
    try:
        schedule = SyncSchedule.for_counter(config.hall_id, config.counter_id, config.sync_window)
        client = HeadOfficeClient.from_config(config)  # its TLS settings too
    except (SyncError, ValueError) as exc:
        raise CliError(str(exc)) from None
    try:
        reader = open_readonly(data_dir)  # refuses a database that fails its check
    except BaseException:
        client.close()
        raise
    try:
        now = dt.datetime.now().astimezone()
        when = schedule.next_run(now, read_status(reader))
        if not args.now and when > now:
            print(f"not due: next sync at {when:%Y-%m-%d %H:%M} (use --now to sync anyway)")
            return 0
        progress: Callable[[int], None] | None = _show_progress if sys.stderr.isatty() else None
        # only reads: the counter app may start (and write) while this runs
        with client:
            try_send_anchor(LocalLog(reader), client)  # the head first, at every sync
            status = Uploader(LocalLog(reader), client, on_progress=progress,
                              retry=RetryPolicy(attempts=max(1, args.attempts))).run()
    finally:
        client.close()
        reader.conn.close()
    with writer_if_free(data_dir) as writer:
        if writer is not None:
            status = record_status(writer, status)
        else:
            print("note: the Counter App is running, so it will record the sync status at its "
                  "own next sync", file=sys.stderr)
    if status.ok:
        print(f"OK: {status.sent} events sent; head office holds all {status.acked_seq} events "
              f"of hall {config.hall_id} counter {config.counter_id}")
        return 0
    print(f"sync FAILED: {status.error}", file=sys.stderr)
    if status.acked_seq is not None:
        print(f"head office holds {status.acked_seq} of {status.local_seq} events "
              f"({status.sent} sent this time)", file=sys.stderr)
    return 1


def _show_progress(seq: int) -> None:
    print(f"  head office holds up to sequence {seq}", file=sys.stderr)
