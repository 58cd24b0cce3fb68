"""Fetch documents politely and record what happened: the one place an httpx client is built.

A Fetcher follows redirects itself (to record each hop and refuse private addresses), sends
conditional requests, honours robots.txt, limits concurrency and spacing per host, retries transient
failures with exponential backoff (and Retry-After), and caps the size of what it reads. It never
raises for a failed fetch: the Capture says what went wrong, so one source never stops the others.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from watcher.errors import FetchError
from watcher.sources import FetchSettings, Source

log = logging.getLogger(__name__)

PERMANENT_REDIRECTS = (301, 308)
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 10


@dataclass(frozen=True)
class Redirect:
    """One hop: `status` from `url` to `location`."""

    status: int
    url: str
    location: str


@dataclass(frozen=True)
class Attempt:
    """One try at a URL: its HTTP status or error and how long it took."""

    status: int | None
    elapsed_ms: float
    error: str | None = None


@dataclass(frozen=True)
class Capture:
    """The outcome of fetching one URL: a body, a 304, an HTTP error status, or an error."""

    url: str
    started_at: datetime
    final_url: str
    status: int | None = None
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    redirects: tuple[Redirect, ...] = ()
    attempts: tuple[Attempt, ...] = ()
    elapsed_ms: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """A 2xx response with a body."""
        return self.error is None and self.body is not None and self.status is not None and self.status < 300

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to a conditional request."""
        return self.error is None and self.status == 304

    @property
    def gone(self) -> bool:
        """The document is not there: 404 or 410."""
        return self.status in (404, 410)

    @property
    def moved_to(self) -> str | None:
        """The final URL when the chain starts with a permanent redirect to a different URL."""
        if self.redirects and self.redirects[0].status in PERMANENT_REDIRECTS and self.final_url != self.url:
            return self.final_url
        return None


def sniff_format(body: bytes) -> str:
    """'pdf', 'html', 'text' or 'binary', from the bytes themselves rather than Content-Type."""
    head = body[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body", b"<!--")):
        return "html"
    if any(tag in stripped for tag in (b"<html", b"<body", b"<div", b"<p>", b"<p ", b"<h1", b"<title")):
        return "html"
    if b"\x00" in head and not stripped.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"' ").lower()
    return None


