"""Load and validate sources.toml: what is watched, how it is fetched, and where alerts go.

Validation is strict: unknown keys, duplicate ids, bad URLs, CSS selectors, regexes and durations are
rejected with the file, the line of the table and the key path in the message (ConfigError, exit code 2).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import soupsieve

from watcher.errors import ConfigError

SOURCE_KINDS = ("framework", "companion", "changelog", "announcement", "index", "eval-report", "system-card")
CHANNEL_TYPES = ("email", "slack", "webhook")
SEVERITIES = ("info", "low", "medium", "high")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "kib": 1024, "mib": 1024**2, "gib": 1024**3}

DEFAULT_USER_AGENT = (
    "watcher/0.1 (+https://github.com/frontier-watch/watcher; monitors published AI safety frameworks)"
)


@dataclass(frozen=True)
class Source:
    """One logical document: fetched from a fixed `url`, or followed through an `index` page."""

    id: str
    org: str
    title: str
    kind: str
    url: str | None = None
    index: str | None = None
    follow: re.Pattern[str] | None = None
    select: str | None = None
    drop: tuple[str, ...] = ()
    ignore: tuple[re.Pattern[str], ...] = ()
    interval: float = 6 * 3600
    explained_by: tuple[str, ...] = ()
    enabled: bool = True
    note: str | None = None
    robots: bool | None = None  # None: follow [fetch] robots; False: ignore robots.txt (logged)
    allow_private: bool = False  # permit redirects to private or loopback addresses

    @property
    def entry_url(self) -> str:
        """The URL fetched first: the document itself, or the index page that links to it."""
        return self.url or self.index or ""


@dataclass(frozen=True)
class FetchSettings:
    """How documents are fetched: [fetch] in sources.toml."""

    user_agent: str = DEFAULT_USER_AGENT
    concurrency_per_host: int = 2
    max_in_flight: int = 16  # requests in flight across all hosts (bounds memory and CPU bursts)
    delay_per_host: float = 1.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 300.0
    retries: int = 3
    backoff: float = 2.0
    max_retry_after: float = 300.0
    max_bytes: int = 50 * 1000**2
    robots: bool = True
    unavailable_after: float = 7 * 86400
    pdf_timeout: float = 60.0
    pdf_memory: int = 1024**3


@dataclass(frozen=True)
class ClassifySettings:
    """[classify]: used by classification (grace window for explanations, taxonomy additions)."""

    grace_window: float = 30 * 86400
    taxonomy: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class WebSettings:
    """[web]: where the web UI listens and the base URL used in links."""

    host: str = "127.0.0.1"
    port: int = 8000
    base_url: str = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Channel:
    """One [[channel]] table: where alerts are delivered, which ones, and when."""

    name: str
    type: str
    options: dict[str, Any]  # the type's own keys: host, port, security, from, to, webhook_url_env, url, ...
    min_severity: str = "low"
    orgs: tuple[str, ...] = ()
    mode: str = "immediate"
    digest_time: time = time(8, 0)
    timezone: str = "UTC"
    health: bool = True

    def wants(self, alert: dict[str, Any]) -> bool:
        """Whether an alert goes to this channel: its organisation filter, then severity (or `health`)."""
        if self.orgs and (alert.get("org") or "").casefold() not in {o.casefold() for o in self.orgs}:
            return False
        if alert["event"] in ("source_failing", "source_recovered"):
            return self.health
        return SEVERITIES.index(alert["severity"]) >= SEVERITIES.index(self.min_severity)


@dataclass(frozen=True)
class AlertSettings:
    """[alerts]: health alerts and how deliveries are retried."""

    health_after: int = 5
    retry_initial: float = 60.0
    retry_max: float = 6 * 3600.0
    give_up_after: float = 7 * 86400.0
    send_timeout: float = 30.0


@dataclass(frozen=True)
class DaemonSettings:
    """[daemon]: the schedules of `watcher daemon` besides each source's own interval."""

    startup_spread: float = 600.0    # first checks after start-up spread over this (or the shortest interval)
    jitter: float = 0.1              # each run moves by up to this fraction of its interval (at most 15 min)
    deliver_every: float = 60.0      # alert outbox: due retries and digests
    reevaluate_every: float = 3600.0  # pending explanation verdicts
    stop_timeout: float = 20.0       # on SIGTERM, how long in-flight checks may finish before being abandoned


