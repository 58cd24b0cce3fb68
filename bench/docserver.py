"""A real HTTP document server for benchmarks: one process, one ThreadingHTTPServer per loopback address.

It serves the files under a folder (re-read when they change, so a benchmark edits documents by
replacing files), adds a fixed latency to every response, and can send an ETag (answering a matching
If-None-Match with 304) and/or a Last-Modified header. `GET /__stats` answers JSON counters.

As a program (prints one JSON line {"bases": [...], "pid": N} when listening, then serves until
SIGTERM/SIGINT or until its standard input closes):

    python bench/docserver.py --root DIR --addresses 20 --latency-ms 20 [--no-etag] [--last-modified]

From Python, in a separate process:

    with DocServerProcess(root, addresses=20, latency_ms=20, etag=True) as server:
        server.bases      # ["http://127.0.0.2:PORT", ...]
        server.stats()    # {"requests": .., "status": {"200": .., "304": ..}, "bytes_sent": ..}

On Linux the whole of 127.0.0.0/8 is loopback, so 127.0.0.2, 127.0.0.3, ... bind without any setup.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.request import urlopen

CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
                 ".pdf": "application/pdf", ".txt": "text/plain; charset=utf-8"}
STATS_PATH = "/__stats"


@dataclass(frozen=True)
class ServerOptions:
    """How the server answers: latency added to each response and which validators it sends."""

    latency: float = 0.02
    etag: bool = True
    last_modified: bool = False


@dataclass(frozen=True)
class FileEntry:
    """A served file as read from disk, with the stat signature it was read under."""

    signature: tuple[int, int, int]
    body: bytes
    etag: str
    mtime: float


class FileCache:
    """File bodies and ETags by path, re-read whenever a file's (inode, size, mtime) changes."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._entries: dict[Path, FileEntry] = {}
        self._lock = threading.Lock()

    def resolve(self, url_path: str) -> Path | None:
        """The file for a URL path, or None when it is outside the root or not a file."""
        relative = url_path.split("?", 1)[0].lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def get(self, path: Path) -> FileEntry:
        """The current content of a file (from the cache while it is unchanged on disk)."""
        stat = path.stat()
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            entry = self._entries.get(path)
        if entry is None or entry.signature != signature:
            body = path.read_bytes()
            entry = FileEntry(signature, body, f'"{hashlib.sha256(body).hexdigest()[:24]}"', stat.st_mtime)
            with self._lock:
                self._entries[path] = entry
        return entry


class Stats:
    """Thread-safe request counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.status: Counter[int] = Counter()
        self.bytes_sent = 0

    def record(self, status: int, size: int) -> None:
        """Count one response."""
        with self._lock:
            self.status[status] += 1
            self.bytes_sent += size

    def snapshot(self) -> dict[str, Any]:
        """The counters as JSON-ready data."""
        with self._lock:
            return {"requests": sum(self.status.values()), "bytes_sent": self.bytes_sent,
                    "status": {str(k): v for k, v in sorted(self.status.items())}}


def make_handler(files: FileCache, options: ServerOptions, stats: Stats) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to the files, options and counters."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "bench-docserver/1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log."""

        def do_GET(self) -> None:
            """Serve a file, a 304, a 404 or the stats."""
            if self.path == STATS_PATH:
                self._send(200, json.dumps(stats.snapshot()).encode(), {"Content-Type": "application/json"},
                           count=False)
                return
            time.sleep(options.latency)
            path = files.resolve(self.path)
            if path is None:
                self._send(404, b"not found\n", {"Content-Type": "text/plain"})
                return
            entry = files.get(path)
            headers = self._validators(entry)
            if self._not_modified(entry):
                self._send(304, b"", headers)
                return
            headers["Content-Type"] = CONTENT_TYPES.get(path.suffix, "application/octet-stream")
            self._send(200, entry.body, headers)

        def _validators(self, entry: FileEntry) -> dict[str, str]:
            headers = {}
            if options.etag:
                headers["ETag"] = entry.etag
            if options.last_modified:
                headers["Last-Modified"] = email.utils.formatdate(entry.mtime, usegmt=True)
            return headers

        def _not_modified(self, entry: FileEntry) -> bool:
            if options.etag and (tags := self.headers.get("If-None-Match")):
                return entry.etag in [t.strip().removeprefix("W/") for t in tags.split(",")] or tags == "*"
            since = self.headers.get("If-Modified-Since")
            if options.last_modified and since:
                try:
                    return int(entry.mtime) <= email.utils.parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def _send(self, status: int, body: bytes, headers: dict[str, str], count: bool = True) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)
            if count:
                stats.record(status, len(body))

    return Handler