def _retry_after_seconds(value: str | None, now: float) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def _is_private_ip(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_unspecified \
        or ip.is_multicast


async def is_private_host(host: str) -> bool:
    """True when the host is, or resolves to, a private, loopback or otherwise internal address."""
    try:
        return _is_private_ip(host.strip("[]"))
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False  # unresolvable: the request itself will fail with a clear error
    return any(_is_private_ip(str(info[4][0])) for info in infos)


class HostGate:
    """At most `concurrency` requests at a time to one host, and starts spaced `delay` seconds apart."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._spacing = asyncio.Lock()
        self._delay = delay
        self._next_start = 0.0

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        async with self._spacing:
            wait = self._next_start - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = time.monotonic() + self._delay

    async def __aexit__(self, *exc: object) -> None:
        self._slots.release()

    def hold_off(self, seconds: float) -> None:
        """No request to this host starts for `seconds` (the host asked for it with Retry-After)."""
        self._next_start = max(self._next_start, time.monotonic() + seconds)


@dataclass
class _Response:
    status: int
    headers: httpx.Headers
    body: bytes | None


Sleep = Callable[[float], Awaitable[None]]
ROBOTS_MAX_AGE = 24 * 3600.0  # a fetcher that lives long (the daemon's) reads robots.txt again after this


@dataclass
class Fetcher:
    """Fetches URLs under one set of FetchSettings; use as `async with Fetcher(settings) as fetcher`."""

    settings: FetchSettings
    transport: httpx.AsyncBaseTransport | None = None
    sleep: Sleep = asyncio.sleep
    _client: httpx.AsyncClient | None = field(default=None, init=False)
    _gates: dict[str, HostGate] = field(default_factory=dict, init=False)
    _robots: dict[str, tuple[float, RobotFileParser | None]] = field(default_factory=dict, init=False)
    _robots_locks: dict[str, asyncio.Lock] = field(default_factory=dict, init=False)
    _in_flight: asyncio.Semaphore | None = field(default=None, init=False)

    async def __aenter__(self) -> Fetcher:
        s = self.settings
        self._in_flight = asyncio.Semaphore(s.max_in_flight)
        self._client = httpx.AsyncClient(
            transport=self.transport,
            follow_redirects=False,
            timeout=httpx.Timeout(connect=s.connect_timeout, read=s.read_timeout, write=s.read_timeout,
                                  pool=s.total_timeout),
            headers={"User-Agent": s.user_agent},
            trust_env=False,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    def _gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc.lower()
        if host not in self._gates:
            self._gates[host] = HostGate(self.settings.concurrency_per_host, self.settings.delay_per_host)
        return self._gates[host]

    async def fetch(self, url: str, source: Source, *, etag: str | None = None,
                    last_modified: str | None = None) -> Capture:
        """Fetch one URL for a source, following redirects; never raises for a failed fetch."""
        started_at = datetime.now(UTC)
        clock = time.monotonic()
        attempts: list[Attempt] = []
        redirects: list[Redirect] = []
        current = url
        conditional = {"If-None-Match": etag} if etag else {}
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        try:
            for _ in range(_MAX_REDIRECTS + 1):
                await self._check_robots(current, source)
                response = await self._get_with_retries(current, conditional, attempts)
                if response.status not in _REDIRECTS:
                    return self._capture(url, started_at, clock, current, response, redirects, attempts)
                location = response.headers.get("location")
                if not location:
                    raise FetchError(current, f"HTTP {response.status} redirect without a Location header",
                                     status=response.status)
                target = urljoin(current, location)
                await self._check_redirect_target(target, source)
                redirects.append(Redirect(response.status, current, target))
                current = target
            raise FetchError(url, f"more than {_MAX_REDIRECTS} redirects")
        except FetchError as e:
            return Capture(url=url, started_at=started_at, final_url=current, status=e.status,
                           redirects=tuple(redirects), attempts=tuple(attempts),
                           elapsed_ms=(time.monotonic() - clock) * 1000, error=e.reason)

    def _capture(self, url: str, started_at: datetime, clock: float, final_url: str, response: _Response,
                 redirects: list[Redirect], attempts: list[Attempt]) -> Capture:
        error = None
        if response.status >= 400:
            error = f"HTTP {response.status}"
        elif response.status >= 300 and response.status != 304:
            error = f"unexpected HTTP {response.status}"
        return Capture(
            url=url, started_at=started_at, final_url=final_url, status=response.status,
            body=response.body if response.status < 300 else None,
            content_type=response.headers.get("content-type"),
            etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"),
            redirects=tuple(redirects), attempts=tuple(attempts),
            elapsed_ms=(time.monotonic() - clock) * 1000, error=error,
        )

    async def _check_redirect_target(self, target: str, source: Source) -> None:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(target, "redirect to a non-http(s) URL refused")
        if not source.allow_private and await is_private_host(parts.hostname):
            raise FetchError(target, "redirect to a private or loopback address refused "
                             "(set allow_private = true on the source to permit it)")

    async def _get_with_retries(self, url: str, headers: dict[str, str], attempts: list[Attempt]) -> _Response:
        s = self.settings
        timeouts = 0
        for attempt in range(s.retries + 1):
            last = attempt == s.retries
            try:
                response = await self._get_once(url, headers, attempts)
            except FetchError as e:
                timeouts += e.timed_out
                if not e.retryable or last or timeouts > 1:  # a server that hangs twice is not retried more
                    raise
                await self.sleep(s.backoff * 2**attempt)
                continue
            if response.status == 429 or response.status >= 500:
                wait = _retry_after_seconds(response.headers.get("retry-after"), time.time())
                if last:
                    return response
                if wait is not None and wait > s.max_retry_after:
                    raise FetchError(url, f"HTTP {response.status} with Retry-After {wait:.0f}s, longer than "
                                     f"max_retry_after {s.max_retry_after:.0f}s", status=response.status)
                if wait:
                    self._gate(url).hold_off(wait)  # every request to this host waits, not just this one
                await self.sleep(max(wait or 0.0, s.backoff * 2**attempt))
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _get_once(self, url: str, headers: dict[str, str], attempts: list[Attempt]) -> _Response:
        assert self._client is not None, "use `async with Fetcher(...)`"
        clock = time.monotonic()
        try:
            assert self._in_flight is not None
            async with self._gate(url), self._in_flight:
                clock = time.monotonic()
                async with asyncio.timeout(self.settings.total_timeout):
                    response = await self._stream(url, headers)
        except FetchError as e:
            attempts.append(Attempt(e.status, (time.monotonic() - clock) * 1000, e.reason))
            raise
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.RemoteProtocolError,
                httpx.ReadError, httpx.PoolTimeout, httpx.WriteError, TimeoutError) as e:
            reason = _describe(e, self.settings)
            attempts.append(Attempt(None, (time.monotonic() - clock) * 1000, reason))
            timed_out = isinstance(e, (httpx.ReadTimeout, TimeoutError))
            raise FetchError(url, reason, retryable=True, timed_out=timed_out) from e
        except httpx.HTTPError as e:
            reason = f"{type(e).__name__}: {e}"
            attempts.append(Attempt(None, (time.monotonic() - clock) * 1000, reason))
            raise FetchError(url, reason) from e
        attempts.append(Attempt(response.status, (time.monotonic() - clock) * 1000))
        return response

    async def _stream(self, url: str, headers: dict[str, str]) -> _Response:
        assert self._client is not None
        cap = self.settings.max_bytes
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code in _REDIRECTS or response.status_code == 304 or response.status_code >= 400:
                return _Response(response.status_code, response.headers, None)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise FetchError(url, f"response of {int(declared)} bytes exceeds max_bytes {cap}",
                                 status=response.status_code)
            chunks, size = [], 0
            async for chunk in response.aiter_bytes():  # decoded bytes: the cap bounds decompressed size
                size += len(chunk)
                if size > cap:
                    raise FetchError(url, f"response exceeds max_bytes {cap} (after decompression)",
                                     status=response.status_code)
                chunks.append(chunk)
            return _Response(response.status_code, response.headers, b"".join(chunks))

    async def _check_robots(self, url: str, source: Source) -> None:
        if source.robots is False:
            log.warning("source %s: robots.txt ignored for %s (robots = false in sources.toml)", source.id, url)
            return
        if not self.settings.robots and source.robots is not True:
            return
        parser = await self._robots_for(url)
        if parser is not None and not parser.can_fetch(self.settings.user_agent, url):
            raise FetchError(url, "disallowed by robots.txt (set robots = false on the source to override)")

    async def _robots_for(self, url: str) -> RobotFileParser | None:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_locks.setdefault(origin, asyncio.Lock())
        async with lock:
            loaded_at, _ = self._robots.get(origin, (None, None))
            if loaded_at is None or time.monotonic() - loaded_at > ROBOTS_MAX_AGE:
                self._robots[origin] = (time.monotonic(), await self._load_robots(origin))
        return self._robots[origin][1]

    async def _load_robots(self, origin: str) -> RobotFileParser | None:
        """Fetch robots.txt once per host; a missing or unreachable file allows everything."""
        assert self._client is not None
        try:
            async with self._gate(origin):
                response = await self._client.get(f"{origin}/robots.txt")
        except httpx.HTTPError as e:
            log.info("robots.txt of %s unreachable (%s): fetching as allowed", origin, type(e).__name__)
            return None
        if response.status_code != 200:
            return None
        parser = RobotFileParser()
        parser.parse(response.text[:500_000].splitlines())
        return parser


def _describe(error: Exception, settings: FetchSettings) -> str:
    if isinstance(error, httpx.ConnectTimeout):
        return f"connect timeout after {settings.connect_timeout:g}s"
    if isinstance(error, httpx.ReadTimeout):
        return f"read timeout after {settings.read_timeout:g}s"
    if isinstance(error, TimeoutError):
        return f"response not complete after total_timeout {settings.total_timeout:g}s"
    if isinstance(error, httpx.ConnectError):
        return f"connection failed: {error}" if str(error) else "connection failed"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
