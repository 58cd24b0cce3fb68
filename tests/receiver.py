"""A real HTTP receiver on loopback for webhook alerts: records every POST, can fail or stall on purpose."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    """One POST as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int  # what the receiver answered

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """ThreadingHTTPServer on 127.0.0.1:0. `fail_next(n, status)` answers the next n POSTs with an error;
    `stall_next(seconds)` holds the next POST that long before answering (to kill a sender mid-delivery)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._failures: list[int] = []
        self._stall = 0.0
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def stall_next(self, seconds: float) -> None:
        self._stall = seconds

    def accepted(self) -> list[Received]:
        """The POSTs answered with 2xx."""
        return [r for r in self.received if 200 <= r.status < 300]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _next_status(self) -> int:
        with self._lock:
            return self._failures.pop(0) if self._failures else 200

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._next_status()
                record = Received(self.path, dict(self.headers.items()), body, status)
                receiver.received.append(record)
                stall, receiver._stall = receiver._stall, 0.0
                if stall:
                    time.sleep(stall)
                payload = b"ok" if status < 300 else b"try later"
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "120")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler
