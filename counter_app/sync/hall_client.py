"""The protocol client for the hall server: head office's client with `[hall_server]`'s URL,
token and TLS options. Apart from the hall stream (counter_app.sync.hall_stream) so the
board and the alerts feed can ask the hall server without loading the uploader."""

from __future__ import annotations

import dataclasses
from typing import Any

from counter_app.config import Config
from counter_app.sync.protocol import HeadOfficeClient, SyncError, Timeouts

#: an unanswered request on the LAN is given up after this long
CLIENT_TIMEOUT: Timeouts = (3.0, 10.0, 10.0, 10.0)  # connect 3 s, the rest 10 s


def hall_config(config: Config) -> Config:
    """The configuration with `[hall_server]` in the head office's place, so the one client
    (token, token file, TLS options) serves both; SyncError when there is no hall server."""
    if config.hall_server is None or not config.hall_server.url:
        raise SyncError("no hall server configured: set [hall_server] url in the configuration")
    return dataclasses.replace(config, head_office=config.hall_server)


def hall_client(config: Config, **kwargs: Any) -> HeadOfficeClient:
    """The protocol client for the hall server (its own token)."""
    kwargs.setdefault("timeout", CLIENT_TIMEOUT)
    kwargs.setdefault("reader_token", None)
    try:
        return HeadOfficeClient.from_config(hall_config(config), **kwargs)
    except SyncError as exc:
        raise SyncError(str(exc).replace("[head_office]", "[hall_server]")
                        .replace("head office", "hall server")) from None
