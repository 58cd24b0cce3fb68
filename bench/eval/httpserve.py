"""A real HTTP server on 127.0.0.1 in a background thread, serving bytes set from Python.

    with LocalSite() as site:
        site.put("/framework.pdf", pdf_bytes, "application/pdf")
        site.url("/framework.pdf")      # http://127.0.0.1:PORT/framework.pdf
        site.hits("/framework.pdf")     # how many GETs it answered

Anything not put answers 404 (so robots.txt is "missing", which allows everything). Responses carry
Content-Length and, unless etag=False, a strong ETag of the body (answering a matching If-None-Match
with 304), like a CDN would.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LocalSite:
    """ThreadingHTTPServer on 127.0.0.1:0 in a daemon thread; put() replaces what a path serves."""

    def __init__(self, *, etag: bool = True) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[bytes, str, str]] = {}
        self._hits: Counter[str] = Counter()
        self._etag = etag
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="eval-http", daemon=True)
        self._thread.start()

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        """The absolute URL of a path."""
        return self.base + path

    def put(self, path: str, body: bytes, content_type: str) -> None:
        """Serve body at path from now on."""
        tag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        with self._lock:
            self._routes[path] = (body, content_type, tag)

    def hits(self, path: str) -> int:
        """GET requests answered for path so far."""
        with self._lock:
            return self._hits[path]

    def close(self) -> None:
        """Stop serving and join the thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _answer(self, send_body: bool) -> None:
                path = self.path.split("?", 1)[0]
                with site._lock:
                    route = site._routes.get(path)
                    if send_body:
                        site._hits[path] += 1
                if route is None:
                    body = b"not found\n"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/plain; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if send_body:
                        self.wfile.write(body)
                    return
                body, content_type, tag = route
                if site._etag and self.headers.get("If-None-Match") == tag:
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                if site._etag:
                    self.send_header("ETag", tag)
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer(True)

            def do_HEAD(self) -> None:
                self._answer(False)

        return Handler
