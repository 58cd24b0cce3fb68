"""A real HTTP server on loopback standing in for a Slack incoming webhook.

It records every JSON body, checks Block Kit structure and the documented limits (50 blocks; header
plain_text 150; section text 3000; fields 10 x 2000; context 10 elements; text objects 1..3000 of type
plain_text or mrkdwn; top-level text present) plus the observed ~13,000-character total for blocks
(`msg_blocks_too_long`, checked here at 12,000), and answers like Slack: 200 "ok", or 400 "invalid_blocks: ..."
/ "no_text" when invalid. `fail_next(n, status)` makes the next n requests fail (500, or 429 with Retry-After).
Lengths are counted in UTF-16 units, the stricter reading of Slack's limits.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BLOCK_TYPES = {"header", "section", "context", "divider", "rich_text"}
TOP_LEVEL = {"text", "blocks", "unfurl_links", "unfurl_media", "mrkdwn", "thread_ts", "attachments"}
MAX_BLOCKS = 50
MAX_TOTAL = 12000
WEBHOOK_PATH = "/services/T000/B000/secret-token"


def units(text: str) -> int:
    """UTF-16 code units, as Slack's (JavaScript-style) length checks count."""
    return len(text.encode("utf-16-le")) // 2


class InvalidPayload(Exception):
    """What Slack would answer with a 400."""


def validate(payload: Any) -> None:
    """Raise InvalidPayload('invalid_blocks: ...' / 'no_text' / 'invalid_payload: ...') like Slack would."""
    if not isinstance(payload, dict):
        raise InvalidPayload("invalid_payload: body is not a JSON object")
    unknown = set(payload) - TOP_LEVEL
    if unknown:
        raise InvalidPayload(f"invalid_payload: unknown top-level fields {sorted(unknown)}")
    if not isinstance(payload.get("text"), str) or not payload["text"].strip():
        raise InvalidPayload("no_text")
    blocks = payload.get("blocks", [])
    if not isinstance(blocks, list) or not blocks:
        raise InvalidPayload("invalid_blocks: blocks must be a non-empty list")
    if len(blocks) > MAX_BLOCKS:
        raise InvalidPayload(f"invalid_blocks: {len(blocks)} blocks, at most {MAX_BLOCKS}")
    for i, block in enumerate(blocks):
        _validate_block(i, block)
    total = sum(units(t["text"]) for t in text_objects(payload))
    if total > MAX_TOTAL:
        raise InvalidPayload(f"msg_blocks_too_long: {total} characters of text in blocks")


def _validate_block(i: int, block: Any) -> None:
    where = f"invalid_blocks: block {i}"
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        raise InvalidPayload(f"{where}: unknown block type {block.get('type') if isinstance(block, dict) else block!r}")
    kind = block["type"]
    if kind == "header":
        _text_object(f"{where} header", block.get("text"), 150, plain_only=True)
    elif kind == "section":
        _validate_section(where, block)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            raise InvalidPayload(f"{where}: context needs 1 to 10 elements")
        for j, element in enumerate(elements):
            _text_object(f"{where} element {j}", element, 3000)
    elif kind == "divider" and set(block) - {"type", "block_id"}:
        raise InvalidPayload(f"{where}: divider takes no fields")


def _validate_section(where: str, block: dict[str, Any]) -> None:
    if "text" not in block and "fields" not in block:
        raise InvalidPayload(f"{where}: section needs text or fields")
    if "text" in block:
        _text_object(f"{where} text", block["text"], 3000)
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
            raise InvalidPayload(f"{where}: section needs 1 to 10 fields")
        for j, field in enumerate(fields):
            _text_object(f"{where} field {j}", field, 2000)


def _text_object(where: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        raise InvalidPayload(f"{where}: not a text object")
    if plain_only and obj["type"] != "plain_text":
        raise InvalidPayload(f"{where}: must be plain_text")
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidPayload(f"{where}: text must be 1 or more characters")
    if units(text) > limit:
        raise InvalidPayload(f"{where}: text is {units(text)} characters, at most {limit}")
    if "verbatim" in obj and obj["type"] != "mrkdwn" or "emoji" in obj and obj["type"] != "plain_text":
        raise InvalidPayload(f"{where}: verbatim is for mrkdwn, emoji for plain_text")


def text_objects(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every text object in the blocks: header text, section text and fields, context elements."""
    for block in payload.get("blocks", []):
        if isinstance(block.get("text"), dict):
            yield block["text"]
        yield from block.get("fields") or []
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict) and "text" in e)


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    """The texts Slack parses as mrkdwn: the top-level text and every mrkdwn text object."""
    return [payload.get("text") or ""] + [t["text"] for t in text_objects(payload) if t["type"] == "mrkdwn"]


_ANGLE = re.compile(r"<([^<>]*)>?")
_ENTITY = re.compile(r"&(?!(amp|lt|gt);)")


def unsafe_mrkdwn(payload: dict[str, Any], allowed_prefix: str) -> list[str]:
    """Every `<...>` (or stray `<`) in mrkdwn text that is not a link `<url|label>` whose URL starts with
    `allowed_prefix`, plus raw `&` that are not one of Slack's three entities: empty when hostile text
    arrived inert."""
    found = []
    for text in mrkdwn_texts(payload):
        for match in _ANGLE.finditer(text):
            inner = match.group(1)
            url, bar, label = inner.partition("|")
            ok = (match.group(0).endswith(">") and bar and label and url.startswith(allowed_prefix)
                  and not set(url) & set(" <>|\n"))
            if not ok:
                found.append(match.group(0))
        found += [f"raw & at {m.start()}" for m in _ENTITY.finditer(text)]
    return found


class SlackReceiver:
    """ThreadingHTTPServer on 127.0.0.1:0 answering POSTs like a Slack incoming webhook."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []  # every JSON body received, valid or not
        self.requests: list[dict[str, str]] = []  # headers of every request
        self.answers: list[tuple[int, str]] = []
        self._failures: list[tuple[int, str | None, str | None]] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The webhook URL (its path stands in for Slack's secret)."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{WEBHOOK_PATH}"

    def fail_next(self, n: int, status: int = 500, retry_after: str | None = None,
                  body: str | None = None) -> None:
        """Answer the next `n` requests with `status` (429 sends Retry-After, 30 unless given) and `body`
        (rate_limited for 429, internal_error otherwise), without looking at what was sent."""
        if status == 429 and retry_after is None:
            retry_after = "30"
        with self._lock:
            self._failures += [(status, retry_after, body)] * n

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _next_failure(self) -> tuple[int, str | None, str | None] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def _answer(self, raw: bytes) -> tuple[int, str, dict[str, str]]:
        failure = self._next_failure()
        if failure:
            status, retry_after, body = failure
            text = body if body is not None else "rate_limited" if status == 429 else "internal_error"
            return status, text, {"Retry-After": retry_after} if retry_after else {}
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return 400, "invalid_payload", {}
        with self._lock:
            self.bodies.append(payload)
        try:
            validate(payload)
        except InvalidPayload as e:
            return 400, str(e), {}
        return 200, "ok", {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append(dict(self.headers))
                if self.path != WEBHOOK_PATH:
                    return self._send(404, "no_service", {})
                status, text, headers = receiver._answer(raw)
                with receiver._lock:
                    receiver.answers.append((status, text))
                self._send(status, text, headers)

            def _send(self, status: int, text: str, headers: dict[str, str]) -> None:
                body = text.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler
