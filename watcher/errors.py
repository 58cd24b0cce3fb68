"""Every error watcher raises on purpose.

    WatcherError
    ├── ConfigError          sources.toml is unreadable or invalid (exit code 2)
    ├── FetchError           one fetch of one URL failed (network, HTTP status, robots, size cap)
    ├── NormalizeError       a body could not be turned into text (undecodable, corrupt or hostile PDF)
    ├── StoreError           the database or snapshots folder cannot be used
    ├── NotFoundError        a source id or version asked for does not exist
    ├── BusyError            another watcher process (the daemon, a check) holds the data folder
    └── DeliveryError        an alert channel did not accept a message (DNS, refused, TLS, auth, HTTP status)
"""

from __future__ import annotations


class WatcherError(Exception):
    """Base of every error watcher raises on purpose."""


class ConfigError(WatcherError):
    """sources.toml is unreadable or invalid; the message names the file and key path."""


class FetchError(WatcherError):
    """A fetch failed; carries the URL, the HTTP status when there was one, and whether to retry."""

    def __init__(self, url: str, reason: str, *, status: int | None = None, retryable: bool = False,
                 retry_after: float | None = None, timed_out: bool = False) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        self.timed_out = timed_out  # the server took too long to answer (read or total timeout)


class NormalizeError(WatcherError):
    """A body could not be turned into text."""


class StoreError(WatcherError):
    """The database or snapshots folder cannot be used."""


class NotFoundError(WatcherError):
    """A source id or version that was asked for does not exist."""


class BusyError(WatcherError):
    """The data folder is locked by another watcher process; the message names it and its pid."""


class DeliveryError(WatcherError):
    """A channel did not take an alert; `reason` is one word (dns, refused, timeout, tls, auth, rejected,
    dropped, http, config) and the message says exactly what failed and where."""

    def __init__(self, channel: str, reason: str, detail: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"channel {channel!r}: {reason}: {detail}")
        self.channel = channel
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after