@dataclass(frozen=True)
class Config:
    """Everything in sources.toml."""

    path: Path
    sources: tuple[Source, ...]
    fetch: FetchSettings = FetchSettings()
    classify: ClassifySettings = ClassifySettings()
    web: WebSettings = WebSettings()
    channels: tuple[Channel, ...] = ()
    alerts: AlertSettings = AlertSettings()
    daemon: DaemonSettings = DaemonSettings()

    def source(self, source_id: str) -> Source:
        """The source with this id, or ConfigError naming the ids that exist."""
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"{self.path}: no source with id {source_id!r} (see `watcher sources`)")


def parse_duration(value: Any, where: str) -> float:
    """'30s', '15m', '6h', '30d', '2w' (or a number of seconds) -> seconds."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
        return float(value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise ConfigError(f"{where}: {value!r} is not a duration (write it like \"30s\", \"6h\", \"30d\")")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def parse_size(value: Any, where: str) -> int:
    """'50MB', '1GiB' (or a number of bytes) -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        raise ConfigError(f"{where}: {value!r} is not a size (write it like \"50MB\" or a number of bytes)")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()])


def load_config(path: Path) -> Config:
    """Read and validate sources.toml; ConfigError names the file, line and key path of every problem."""
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (pass --config or set WATCHER_CONFIG)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read: {e}") from e
    try:
        data = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from e
    return parse_config(data, path, raw_text)


def parse_config(data: dict[str, Any], path: Path, raw_text: str = "") -> Config:
    """Validate the parsed TOML document and build a Config."""
    where = str(path)
    _reject_unknown(data, {"defaults", "fetch", "classify", "web", "alerts", "daemon", "source", "channel"},
                    where)
    defaults = _table(data, "defaults", where)
    _reject_unknown(defaults, {"interval", "drop", "ignore", "select"}, f"{where}: [defaults]")
    source_lines = _table_lines(raw_text, "source")
    raw_sources = data.get("source", [])
    if not isinstance(raw_sources, list):
        raise ConfigError(f"{where}: `source` must be an array of tables, written [[source]]")
    sources = tuple(
        _parse_source(entry, defaults, _source_where(where, i, entry, source_lines))
        for i, entry in enumerate(raw_sources)
    )
    _check_unique_ids(sources, where)
    _check_explained_by(sources, where)
    orgs = {s.org for s in sources}
    channels = tuple(
        _parse_channel(entry, f"{where}: channel[{i}]{_line(_table_lines(raw_text, 'channel'), i)}", orgs)
        for i, entry in enumerate(_array(data, "channel", where))
    )
    names = [c.name for c in channels]
    if len(names) != len(set(names)):
        raise ConfigError(f"{where}: [[channel]] names must be unique, found {names}")
    return Config(
        path=path,
        sources=sources,
        fetch=_parse_fetch(_table(data, "fetch", where), f"{where}: [fetch]"),
        classify=_parse_classify(_table(data, "classify", where), f"{where}: [classify]"),
        web=_parse_web(_table(data, "web", where), f"{where}: [web]"),
        channels=channels,
        alerts=_parse_alerts(_table(data, "alerts", where), f"{where}: [alerts]"),
        daemon=_parse_daemon(_table(data, "daemon", where), f"{where}: [daemon]"),
    )


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: `{key}` must be a table, written [{key}]")
    return value


def _array(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"{where}: `{key}` must be an array of tables, written [[{key}]]")
    return value


def _table_lines(raw_text: str, name: str) -> list[int]:
    """Line numbers of each `[[name]]` header, so errors can point at the table."""
    header = re.compile(rf"^\s*\[\[\s*{name}\s*\]\]")
    return [n for n, line in enumerate(raw_text.splitlines(), start=1) if header.match(line)]


def _line(lines: list[int], index: int) -> str:
    return f" (line {lines[index]})" if index < len(lines) else ""


def _source_where(where: str, index: int, entry: Any, lines: list[int]) -> str:
    source_id = entry.get("id") if isinstance(entry, dict) else None
    named = f" id={source_id!r}" if isinstance(source_id, str) else ""
    return f"{where}: source[{index}]{named}{_line(lines, index)}"


def _reject_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))}; "
                          f"allowed: {', '.join(sorted(allowed))}")