def loopback_hosts(count: int, first: str = "127.0.0.2") -> list[str]:
    """`count` consecutive loopback addresses starting at `first`."""
    start = IPv4Address(first)
    hosts = [str(start + i) for i in range(count)]
    if not all(IPv4Address(h).is_loopback for h in hosts):
        raise ValueError(f"{count} addresses from {first} leave 127.0.0.0/8")
    return hosts


def start_servers(root: Path, hosts: list[str], options: ServerOptions,
                  port: int = 0) -> list[ThreadingHTTPServer]:
    """One ThreadingHTTPServer per host, each serving in a daemon thread."""
    files, stats = FileCache(root), Stats()
    handler = make_handler(files, options, stats)
    servers = []
    for host in hosts:
        httpd = ThreadingHTTPServer((host, port), handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 128
        threading.Thread(target=httpd.serve_forever, name=f"serve-{host}", daemon=True).start()
        servers.append(httpd)
    return servers


def base_url(httpd: ThreadingHTTPServer) -> str:
    """http://host:port of a started server."""
    host, port = httpd.server_address[:2]
    return f"http://{host!s}:{port}"


def serve(root: Path, hosts: list[str], options: ServerOptions, port: int = 0) -> None:
    """Serve until SIGTERM/SIGINT or end of standard input; announce the base URLs on stdout first."""
    servers = start_servers(root, hosts, options, port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=_wait_for_stdin_eof, args=(stop,), daemon=True).start()
    print(json.dumps({"bases": [base_url(s) for s in servers], "pid": os.getpid()}), flush=True)
    stop.wait()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _wait_for_stdin_eof(stop: threading.Event) -> None:
    """Stop the server when the parent closes our stdin (or dies)."""
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


class DocServerProcess:
    """Runs this module as a separate server process; use as a context manager."""

    def __init__(self, root: Path, *, addresses: int = 20, first: str = "127.0.0.2", latency_ms: float = 20,
                 etag: bool = True, last_modified: bool = False, port: int = 0) -> None:
        self.command = [sys.executable, str(Path(__file__).resolve()), "--root", str(root),
                        "--addresses", str(addresses), "--first", first, "--latency-ms", str(latency_ms),
                        "--port", str(port), "--etag" if etag else "--no-etag"]
        if last_modified:
            self.command.append("--last-modified")
        self.process: subprocess.Popen[bytes] | None = None
        self.bases: list[str] = []
        self.pid = 0

    def start(self) -> Self:
        """Start the process and wait until every address is listening."""
        self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError(f"document server did not start: {' '.join(self.command)}")
        announced = json.loads(line)
        self.bases, self.pid = announced["bases"], announced["pid"]
        return self

    def stats(self) -> dict[str, Any]:
        """The server's request counters (cumulative since it started)."""
        with urlopen(self.bases[0] + STATS_PATH, timeout=10) as response:
            return json.loads(response.read())

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Stop the process (close its stdin, then SIGTERM, then SIGKILL)."""
        if self.process is None:
            return
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, required=True, help="folder whose files are served")
    parser.add_argument("--addresses", type=int, default=20, help="how many loopback addresses (default 20)")
    parser.add_argument("--first", default="127.0.0.2", help="first address (default 127.0.0.2)")
    parser.add_argument("--port", type=int, default=0, help="port on every address (default: any free one)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every response (default 20)")
    parser.add_argument("--etag", action=argparse.BooleanOptionalAction, default=True,
                        help="send ETag and answer If-None-Match with 304 (default on)")
    parser.add_argument("--last-modified", action=argparse.BooleanOptionalAction, default=False,
                        help="send Last-Modified and answer If-Modified-Since with 304 (default off)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the server from the command line."""
    args = parse_args(argv)
    options = ServerOptions(latency=args.latency_ms / 1000, etag=args.etag, last_modified=args.last_modified)
    serve(args.root, loopback_hosts(args.addresses, args.first), options, args.port)


if __name__ == "__main__":
    main()
