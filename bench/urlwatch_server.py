"""The benchmark document server (docserver.py) with transient failures injected per document.

It serves like docserver.py (one ThreadingHTTPServer per loopback address, added latency, ETag and 304),
and reads a fault table, a JSON file {"/docs/doc-0007.html": "503" | "hang" | "challenge", ...}, again
whenever it changes. A document in the table answers, for as long as it is there:

    503        HTTP 503 Service Unavailable with a short HTML body
    hang       nothing for --hang-seconds, then the connection is closed without an answer (a timeout)
    challenge  HTTP 200 with a bot-challenge interstitial ("Just a moment... checking your browser")

As a program (prints {"bases": [...], "pid": N} when listening, like docserver.py):

    python bench/urlwatch_server.py --root DIR --faults FILE [--hang-seconds 65] [docserver options]

From Python: `with FaultServerProcess(root, faults_file, addresses=20, latency_ms=20) as server: ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import docserver
from docserver import DocServerProcess, FileCache, ServerOptions, Stats

FAULT_KINDS = ("503", "hang", "challenge")
CHALLENGE_PAGE = b"""<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
<script>(function(){window._cf_chl_opt={cvId: '3',cType: 'managed',cRay: '8f1c2a3b4d5e6f70'};
var a=document.createElement('script');a.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1';
document.getElementsByTagName('head')[0].appendChild(a);}());</script></head>
<body class="no-js"><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">policy.example</h1>
<h2 class="h2" id="challenge-running">Checking your browser before accessing policy.example.</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
<div id="challenge-body-text">policy.example needs to review the security of your connection before
proceeding.</div></div></div>
<div class="footer" role="contentinfo"><div class="footer-inner">Ray ID: <code>8f1c2a3b4d5e6f70</code>
Performance &amp; security by Cloudflare</div></div></body></html>
"""
UNAVAILABLE_PAGE = (
    b"<html><head><title>503 Service Unavailable</title></head><body><h1>503 Service "
    b"Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>\n"
)


class FaultTable:
    """The fault of each URL path, from a JSON file re-read whenever its (inode, size, mtime) changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signature: tuple[int, int, int] | None = None
        self._faults: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, url_path: str) -> str | None:
        """The fault for a request path, or None."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._lock:
            if signature != self._signature:
                self._faults = json.loads(self.path.read_text() or "{}")
                self._signature = signature
            return self._faults.get(url_path.split("?", 1)[0])


def write_faults(path: Path, faults: dict[str, str]) -> None:
    """Replace the fault table atomically (the server never reads half a file)."""
    unknown = set(faults.values()) - set(FAULT_KINDS)
    if unknown:
        raise ValueError(f"unknown fault kinds {sorted(unknown)}")
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(faults, indent=0, sort_keys=True))
    os.replace(temporary, path)


def make_fault_handler(
    files: FileCache, options: ServerOptions, stats: Stats, faults: FaultTable, hang_seconds: float
) -> type[BaseHTTPRequestHandler]:
    """docserver's handler, answering documents in the fault table with their fault."""
    base: Any = docserver.make_handler(files, options, stats)

    class FaultHandler(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:
            """A fault when the path has one, otherwise what docserver answers."""
            fault = None if self.path == docserver.STATS_PATH else faults.get(self.path)
            if fault is None:
                super().do_GET()
                return
            time.sleep(options.latency)
            if fault == "503":
                self._send(
                    503, UNAVAILABLE_PAGE, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"}
                )
                self.close_connection = True
            elif fault == "challenge":
                self._send(
                    200,
                    CHALLENGE_PAGE,
                    {"Content-Type": "text/html; charset=UTF-8", "Cache-Control": "no-store"},
                )
            else:
                stats.record(0, 0)  # "0": a request that gets no answer
                time.sleep(hang_seconds)
                self.close_connection = True

    return FaultHandler


def start_servers(
    root: Path,
    hosts: list[str],
    options: ServerOptions,
    faults: FaultTable,
    hang_seconds: float,
    port: int = 0,
) -> list[ThreadingHTTPServer]:
    """One ThreadingHTTPServer per host (as docserver.start_servers), with the fault handler."""
    handler = make_fault_handler(FileCache(root), options, Stats(), faults, hang_seconds)
    servers = []
    for host in hosts:
        httpd = ThreadingHTTPServer((host, port), handler)
        httpd.daemon_threads = True
        httpd.request_queue_size = 256
        threading.Thread(target=httpd.serve_forever, name=f"serve-{host}", daemon=True).start()
        servers.append(httpd)
    return servers


def serve(args: argparse.Namespace) -> None:
    """Serve until SIGTERM/SIGINT or the end of standard input; announce the base URLs first."""
    options = ServerOptions(latency=args.latency_ms / 1000, etag=args.etag, last_modified=args.last_modified)
    servers = start_servers(
        args.root,
        docserver.loopback_hosts(args.addresses, args.first),
        options,
        FaultTable(args.faults),
        args.hang_seconds,
        args.port,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=docserver._wait_for_stdin_eof, args=(stop,), daemon=True).start()
    print(json.dumps({"bases": [docserver.base_url(s) for s in servers], "pid": os.getpid()}), flush=True)
    stop.wait()
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


class FaultServerProcess(DocServerProcess):
    """DocServerProcess running this module: the same interface, plus the fault table."""

    def __init__(self, root: Path, faults: Path, *, hang_seconds: float = 65.0, **options: Any) -> None:
        super().__init__(root, **options)
        self.command[1] = str(Path(__file__).resolve())
        self.command += ["--faults", str(faults), "--hang-seconds", str(hang_seconds)]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """docserver's options plus --faults and --hang-seconds."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, required=True, help="folder whose files are served")
    parser.add_argument("--faults", type=Path, required=True, help="JSON fault table (may not exist yet)")
    parser.add_argument("--hang-seconds", type=float, default=65.0, help="how long a 'hang' lasts (65)")
    parser.add_argument("--addresses", type=int, default=20, help="how many loopback addresses (default 20)")
    parser.add_argument("--first", default="127.0.0.2", help="first address (default 127.0.0.2)")
    parser.add_argument("--port", type=int, default=0, help="port on every address (default: any free one)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every response (default 20)")
    parser.add_argument("--etag", action=argparse.BooleanOptionalAction, default=True, help="send ETag, 304")
    parser.add_argument(
        "--last-modified",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="send Last-Modified (default off)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    serve(parse_args())
