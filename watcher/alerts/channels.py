"""Send one alert to one channel: the registry of channel types. Secrets come from the environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from watcher.alerts.http import post_json
from watcher.alerts.mail import build_message, send_message
from watcher.alerts.slack import send_slack, slack_payload
from watcher.alerts.webhook import webhook_body, webhook_headers
from watcher.errors import DeliveryError
from watcher.sources import Channel

Sender = Callable[[Channel, dict[str, Any], str, float, Mapping[str, str]], None]


def send_alert(channel: Channel, alert: dict[str, Any], delivery_id: str, *, timeout: float,
               env: Mapping[str, str] | None = None) -> None:
    """Deliver `alert` to `channel`, or raise DeliveryError saying exactly what failed."""
    SENDERS[channel.type](channel, alert, delivery_id, timeout, os.environ if env is None else env)


def _secret(channel: Channel, key: str, env: Mapping[str, str]) -> str:
    name = channel.options[key]
    value = env.get(name)
    if not value:
        raise DeliveryError(channel.name, "config", f"environment variable {name} (`{key}`) is not set")
    return value


def _send_email(channel: Channel, alert: dict[str, Any], delivery_id: str, timeout: float,
                env: Mapping[str, str]) -> None:
    options = channel.options
    password = _secret(channel, "password_env", env) if options.get("username") else None
    message = build_message(alert, sender=options["from"], recipients=list(options["to"]), delivery_id=delivery_id)
    send_message(message, channel=channel.name, host=options["host"], port=options["port"],
                 security=options["security"], username=options.get("username"), password=password,
                 timeout=timeout)


def _send_slack(channel: Channel, alert: dict[str, Any], delivery_id: str, timeout: float,
                env: Mapping[str, str]) -> None:
    url = _secret(channel, "webhook_url_env", env)
    send_slack(url, slack_payload(alert, delivery_id), channel=channel.name, timeout=timeout)


def _send_webhook(channel: Channel, alert: dict[str, Any], delivery_id: str, timeout: float,
                  env: Mapping[str, str]) -> None:
    body = webhook_body(alert, delivery_id)
    headers = webhook_headers(body, _secret(channel, "secret_env", env), delivery_id)
    post_json(channel.options["url"], body, channel=channel.name, headers=headers, timeout=timeout)


SENDERS: dict[str, Sender] = {"email": _send_email, "slack": _send_slack, "webhook": _send_webhook}
