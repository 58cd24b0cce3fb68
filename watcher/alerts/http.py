"""One HTTP POST for an alert channel (Slack, webhook), with failures turned into DeliveryError.

DeliveryError.reason is one word: dns, refused, timeout, tls, network, http or config. The message always
names where the POST went; with `redact_url=True` (Slack webhook URLs are secrets) only scheme and host.
"""

from __future__ import annotations

import email.utils
import socket
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import httpx

from watcher import __version__
from watcher.errors import DeliveryError

USER_AGENT = f"watcher/{__version__} (+https://github.com/frontier-watch/watcher; alert delivery)"
BODY_SHOWN = 200
RETRY_STATUSES = (429, 503)


def post_json(url: str, body: bytes, *, channel: str, headers: dict[str, str] | None = None,
              timeout: float = 20.0, redact_url: bool = False) -> httpx.Response:
    """POST `body` (JSON bytes) to `url` once, without following redirects; the response when its status is
    below 300, else DeliveryError (reason dns, refused, timeout, tls, network, http or config)."""
    shown = shown_url(url, redact_url)
    sent = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **(headers or {})}
    try:
        with httpx.Client(follow_redirects=False, timeout=httpx.Timeout(timeout), trust_env=False) as client:
            response = client.post(url, content=body, headers=sent)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as e:
        raise DeliveryError(channel, "config", f"cannot POST to {shown}: {_scrub(str(e), url, shown)}") from e
    except (httpx.TransportError, OSError) as e:
        reason, detail = describe_network_error(e)
        raise DeliveryError(channel, reason, f"POST to {shown}: {_scrub(detail, url, shown)}") from e
    if response.status_code >= 300:
        raise http_error(response, channel=channel, shown=shown)
    return response


def http_error(response: httpx.Response, *, channel: str, shown: str) -> DeliveryError:
    """DeliveryError(reason http) for a response with a failing status; 429/503 carry Retry-After."""
    text = " ".join(response.text[:BODY_SHOWN].split())
    detail = f"HTTP {response.status_code} from {shown}: {text}" if text else f"HTTP {response.status_code} from {shown}"
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    if response.status_code not in RETRY_STATUSES:
        retry_after = None
    return DeliveryError(channel, "http", detail, retry_after=retry_after)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None when absent or invalid."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


def describe_network_error(exc: BaseException) -> tuple[str, str]:
    """(reason, detail) for a failed connection: dns, refused, timeout, tls or network, found anywhere in the
    exception's __cause__ / __context__ chain (httpx wraps httpcore which wraps the OSError)."""
    for link in _chain(exc):
        found = _classify(link)
        if found:
            return found, f"{_WHAT[found]}: {_text(link)}"
    return "network", f"{_WHAT['network']}: {_text(exc)}"


_WHAT = {
    "dns": "host name could not be resolved",
    "refused": "connection refused",
    "timeout": "timed out",
    "tls": "TLS handshake or certificate check failed",
    "network": "network error",
}


def _classify(exc: BaseException) -> str | None:
    if isinstance(exc, socket.gaierror):
        return "dns"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ssl.SSLError):
        return "tls"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _text(exc: BaseException) -> str:
    return str(exc).strip() or type(exc).__name__


def shown_url(url: str, redact: bool) -> str:
    """The URL as error messages show it: whole, or only scheme and host (`https://hooks.slack.com/…`)."""
    if not redact:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        host = f"[{host}]" if ":" in host else host
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(webhook URL)"
    return f"{parts.scheme or '?'}://{host}{port}/\u2026"


def _scrub(text: str, url: str, shown: str) -> str:
    return text.replace(url, shown) if url and url != shown else text
