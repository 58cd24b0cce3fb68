"""Plain-text tables of the scores, and the targets with PASS / FAIL."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "checks": "every watcher check ran cleanly (else the rest is not trustworthy)",
    "reuploads_detected": "every same-label re-upload detected (change with same_label_reupload)",
    "editorial_not_material": "editorial-only re-uploads not material",
    "recall": "recall (b) >= 0.90",
    "wrong": "wrong-transition recall <= 0.15",
    "overlap": "overlap (c) >= 0.70",
    "noise": "no change from noise-only re-renders",
    "silent": "silent share within 15 points of the paper, every pair",
}


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def _yn(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "no")


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def verdicts(score: dict[str, Any]) -> dict[str, str]:
    """PASS / FAIL / n/a per target for one format."""
    re_ = score["reuploads"]
    out: dict[str, str] = {}
    failed, steps = score["checks"]["failed_checks"], score["checks"]["steps"]
    out["checks"] = f"{'PASS' if failed == 0 and not score['errors'] else 'FAIL'} {steps - failed}/{steps}"
    if re_["n"] == 0:
        out["reuploads_detected"] = "n/a"
    elif re_["detected"] is None:
        out["reuploads_detected"] = f"n/a ({re_['changed']}/{re_['n']} changed)"
    else:
        ok = re_["detected"] == re_["n"]
        out["reuploads_detected"] = f"{'PASS' if ok else 'FAIL'} {re_['detected']}/{re_['n']}"
    if re_["editorial_not_material"] is None:
        out["editorial_not_material"] = "n/a"
    else:
        ok = re_["editorial_not_material"] == re_["editorial_of"]
        out["editorial_not_material"] = f"{'PASS' if ok else 'FAIL'} {re_['editorial_not_material']}/{re_['editorial_of']}"
    recall, wrong, overlap = score["recall"]["value"], score["wrong"]["value"], score["overlap"]["value"]
    out["recall"] = "n/a" if recall is None else f"{'PASS' if recall >= 0.9 else 'FAIL'} {recall:.2f}"
    out["wrong"] = "n/a" if wrong is None else f"{'PASS' if wrong <= 0.15 else 'FAIL'} {wrong:.2f}"
    out["overlap"] = "n/a" if overlap is None else f"{'PASS' if overlap >= 0.7 else 'FAIL'} {overlap:.2f}"
    noise = score["noise"]["total"]
    out["noise"] = f"{'PASS' if noise == 0 else 'FAIL'} {noise}"
    diffs = [p.get("silent_diff_points") for p in score["pairs"] if p.get("paper_silent_share") is not None]
    if not diffs or any(d is None for d in diffs):
        out["silent"] = "n/a"
    else:
        within = sum(1 for d in diffs if abs(d) <= 15)
        out["silent"] = f"{'PASS' if within == len(diffs) else 'FAIL'} {within}/{len(diffs)}"
    return out


def format_section(score: dict[str, Any]) -> str:
    """The tables of one format."""
    fmt = score["format"]
    checks = score["checks"]
    parts = [(f"== {fmt}: {score['streams']} streams, {checks['steps']} checks "
              f"({checks['failed_checks']} failed), replay {checks['seconds']} s "
              f"(render {checks['render_seconds']} s); classification "
              f"{'present' if score['classified'] else 'ABSENT (every hunk counted as material)'}")]
    for stream, error in score["errors"].items():
        parts.append(f"   ERROR {stream}: {error[:300]}")
    for example in checks.get("failed_examples") or []:
        parts.append(f"   FAILED CHECK {example}")
    re_ = score["reuploads"]
    parts.append("\n(a) same-label re-uploads")
    parts.append(_table(
        ["stream", "variant", "changes", "hunks", "material hunks", "detected", "material", "labelled", "agree"],
        [[r["stream"], r["variant"], str(r["changes"]), str(r["hunks"]),
          "n/a" if r["material_hunks"] is None else str(r["material_hunks"]), _yn(r["detected"]),
          _yn(r["watcher_material"]), _yn(r["expected_material"]), _yn(r["material_agrees"])]
         for r in re_["rows"]]))
    parts.append("\n(b) recall, (c) overlap, (d) silent share, per traced pair")
    rows = []
    for p in score["pairs"]:
        if "error" in p:
            rows.append([p["pair"], str(p["coded_material"]), "-", "ERROR", p["error"][:40], *[""] * 8])
            continue
        rows.append([
            p["pair"], str(p["coded_material"]), str(p["found"]), _f(p["recall"]),
            f"{_f(p['wrong_recall'])} ({_f(p['wrong_per_pair'], 3)})", str(p["other_transitions"]),
            f"{p['material_hunks']}/{p['hunks']}", _f(p["overlap"]),
            _pct(p["watcher_silent_share"]), _pct(p["paper_silent_share"]),
            "n/a" if p.get("silent_diff_points") is None else f"{p['silent_diff_points']:+.0f}",
            str(p["max_hunk_words"]), f"{p['unchanged_inside']}/{p['unchanged_passages']}",
        ])
    rec, wr, ov = score["recall"], score["wrong"], score["overlap"]
    rows.append(["ALL", str(rec["coded"]), str(rec["found"]), _f(rec["value"]),
                 f"{_f(wr['value'])} ({_f(wr['per_pair_value'], 3)})", "", f"{ov['material_hunks']}", _f(ov["value"]),
                 "", "", "", "", ""])
    parts.append(_table(["pair", "coded", "found", "recall", "wrong (per pair)", "other pairs", "mat./all hunks",
                         "overlap", "silent watcher", "silent paper", "diff pts", "max words/hunk",
                         "unchanged inside"], rows))
    parts.append("   wrong: share of these rows also found at another version pair of the stream (in brackets: "
                 "per (row, pair));\n   unchanged inside: coded passages with the same words in both versions "
                 "that still lie inside material hunks")
    noise = score["noise"]
    parts.append(f"\n(e) noise-only re-renders: {noise['noise_steps']} steps; changes: document "
                 f"{noise['doc_changes']}, updates page {noise['updates_changes']}, updates page re-rendered "
                 f"without a new account {noise['updates_changes_without_account']}")
    parts += [f"   {d}" for d in noise["details"]]
    shape = score["hunks"]
    if shape.get("hunks"):
        parts.append(f"\nhunk shape (all modified changes): {shape['hunks']} hunks, words per hunk median "
                     f"{shape['median_words']}, p90 {shape['p90_words']}, max {shape['max_words']}, "
                     f"{shape['over_200_words']} over 200 words; unchanged share of hunk text "
                     f"{_pct(shape['unchanged_share'])}")
    if score.get("fidelity"):
        fid = score["fidelity"]
        parts.append(f"text fidelity (served text vs watcher's normalized text, token similarity): mean "
                     f"{_f(fid['mean'], 3)}, min {_f(fid['min'], 3)} ({fid['worst']})")
    return "\n".join(parts)


def summary(scores: list[dict[str, Any]], seconds: float, extra: list[str] | None = None) -> str:
    """Targets with PASS / FAIL per format."""
    per_format = {s["format"]: verdicts(s) for s in scores}
    headers = ["target", *per_format]
    rows = [[label, *(per_format[f][key] for f in per_format)] for key, label in TARGETS.items()]
    text = "== summary\n" + _table(headers, rows) + f"\n\ntotal runtime {seconds:.0f} s"
    if extra:
        text += "\n" + "\n".join(extra)
    return text