def _require_str(table: dict[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: `{key}` is required and must be a non-empty string")
    return value


def _optional(table: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    if value is not None and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
        raise ConfigError(f"{where}.{key}: must be a {kind.__name__}, got {value!r}")
    return value


def _string_list(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}.{key}: must be a list of strings, got {value!r}")
    return value


def check_url(value: str, where: str) -> str:
    """An absolute http(s) URL with a host, or ConfigError."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as e:
        raise ConfigError(f"{where}: {value!r} is not a valid URL: {e}") from e
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ConfigError(f"{where}: {value!r} is not an absolute http(s) URL")
    return value


def _check_selector(value: str, where: str) -> str:
    try:
        soupsieve.compile(value)
    except Exception as e:  # soupsieve raises SelectorSyntaxError and others on bad input
        raise ConfigError(f"{where}: invalid CSS selector {value!r}: {e}") from e
    return value


def _compile_regex(value: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(value, re.MULTILINE)
    except re.error as e:
        raise ConfigError(f"{where}: invalid regex {value!r}: {e}") from e


_SOURCE_KEYS = {
    "id", "org", "title", "kind", "url", "index", "follow", "select", "drop", "ignore", "interval",
    "explained_by", "enabled", "note", "robots", "allow_private",
}


def _parse_source(entry: Any, defaults: dict[str, Any], where: str) -> Source:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[source]] must be a table")
    _reject_unknown(entry, _SOURCE_KEYS, where)
    source_id = _require_str(entry, "id", where)
    if not _ID.match(source_id):
        raise ConfigError(f"{where}.id: {source_id!r} must be a slug: lowercase letters, digits and hyphens")
    kind = _require_str(entry, "kind", where)
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    url, index, follow = entry.get("url"), entry.get("index"), entry.get("follow")
    if url is not None and (index is not None or follow is not None):
        raise ConfigError(f"{where}: give either `url`, or `index` with `follow`, not both")
    if url is None and (index is None or follow is None):
        raise ConfigError(f"{where}: needs `url`, or both `index` and `follow`")
    for key in ("url", "index", "follow", "select", "note"):
        _optional(entry, key, str, where)
    select = entry.get("select", defaults.get("select"))
    merged = {**entry, "drop": [*_string_list(defaults, "drop", where), *_string_list(entry, "drop", where)],
              "ignore": [*_string_list(defaults, "ignore", where), *_string_list(entry, "ignore", where)]}
    return Source(
        id=source_id,
        org=_require_str(entry, "org", where),
        title=_require_str(entry, "title", where),
        kind=kind,
        url=check_url(url, f"{where}.url") if url is not None else None,
        index=check_url(index, f"{where}.index") if index is not None else None,
        follow=_compile_regex(follow, f"{where}.follow") if follow is not None else None,
        select=_check_selector(select, f"{where}.select") if select else None,
        drop=tuple(_check_selector(s, f"{where}.drop") for s in merged["drop"]),
        ignore=tuple(_compile_regex(p, f"{where}.ignore") for p in merged["ignore"]),
        interval=parse_duration(entry.get("interval", defaults.get("interval", "6h")), f"{where}.interval"),
        explained_by=tuple(_string_list(entry, "explained_by", where)),
        enabled=_optional(entry, "enabled", bool, where) is not False,
        note=entry.get("note"),
        robots=_optional(entry, "robots", bool, where),
        allow_private=_optional(entry, "allow_private", bool, where) is True,
    )


def _check_unique_ids(sources: tuple[Source, ...], where: str) -> None:
    seen: set[str] = set()
    for source in sources:
        if source.id in seen:
            raise ConfigError(f"{where}: duplicate source id {source.id!r}")
        seen.add(source.id)


def _check_explained_by(sources: tuple[Source, ...], where: str) -> None:
    ids = {s.id for s in sources}
    for source in sources:
        for other in source.explained_by:
            if other not in ids or other == source.id:
                raise ConfigError(f"{where}: source {source.id!r}.explained_by: {other!r} is not another "
                                  "source id in this file")


_FETCH_DURATIONS = ("delay_per_host", "connect_timeout", "read_timeout", "total_timeout", "backoff", "max_retry_after",
                    "unavailable_after", "pdf_timeout")


def _parse_fetch(table: dict[str, Any], where: str) -> FetchSettings:
    _reject_unknown(table, {*_FETCH_DURATIONS, "user_agent", "concurrency_per_host", "max_in_flight", "retries",
                            "max_bytes", "robots", "pdf_memory"}, where)
    values: dict[str, Any] = {k: parse_duration(table[k], f"{where}.{k}") for k in _FETCH_DURATIONS if k in table}
    for key in ("concurrency_per_host", "max_in_flight", "retries"):
        value = _optional(table, key, int, where)
        if value is not None:
            if value < (0 if key == "retries" else 1):
                raise ConfigError(f"{where}.{key}: {value} is out of range")
            values[key] = value
    for key in ("max_bytes", "pdf_memory"):
        if key in table:
            values[key] = parse_size(table[key], f"{where}.{key}")
    if _optional(table, "user_agent", str, where):
        values["user_agent"] = table["user_agent"]
    if _optional(table, "robots", bool, where) is not None:
        values["robots"] = table["robots"]
    return FetchSettings(**values)


def _parse_classify(table: dict[str, Any], where: str) -> ClassifySettings:
    _reject_unknown(table, {"grace_window", "taxonomy"}, where)
    taxonomy = table.get("taxonomy", {})
    if not isinstance(taxonomy, dict):
        raise ConfigError(f"{where}.taxonomy: must be a table of tag = [patterns]")
    patterns = {}
    for tag, values in taxonomy.items():
        values = _string_list(taxonomy, tag, f"{where}.taxonomy")
        patterns[tag] = tuple(_compile_regex(v, f"{where}.taxonomy.{tag}").pattern for v in values)
    grace = parse_duration(table.get("grace_window", "30d"), f"{where}.grace_window")
    return ClassifySettings(grace_window=grace, taxonomy=patterns)


def _parse_web(table: dict[str, Any], where: str) -> WebSettings:
    _reject_unknown(table, {"host", "port", "base_url"}, where)
    host = _optional(table, "host", str, where) or "127.0.0.1"
    port = _optional(table, "port", int, where) or 8000
    if not 0 < port < 65536:
        raise ConfigError(f"{where}.port: {port} is not a TCP port")
    base_url = _optional(table, "base_url", str, where) or f"http://{host}:{port}"
    return WebSettings(host=host, port=port, base_url=check_url(base_url, f"{where}.base_url").rstrip("/"))


_CHANNEL_KEYS = {
    "common": {"name", "type", "min_severity", "orgs", "mode", "digest_time", "timezone", "health"},
    "email": {"host", "port", "security", "username", "password_env", "from", "to"},
    "slack": {"webhook_url_env"},
    "webhook": {"url", "secret_env"},
}
_SMTP_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")


def _parse_channel(entry: Any, where: str, orgs: set[str]) -> Channel:
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: each [[channel]] must be a table")
    channel_type = _require_str(entry, "type", where)
    if channel_type not in CHANNEL_TYPES:
        raise ConfigError(f"{where}.type: {channel_type!r} is not one of {', '.join(CHANNEL_TYPES)}")
    _reject_unknown(entry, _CHANNEL_KEYS["common"] | _CHANNEL_KEYS[channel_type], where)
    severity = entry.get("min_severity", "low")
    if severity not in SEVERITIES:
        raise ConfigError(f"{where}.min_severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    mode = entry.get("mode", "immediate")
    if mode not in ("immediate", "digest"):
        raise ConfigError(f"{where}.mode: must be \"immediate\" or \"digest\"")
    health = entry.get("health", True)
    if not isinstance(health, bool):
        raise ConfigError(f"{where}.health: must be true or false")
    options = _CHANNEL_OPTIONS[channel_type](entry, where)
    return Channel(name=_optional(entry, "name", str, where) or channel_type, type=channel_type,
                   options=options, min_severity=severity, orgs=_channel_orgs(entry, where, orgs), mode=mode,
                   digest_time=_clock_time(entry.get("digest_time", "08:00"), f"{where}.digest_time"),
                   timezone=_time_zone(entry.get("timezone", "UTC"), f"{where}.timezone"), health=health)


def _channel_orgs(entry: dict[str, Any], where: str, orgs: set[str]) -> tuple[str, ...]:
    wanted = _string_list(entry, "orgs", where)
    known = {o.casefold() for o in orgs}
    unknown = [o for o in wanted if o.casefold() not in known]
    if unknown:
        raise ConfigError(f"{where}.orgs: {unknown} match no source's org (known: {', '.join(sorted(orgs))})")
    return tuple(wanted)


def _email_options(entry: dict[str, Any], where: str) -> dict[str, Any]:
    security = entry.get("security", "starttls")
    if security not in _SMTP_PORTS:
        raise ConfigError(f"{where}.security: {security!r} is not one of {', '.join(_SMTP_PORTS)}")
    port = _optional(entry, "port", int, where) or _SMTP_PORTS[security]
    if not 0 < port < 65536:
        raise ConfigError(f"{where}.port: {port} is not a TCP port")
    recipients = entry.get("to")
    recipients = [recipients] if isinstance(recipients, str) else recipients
    if not recipients or not isinstance(recipients, list) or not all(_is_address(r) for r in recipients):
        raise ConfigError(f"{where}.to: must be an email address or a list of them, got {entry.get('to')!r}")
    sender = _require_str(entry, "from", where)
    if not _is_address(sender):
        raise ConfigError(f"{where}.from: {sender!r} is not an email address")
    username = _optional(entry, "username", str, where)
    password_env = _env_name(entry, "password_env", where, required=username is not None)
    return {"host": _require_str(entry, "host", where), "port": port, "security": security,
            "username": username, "password_env": password_env, "from": sender, "to": recipients}


def _slack_options(entry: dict[str, Any], where: str) -> dict[str, Any]:
    return {"webhook_url_env": _env_name(entry, "webhook_url_env", where, required=True)}


def _webhook_options(entry: dict[str, Any], where: str) -> dict[str, Any]:
    return {"url": check_url(_require_str(entry, "url", where), f"{where}.url"),
            "secret_env": _env_name(entry, "secret_env", where, required=True)}


_CHANNEL_OPTIONS = {"email": _email_options, "slack": _slack_options, "webhook": _webhook_options}


def _is_address(value: Any) -> bool:
    return isinstance(value, str) and bool(_ADDRESS.fullmatch(value))


def _env_name(entry: dict[str, Any], key: str, where: str, *, required: bool) -> str | None:
    """The NAME of an environment variable holding a secret (secrets never go in sources.toml)."""
    value = entry.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ConfigError(f"{where}.{key}: must name an environment variable (like \"SLACK_WEBHOOK_URL\"); "
                          "the secret itself goes in that variable, never in the config file")
    return value


def _clock_time(value: Any, where: str) -> time:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value) if isinstance(value, str) else None
    if not match:
        raise ConfigError(f"{where}: {value!r} is not a time of day written like \"08:00\"")
    return time(int(match.group(1)), int(match.group(2)))


def _time_zone(value: Any, where: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConfigError(f"{where}: {value!r} is not a time zone name like \"Europe/London\" or \"UTC\"") from None
    return str(value)


_ALERT_KEYS = ("health_after", "retry_initial", "retry_max", "give_up_after", "send_timeout")


def _parse_alerts(table: dict[str, Any], where: str) -> AlertSettings:
    _reject_unknown(table, set(_ALERT_KEYS), where)
    health_after = _optional(table, "health_after", int, where) or 5
    if health_after < 1:
        raise ConfigError(f"{where}.health_after: must be 1 or more")
    durations = {key: parse_duration(table[key], f"{where}.{key}") for key in
                 ("retry_initial", "retry_max", "give_up_after", "send_timeout") if key in table}
    return AlertSettings(health_after=health_after, **durations)


_DAEMON_DURATIONS = ("startup_spread", "deliver_every", "reevaluate_every", "stop_timeout")


def _parse_daemon(table: dict[str, Any], where: str) -> DaemonSettings:
    _reject_unknown(table, {*_DAEMON_DURATIONS, "jitter"}, where)
    values: dict[str, Any] = {k: parse_duration(table[k], f"{where}.{k}") for k in _DAEMON_DURATIONS if k in table}
    for key in ("deliver_every", "reevaluate_every"):
        if key in values and values[key] < 1:
            raise ConfigError(f"{where}.{key}: must be at least 1s")
    jitter = table.get("jitter", 0.1)
    if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 0.5:
        raise ConfigError(f"{where}.jitter: must be a fraction of the interval between 0 and 0.5, got {jitter!r}")
    return DaemonSettings(jitter=float(jitter), **values)
