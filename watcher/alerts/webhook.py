"""The webhook channel: the alert as JSON, signed with an HMAC of the body."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

SIGNATURE_HEADER = "X-Watcher-Signature"
DELIVERY_HEADER = "X-Watcher-Delivery"


def webhook_body(alert: dict[str, Any], delivery_id: str) -> bytes:
    """The POST body: the alert payload (its `change` is the object `watcher changes --json` prints)
    with the delivery id, as compact UTF-8 JSON."""
    return json.dumps({**alert, "delivery_id": delivery_id}, ensure_ascii=False, separators=(",", ":"),
                      sort_keys=True).encode("utf-8")


def signature(body: bytes, secret: str) -> str:
    """The X-Watcher-Signature value: sha256=<hex HMAC-SHA256 of the exact body bytes>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(body, secret), header or "")


def webhook_headers(body: bytes, secret: str, delivery_id: str) -> dict[str, str]:
    """Headers of a webhook POST."""
    return {"Content-Type": "application/json; charset=utf-8", SIGNATURE_HEADER: signature(body, secret),
            DELIVERY_HEADER: delivery_id}
