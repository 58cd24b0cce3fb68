"""An alert as Markdown: the alerts/<file>.md record and the plain-text part of emails. Pure.

Document text is quoted as code spans or indented blocks, so nothing a page says can turn into a link,
a heading or HTML when the file is rendered.
"""

from __future__ import annotations

from typing import Any

from watcher.alerts.content import (
    commitment_tags,
    evidence_of,
    group_items,
    important_hunks,
    side_segments,
    truncate,
    verdict_of,
    verdict_words,
    version_facts,
)

HUNKS_SHOWN = 5
QUOTE_LIMIT = 1500


def render_markdown(alert: dict[str, Any]) -> str:
    """The whole alert as Markdown that also reads well as plain text."""
    event = alert["event"]
    if event == "digest":
        lines = _digest(alert)
    elif event in ("source_failing", "source_recovered"):
        lines = [f"# {_inline(alert['headline'])}", "", *_health(alert)]
    else:
        lines = [f"# {_inline(alert['headline'])}", "", *_change(alert)]
    lines += ["", f"alert: {_code(alert['key'])}, made {alert['created_at']}"]
    return "\n".join(lines).rstrip() + "\n"


def _change(alert: dict[str, Any]) -> list[str]:
    change = alert["change"]
    lines = [
        f"- organisation: {_inline(change['org'])}",
        f"- document: {_inline(change['title'])} ({_code(change['source'])})",
        f"- address: {_code(change['url'] or '')}",
        f"- kind: {change['kind']}" + (f" (from {_code(change['old_url'])})" if change.get("old_url") else ""),
        f"- severity: {change['severity'] or 'unrated'}",
    ]
    if alert["event"] == "test":
        lines.insert(0, "This is a test alert sent by `watcher alerts test`; the change below is made up.\n")
    lines += [f"  - why: {_inline(reason)}" for reason in change.get("reasons") or []]
    tags = commitment_tags(change)
    if tags:
        lines.append(f"- commitments touched: {', '.join(_inline(t) for t in tags)}")
    lines += _verdict(alert, change)
    lines += _hunks(change)
    lines += ["", "## Evidence", ""] + [f"- {label}: {_code(value)}" for label, value in version_facts(change)]
    if alert.get("link"):
        lines += ["", f"View in watcher: {alert['link']}"]
    return lines


def _verdict(alert: dict[str, Any], change: dict[str, Any]) -> list[str]:
    status = verdict_of(change)
    if status is None:
        return []
    lines = ["", "## Explanation", ""]
    if alert["event"] == "settled":
        lines.append(f"The grace window is over; the verdict is now: **{verdict_words(status)}**.")
    else:
        lines.append(f"Verdict: **{verdict_words(status)}**.")
    if status == "pending":
        lines.append("watcher will alert again when the verdict settles.")
    if (change.get("explanation") or {}).get("reason_given"):
        lines.append("The account gives reasons for the change.")
    for entry in evidence_of(change):
        lines += ["", f"Evidence from {_code(entry.get('source') or '')} {_code(entry.get('url') or '')}:", "",
                  *_block(entry.get("text") or "")]
    return lines


def _hunks(change: dict[str, Any]) -> list[str]:
    views = important_hunks(change, HUNKS_SHOWN)
    if not views:
        return []
    total = len(change.get("hunks") or [])
    lines = ["", f"## What changed ({len(views)} of {total} hunks, most important first)"]
    for view in views:
        about = ", ".join(x for x in (
            "material" if view.material else "editorial", view.direction or "",
            f"section {_code(view.section)}" if view.section else "",
            f"tags {', '.join(view.tags)}" if view.tags else "") if x)
        lines += ["", f"### Hunk {view.number} ({about})", "", "Before:", "",
                  *_block(_marked(view, "old") or "(nothing)"), "", "After:", "",
                  *_block(_marked(view, "new") or "(nothing)")]
    return lines


def _marked(view: Any, side: str) -> str:
    """Before/after text with changed words marked [-like this-] and {+like this+}."""
    opener, closer = ("[-", "-]") if side == "old" else ("{+", "+}")
    pieces = side_segments(view, side)
    return "".join(f"{opener}{text}{closer}" if changed and text.strip() else text for changed, text in pieces)


def _health(alert: dict[str, Any]) -> list[str]:
    health = alert["health"]
    lines = [f"- organisation: {_inline(alert['org'])}",
             f"- document: {_inline(alert['title'])} ({_code(alert['source'])})",
             f"- address: {_code(health.get('url') or '')}"]
    if alert["event"] == "source_failing":
        lines += [f"- failures in a row: {health.get('failures_in_a_row')}",
                  f"- failing since: {health.get('failing_since')}",
                  f"- last HTTP status: {health.get('last_status') or 'none'}",
                  f"- last error: {_code(health.get('last_error') or '')}",
                  "", ("Changes to this document cannot be seen until it can be fetched again. "
                  "watcher alerts once more when it recovers.")]
    else:
        lines += [f"- working again since: {health.get('recovered_at')}",
                  f"- it had been failing since: {health.get('failing_since')}"]
    if alert.get("link"):
        lines += ["", f"View in watcher: {alert['link']}"]
    return lines


def _digest(alert: dict[str, Any]) -> list[str]:
    lines = [f"# {_inline(alert['headline'])}"]
    for org, levels in group_items(alert["items"]):
        lines += ["", f"## {_inline(org) or 'watcher'}"]
        for level, items in levels:
            lines += ["", f"### {level}", ""]
            lines += [f"- {_inline(item['headline'])}" + (f" ({item['link']})" if item.get("link") else "")
                      for item in items]
    return lines


def _inline(text: str | None) -> str:
    """Document text on one line, with Markdown specials escaped."""
    flat = " ".join((text or "").split())
    return "".join("\\" + c if c in "\\`*_[]<>#|~" else c for c in truncate(flat, 500))


def _code(text: str | None) -> str:
    """Text as an inline code span that its own backticks cannot close."""
    flat = " ".join((text or "").split())
    fence = "`" * (max((len(run) for run in _backtick_runs(flat)), default=0) + 1)
    if not flat:
        return "``"
    return f"{fence} {flat} {fence}" if len(fence) > 1 or flat[0] == "`" or flat[-1] == "`" else f"`{flat}`"


def _backtick_runs(text: str) -> list[str]:
    runs, current = [], ""
    for c in text:
        if c == "`":
            current += c
        elif current:
            runs.append(current)
            current = ""
    return runs + ([current] if current else [])


def _block(text: str) -> list[str]:
    """Document text as an indented code block (never rendered as Markdown)."""
    lines = truncate(text, QUOTE_LIMIT).splitlines() or [""]
    return ["    " + line for line in lines]
