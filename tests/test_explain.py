"""Outcome 3: whether each material change was publicly explained (changelog, version bump, announcement)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcher.diff import Hunk, compare
from watcher.explain import (
    AccountEntry,
    Explanation,
    changelog_entries,
    effective_date,
    explain_change,
    label_changed,
    new_changelog_entries,
    same_label_reupload,
    split_account_entries,
    version_label,
)

# A policy written for these tests, in watcher's normalized form: one block a line, "# " headings.
TITLE = "# Example Lab Frontier Safety Policy"
SECTIONS = [
    "# 1. Capability thresholds",
    "We will evaluate every frontier model for biological weapons uplift before any external deployment.",
    "A model that reaches the Biology-2 threshold must not be deployed until enhanced safeguards are in place.",
    "# 2. Security",
    "We will protect model weights against theft by insiders and outside attackers.",
    "Access to model weights is limited to staff with a documented need.",
    "# 3. External review",
    "An independent auditor will review our compliance with this policy every twelve months.",
    "We will publish a summary of each audit report within sixty days.",
    "# 4. Governance",
    "The Safety Committee approves every deployment decision for models above the Biology-2 threshold.",
]
FIRST_ENTRY = "March 3, 2025 (Version 1.0): Initial publication."
NAMING_ENTRY = ("Security: weight protection no longer covers insiders, because the threat models we track "
                "do not depend on theft of weights by insiders.")
AUDIT_ENTRY = "External review: independent audits of compliance now take place every twenty-four months."
GENERIC_ENTRY = "Clarified language throughout and made minor edits."

INSIDERS = ("insiders and outside attackers", "outside attackers")
AUDITS = ("every twelve months", "every twenty-four months")

DETECTED = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
GRACE = timedelta(days=30)
INSIDE_GRACE = DETECTED + timedelta(days=3)
AFTER_GRACE = DETECTED + timedelta(days=31)


def policy(version: str | None = "1.0", effective: str | None = "March 3, 2025", *,
           edits: tuple[tuple[str, str], ...] = (), entries: tuple[str, ...] = (),
           entry_heading: str = "June 2, 2025 (Version 1.1)") -> str:
    """The test policy with the given label, date, text edits, and new changelog entries."""
    lines = [TITLE]
    if version:
        lines.append(f"Version {version}")
    if effective:
        lines.append(f"Effective {effective}")
    body = "\n".join(SECTIONS)
    for before, after in edits:
        assert before in body
        body = body.replace(before, after)
    lines += [body, "# Changelog", "## March 3, 2025 (Version 1.0)", "Initial publication."]
    if entries:
        lines += [f"## {entry_heading}", *entries]
    return "\n".join(lines)


def explain(old: str, new: str, *, material_phrases: tuple[str, ...], now: datetime,
            external: tuple[AccountEntry, ...] = (), tags: tuple[str, ...] = (),
            section: str | None = None) -> tuple[Explanation, list[Hunk]]:
    """Diff two texts and explain the change; hunks are material when they touch one of the phrases."""
    hunks = list(compare(old, new).hunks)
    material = [any(p in hunk.old_text + hunk.new_text for p in material_phrases) for hunk in hunks]
    result = explain_change(hunks, material, [tags] * len(hunks), [section] * len(hunks), old, new,
                            source_id="example-policy", url="https://lab.example/policy", external=external,
                            detected_at=DETECTED, now=now, grace=GRACE)
    return result, hunks


def index_of(hunks: list[Hunk], phrase: str) -> int:
    """The index of the one hunk whose text contains phrase."""
    found = [i for i, hunk in enumerate(hunks) if phrase in hunk.old_text + hunk.new_text]
    assert len(found) == 1, found
    return found[0]


def announcement(text: str, seen_at: datetime) -> AccountEntry:
    """An entry seen on an explained_by source."""
    return AccountEntry("example-news", "https://lab.example/news/policy-update", text, seen_at.isoformat())


# --- changelog sections --------------------------------------------------------------------------

@pytest.mark.parametrize("heading", [
    "# Changelog", "## Change log", "Changelog", "# Version history", "Revision History", "## Updates and changes",
    "5.3 Past Updates and Changes", "Past updates", "# Summary of changes", "Document History",
    "Appendix A: Change log", "A Change log",
])
def test_changelog_heading_variants_are_recognised(heading: str) -> None:
    text = "\n".join([TITLE, *SECTIONS, heading, "June 2, 2025 (Version 1.1)",
                      "- Raised the audit interval to twenty-four months.", "March 3, 2025 (Version 1.0)",
                      "- Initial publication."])

    assert changelog_entries(text) == [
        "June 2, 2025 (Version 1.1): Raised the audit interval to twenty-four months.",
        "March 3, 2025 (Version 1.0): Initial publication.",
    ]


def test_sections_about_updating_the_policy_are_not_changelogs() -> None:
    text = "\n".join([TITLE, *SECTIONS, "# Updates",
                      "We will review this policy at least once a year and publish each new version."])

    assert changelog_entries(text) == []
    assert changelog_entries("\n".join([TITLE, *SECTIONS])) == []


def test_entries_are_split_at_dated_headings_and_bullets() -> None:
    text = "\n".join([
        TITLE, *SECTIONS,
        "5.3 Past Updates and Changes",
        "Versions:",
        "-",
        "Version 1.2 (September 9, 2025)",
        "-",
        "Added a Chemistry-1 threshold and the safeguards it",
        "requires before deployment.",
        "- Moved the audit summary deadline to ninety days.",
        "- Version 1.1 (June 2, 2025)",
        "- Version 1.0 (March 3, 2025)",
        "Corrections and non-substantive changes",
        "- Fixed a broken link to the auditor's report (10 June 2025).",
    ])

    assert changelog_entries(text) == [
        ("Version 1.2 (September 9, 2025): Added a Chemistry-1 threshold and the safeguards it requires before "
         "deployment."),
        "Version 1.2 (September 9, 2025): Moved the audit summary deadline to ninety days.",
        "Version 1.1 (June 2, 2025)",
        ("Version 1.0 (March 3, 2025) - Corrections and non-substantive changes: Fixed a broken link to the "
         "auditor's report (10 June 2025)."),
    ]


def test_a_table_of_contents_line_is_not_the_changelog() -> None:
    text = "\n".join([TITLE, "Contents", "1. Capability thresholds ........ 2", "Changelog ........ 9",
                      *SECTIONS, "# Changelog", "## March 3, 2025", "Initial publication."])

    assert changelog_entries(text) == ["March 3, 2025: Initial publication."]


@pytest.mark.parametrize("marked", [True, False], ids=["html-headings", "pdf-plain-lines"])
@pytest.mark.parametrize("next_heading", ["Glossary", "5. Definitions", "Appendix B: Evaluation details"])
def test_the_changelog_ends_at_the_next_section(marked: bool, next_heading: str) -> None:
    lines = [TITLE, *SECTIONS, "# Changelog", "March 3, 2025: Initial publication.", f"# {next_heading}",
             "Biology-2: the level of biological uplift defined in section 1."]
    text = "\n".join(lines if marked else [line.removeprefix("# ") for line in lines])

    assert changelog_entries(text) == ["March 3, 2025: Initial publication."]


def test_new_changelog_entries_are_the_ones_the_old_text_lacks() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", entries=(NAMING_ENTRY, AUDIT_ENTRY))

    assert new_changelog_entries(old, new) == [f"June 2, 2025 (Version 1.1): {NAMING_ENTRY}",
                                               f"June 2, 2025 (Version 1.1): {AUDIT_ENTRY}"]
    assert new_changelog_entries(new, new) == []


def test_reformatted_old_entries_are_not_new() -> None:
    old = policy("1.1", "June 2, 2025", entries=(NAMING_ENTRY,))
    # The next version writes the old dates differently and splits an old paragraph in two.
    first, second = NAMING_ENTRY.split(", because ")
    new = "\n".join([TITLE, "Version 1.2", "Effective September 9, 2025", *SECTIONS, "# Changelog",
                     "## 3 March 2025", "Initial publication.", "## 2 June 2025", first + ",", "because " + second,
                     "## 9 September 2025", "Added a Chemistry-1 threshold."])

    assert new_changelog_entries(old, new) == ["9 September 2025: Added a Chemistry-1 threshold."]


def test_split_account_entries_cuts_posts_into_paragraphs_and_bullets() -> None:
    post = "\n".join([
        "# Updating our Frontier Safety Policy",
        "Today we publish version 1.1 of our policy.",
        "## What changed",
        "- Audits now take place every twenty-four months.",
        "- Insiders are out of scope for weight protection.",
        "",
        "We made these changes because our threat models have matured.",
        "3",
    ])

    assert split_account_entries(post) == [
        "Updating our Frontier Safety Policy: Today we publish version 1.1 of our policy.",
        "What changed: Audits now take place every twenty-four months.",
        "What changed: Insiders are out of scope for weight protection.",
        "What changed: We made these changes because our threat models have matured.",
    ]


# --- version labels and dates --------------------------------------------------------------------

@pytest.mark.parametrize("head,label,date", [
    (["# Frontier Safety Framework", "Version 3.1", "Published: April 17, 2026"], "Version 3.1", "2026-04-17"),
    (["# Preparedness Framework", "Version 2. Last updated: 15th April, 2025"], "Version 2", "2025-04-15"),
    (["# Scaling Policy", "Effective October 15, 2024", "RSP-2024"], "RSP-2024", "2024-10-15"),
    (["# The Secure Framework", "V1.0"], "v1.0", None),
    (["# Compliance Framework", "Version 2", "Effective 24th July 2026"], "Version 2", "2026-07-24"),
    (["# Safety Framework", "Published: 2026-02-24"], None, "2026-02-24"),
    (["# Risk Assessment", "Applicable from August 2025"], None, "2025-08"),
    (["4th February 2025", "# Frontier Safety Framework", "Version 2.0"], "Version 2.0", "2025-02-04"),
    (["# Preparedness Framework (Beta)", "December 18, 2023"], "Beta", "2023-12-18"),
    (["# Safety Framework"], None, None),
], ids=["version-published", "version-last-updated", "year-label", "v-label", "ordinal-date", "iso-date",
        "month-year", "bare-date-line", "beta", "neither"])
def test_version_label_and_effective_date(head: list[str], label: str | None, date: str | None) -> None:
    text = "\n".join([*head, *SECTIONS])

    assert version_label(text) == label
    assert effective_date(text) == date


def test_labels_in_body_text_and_old_changelog_entries_do_not_count() -> None:
    long_line = ("In version 2.0 of this policy we described how frontier models are evaluated before "
                 "deployment and who reviews the results of each evaluation.")
    text = "\n".join([TITLE, long_line, *SECTIONS, "# Changelog", "## March 3, 2025 (Version 1.0)",
                      "Initial publication."])

    assert version_label(text) is None
    assert effective_date(text) is None


def test_label_changed_and_same_label_reupload() -> None:
    old = policy()
    edited = policy(edits=(INSIDERS,))

    assert same_label_reupload(old, edited) and not label_changed(old, edited)
    assert label_changed(old, policy("1.1", edits=(INSIDERS,)))
    assert not same_label_reupload(old, policy("1.1", edits=(INSIDERS,)))
    assert label_changed(old, policy("1.0", "June 2, 2025"))  # the date alone counts as a bump
    assert not label_changed(old, old.replace("Version 1.0", "v1.0"))  # the same label written another way
    assert not same_label_reupload(old, old)


def test_an_unlabelled_document_is_never_a_same_label_reupload() -> None:
    old = policy(None, None)
    new = policy(None, None, edits=(INSIDERS,))

    assert not label_changed(old, new)
    assert not same_label_reupload(old, new)


def test_a_label_that_disappears_is_not_a_bump() -> None:
    assert not label_changed(policy("1.0"), policy(None))


# --- explaining changes --------------------------------------------------------------------------

def test_an_entry_naming_the_change_explains_it_with_its_reason() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS,), entries=(NAMING_ENTRY,))

    result, hunks = explain(old, new, material_phrases=INSIDERS, now=AFTER_GRACE)

    changed = index_of(hunks, "outside attackers")
    assert result.status == "explained"
    assert result.reason_given
    assert [entry.text for entry in result.evidence] == [f"June 2, 2025 (Version 1.1): {NAMING_ENTRY}"]
    assert result.evidence[0].source == "example-policy" and result.evidence[0].seen_at is None
    assert result.hunk_evidence == {0: (changed,)}
    assert result.per_hunk[changed].status == "explained" and result.per_hunk[changed].evidence == (0,)


def test_the_new_changelog_text_does_not_explain_itself() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS,), entries=(NAMING_ENTRY,))
    hunks = compare(old, new).hunks
    in_changelog = index_of(list(hunks), "no longer covers insiders")

    result, _ = explain(old, new, material_phrases=(*INSIDERS, "no longer covers insiders"), now=AFTER_GRACE)
    only_changelog, _ = explain(policy(), policy(entries=(NAMING_ENTRY,)),
                                material_phrases=("no longer covers insiders",), now=AFTER_GRACE)

    assert result.per_hunk[in_changelog].status == "n/a"
    assert in_changelog not in result.hunk_evidence[0]
    assert only_changelog.status == "n/a"


def test_a_hunk_running_into_the_changelog_is_judged_on_its_body_part_only() -> None:
    old = "\n".join([TITLE, "Version 1.0", *SECTIONS])
    added_rule = "Deployment decisions are logged and kept for five years."
    entry = "Governance: deployment decisions are now logged and the logs kept for five years."
    new = "\n".join([TITLE, "Version 1.1", *SECTIONS, added_rule, "# Changelog", "## June 2, 2025", entry])
    unrelated = new.replace(entry, "Security: weight protection no longer covers insiders.")

    named, hunks = explain(old, new, material_phrases=(added_rule,), now=AFTER_GRACE)
    not_named, _ = explain(old, unrelated, material_phrases=(added_rule,), now=AFTER_GRACE)

    assert "# Changelog" in hunks[index_of(hunks, added_rule)].new_text  # one hunk covers both
    assert named.status == "explained"
    assert not_named.status == "version_only"  # the changelog text in the same hunk does not explain it


def test_an_entry_naming_only_the_area_leaves_the_hunk_unexplained_and_the_change_partial() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(AUDITS,), entries=("Revised the external review section.",))

    result, hunks = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE, section="3. External review")

    verdict = result.per_hunk[index_of(hunks, "auditor will review")]
    assert verdict.status == "version_only"  # "partial" is a change-level verdict only
    assert verdict.evidence  # the entry that points at the area stays in the evidence
    assert result.status == "partial"


def test_a_hunk_tagged_as_changelog_is_the_account_not_a_change() -> None:
    old, new = policy(), policy(edits=(INSIDERS,))

    result, _ = explain(old, new, material_phrases=INSIDERS, now=AFTER_GRACE, tags=("X-changelog",))

    assert result.status == "n/a"


def test_a_generic_entry_names_nothing() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS,), entries=(GENERIC_ENTRY,))

    result, hunks = explain(old, new, material_phrases=INSIDERS, now=AFTER_GRACE)

    assert result.status == "version_only"
    assert result.per_hunk[index_of(hunks, "outside attackers")].status == "version_only"
    assert not result.reason_given
    # The account is still shown, naming no hunk, so a reader sees that one existed.
    assert result.to_json()["evidence"] == [{
        "source": "example-policy", "url": "https://lab.example/policy",
        "text": f"June 2, 2025 (Version 1.1): {GENERIC_ENTRY}", "hunks": [],
    }]


def test_two_material_changes_one_named_is_partial() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS, AUDITS), entries=(NAMING_ENTRY,))

    settled, hunks = explain(old, new, material_phrases=(*INSIDERS, *AUDITS), now=AFTER_GRACE)
    early, _ = explain(old, new, material_phrases=(*INSIDERS, *AUDITS), now=INSIDE_GRACE)

    insiders, audits = index_of(hunks, "outside attackers"), index_of(hunks, "auditor will review")
    assert settled.status == "partial"
    assert settled.per_hunk[insiders].status == "explained"
    assert settled.per_hunk[audits].status == "version_only"
    assert early.status == "pending"  # an announcement may still explain the audit change


def test_both_changes_named_is_explained() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS, AUDITS), entries=(NAMING_ENTRY, AUDIT_ENTRY))

    result, hunks = explain(old, new, material_phrases=(*INSIDERS, *AUDITS), now=INSIDE_GRACE)

    assert result.status == "explained"
    assert result.hunk_evidence == {0: (index_of(hunks, "outside attackers"),), 1: (index_of(hunks, "auditor will review"),)}


def test_a_version_bump_without_account_is_version_only() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(AUDITS,))

    result, hunks = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE)

    assert result.status == "version_only"
    assert result.evidence == ()
    assert [h.status for h in result.per_hunk] == ["n/a" if i != index_of(hunks, "auditor will review") else "version_only"
                                                   for i in range(len(hunks))]


def test_nothing_is_pending_inside_the_grace_window_and_silent_after() -> None:
    old, new = policy(), policy(edits=(AUDITS,))

    early, hunks = explain(old, new, material_phrases=AUDITS, now=INSIDE_GRACE)
    late, _ = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE)

    audits = index_of(hunks, "auditor will review")
    assert (early.status, early.per_hunk[audits].status) == ("pending", "pending")
    assert (late.status, late.per_hunk[audits].status) == ("silent", "silent")
    assert early.reason_given is False and late.evidence == ()


def test_an_announcement_within_the_window_explains_the_change_on_reevaluation() -> None:
    old, new = policy(), policy(edits=(AUDITS,))
    post = announcement("We have changed our external review: independent audits of our compliance will "
                        "now take place every twenty-four months instead of every twelve months.",
                        DETECTED + timedelta(days=10))
    unrelated = announcement("Introducing our new assistant for spreadsheets.", DETECTED + timedelta(days=5))

    first, _ = explain(old, new, material_phrases=AUDITS, now=INSIDE_GRACE)
    later, hunks = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE, external=(unrelated, post))

    assert first.status == "pending"
    assert later.status == "explained"
    assert later.evidence == (post,)
    assert later.to_json()["evidence"] == [{"source": "example-news", "url": "https://lab.example/news/policy-update",
                                            "text": post.text, "hunks": [index_of(hunks, "auditor will review")]}]
    assert not later.reason_given


@pytest.mark.parametrize("seen_at", [DETECTED + GRACE + timedelta(hours=1), DETECTED - GRACE - timedelta(hours=1),
                                     None], ids=["too-late", "too-early", "no-time"])
def test_an_announcement_outside_the_window_is_ignored(seen_at: datetime | None) -> None:
    old, new = policy(), policy(edits=(AUDITS,))
    text = "Independent audits of our compliance now take place every twenty-four months."
    post = AccountEntry("example-news", None, text, seen_at.isoformat() if seen_at else None)

    result, _ = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE, external=(post,))

    assert result.status == "silent"
    assert result.evidence == ()


def test_an_announcement_mentioning_the_version_is_evidence_even_when_it_names_nothing() -> None:
    old, new = policy(), policy("1.1", "June 2, 2025", edits=(AUDITS,))
    post = announcement("Version 1.1 of our policy is now available.", DETECTED)

    result, _ = explain(old, new, material_phrases=AUDITS, now=AFTER_GRACE, external=(post,))

    assert result.status == "version_only"
    assert result.evidence == (post,) and result.hunk_evidence == {0: ()}


def test_editorial_hunks_are_not_judged() -> None:
    old, new = policy(), policy(edits=(("documented need", "documented business need"),))

    result, _ = explain(old, new, material_phrases=(), now=AFTER_GRACE)

    assert result.status == "n/a"
    assert {h.status for h in result.per_hunk} == {"n/a"}


def test_to_json_is_the_public_contract() -> None:
    old = policy()
    new = policy("1.1", "June 2, 2025", edits=(INSIDERS,), entries=(NAMING_ENTRY,))

    data, _ = explain(old, new, material_phrases=INSIDERS, now=AFTER_GRACE)

    assert set(data.to_json()) == {"status", "reason_given", "evidence"}
    assert set(data.to_json()["evidence"][0]) == {"source", "url", "text", "hunks"}


def test_naive_times_are_taken_as_utc_and_lengths_must_agree() -> None:
    old, new = policy(), policy(edits=(AUDITS,))
    hunks = compare(old, new).hunks
    post = AccountEntry("example-news", None, "Independent audits of compliance now every twenty-four months.",
                        "2025-06-05T00:00:00Z")

    result = explain_change(hunks, [True] * len(hunks), [()] * len(hunks), [None] * len(hunks), old, new,
                            source_id="p", url=None, external=[post], detected_at=datetime(2025, 6, 2),
                            now=datetime(2025, 8, 1), grace=GRACE)

    assert result.status == "explained"
    with pytest.raises(ValueError):
        explain_change(hunks, [True, True], [()], [None], old, new, source_id="p", url=None, external=[],
                       detected_at=DETECTED, now=DETECTED, grace=GRACE)
