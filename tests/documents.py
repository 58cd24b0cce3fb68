"""Documents written for the tests: a fictional lab's safety policy, as HTML pages with site noise."""

from __future__ import annotations

import random

POLICY = [
    "# Example Lab Frontier Safety Policy",
    "Version 1.0, effective 1 March 2026",
    "# 1. Scope",
    "This policy covers every model the lab trains with more compute than its previous frontier model.",
    "# 2. Capability thresholds",
    "We will evaluate each model against the thresholds below before any external deployment.",
    "- Biology: the model gives meaningful uplift to a novice attempting a known threat.",
    "- Cyber: the model completes 50% of the advanced intrusion tasks in our test suite.",
    "# 3. Response",
    "If a model reaches a threshold, we will pause deployment until safeguards are in place.",
    "An external review board will assess the safeguards within 30 days.",
    "# 4. Governance",
    "The safety committee reports to the board every quarter.",
]

_WORDS = ("model evaluation threshold safeguard deployment review board committee capability risk "
          "assessment mitigation security weights access external internal report policy process "
          "training compute benchmark incident response governance oversight audit transparency").split()


def filler_paragraphs(count: int, seed: int = 7) -> list[str]:
    """Deterministic prose-like paragraphs, each a few sentences long."""
    rng = random.Random(seed)
    paragraphs = []
    for i in range(count):
        sentences = []
        for _ in range(rng.randint(3, 6)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 18))]
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(f"Clause {i + 1}. " + " ".join(sentences))
    return paragraphs


def policy_html(blocks: list[str], *, noise: str = "", title: str = "Example Lab Safety Policy") -> str:
    """An HTML page around the blocks, with navigation, scripts, a cookie banner and a footer."""
    body = []
    for block in blocks:
        if block.startswith("# "):
            body.append(f"<h2>{block[2:]}</h2>")
        elif block.startswith("- "):
            body.append(f"<ul><li>{block[2:]}</li></ul>")
        else:
            body.append(f"<p>{block}</p>")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>body {{ font-family: serif }}</style>
<script>window.__BUILD = "{noise}"; var t = Date.now();</script></head>
<body>
<div id="onetrust-banner-sdk" class="cookie-consent">We use cookies. Session {noise}</div>
<header class="site"><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/careers">Careers</a></nav></header>
<main><article>
{chr(10).join(body)}
</article></main>
<form action="/subscribe"><input type="hidden" name="csrf" value="{noise}"><button>Subscribe</button></form>
<footer>Copyright Example Lab. Rendered {noise}</footer>
<script>trackPageView("{noise}")</script>
</body></html>"""
