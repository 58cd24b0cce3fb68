"""Alerts by email: build a multipart message from an alert payload (pure) and send it with smtplib.

The message has a text/plain part (watcher.alerts.markdown) and a text/html part (watcher.alerts.html, inline
styles, because mail clients drop <style> blocks). Everything that comes from a watched document is
HTML-escaped, and only the alert's own watcher link and http(s) evidence addresses become links.

Headers are built so a hostile page title can never add a header: control characters become spaces before
a value reaches the email package, which would refuse a CR or LF anyway. Message-ID is derived from the
delivery id, so a retried delivery carries the same id, and every alert about one document points
(In-Reply-To, References) at the same per-document root id, so mail clients thread them together.
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

from watcher.alerts.content import (
    one_line,
)
from watcher.alerts.html import render_html
from watcher.alerts.markdown import render_markdown
from watcher.errors import DeliveryError

SECURITY_MODES = ("starttls", "tls", "none")
SUBJECT_LIMIT = 200
HEADER_LIMIT = 200

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9._-]+")
_UNSAFE_DOMAIN = re.compile(r"[^A-Za-z0-9.-]+")


# ---------------------------------------------------------------------------------------------- message


def build_message(alert: dict[str, Any], *, sender: str, recipients: list[str],
                  delivery_id: str) -> EmailMessage:
    """The email for one alert: multipart/alternative (plain text + HTML) with safe, stable headers.

    Message-ID is `<watcher.{delivery_id}@{sender domain}>`, so retries of one delivery reuse it; alerts
    about one document reply to `<watcher.doc.{source}@{sender domain}>` so they thread together.
    Raises ValueError when there are no recipients or an address holds a line break."""
    if not recipients:
        raise ValueError("an email needs at least one recipient")
    domain = sender_domain(sender)
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject_of(alert)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = format_datetime(_parse_time(alert["created_at"]))
    message["Message-ID"] = f"<watcher.{safe_id(delivery_id)}@{domain}>"
    if alert.get("source"):
        root = thread_root(alert["source"], domain)
        message["In-Reply-To"] = root
        message["References"] = root
    message["Auto-Submitted"] = "auto-generated"
    message["X-Watcher-Delivery"] = one_line(delivery_id, HEADER_LIMIT)
    message["X-Watcher-Alert"] = one_line(alert.get("key"), HEADER_LIMIT)
    message.set_content(render_markdown(alert), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(alert, delivery_id=delivery_id), subtype="html", charset="utf-8")
    return message


def subject_of(alert: dict[str, Any]) -> str:
    """'[watcher] ' + the headline on one line, at most about 200 characters."""
    prefix = "[watcher] "
    return prefix + one_line(alert.get("headline"), SUBJECT_LIMIT - len(prefix))


def safe_id(text: object) -> str:
    """Only [A-Za-z0-9._-] (anything else becomes '-'), at most 100 characters; never empty."""
    cleaned = _UNSAFE_ID.sub("-", "" if text is None else str(text)).strip("-.")[:100]
    return cleaned or "x"


def sender_domain(sender: str) -> str:
    """The domain of the sender address (IDNA-encoded, only [A-Za-z0-9.-]), or 'localhost'."""
    address = parseaddr(sender)[1]
    domain = address.rpartition("@")[2] if "@" in address else ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    domain = _UNSAFE_DOMAIN.sub("", domain).strip(".")
    return domain or "localhost"


def thread_root(source: str, domain: str) -> str:
    """The stable per-document Message-ID every alert about `source` refers to."""
    return f"<watcher.doc.{safe_id(source)}@{domain}>"


def _parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------- sending


def send_message(message: EmailMessage, *, channel: str, host: str, port: int, security: str,
                 username: str | None, password: str | None, timeout: float = 30.0) -> None:
    """Send one message over SMTP; security is 'starttls' (required, never falls back to plain text),
    'tls' (implicit TLS) or 'none' (plain, for loopback relays). Logs in only when username is given.

    Raises DeliveryError with reason dns, refused, timeout, tls, auth, rejected, dropped, network or config;
    its detail names host:port and, for rejections, the SMTP code and message."""
    where = f"{host}:{port}"
    if security not in SECURITY_MODES:
        raise DeliveryError(channel, "config", f"SMTP server {where}: unknown security {security!r} "
                                               f"(use {', '.join(SECURITY_MODES)})")
    stage = "connect"
    client: smtplib.SMTP | None = None
    try:
        client = _open(host, port, security, timeout)
        if security == "starttls":
            stage = "tls"
            if not _start_tls(client):
                raise DeliveryError(channel, "tls", f"SMTP server {where} does not offer STARTTLS; "
                                                    "not sending in plain text")
        if username:
            stage = "auth"
            client.login(username, password or "")
        stage = "send"
        refused = client.send_message(message)
        if refused:
            raise DeliveryError(channel, "rejected", f"SMTP server {where} refused some recipients "
                                                     f"(the others got the message): {_refusals(refused)}")
        _quit(client)
    except (smtplib.SMTPException, OSError) as exc:
        reason, detail = classify_smtp_error(exc, stage)
        hint = _hint(reason, detail, stage, security)
        raise DeliveryError(channel, reason, f"SMTP server {where}: {detail}{hint}") from exc
    except UnicodeError as exc:  # smtplib sends AUTH credentials and, without SMTPUTF8, addresses as ASCII
        reason = "auth" if stage == "auth" else "config"
        raise DeliveryError(channel, reason, f"SMTP server {where}: cannot encode for SMTP during {stage}: "
                                             f"{exc}") from exc
    finally:
        if client is not None:
            client.close()


def _open(host: str, port: int, security: str, timeout: float) -> smtplib.SMTP:
    """Connected and greeted (220); smtplib closes the socket itself when the constructor fails."""
    if security == "tls":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    return smtplib.SMTP(host, port, timeout=timeout)


def _hint(reason: str, detail: str, stage: str, security: str) -> str:
    """What to try when the security setting probably does not match the port."""
    if stage != "connect":
        return ""
    if reason == "timeout" and security != "tls":
        return " (no greeting: if this port expects TLS from the first byte, usually 465, use security tls)"
    if reason == "tls" and security == "tls" and detail.startswith("TLS handshake failed"):
        return " (if this port expects STARTTLS, usually 587, use security starttls)"
    return ""


def _start_tls(client: smtplib.SMTP) -> bool:
    """STARTTLS with certificate and host name checks; False when the server does not offer it."""
    code, text = client.ehlo()
    if code != 250:
        raise smtplib.SMTPHeloError(code, text)
    if not client.has_extn("starttls"):
        return False
    client.starttls(context=ssl.create_default_context())
    client.ehlo()
    return True


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye after a delivered message; the message is accepted already, so errors do not matter."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass


def classify_smtp_error(exc: BaseException, stage: str) -> tuple[str, str]:
    """(reason, detail) for an smtplib or socket error raised during `stage` (connect, tls, auth, send)."""
    if isinstance(exc, smtplib.SMTPException):
        return _classify_smtp(exc, stage)
    return _classify_os(exc, stage)


def _classify_smtp(exc: smtplib.SMTPException, stage: str) -> tuple[str, str]:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "auth", f"login refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "rejected", f"recipients refused: {_refusals(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return "rejected", f"sender {exc.sender!r} refused: {_reply(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        cause = exc.__context__
        if isinstance(cause, OSError) and not isinstance(cause, ssl.SSLError):
            return _classify_os(cause, stage)
        if "timed out" in str(exc):
            return "timeout", f"no answer in time during {stage} ({exc})"
        return "dropped", f"the server closed the connection during {stage} ({exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        if stage == "tls" and not isinstance(exc, smtplib.SMTPHeloError):
            return "tls", f"STARTTLS refused: {_reply(exc.smtp_code, exc.smtp_error)}"
        what = "greeting" if isinstance(exc, smtplib.SMTPConnectError) else stage
        return "rejected", f"refused at {what}: {_reply(exc.smtp_code, exc.smtp_error)}"
    if stage == "auth":
        return "auth", f"cannot log in: {exc} (does the server offer AUTH on this connection?)"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return "rejected", f"the server does not support what the message needs: {exc}"
    return "network", f"{type(exc).__name__}: {exc}"


def _classify_os(exc: BaseException, stage: str) -> tuple[str, str]:
    if isinstance(exc, socket.gaierror):
        return "dns", f"cannot resolve the host name: {exc}"
    if isinstance(exc, TimeoutError):
        return "timeout", f"no answer in time during {stage}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls", f"certificate not accepted: {exc.verify_message or exc}"
    if isinstance(exc, ssl.SSLError):
        if stage in ("connect", "tls"):
            return "tls", f"TLS handshake failed: {exc.reason or exc}"
        return "dropped", f"the TLS connection broke during {stage}: {exc.reason or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", "connection refused (nothing listens on that port?)"
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return "dropped", f"the connection was reset during {stage}: {exc}"
    return "network", f"{type(exc).__name__}: {exc}"


def _reply(code: int | None, text: bytes | str | None) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return one_line(f"{code} {text or ''}", 500)


def _refusals(refused: dict[str, tuple[int, bytes | str]]) -> str:
    return "; ".join(f"{address} ({_reply(code, text)})" for address, (code, text) in refused.items())
