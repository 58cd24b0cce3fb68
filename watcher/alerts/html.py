"""An alert as an HTML email body with inline styles (mail clients drop <style> blocks). Pure.

Everything that comes from a watched document is HTML-escaped; only the alert's own watcher link and
http(s) evidence addresses become links.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

from watcher.alerts.content import (
    HunkView,
    commitment_tags,
    evidence_of,
    group_items,
    important_hunks,
    one_line,
    side_segments,
    truncate,
    verdict_of,
    verdict_words,
    version_facts,
)

HUNKS_SHOWN = 5
QUOTE_LIMIT = 3000
DIGEST_QUOTE_LIMIT = 300
HEALTH_EVENTS = ("source_failing", "source_recovered")
FONT = "font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif"
MONO = "font-family:SFMono-Regular,Consolas,'Liberation Mono',Menlo,monospace"
DEL_STYLE = "background:#ffd7d5;color:#82071e;text-decoration:line-through"
INS_STYLE = "background:#ccffd8;color:#055d20;text-decoration:underline"
LINE = "line-height:1.5"
SEVERITY_COLORS = {"high": "#b00020", "medium": "#a15c00", "low": "#2e6b30", "info": "#555555"}
VERDICT_COLORS = {"explained": "#2e6b30", "partial": "#a15c00", "version_only": "#a15c00",
                  "pending": "#6a4c93", "silent": "#b00020", "n/a": "#555555"}


# ---------------------------------------------------------------------------------------------- HTML


def render_html(alert: dict[str, Any], *, delivery_id: str | None = None) -> str:
    """The alert as a self-contained HTML document with inline styles; all document text is escaped."""
    event = alert["event"]
    if event == "digest":
        body = _digest_html(alert)
    elif event in HEALTH_EVENTS:
        body = _health_html(alert)
    else:
        body = _change_html(alert)
    return _page(alert, body, delivery_id)


def _page(alert: dict[str, Any], body: list[str], delivery_id: str | None) -> str:
    headline = _e(one_line(alert.get("headline"), 1000))
    footer = [f"Sent by watcher. Alert {_code(alert.get('key'))} made {_e(alert.get('created_at'))}."]
    if delivery_id:
        footer.append(f"Delivery {_code(delivery_id)}.")
    return "\n".join([
        "<!DOCTYPE html>",
        '<html><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{headline}</title></head>",
        f'<body style="margin:0;padding:0;background:#f4f4f5;{FONT};color:#1a1a1a">',
        f'<div style="max-width:760px;margin:0 auto;padding:20px;background:#ffffff;font-size:15px;{LINE}">',
        f'<h1 style="font-size:20px;line-height:1.3;margin:0 0 16px 0">{headline}</h1>',
        *body,
        '<hr style="border:none;border-top:1px solid #dddddd;margin:24px 0 8px 0">',
        f'<p style="font-size:12px;color:#666666;margin:0">{" ".join(footer)}</p>',
        "</div></body></html>",
        "",
    ])


def _change_html(alert: dict[str, Any]) -> list[str]:
    change = alert["change"]
    parts = []
    if alert["event"] == "test":
        parts.append(_note("This is a test alert sent by <code>watcher alerts test</code>; "
                           "the change below is made up."))
    kind = _e(change.get("kind"))
    if change.get("old_url"):
        kind += f" (from {_code(change['old_url'])})"
    parts.append(_facts([
        ("Organisation", _e(change.get("org"))),
        ("Document", f"{_e(change.get('title'))} ({_code(change.get('source'))})"),
        ("Address", _code(change.get("url"))),
        ("Kind", kind),
        ("Severity", _badge(change.get("severity") or "unrated")),
    ]))
    reasons = change.get("reasons") or []
    if reasons:
        parts.append(_p("Why this severity:"))
        parts.append(_list([_e(r) for r in reasons]))
    tags = commitment_tags(change)
    if tags:
        parts.append(_p("Commitments touched: " + " ".join(_tag(t) for t in tags)))
    parts += _verdict_html(alert, change)
    parts += _hunks_html(change)
    facts = version_facts(change)
    if facts:
        parts.append(_h2("Versions"))
        parts.append(_facts([(label, _code(value)) for label, value in facts]))
    parts += _watcher_link(alert, "View this change in watcher")
    return parts


def _verdict_html(alert: dict[str, Any], change: dict[str, Any]) -> list[str]:
    status = verdict_of(change)
    if status is None:
        return []
    color = VERDICT_COLORS.get(status, "#1a1a1a")
    words = f'<strong style="color:{color}">{_e(verdict_words(status))}</strong>'
    if alert["event"] == "settled":
        lead = f"The grace window is over and the verdict is settled. The verdict is now: {words}."
    elif status == "pending":
        lead = (f"The verdict is pending ({words}). watcher will send another alert when the verdict "
                "settles.")
    else:
        lead = f"Verdict: {words}."
    parts = [_h2("Explanation"), _p(lead)]
    reason = (change.get("explanation") or {}).get("reason_given")
    if reason:
        parts += [_p("Reason given:"), _quote(_multiline(truncate(str(reason), QUOTE_LIMIT)))]
    for entry in evidence_of(change):
        url = entry.get("url") or ""
        where = _link(url, _e(url)) if _safe_href(url) else _code(url) if url else ""
        parts.append(_p(f"Evidence from {_code(entry.get('source'))} {where}".rstrip()))
        text = entry.get("text") or ""
        if text:
            parts.append(_quote(_multiline(truncate(str(text), QUOTE_LIMIT))))
    return parts


def _hunks_html(change: dict[str, Any]) -> list[str]:
    views = important_hunks(change, HUNKS_SHOWN)
    if not views:
        return []
    total = len(change.get("hunks") or [])
    parts = [_h2("What changed"), _p(f"{len(views)} of {total} hunk{'s' if total != 1 else ''}, "
                                     "most important first.")]
    for view in views:
        parts.append(f'<h3 style="font-size:15px;margin:16px 0 4px 0">Hunk {view.number} '
                     f'<span style="font-weight:normal;color:#555555">({_hunk_about(view)})</span></h3>')
        parts.append(_p("Before:", small=True))
        parts.append(_quote(_marked(view, "old", QUOTE_LIMIT)))
        parts.append(_p("After:", small=True))
        parts.append(_quote(_marked(view, "new", QUOTE_LIMIT)))
    return parts


def _hunk_about(view: HunkView) -> str:
    about = ["material" if view.material else "editorial"]
    if view.direction:
        about.append(_e(view.direction))
    if view.section:
        about.append(f"section {_code(view.section)}")
    if view.tags:
        about.append("tags " + ", ".join(_e(t) for t in view.tags))
    return ", ".join(about)


def _marked(view: HunkView, side: str, limit: int) -> str:
    """Before or after text with the changed words in <del> (before) or <ins> (after)."""
    tag, style = ("del", DEL_STYLE) if side == "old" else ("ins", INS_STYLE)
    pieces = []
    for changed, text in _clip(side_segments(view, side), limit):
        escaped = _multiline(text)
        pieces.append(f'<{tag} style="{style}">{escaped}</{tag}>' if changed and text.strip() else escaped)
    return "".join(pieces) or '<em style="color:#666666">(nothing)</em>'


def _clip(pieces: list[tuple[bool, str]], limit: int) -> list[tuple[bool, str]]:
    kept: list[tuple[bool, str]] = []
    used = 0
    for changed, text in pieces:
        if used + len(text) > limit:
            kept.append((changed, truncate(text, max(limit - used, 1))))
            break
        kept.append((changed, text))
        used += len(text)
    return kept


def _health_html(alert: dict[str, Any]) -> list[str]:
    health = alert.get("health") or {}
    rows = [("Organisation", _e(alert.get("org"))),
            ("Document", f"{_e(alert.get('title'))} ({_code(alert.get('source'))})"),
            ("Address", _code(health.get("url")))]
    if alert["event"] == "source_failing":
        rows += [("Failures in a row", _e(health.get("failures_in_a_row"))),
                 ("Failing since", _e(health.get("failing_since"))),
                 ("Last HTTP status", _e(health.get("last_status") or "none")),
                 ("Last error", _code(health.get("last_error")))]
        note = ("Changes to this document cannot be seen until it can be fetched again. "
                "watcher alerts once more when it recovers.")
    else:
        rows += [("Working again since", _e(health.get("recovered_at"))),
                 ("It had been failing since", _e(health.get("failing_since")))]
        note = "watcher can see changes to this document again."
    return [_facts(rows), _p(note), *_watcher_link(alert, "View this source in watcher")]


def _digest_html(alert: dict[str, Any]) -> list[str]:
    items = alert.get("items") or []
    parts = [_p(f"{len(items)} alert{'s' if len(items) != 1 else ''} collected for channel "
                f"{_code(alert.get('channel'))} up to {_e(alert.get('period_end'))}.")]
    for org, levels in group_items(items):
        parts.append(_h2(_e(org) or "watcher"))
        for level, level_items in levels:
            parts.append(f'<p style="margin:8px 0 4px 0">{_badge(level)}</p>')
            parts.append(_list([_digest_item(item) for item in level_items]))
    return parts


def _digest_item(item: dict[str, Any]) -> str:
    headline = _e(one_line(item.get("headline"), 500))
    line = _link(item.get("link"), headline) if item.get("link") else headline
    change = item.get("change")
    if change:
        views = important_hunks(change, 1)
        if views:
            view = views[0]
            line += (f'<div style="font-size:13px;color:#333333;margin:4px 0 0 0">'
                     f'Hunk {view.number}: {_marked(view, "old", DIGEST_QUOTE_LIMIT)} '
                     f'&rarr; {_marked(view, "new", DIGEST_QUOTE_LIMIT)}</div>')
    health = item.get("health")
    if health and health.get("last_error") and item.get("event") == "source_failing":
        line += (f'<div style="font-size:13px;color:#333333;margin:4px 0 0 0">last error: '
                 f'{_code(health.get("last_error"))}</div>')
    return line


# ---------------------------------------------------------------------------------------------- HTML bits


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _multiline(text: str) -> str:
    return "<br>".join(_e(line) for line in text.split("\n"))


def _code(text: object) -> str:
    value = truncate(" ".join(("" if text is None else str(text)).split()), 1000)
    return f'<code style="{MONO};font-size:13px;background:#f2f2f2;padding:0 3px">{_e(value)}</code>'


def _p(inner: str, *, small: bool = False) -> str:
    size = "font-size:13px;color:#555555;margin:8px 0 2px 0" if small else "margin:8px 0"
    return f'<p style="{size}">{inner}</p>'


def _h2(inner: str) -> str:
    return f'<h2 style="font-size:17px;margin:24px 0 8px 0;border-bottom:1px solid #eeeeee">{inner}</h2>'


def _note(inner: str) -> str:
    return (f'<p style="margin:0 0 12px 0;padding:8px 12px;background:#fff8c5;border:1px solid #e3d27a">'
            f"{inner}</p>")


def _quote(inner: str) -> str:
    return ('<div style="margin:2px 0 8px 0;padding:8px 12px;background:#f6f8fa;'
            'border-left:4px solid #d0d7de;'
            f'white-space:normal;word-wrap:break-word">{inner}</div>')


def _list(items: list[str]) -> str:
    return ('<ul style="margin:4px 0 8px 0;padding-left:22px">'
            + "".join(f'<li style="margin:2px 0">{item}</li>' for item in items) + "</ul>")


def _facts(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        '<tr><td style="padding:3px 12px 3px 0;color:#555555;vertical-align:top;white-space:nowrap">'
        f'{_e(label)}'
        f'</td><td style="padding:3px 0;vertical-align:top;word-break:break-all">{value}</td></tr>'
        for label, value in rows)
    return f'<table role="presentation" style="border-collapse:collapse;margin:0 0 8px 0">{cells}</table>'


def _badge(level: str) -> str:
    color = SEVERITY_COLORS.get(level, "#555555")
    return (f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;background:{color};'
            f'color:#ffffff;font-size:13px;font-weight:bold">{_e(level)}</span>')


def _tag(tag: str) -> str:
    return (f'<span style="display:inline-block;padding:0 6px;margin:0 2px;border:1px solid #999999;'
            f'border-radius:4px;font-size:13px">{_e(tag)}</span>')


def _watcher_link(alert: dict[str, Any], label: str) -> list[str]:
    if not _safe_href(alert.get("link")):
        return []
    return [f'<p style="margin:20px 0 0 0">{_link(alert["link"], _e(label), button=True)}</p>']


def _link(url: object, label_html: str, *, button: bool = False) -> str:
    """An <a> for an http(s) address; any other address is shown as text next to the label."""
    href = _safe_href(url)
    if href is None:
        return f"{label_html} ({_code(url)})"
    style = ("display:inline-block;padding:8px 16px;background:#0b57d0;color:#ffffff;border-radius:4px;"
             "text-decoration:none;font-weight:bold") if button else "color:#0b57d0"
    return f'<a href="{_e(href)}" style="{style}">{label_html}</a>'


def _safe_href(url: object) -> str | None:
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else None


