"""The Decider: editorial vs material, tags, direction and severity, on before/after sentences run
through watcher.diff.compare. Every sentence here is written for the tests (no framework text)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from watcher.classify import (
    DIRECTIONS,
    EDITORIAL_REASONS,
    HunkVerdict,
    classify_hunk,
    classify_hunks,
    load_taxonomy,
    severity,
)
from watcher.classify.canon import _spelling_key
from watcher.diff import compare
from watcher.errors import ConfigError

TAXONOMY = load_taxonomy()

# A small policy; each case puts its own passage where {body} is.
POLICY = """# Example Lab Frontier Safety Policy
Version 1.0
Last updated: March 3, 2025
# 1. Scope
This policy covers the most capable models we train and the ways we make them available.
# 4.2 Capability Thresholds
{body}
# 5. Governance
The board of directors receives a report on this policy every quarter.
"""
KEPT = "We evaluate each model for dangerous capabilities before deployment."
AUDIT = "We will commission an annual external audit of our compliance with this policy."


def judge(before: str, after: str, *, companions: tuple[str, ...] = (),
          template: str = POLICY) -> list[HunkVerdict]:
    """Verdicts for the hunks between the policy with `before` and the policy with `after`."""
    old, new = template.format(body=before), template.format(body=after)
    diff = compare(old, new)
    assert diff.hunks, "the case must change something"
    return classify_hunks(diff.hunks, old, new, TAXONOMY, companions=companions)


def only(verdicts: list[HunkVerdict]) -> HunkVerdict:
    """The single verdict of a one-hunk change."""
    assert len(verdicts) == 1, verdicts
    return verdicts[0]


# --- editorial -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Editorial:
    id: str
    before: str
    after: str
    reason: str


EDITORIAL_CASES = [
    Editorial("comma-after-eg",
              "We test every model before release, e.g. with expert red-teaming.",
              "We test every model before release, e.g., with expert red-teaming.", "punctuation"),
    Editorial("dash-glyph",
              "Severe risks \u2013 such as large-scale cyberattacks \u2013 are in scope.",
              "Severe risks - such as large-scale cyberattacks - are in scope.", "typography"),
    Editorial("curly-quotes",
              "We call these \u201ccritical levels\u201d in the rest of this policy.",
              'We call these "critical levels" in the rest of this policy.', "typography"),
    Editorial("hyphen-vs-space",
              "Small scale deployments need a lighter review.",
              "Small-scale deployments need a lighter review.", "punctuation"),
    Editorial("spelling-ise-our-yse",
              "We organise red-teaming of model behaviour and analyse the results.",
              "We organize red-teaming of model behavior and analyze the results.", "spelling-variant"),
    Editorial("spelling-tre-ogue-judgement-defence",
              "Our centre keeps a catalogue of judgements about cyber defence and modelling.",
              "Our center keeps a catalog of judgments about cyber defense and modeling.",
              "spelling-variant"),
    Editorial("reflow",
              "We evaluate each model. We publish a summary of the results.",
              "We evaluate each model.\nWe publish a summary of the results.", "whitespace"),
    Editorial("footnote-renumbered",
              "We apply extra monitoring to agentic deployments.12",
              "We apply extra monitoring to agentic deployments.9", "toc-or-page-number"),
    Editorial("stray-bullet-line",
              "We evaluate each model.",
              "We evaluate each model.\n\u2022", "empty"),
    Editorial("page-number-line",
              "We evaluate each model.\n12\nWe publish a summary of the results.",
              "We evaluate each model.\n13\nWe publish a summary of the results.", "toc-or-page-number"),
]


@pytest.mark.parametrize("case", EDITORIAL_CASES, ids=lambda c: c.id)
def test_editorial_changes_are_not_material(case: Editorial) -> None:
    for verdict in judge(case.before, case.after):
        assert not verdict.material
        assert verdict.kind == "editorial"
        assert verdict.editorial_reason == case.reason
        assert verdict.direction is None


CONTENTS = """# Example Lab Frontier Safety Policy
# Contents
1. Introduction 2
2. Risk Assessment 4
{body}
Appendix A: Glossary 15
# 1. Introduction
We evaluate every frontier model before deployment.
"""


@pytest.mark.parametrize("before, after", [
    ("Appendix C: Detailed Capability Thresholds 16", "Appendix C: Detailed Capability Thresholds 17"),
    ("3. Governance 9\nChangelog 17", "3. Governance 9"),
    ("3. Governance ........ 9", "3. Governance ........ 11"),
], ids=["page-number-changed", "entry-dropped", "dotted-leader"])
def test_table_of_contents_lines_are_editorial(before: str, after: str) -> None:
    for verdict in judge(before, after, template=CONTENTS):
        assert (verdict.material, verdict.editorial_reason) == (False, "toc-or-page-number")


def test_a_number_in_a_threshold_sentence_is_not_a_page_number() -> None:
    verdict = only(judge("A model crosses this threshold when its uplift exceeds 50",
                         "A model crosses this threshold when its uplift exceeds 70"))
    assert verdict.material


MOVABLE = ("Every model that reaches a threshold is reviewed by an internal safety committee, which "
           "will require further testing before any release.")


def test_a_paragraph_moved_unchanged_is_editorial() -> None:
    before = f"{MOVABLE}\nWe track three risk domains.\nWe test each model twice."
    after = f"We track three risk domains.\nWe test each model twice.\n{MOVABLE}"
    verdicts = judge(before, after)
    assert verdicts and all(v.editorial_reason == "moved" for v in verdicts)


def test_a_paragraph_moved_to_another_section_is_editorial() -> None:
    old = POLICY.format(body=MOVABLE)
    new = POLICY.format(body="").replace("every quarter.\n", f"every quarter.\n{MOVABLE}\n")
    diff = compare(old, new)
    verdicts = classify_hunks(diff.hunks, old, new, TAXONOMY)
    assert len(verdicts) == 2 and all(v.editorial_reason == "moved" for v in verdicts)


def test_a_moved_paragraph_with_a_modal_change_is_material() -> None:
    edited = MOVABLE.replace("will require", "may require")
    old = POLICY.format(body=MOVABLE)
    new = POLICY.format(body="").replace("every quarter.\n", f"every quarter.\n{edited}\n")
    diff = compare(old, new)
    verdicts = classify_hunks(diff.hunks, old, new, TAXONOMY)
    inserted = next(v for h, v in zip(diff.hunks, verdicts, strict=True) if not h.old_text.strip())
    assert (inserted.material, inserted.direction) == (True, "weaken")
    assert inserted.reasons == ("moved and edited: obligation will -> may (weaker)",)


def test_acknowledgements_are_editorial() -> None:
    template = POLICY.format(body=KEPT) + "# Acknowledgements\nWritten with help from {names}.\n"
    old = template.format(names="Ana Perez and Jon Smyth")
    new = template.format(names="Ana Peres and Jon Smyth")
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert (verdict.material, verdict.editorial_reason) == (False, "acknowledgements")
    assert verdict.section == "Acknowledgements"


def test_a_swap_of_two_modals_in_different_places_is_not_a_move() -> None:
    before = "We will publish the report.\nWe may brief regulators."
    after = "We may publish the report.\nWe will brief regulators."
    assert all(v.material for v in judge(before, after))


# --- direction: the signal rules -----------------------------------------------------------------

@dataclass(frozen=True)
class Material:
    id: str
    before: str
    after: str
    direction: str
    reason: str  # a substring of one of the verdict's reasons
    tag: str | None = None


MATERIAL_CASES = [
    # obligation scale
    Material("will-to-may",
             "If a model reaches a capability threshold, we will pause deployment.",
             "If a model reaches a capability threshold, we may pause deployment.",
             "weaken", "obligation will -> may (weaker)", "IV"),
    Material("present-tense-to-aim",
             "We conduct red-teaming of every model before deployment.",
             "We aim to conduct red-teaming of every model before deployment.",
             "weaken", "obligation present tense -> aim to (weaker)", "I"),
    Material("may-to-must",
             "Evaluation results may be reviewed by the safety team.",
             "Evaluation results must be reviewed by the safety team.",
             "strengthen", "obligation may -> must (stronger)"),
    Material("will-to-commit-is-same-rung",
             "We will evaluate every model for cyber capabilities.",
             "We commit to evaluate every model for cyber capabilities.",
             "neutral", "without a direction signal"),
    Material("present-tense-to-will-is-same-rung",
             "We evaluate every model for cyber capabilities.",
             "We will evaluate every model for cyber capabilities.",
             "neutral", "without a direction signal"),
    # numbers
    Material("2x-to-substantially",
             "The threshold is reached when a model speeds up AI research by 2x over recent rates.",
             "The threshold is reached when a model speeds up AI research substantially over recent rates.",
             "weaken", "number replaced by qualitative wording: '2x' -> 'substantially'", "II"),
    Material("threshold-raised",
             "A model crosses the threshold when its dishonesty rate is less than 50% on our test set.",
             "A model crosses the threshold when its dishonesty rate is less than 70% on our test set.",
             "weaken", "number changed in threshold sentence: 50% -> 70%", "II"),
    Material("uplift-threshold-lowered",
             "The biology threshold is an uplift of 3x over a novice with internet access.",
             "The biology threshold is an uplift of 2x over a novice with internet access.",
             "strengthen", "3x -> 2x (stronger)", "II"),
    Material("deadline-days-raised",
             "We publish a capability report within 30 days of each deployment.",
             "We publish a capability report within 90 days of each deployment.",
             "weaken", "30 -> 90 (weaker)", "VII"),
    Material("tolerance-one-in-n",
             "The acceptable risk is less than 1 in 1,000 per year of a catastrophic event.",
             "The acceptable risk is less than 1 in 100 per year of a catastrophic event.",
             "weaken", "1,000 -> 100 (weaker)"),
    Material("minimum-raised",
             "Each threshold assessment is checked by at least 3 external experts.",
             "Each threshold assessment is checked by at least 5 external experts.",
             "strengthen", "3 -> 5 (stronger)"),
    # escape clauses
    Material("competitor-clause-added",
             "We keep these safeguards in place for every deployed model.",
             "We keep these safeguards in place for every deployed model unless a competitor ships a "
             "similar model without them.",
             "weaken", "escape clause added: 'competitor'", "III"),
    Material("as-appropriate-added",
             "We will share evaluation results with the safety institute.",
             "We will share evaluation results with the safety institute as appropriate.",
             "weaken", "escape clause added: 'as appropriate'"),
    Material("commercially-reasonable-added",
             "We will harden model weight storage against insider threats.",
             "We will harden model weight storage against insider threats where commercially reasonable.",
             "weaken", "escape clause added: 'commercially reasonable'", "III"),
    Material("exemption-added",
             "Every external deployment is preceded by a full risk assessment.",
             "Every external deployment is preceded by a full risk assessment, except for low-risk pilots.",
             "weaken", "escape clause added: 'except for'", "I"),
    Material("unless-added",
             "We do not deploy a model above a critical level.",
             "We do not deploy a model above a critical level unless leadership approves an exception.",
             "weaken", "escape clause added: 'unless'"),
    Material("escape-clause-removed",
             "We will run external red-teaming where feasible.",
             "We will run external red-teaming.",
             "strengthen", "escape clause removed: 'where feasible'"),
    # parties
    Material("external-party-removed",
             "Before deployment we give the AISI and independent experts access to the model.",
             "Before deployment we give independent experts access to the model.",
             "weaken", "named party removed: 'AISI'", "VIII"),
    Material("council-de-named",
             "Deployment decisions are approved by the Responsibility and Safety Council.",
             "Deployment decisions are approved by the appropriate governance function.",
             "weaken", "named party removed: 'Responsibility and Safety Council' (replaced by generic "
             "'appropriate governance function')", "VI"),
    Material("party-renamed-not-removed",
             "Before deployment we give the UK AI Safety Institute access to the model.",
             "Before deployment we give the UK AISI access to the model.",
             "neutral", "without a direction signal", "VIII"),
    Material("external-party-added",
             "We share pre-deployment results with the AISI.",
             "We share pre-deployment results with the AISI and METR.",
             "strengthen", "named party added: 'METR'", "VIII"),
    # halt verbs
    Material("pause-to-proceed",
             "If the required safeguards are not ready, we will pause training.",
             "If the required safeguards are not ready, we will proceed with training.",
             "weaken", "halt verb 'pause' replaced by 'proceed'", "IV"),
    Material("proceed-to-pause",
             "If the required safeguards are not ready, we will continue training with interim measures.",
             "If the required safeguards are not ready, we will halt training until they are.",
             "strengthen", "halt verb 'halt'", "IV"),
    # disclosure, scope
    Material("publication-added",
             "We keep a record of each capability evaluation.",
             "We keep a record of each capability evaluation and publish a summary of it.",
             "strengthen", "disclosure widened: 'publish'", "VII"),
    Material("publish-to-share",
             "We publish the full risk report for every frontier model.",
             "We share the full risk report with selected partners for every frontier model.",
             "weaken", "disclosure narrowed: 'publish' -> 'share the full risk report with'", "VII"),
    Material("risk-domain-dropped",
             "We evaluate every model for biological, cyber and persuasion risks.",
             "We evaluate every model for biological and cyber risks.",
             "weaken", "risk domain removed: 'persuasion'", "I"),
    # relocation into advice
    Material("commitment-to-recommendation",
             "We will not deploy a model above the threshold without tested safeguards.",
             "We recommend that developers not deploy a model above the threshold without tested safeguards.",
             "relocate", "commitment turned into an industry recommendation", "IV"),
    # both directions
    Material("mixed-signals-weaken-wins",
             "We will share results with the AISI.",
             "We may share results with the AISI and METR.",
             "weaken", "mixed: weakening and strengthening signals, coded weaken"),
]


@pytest.mark.parametrize("case", MATERIAL_CASES, ids=lambda c: c.id)
def test_direction_of_material_changes(case: Material) -> None:
    verdict = only(judge(case.before, case.after))
    assert verdict.material and verdict.kind == "material" and verdict.editorial_reason is None
    assert verdict.direction == case.direction, verdict.reasons
    assert any(case.reason in reason for reason in verdict.reasons), verdict.reasons
    if case.tag:
        assert case.tag in verdict.tags
    assert verdict.section == "4.2 Capability Thresholds"


def test_mixed_signals_keep_both_reasons() -> None:
    verdict = only(judge("We will share results with the AISI.",
                         "We may share results with the AISI and METR."))
    assert "obligation will -> may (weaker)" in verdict.reasons
    assert "named party added: 'METR'" in verdict.reasons


# --- direction: whole sentences added, removed, relocated ----------------------------------------



def test_an_added_commitment_is_add() -> None:
    verdict = only(judge(KEPT, f"{KEPT}\n{AUDIT}"))
    assert (verdict.material, verdict.direction) == (True, "add")
    assert {"VI", "VIII"} <= set(verdict.tags)
    assert verdict.reasons[0].startswith("commitment added: 'We will commission an annual external audit")


def test_a_removed_commitment_is_remove() -> None:
    verdict = only(judge(f"{KEPT}\n{AUDIT}", KEPT))
    assert (verdict.material, verdict.direction) == (True, "remove")
    assert verdict.reasons[0].startswith("commitment removed: 'We will commission")


def test_a_removed_sentence_inside_a_paragraph_is_remove() -> None:
    verdict = only(judge(f"{KEPT} {AUDIT} We review this policy yearly.",
                         f"{KEPT} We review this policy yearly."))
    assert verdict.direction == "remove"


def test_a_removed_commitment_found_in_a_companion_is_relocate() -> None:
    companion = f"# Compliance Framework\n{AUDIT.replace('this policy', 'our scaling policy')}\n"
    verdict = only(judge(f"{KEPT}\n{AUDIT}", KEPT, companions=(companion,)))
    assert verdict.direction == "relocate"
    assert verdict.reasons[0].startswith("found in a companion document")


def test_a_removed_commitment_absent_from_companions_stays_remove() -> None:
    companion = "# Compliance Framework\nWe keep records of every training run for five years.\n"
    verdict = only(judge(f"{KEPT}\n{AUDIT}", KEPT, companions=(companion,)))
    assert verdict.direction == "remove"


def test_a_commitment_moved_into_industry_recommendations_is_relocate() -> None:
    pause = ("We will pause training of any model that crosses a critical threshold until safeguards "
             "are ready.")
    advice = ("We recommend that all developers pause training of any model that crosses a critical "
              "threshold until safeguards are ready.")
    template = POLICY + "# Recommendations for the industry\n{tail}\n"  # {body} above, {tail} here
    old = template.format(body=f"{KEPT}\n{pause}", tail="Developers should share incident reports.")
    new = template.format(body=KEPT, tail=f"Developers should share incident reports.\n{advice}")
    diff = compare(old, new)
    verdicts = classify_hunks(diff.hunks, old, new, TAXONOMY)
    removal = next(v for h, v in zip(diff.hunks, verdicts, strict=True) if not h.new_text.strip())
    addition = next(v for h, v in zip(diff.hunks, verdicts, strict=True) if not h.old_text.strip())
    assert removal.direction == "relocate"
    assert "commitment turned into an industry recommendation" in removal.reasons[0]
    assert addition.direction == "neutral"
    assert addition.reasons == ("recommendation added (not a self-commitment)",)


def test_an_added_suspension_clause_is_weaken_not_add() -> None:
    clause = ("If another frontier AI developer releases a similar system without comparable safeguards, "
              "we may adjust these requirements.")
    verdict = only(judge(KEPT, f"{KEPT}\n{clause}"))
    assert verdict.direction == "weaken"
    assert verdict.reasons[0].startswith("escape clause added: 'If another frontier AI developer'")


def test_a_deleted_heading_alone_is_not_a_commitment() -> None:
    template = POLICY.format(body=KEPT) + "{tail}\n"
    old = template.format(tail="# 6. Incident Response\nWe report incidents to regulators.")
    new = template.format(tail="We report incidents to regulators.")
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert (verdict.material, verdict.direction) == (True, "neutral")


# --- meta changes (X) ----------------------------------------------------------------------------

@pytest.mark.parametrize("old_line, new_line", [
    ("Version 1.0", "Version 1.1"),
    ("Last updated: March 3, 2025", "Last updated: June 2, 2025"),
], ids=["version-label", "last-updated-date"])
def test_a_version_label_or_date_change_is_editorial_x(old_line: str, new_line: str) -> None:
    old = POLICY.format(body=KEPT)
    new = old.replace(old_line, new_line)
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert (verdict.material, verdict.tags, verdict.direction) == (False, ("X", "X-version"), None)
    assert verdict.editorial_reason == "version-label"
    assert verdict.reasons == ("version label or date changed (X)",)


def test_a_link_change_is_an_editorial_cross_reference() -> None:
    verdict = only(judge("See https://example.org/policy-v1.pdf for the details.",
                         "See https://example.org/policy-v2.pdf for the details."))
    assert (verdict.material, verdict.tags, verdict.direction) == (False, ("X", "X-link"), None)
    assert verdict.editorial_reason == "cross-reference"


def test_a_title_change_is_x_neutral() -> None:
    old = POLICY.format(body=KEPT)
    new = old.replace("Example Lab Frontier Safety Policy", "Example Lab Advanced AI Scaling Framework")
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert (verdict.material, verdict.tags, verdict.direction) == (True, ("X", "X-rename"), "neutral")


def test_a_deadline_date_is_not_a_version_label() -> None:
    verdict = only(judge("We will publish our first risk report by the end of 2025.",
                         "We will publish our first risk report by the end of 2027."))
    assert "X" not in verdict.tags
    assert verdict.direction == "weaken"


def test_a_new_changelog_entry_is_editorial_x_changelog() -> None:
    template = POLICY + "# Changelog\n{log}\n"
    old = template.format(body=KEPT, log="Version 1.0: first release.")
    new = template.format(body=KEPT,
                          log="Version 1.1: we may now adjust safeguards.\nVersion 1.0: first release.")
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert (verdict.material, verdict.tags, verdict.direction) == (False, ("X", "X-changelog"), None)
    assert verdict.editorial_reason == "changelog"


def test_an_edit_under_a_dated_changelog_entry_is_x_changelog() -> None:
    template = POLICY + "# Changelog\n# March 3, 2025\nFirst publication{link}.\n"
    old = template.format(body=KEPT, link="")
    new = template.format(body=KEPT, link=", with a link to the earlier draft")
    diff = compare(old, new)
    verdict = only(classify_hunks(diff.hunks, old, new, TAXONOMY))
    assert verdict.section == "March 3, 2025"
    assert (verdict.material, verdict.tags, verdict.direction) == (False, ("X", "X-changelog"), None)
    assert verdict.reasons == ("changelog entry changed (section 'Changelog')",)


# --- sections, tags, the taxonomy ----------------------------------------------------------------

def test_section_is_the_nearest_heading_and_numbered_plain_lines_count() -> None:
    template = "Example Policy\n4.2 Capability Thresholds\nA model {verb} reviewed at a threshold.\n"
    old, new = template.format(verb="will be"), template.format(verb="may be")
    diff = compare(old, new)
    assert only(classify_hunks(diff.hunks, old, new, TAXONOMY)).section == "4.2 Capability Thresholds"


def test_section_of_a_deletion_comes_from_the_old_text() -> None:
    old = "# Alpha\nWe evaluate models.\n# Beta\nWe will notify the AISI of every incident.\n"
    new = "# Alpha\nWe evaluate models.\n# Beta\n"
    diff = compare(old, new)
    assert only(classify_hunks(diff.hunks, old, new, TAXONOMY)).section == "Beta"


@pytest.mark.parametrize("text, expected", [
    ("We run dangerous capability evaluations before deployment.", {"I"}),
    ("An independent third-party evaluator reviews the results.", {"I", "I-ext", "VIII"}),
    ("The Responsible Scaling Officer signs off on each decision.", {"VI"}),
    ("We publish a system card for each model.", {"VII"}),
    ("Version 2.1 of this document.", {"X"}),
], ids=["risk-assessment", "external-evaluation", "governance", "transparency", "meta"])
def test_tags(text: str, expected: set[str]) -> None:
    assert expected <= set(TAXONOMY.tags_of(text))


def test_a_sub_tag_brings_its_parent_first() -> None:
    tags = TAXONOMY.tags_of("Results go to the AI Safety Institute.")
    assert tags.index("I") < tags.index("I-ext")


def test_user_patterns_extend_tags_and_add_new_ones() -> None:
    taxonomy = load_taxonomy({"VI": [r"\bombudsperson\b"], "BIO-LAB": [r"\bwet lab\b"]})
    assert "VI" in taxonomy.tags_of("An ombudsperson handles complaints.")
    assert taxonomy.tags_of("We run wet lab uplift trials.")[-1] == "BIO-LAB"
    assert taxonomy.patterns("BIO-LAB")[0].pattern == r"\bwet lab\b"
    assert "VI" not in load_taxonomy().tags_of("An ombudsperson handles complaints.")


def test_a_bad_user_pattern_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"taxonomy\.VI"):
        load_taxonomy({"VI": ["(unclosed"]})


@pytest.mark.parametrize("british, american", [
    ("realise", "realize"), ("organisations", "organizations"), ("behaviour", "behavior"),
    ("analysed", "analyzed"), ("catalogue", "catalog"), ("centre", "center"), ("judgement", "judgment"),
    ("defence", "defense"), ("modelling", "modeling"), ("labelled", "labeled"), ("fulfil", "fulfill"),
    ("programme", "program"), ("practise", "practice"),
])
def test_spelling_variants_share_a_key(british: str, american: str) -> None:
    assert _spelling_key(british) == _spelling_key(american)


@pytest.mark.parametrize("one, other", [("our", "or"), ("four", "for"), ("filled", "filed"),
                                        ("hour", "hor"), ("will", "wil")])
def test_different_words_keep_different_keys(one: str, other: str) -> None:
    assert _spelling_key(one) != _spelling_key(other)


def test_prefilters_never_hide_a_match() -> None:
    """The substring pre-check of every vocabulary pattern agrees with the regex on all test sentences."""
    texts = [text for case in (*EDITORIAL_CASES, *MATERIAL_CASES) for text in (case.before, case.after)]
    texts += [KEPT, AUDIT, MOVABLE, "Chief Scientist Officer", "10^26 FLOP", "SL3", "v2.1", "3x compute"]
    signals = TAXONOMY.signals
    matchers = [m for _, ms in TAXONOMY._matchers for m in ms]
    matchers += [m for _, m in (*signals.rungs, *signals.escape_clauses, *signals.external_parties,
                                *signals.named_bodies, *signals.risk_domains)]
    matchers += [signals.present_tense, signals.halt, signals.proceed, signals.publication,
                 signals.private_sharing, signals.recommendation, signals.generic_bodies]
    for matcher in matchers:
        for text in texts:
            assert bool(matcher.search(text)) == bool(matcher.pattern.search(text)), (matcher, text)


def test_severity_of_a_real_change() -> None:
    verdicts = judge(f"{KEPT}\nBefore release we give the AISI two weeks of pre-deployment access.", KEPT)
    assert severity(verdicts, "explained") == ("high", (  # II: the section is "Capability Thresholds"
        "remove under II: hunk 1", "remove under VIII: hunk 1", "material change (explained)"))


# --- interface -----------------------------------------------------------------------------------

def test_classify_hunk_matches_classify_hunks_and_serialises() -> None:
    old, new = POLICY.format(body="We will pause."), POLICY.format(body="We may pause.")
    diff = compare(old, new)
    verdict = classify_hunk(diff.hunks[0], old, new, TAXONOMY)
    assert verdict == classify_hunks(diff.hunks, old, new, TAXONOMY)[0]
    assert verdict.to_json() == {
        "material": True, "kind": "material", "editorial_reason": None, "tags": ["II", "IV"],
        "direction": "weaken", "section": "4.2 Capability Thresholds",
        "reasons": ["obligation will -> may (weaker)"],
    }
    assert verdict.direction in DIRECTIONS


def test_every_editorial_reason_is_from_the_contract() -> None:
    reasons = {case.reason for case in EDITORIAL_CASES} | {"moved", "acknowledgements"}
    assert reasons <= set(EDITORIAL_REASONS)


def test_large_documents_stay_fast() -> None:
    """Each text is indexed once per call, not once per hunk: 450 kB and 200 hunks take about a second."""
    paragraphs = [f"Paragraph {i}: we will evaluate model family {i} for cyber and biological risks, and "
                  f"we publish a summary of evaluation round {i} within {i % 50 + 10} days."
                  for i in range(3000)]
    old = "# Policy\n" + "\n".join(paragraphs) + "\n"
    edited = [p.replace("we will", "we may") if i % 15 == 0 else p for i, p in enumerate(paragraphs)]
    new = "# Policy\n" + "\n".join(edited) + "\n"
    diff = compare(old, new)
    started = time.monotonic()
    verdicts = classify_hunks(diff.hunks, old, new, TAXONOMY)
    assert len(verdicts) == 200 and all(v.direction == "weaken" for v in verdicts)
    assert time.monotonic() - started < 10


# --- severity ------------------------------------------------------------------------------------

def verdict(direction: str | None, *tags: str) -> HunkVerdict:
    """A verdict with just what severity reads."""
    if direction is None:
        return HunkVerdict(False, "editorial", "punctuation", tags, None, None, ())
    return HunkVerdict(True, "material", None, tags, direction, None, ())


EDITORIAL = verdict(None, "I")


@pytest.mark.parametrize("verdicts, status, level, reasons", [
    ([EDITORIAL, EDITORIAL], "silent", "info", ("no material change (editorial only)",)),
    ([], None, "info", ("no material change (editorial only)",)),
    ([verdict("neutral", "I")], "silent", "high", ("silent material change", "material change (silent)")),
    ([verdict("add", "I")], "partial", "high",
     ("partially explained material change", "material change (partial)")),
    ([EDITORIAL, EDITORIAL, verdict("weaken", "IV", "III")], None, "high",
     ("weaken under IV: hunk 3", "material change (unknown)")),
    ([verdict("remove", "I-ext", "VIII")], "explained", "high",
     ("remove under VIII: hunk 1", "material change (explained)")),
    ([verdict("weaken", "III")], "explained", "medium", ("material change (explained)",)),
    ([verdict("neutral", "X")], "version_only", "medium", ("material change (version_only)",)),
    ([verdict("add", "I")], "pending", "medium", ("material change (pending)",)),
    ([verdict("relocate", "IV")], "explained", "medium", ("material change (explained)",)),
    ([verdict("strengthen", "II"), verdict("add", "VII"), EDITORIAL], "explained", "low",
     ("explained change that only strengthens or adds",)),
    ([verdict("strengthen", "II"), verdict("neutral", "I")], "explained", "medium",
     ("material change (explained)",)),
], ids=["editorial-only", "no-hunks", "silent", "partial", "weaken-under-IV-unknown-status",
        "remove-under-VIII-explained", "weaken-elsewhere-explained", "version-only", "pending",
        "relocate-explained", "explained-gains-only", "explained-with-neutral"])
def test_severity(verdicts: list[HunkVerdict], status: str | None, level: str,
                  reasons: tuple[str, ...]) -> None:
    assert severity(verdicts, status) == (level, reasons)
