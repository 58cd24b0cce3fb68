"""Tests of the corpus evaluation helpers: `.venv/bin/pytest bench/eval`.

The helpers are tested on made-up text; the end-to-end test replays one stream of the real corpus and
skips when the corpus directory (../shared/corpus or $EVAL_CORPUS) is absent.
"""

from __future__ import annotations

import os
import random
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eval.httpserve import LocalSite
from eval.layout import CorpusError, load_corpus, parse_document_name
from eval.render import blocks, render_html, render_pdf
from eval.score import SideIndex, coverage, hunk_overlaps

CORPUS = Path(os.environ.get("EVAL_CORPUS") or Path(__file__).resolve().parents[3] / "shared" / "corpus")

SAMPLE = """
[[page 1]]

## Example
## Safety Policy

Example Corp

[[page 2]]

## Introduction

We will evaluate every model before deploy-
ment, and we will publish the results
of each evaluation within
Example Corp
2

[[page 3]]

thirty days. Models are increasingly agentic
– systems that act.
●
Third parties get access
to the weights.
• A second item
– A third item
Example Corp
3
"""


def test_blocks_join_lines_headings_bullets_and_pages() -> None:
    found = blocks(SAMPLE)
    assert [(b.kind, b.text) for b in found] == [
        ("h", "Example Safety Policy"),
        ("h", "Introduction"),
        ("p", ("We will evaluate every model before deploy-ment, and we will publish the results of each "
               "evaluation within thirty days. Models are increasingly agentic – systems that act.")),
        ("li", "Third parties get access to the weights."),
        ("li", "A second item"),
        ("li", "A third item"),
    ]


def test_html_render_changes_only_noise() -> None:
    found = blocks(SAMPLE)
    one = render_html(found, title="T", site="Example", rng=random.Random(1))
    two = render_html(found, title="T", site="Example", rng=random.Random(2))
    assert one != two
    assert b"<h2>Introduction</h2>" in one and b"<li>Third parties get access to the weights.</li>" in one


def test_pdf_render_is_a_pdf() -> None:
    from datetime import UTC, datetime

    pdf = render_pdf(blocks(SAMPLE), title="T", running_header="Example | T", author="Example",
                     created=datetime(2025, 1, 1, tzinfo=UTC), rng=random.Random(1))
    assert pdf.startswith(b"%PDF-")


def test_coverage_is_local_and_handles_elisions() -> None:
    index = SideIndex.of(["We will publish the results of each evaluation within thirty days.",
                          "Access is granted to third parties."])
    assert coverage("we will publish the results of each evaluation", index) == 1.0
    assert coverage("publish the results ... granted to third parties", index) == 1.0
    # The same words in another order are not covered.
    assert coverage("evaluation each of results the publish", index) == 0.0
    assert coverage(None, index) == 0.0


def test_hunk_overlap_uses_the_matching_side() -> None:
    from eval.layout import CodedRow

    row = CodedRow(pair_id="X", provider="p", v_i="1", v_next="2", commitment_id="X-1", category="EC2",
                   outcome="W", material=True, announcement="SIL",
                   v_i_text="We will evaluate every model before deployment.", v_next_text=None)
    assert hunk_overlaps({"old_text": "We will evaluate every model before deployment.", "new_text": ""}, [row])
    assert not hunk_overlaps({"old_text": "", "new_text": "We will evaluate every model before deployment."},
                             [row])


def test_local_site_serves_and_404s() -> None:
    with LocalSite() as site:
        site.put("/a", b"hello", "text/plain")
        with urllib.request.urlopen(site.url("/a")) as response:
            assert response.read() == b"hello"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(site.url("/missing"))
        assert site.hits("/a") == 1


def test_document_names(tmp_path: Path) -> None:
    v = parse_document_name(Path("documents/acme_fsf_v2.0-reupload-20250328_2025-02-04.txt"), tmp_path)
    assert v is not None and v.base_label == "v2.0" and v.is_reupload and str(v.served_on) == "2025-03-28"
    assert parse_document_name(Path("documents/README.txt"), tmp_path) is None


def test_missing_corpus_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        load_corpus(tmp_path / "nope")


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus directory {CORPUS} absent")
def test_replay_one_stream_end_to_end() -> None:
    from eval.replay import replay

    corpus = load_corpus(CORPUS)
    stream = min(corpus.streams, key=lambda s: (len(s.versions) < 2, sum(v.path.stat().st_size for v in s.versions)))
    run = replay(stream, "html")
    assert run.error is None, run.error
    assert all(step.returncode == 0 for step in run.steps)
    noise = [s for s in run.steps if s.kind == "noise"]
    assert noise and not run.changes_of(noise[0])
