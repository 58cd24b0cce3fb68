"""An alert as a Slack incoming-webhook message (Block Kit), and sending it.

Safety: every text that comes from a document, a page, a source or an error is escaped for mrkdwn
(`&` `<` `>` as entities) before it is cut to size, and cuts never split an entity, so nothing a document
says can become a mention (`<!channel>`, `<@U1>`), a link or a command. mrkdwn text objects are sent with
`verbatim: true`, so Slack does not auto-link URLs or auto-parse names in them either. The only links are
ours, to the web UI, with the URL percent-encoded so it cannot close or split the link. plain_text (the
header) is never parsed by Slack and is sent unescaped.

Limits (Slack Block Kit reference, docs.slack.dev/reference/block-kit/...): 50 blocks per message; header
text 150; section text 3000; section fields at most 10, each 2000; context at most 10 elements; every text
object 1 to 3000 characters. Slack also refuses blocks that hold about 13,000 characters in all
(`msg_blocks_too_long`, observed, not documented), so a message is built to stay under TOTAL_BUDGET.
Lengths are counted in UTF-16 units, which is never less than characters.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote as percent_encode
from urllib.parse import urlsplit

from watcher.alerts.content import (
    HunkView,
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
from watcher.alerts.http import post_json, shown_url
from watcher.errors import DeliveryError

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_CONTEXT = 10
TEXT_LIMIT = 3000
TOTAL_BUDGET = 12000

FALLBACK_LIMIT = 500
INLINE_LIMIT = 150
HUNKS_SHOWN = 3
SIDE_LIMIT = 600
WORDS_LIMIT = 150
REASONS_SHOWN = 5
REASON_LIMIT = 200
EVIDENCE_SHOWN = 2
EVIDENCE_QUOTE = 250
FACT_LIMIT = 220
ERROR_LIMIT = 1000
DIGEST_LINE = 250
DIGEST_BUDGET = 11000

ELLIPSIS = "\u2026"
DIVIDER: dict[str, Any] = {"type": "divider"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"

Block = dict[str, Any]


def slack_payload(alert: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook: fallback `text` (the headline) and Block Kit `blocks`
    for any alert event (change, settled, test, source_failing, source_recovered, digest); the last block
    is a context naming the delivery id and the alert key."""
    builders = {"digest": _digest_blocks, "source_failing": _health_blocks, "source_recovered": _health_blocks}
    blocks = builders.get(alert["event"], _change_blocks)(alert)
    blocks = blocks[: MAX_BLOCKS - 1] + [_footer(alert, delivery_id)]
    return {"text": _fallback(alert), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def send_slack(webhook_url: str, payload: dict[str, Any], *, channel: str, timeout: float = 20.0) -> None:
    """POST `payload` to a Slack incoming webhook. Slack answers 200 with the body `ok`; anything else
    raises DeliveryError (http for a failing status, with retry_after on 429; rejected for another body).
    Messages show only the webhook's scheme and host: its path is the secret."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    response = post_json(webhook_url, body, channel=channel, timeout=timeout, redact_url=True)
    answer = response.text.strip()
    if answer != "ok":
        shown = shown_url(webhook_url, True)
        said = " ".join(answer[:200].split()) or "an empty body"
        raise DeliveryError(channel, "rejected",
                            f"HTTP {response.status_code} from {shown} answered {said!r} instead of 'ok'")


# ---- text: escaping, cutting, quoting -------------------------------------------------------------------

def escape(text: str) -> str:
    """Text for mrkdwn: `&`, `<` and `>` as entities, so it cannot form a mention, a link or a command."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def units(text: str) -> int:
    """Length in UTF-16 code units (what a JavaScript or Java length check counts)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int, *, entities: bool = True) -> str:
    """`text` cut to at most `limit` UTF-16 units with an ellipsis; with `entities` (escaped mrkdwn) a cut
    never leaves half of an `&amp;` / `&lt;` / `&gt;` behind."""
    if units(text) <= limit:
        return text
    size = min(len(text) - 1, limit)
    while size > 1:
        cut = truncate(text, size)
        cut = _whole_entities(cut) if entities else cut
        if units(cut) <= limit:
            return cut
        size -= max((units(cut) - limit + 1) // 2, 1)  # a character is one or two units
    return ELLIPSIS[:limit]


def _whole_entities(cut: str) -> str:
    body = cut[:-1] if cut.endswith(ELLIPSIS) else cut
    amp = body.rfind("&")
    if amp >= 0 and ";" not in body[amp:]:
        body = body[:amp]
    return body + ELLIPSIS


def _flat(text: Any) -> str:
    return " ".join(_CONTROL.sub("", str(text if text is not None else "")).split())


def inline(text: Any, limit: int = INLINE_LIMIT) -> str:
    """Document text on one line, escaped and cut to `limit`."""
    return clip(escape(_flat(text)), limit)


def code(text: Any, limit: int = INLINE_LIMIT) -> str:
    """Document text as an inline code span (its own backticks replaced so it cannot close the span)."""
    flat = _flat(text).replace("`", "'")
    return f"`{clip(escape(flat), limit - 2)}`" if flat else "_none_"


def quote(text: Any, limit: int) -> str:
    """Document text as a mrkdwn block quote, line breaks kept, blank lines dropped, escaped and cut."""
    raw = _CONTROL.sub("", str(text or "").replace("\r\n", "\n").replace("\r", "\n"))
    lines = [" ".join(line.split()) for line in raw.split("\n") if line.strip()]
    if not lines:
        return "_(nothing)_"
    return clip("\n".join("> " + escape(line) for line in lines), limit)


def link(url: str | None, label: str) -> str:
    """Our own link to the web UI as `<url|label>`; the URL percent-encoded (no `|`, `<`, `>`, spaces) and
    `&` escaped. A URL that is not http(s) is shown as text, not linked."""
    if not url:
        return ""
    safe = percent_encode(_CONTROL.sub("", str(url)), safe=_URL_SAFE)
    if urlsplit(safe).scheme not in ("http", "https"):
        return f"{escape(label)}: {code(url, 300)}"
    return f"<{escape(safe)}|{escape(label)}>"


# ---- Block Kit objects ----------------------------------------------------------------------------------

def _mrkdwn(text: str, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit) if text.strip() else "-", "verbatim": True}


def _header(text: str) -> Block:
    plain = clip(_flat(text), HEADER_LIMIT, entities=False) or "watcher"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text, SECTION_LIMIT)}


def _fields(pairs: list[tuple[str, str]]) -> Block:
    return {"type": "section",
            "fields": [_mrkdwn(f"*{label}*\n{value}", FIELD_LIMIT) for label, value in pairs[:MAX_FIELDS]]}


def _context(texts: list[str]) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text) for text in texts[:MAX_CONTEXT]]}


def _fallback(alert: dict[str, Any]) -> str:
    return inline(alert.get("headline") or "watcher alert", FALLBACK_LIMIT) or "watcher alert"


def _footer(alert: dict[str, Any], delivery_id: str) -> Block:
    return _context([f"delivery {code(delivery_id, 120)}", f"alert {code(alert.get('key'), 200)}",
                     f"made {inline(alert.get('created_at'), 60)}"])


# ---- change, settled, test ------------------------------------------------------------------------------

def _change_blocks(alert: dict[str, Any]) -> list[Block]:
    change = alert["change"]
    blocks = [_header(alert["headline"])]
    if alert["event"] == "test":
        blocks.append(_section("_This is a test alert sent by `watcher alerts test`; the change below is "
                               "made up._"))
    blocks.append(_fields(_change_fields(change)))
    blocks += [_section(text) for text in (_why(change), _verdict(alert, change)) if text]
    blocks += _hunk_blocks(change)
    if alert.get("link"):
        blocks.append(_section(link(alert["link"], "View change in watcher")))
    blocks.append(_context(_facts(change)))
    return blocks


def _change_fields(change: dict[str, Any]) -> list[tuple[str, str]]:
    kind = escape(_flat(change.get("kind")))
    if change.get("old_url"):
        kind += f" (from {code(change['old_url'], 200)})"
    tags = commitment_tags(change)
    return [
        ("Organisation", inline(change.get("org"))),
        ("Document", f"{inline(change.get('title'))} ({code(change.get('source'), 100)})"),
        ("Kind", kind),
        ("Severity", escape(_flat(change.get("severity") or "unrated"))),
        ("Verdict", escape(verdict_words(verdict_of(change))) or "none"),
        ("Commitments", inline(", ".join(tags), 200) if tags else "none"),
        ("Address", code(change.get("url"), 200)),
    ]


def _why(change: dict[str, Any]) -> str:
    reasons = [r for r in change.get("reasons") or [] if _flat(r)]
    if not reasons:
        return ""
    lines = [f"\u2022 {inline(r, REASON_LIMIT)}" for r in reasons[:REASONS_SHOWN]]
    if len(reasons) > REASONS_SHOWN:
        lines.append(f"\u2022 and {len(reasons) - REASONS_SHOWN} more reasons")
    return "*Why*\n" + "\n".join(lines)


def _verdict(alert: dict[str, Any], change: dict[str, Any]) -> str:
    status = verdict_of(change)
    if status is None:
        return ""
    words = escape(verdict_words(status))
    if alert["event"] == "settled":
        lines = [f"*Verdict settled:* the grace window is over; the verdict is now *{words}*."]
    elif status == "pending":
        lines = [("*Verdict pending:* no public account of this change yet. watcher is still inside the grace "
                  "window and will alert again when the verdict settles.")]
    else:
        lines = [f"*Explanation verdict:* {words}."]
    if (change.get("explanation") or {}).get("reason_given") is True:
        lines.append("The public account gives a reason for the change.")
    return "\n".join(lines + _evidence(change))


def _evidence(change: dict[str, Any]) -> list[str]:
    entries = evidence_of(change)
    lines = []
    for entry in entries[:EVIDENCE_SHOWN]:
        lines += [f"\u2022 Evidence from {inline(entry.get('source'), 100)} {code(entry.get('url'), 200)}",
                  quote(entry.get("text"), EVIDENCE_QUOTE)]
    if len(entries) > EVIDENCE_SHOWN:
        lines.append(f"\u2022 and {len(entries) - EVIDENCE_SHOWN} more pieces of evidence in the web UI")
    return lines


def _hunk_blocks(change: dict[str, Any]) -> list[Block]:
    total = len(change.get("hunks") or [])
    views = important_hunks(change, HUNKS_SHOWN)
    if not views:
        return []
    blocks = [DIVIDER, *[_section(_hunk_text(view, total)) for view in views]]
    if total > len(views):
        blocks.append(_context([f"and {total - len(views)} more hunks, shown in the web UI"]))
    return blocks


def _hunk_text(view: HunkView, total: int) -> str:
    about = ", ".join(part for part in (
        "material" if view.material else "editorial",
        inline(view.direction, 40) if view.direction else "",
        f"section {code(view.section, 120)}" if view.section else "",
        f"commitments {inline(', '.join(view.tags), 120)}" if view.tags else "",
    ) if part)
    return "\n".join([f"*Hunk {view.number} of {total}* ({about})", *_changed_words(view),
                      "*Before:*", quote(view.before, SIDE_LIMIT), "*After:*", quote(view.after, SIDE_LIMIT)])


def _changed_words(view: HunkView) -> list[str]:
    if not view.segments:
        return []
    removed = " \u2026 ".join(t for changed, t in side_segments(view, "old") if changed and t.strip())
    added = " \u2026 ".join(t for changed, t in side_segments(view, "new") if changed and t.strip())
    parts = [f"removed {code(removed, WORDS_LIMIT)}" if removed else "",
             f"added {code(added, WORDS_LIMIT)}" if added else ""]
    shown = "; ".join(p for p in parts if p)
    return [f"_Words:_ {shown}"] if shown else []


def _facts(change: dict[str, Any]) -> list[str]:
    facts = [f"{escape(label)}: {code(value, FACT_LIMIT)}" for label, value in version_facts(change)]
    return facts[: MAX_CONTEXT - 1] + [f"detected {inline(change.get('detected_at'), 60)}"]


# ---- source health --------------------------------------------------------------------------------------

def _health_blocks(alert: dict[str, Any]) -> list[Block]:
    health = alert.get("health") or {}
    failing = alert["event"] == "source_failing"
    fields = [("Organisation", inline(alert.get("org"))),
              ("Document", f"{inline(alert.get('title'))} ({code(alert.get('source'), 100)})"),
              ("Address", code(health.get("url"), 300))]
    fields += _failing_fields(health) if failing else _recovered_fields(health)
    blocks = [_header(alert["headline"]), _fields(fields), _section(_health_text(health, failing))]
    if alert.get("link"):
        blocks.append(_section(link(alert["link"], "View source in watcher")))
    return blocks


def _failing_fields(health: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Failures in a row", inline(health.get("failures_in_a_row"), 20)),
            ("Failing since", inline(health.get("failing_since"), 60)),
            ("Last HTTP status", inline(health.get("last_status") or "none", 20))]


def _recovered_fields(health: dict[str, Any]) -> list[tuple[str, str]]:
    return [("Working again since", inline(health.get("recovered_at"), 60)),
            ("Had been failing since", inline(health.get("failing_since"), 60))]


def _health_text(health: dict[str, Any], failing: bool) -> str:
    if not failing:
        return "Fetching this document works again; watcher sees its changes again."
    return ("*Last error*\n" + quote(health.get("last_error") or "none", ERROR_LIMIT) +
            "\nChanges to this document cannot be seen until it can be fetched again. "
            "watcher will alert once more when it recovers.")


# ---- digest ---------------------------------------------------------------------------------------------

def _digest_blocks(alert: dict[str, Any]) -> list[Block]:
    entries = _digest_lines(alert.get("items") or [])
    room = MAX_BLOCKS - 3  # header, the "and N more" context, the footer
    texts, left = _pack(entries, room, DIGEST_BUDGET)
    blocks = [_header(alert["headline"]), *[_section(text) for text in texts]]
    if left:
        more = f"and {left} more alert{'s' if left != 1 else ''}"
        blocks.append(_context([f"{more}, not shown to keep this message within Slack's limits; see the web UI"]))
    return blocks


def _digest_lines(items: list[dict[str, Any]]) -> list[tuple[str, bool]]:
    """(line, is_item): an organisation heading, a severity subheading, then one line per alert."""
    lines: list[tuple[str, bool]] = []
    for org, levels in group_items(items):
        lines.append((f"*{inline(org, 200) or 'watcher'}*", False))
        for level, group in levels:
            lines.append((f"_{escape(level)}_", False))
            lines += [(_digest_item(item), True) for item in group]
    return lines


def _digest_item(item: dict[str, Any]) -> str:
    line = f"\u2022 {inline(item.get('headline'), DIGEST_LINE)}"
    return line + (f" {link(item['link'], 'view')}" if item.get("link") else "")


def _pack(entries: list[tuple[str, bool]], room: int, budget: int) -> tuple[list[str], int]:
    """Lines packed into at most `room` section texts of at most SECTION_LIMIT, `budget` units in all;
    the texts and how many item lines did not fit."""
    sections: list[list[tuple[str, bool]]] = [[]]
    used = 0
    for line, is_item in entries:
        size = units(line) + 1
        if used + size > budget:
            break
        if units(_joined(sections[-1])) + size > SECTION_LIMIT:
            if len(sections) >= room:
                break
            sections.append([])
        sections[-1].append((line, is_item))
        used += size
    while sections[-1] and not sections[-1][-1][1]:  # no heading without its items at the end
        sections[-1].pop()
    shown = sum(is_item for section in sections for _, is_item in section)
    return [_joined(s) for s in sections if s], sum(is_item for _, is_item in entries) - shown


def _joined(section: list[tuple[str, bool]]) -> str:
    return "\n".join(line for line, _ in section)
