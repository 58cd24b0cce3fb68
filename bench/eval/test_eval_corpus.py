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


def _write_mini_corpus(root: Path) -> None:
    """A made-up two-version policy with a same-label re-upload, laid out like the shared corpus."""
    docs, logs, coding = root / "documents", root / "changelogs", root / "coding"
    for folder in (docs, logs, coding):
        folder.mkdir(parents=True)
    intro = ("## Acme Frontier Policy\n\n## Version {v}\n\n[[page 2]]\n\n## Commitments\n\n"
             "This policy describes how Acme evaluates its most capable models and what it does when an\n"
             "evaluation shows a dangerous capability.\n\n")
    rule_v1 = ("We will pause training of any model that crosses a critical capability threshold until\n"
               "adequate safeguards are in place.\n\n")
    rule_v2 = ("We may continue training of a model that crosses a critical capability threshold if the\n"
               "chief executive approves interim measures.\n\n")
    tail = ("## Reporting\n\nWe will publish a summary of each evaluation within thirty days of deployment.\n\n"
            "## Acknowledgements\n\nWe thank Jane Smith and Ravi Kumar for their comments.\n")
    (docs / "acme_policy_v1_2024-01-10.txt").write_text(intro.format(v="1") + rule_v1 + tail, encoding="utf-8")
    (docs / "acme_policy_v2_2024-06-01.txt").write_text(intro.format(v="2") + rule_v2 + tail, encoding="utf-8")
    (docs / "acme_policy_v2-reupload-20240701_2024-06-01.txt").write_text(
        intro.format(v="2") + rule_v2 + tail.replace("Ravi Kumar", "Ravi Kumaar"), encoding="utf-8")
    (logs / "acme_policy_v2_2024-06-01_revision-account.md").write_text(
        "# Acme policy v2: revision account\n\n## Announcement\n\n```\nVersion 2 updates our evaluation "
        "schedule.\n```\n", encoding="utf-8")
    (root / "pairs.csv").write_text(
        "provider,v_i,v_next,traced,disclosure_regime,regime_source,n_commitments_v_i,n_material_changes,"
        "n_announced,n_silent,n_ncl\nAcme,v1,v2,yes,narrative,made up,3,1,0,1,0\n", encoding="utf-8")
    (coding / "tracing_FINAL.csv").write_text(
        "pair_id,provider,v_i,v_next,commitment_id,category,v_i_text,v_next_text,outcome,material,"
        "ADJ_outcome,ADJ_material\n"
        "ACME-1,Acme,v1,v2,ACME-1-001,EC6,\"We will pause training of any model that crosses a critical "
        "capability threshold until adequate safeguards are in place.\",\"We may continue training of a model "
        "that crosses a critical capability threshold if the chief executive approves interim measures.\","
        "W,yes,,\n", encoding="utf-8")
    (root / "silent_variants.csv").write_text(
        "provider,base_version,variant_version,diff_passage_base,diff_passage_variant,material,"
        "materiality_dims,category,rationale\nAcme,v2,v2-reupload-20240701,Kumar,Kumaar,no,,none,typo\n",
        encoding="utf-8")


def test_mini_corpus_end_to_end(tmp_path: Path) -> None:
    import json

    import eval_corpus

    _write_mini_corpus(tmp_path / "corpus")
    out = tmp_path / "scores.json"
    assert eval_corpus.main([str(tmp_path / "corpus"), "--format", "html", "--json", str(out), "--jobs", "1"]) == 0
    raw = json.loads(out.read_text(encoding="utf-8"))
    score = raw["scores"][0]
    assert score["checks"]["failed_checks"] == 0
    assert score["noise"]["total"] == 0
    assert score["recall"]["value"] == 1.0
    assert score["reuploads"]["n"] == 1 and score["reuploads"]["changed"] == 1
