"""A real HTTP server on loopback serving versioned documents that tests change between checks."""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    """What one path answers; tests mutate it between checks."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    etag: bool = True  # send an ETag derived from the body and answer If-None-Match with 304
    last_modified: str | None = None  # send it and answer a matching If-Modified-Since with 304
    delay: float = 0.0
    fail_first: list[int] = field(default_factory=list)  # statuses answered (and consumed) first
    retry_after: str | None = None
    location: str | None = None  # redirect target, with `status` 301/302/307/308
    headers: dict[str, str] = field(default_factory=dict)


class DocServer:
    """ThreadingHTTPServer on 127.0.0.1:0 with a table of routes and a log of requests."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.started: list[tuple[float, str]] = []  # (time.monotonic(), path) of every request
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def set(self, path: str, body: bytes | str = b"", **options: object) -> Route:
        data = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(body=data, **options)  # type: ignore[arg-type]
        with self._lock:
            self.routes[path] = route
        return route

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                path = self.path.split("?")[0]
                with server._lock:
                    server.requests.append((path, dict(self.headers)))
                    server.started.append((time.monotonic(), path))
                    route = server.routes.get(path)
                    failure = route.fail_first.pop(0) if route and route.fail_first else None
                if route is None:
                    return self._send(404, b"not found", "text/plain")
                if failure is not None:
                    extra = {"Retry-After": route.retry_after} if route.retry_after else {}
                    return self._send(failure, b"temporarily failing", "text/plain", extra)
                if route.delay:
                    time.sleep(route.delay)
                if route.location:
                    return self._send(route.status, b"", "text/plain", {"Location": route.location})
                headers = dict(route.headers)
                etag = f'"{hashlib.sha256(route.body).hexdigest()[:16]}"' if route.etag else None
                if etag:
                    headers["ETag"] = etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                if route.status == 200 and self._not_modified(etag, route.last_modified):
                    return self._send(304, b"", None, headers)
                self._send(route.status, route.body, route.content_type, headers)

            def _not_modified(self, etag: str | None, last_modified: str | None) -> bool:
                if etag and self.headers.get("If-None-Match") == etag:
                    return True
                return bool(last_modified and self.headers.get("If-Modified-Since") == last_modified)

            def _send(self, status: int, body: bytes, content_type: str | None,
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                if content_type:
                    self.send_header("Content-Type", content_type)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if status != 304:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if status != 304:
                    self.wfile.write(body)

        return Handler
