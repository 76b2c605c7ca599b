"""What can go wrong talking to head office or the hall server: the sync's exceptions, with
no HTTP or TLS library behind them (counter_app.sync.protocol re-exports them)."""

from __future__ import annotations


class SyncError(Exception):
    """Sync could not finish; the message is shown to the manager as is."""


class Refused(SyncError):
    """Head office answered 4xx: resending the same request will not help."""

    def __init__(self, status: int, message: str, code: str = "", seq: int | None = None) -> None:
        super().__init__(f"head office refused ({status}): {message}")
        self.status = status
        self.code = code
        self.seq = seq


class Unavailable(SyncError):
    """No usable answer (network, 429, 5xx): try again later, not before `retry_after` s."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Untrusted(SyncError):
    """Head office's certificate is not trusted, or is not the pinned one: nothing was sent
    (not even the token), and retrying will not help until the configuration or the server's
    certificate changes."""
