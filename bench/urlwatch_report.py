"""Markdown tables for urlwatch_compare.py: per round, per watcher stage, and the watcher/urlwatch ratios.

render_report(run) -> str      `run` is the dict urlwatch_compare.main builds (results-nN.json per N)
"""

from __future__ import annotations

from collections.abc import Callable
from statistics import mean
from typing import Any

Row = dict[str, Any]
WATCHERS = ("watcher", "watcher-relaxed")


def render_report(run: dict[str, Any]) -> str:
    """The whole report: the run's header, then for every N the round, stage and summary tables."""
    parts = [header(run)]
    for size in run["sizes"]:
        parts += [
            f"### N = {size['n']}",
            "",
            events_table(size),
            "",
            rounds_table(size["rounds"]),
            "",
            stages_table(size["rounds"]),
            "",
            summary_table(size["rounds"], hang_rounds(size)),
            "",
            targets(size["rounds"], size["n"], hang_rounds(size)),
            "",
        ]
    return "\n".join(parts)


def header(run: dict[str, Any]) -> str:
    """Command, machine and versions."""
    m, v = run["machine"], run["versions"]
    return "\n".join(
        [
            f"Command: `{run['command']}` ({run.get('seconds', 0) / 60:.0f} min in all)",
            f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux {m['kernel']}, "
            f"CPython {m['python']}.",
            "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".",
            "",
        ]
    )


def events_table(size: dict[str, Any]) -> str:
    """What each round did to the documents (the ground truth, counted)."""
    lines = [
        "| round | substantive | noise | failure | recovering | unchanged |",
        "|---|---|---|---|---|---|",
    ]
    for plan in size["plans"]:
        events = list(plan["events"].values())
        by: dict[str, dict[str, int]] = {}
        for event in events:
            details = by.setdefault(event["category"], {})
            details[event["detail"]] = details.get(event["detail"], 0) + 1
        cells = [_counts(by.get(c, {})) for c in ("substantive", "noise", "failure", "recovery")]
        unchanged = size["n"] - len(events)
        first = "baseline: all new" if plan["round"] == 0 else str(plan["round"])
        lines.append(f"| {first} | " + " | ".join(cells) + f" | {unchanged if plan['round'] else '-'} |")
    return "\n".join(lines)


def _counts(details: dict[str, int]) -> str:
    total = sum(details.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{k or '?'} {v}" for k, v in sorted(details.items())) + ")"


def rounds_table(rounds: list[Row]) -> str:
    """One row per round and tool: cost, and what it reported against the truth."""
    lines = [
        "| round | tool | wall s | CPU s | peak RSS MiB | peak tree PSS MiB | reported | true found | missed "
        "| false alarms (noise / failure / other) | errors shown (on failures / elsewhere) | state added MiB "
        "| server answers |",
        "|---" * 13 + "|",
    ]
    for r in rounds:
        s, m = r["score"], r["measured"]
        fa = s["false_alarms"]
        failure_fa = fa.get("failure", 0) + fa.get("recovery", 0)
        other_fa = s["false_alarm_total"] - fa.get("noise", 0) - failure_fa
        reported = f"{s['baseline_captured']} new" if r["round"] == 0 else str(s["reported"])
        found = "-" if r["round"] == 0 else f"{s['found']}/{s['substantive']}"
        answers = " ".join(f"{k}:{v}" for k, v in sorted(r["server"]["status"].items()))
        lines.append(
            f"| {r['round']} | {r['tool']} | {m['wall']:.1f} | {m['cpu']:.1f} | {m['maxrss_main_mib']:.0f} "
            f"| {m['tree_pss_peak_mib']:.0f} | {reported} | {found} | {len(s['missed'])} "
            f"| {fa.get('noise', 0)} / {failure_fa} / {other_fa} "
            f"| {s['errors_on_failures']} / {len(s['errors_elsewhere'])} "
            f"| {r['state_bytes_added'] / 2**20:.1f} "
            f"| {answers} |"
        )
    return "\n".join(lines)


def stage_cpu(r: Row) -> dict[str, float]:
    """CPU seconds by stage of one watcher run (normalize includes the PDF helper processes)."""
    stages = r["stages"].get("stages", {})

    def cpu(name: str) -> float:
        return float(stages.get(name, {}).get("cpu", 0.0))

    figures = {
        "startup": float(r["stages"].get("startup_cpu", 0.0)),
        "normalize": cpu("normalize") + r["measured"]["cpu_helpers"],
        "diff": cpu("diff"),
        "classify": cpu("classify"),
        "store": cpu("store"),
        "reevaluate_alerts": cpu("reevaluate") + cpu("alerts"),
    }
    in_process = sum(figures.values()) - r["measured"]["cpu_helpers"]
    figures["rest"] = r["measured"]["cpu_main"] - in_process
    return figures


def stages_table(rounds: list[Row]) -> str:
    """Per watcher run: fetches, CPU by stage and snapshot bytes added."""
    lines = [
        "| round | config | fetches (sum of fetch time s, longest s) | start-up | normalize (PDF children) "
        "| diff | classify + explain | store | reevaluate + alerts | rest: event loop, HTTP, commits "
        "| snapshots added MiB |",
        "|---" * 11 + "|",
    ]
    for r in (r for r in rounds if r["tool"] in WATCHERS):
        c, f = stage_cpu(r), r["fetches"]
        lines.append(
            f"| {r['round']} | {r['tool']} | {f.get('count', 0)} ({f.get('elapsed_sum_s', 0):.0f}, "
            f"{f.get('elapsed_max_s', 0):.0f}) | {c['startup']:.2f} | {c['normalize']:.2f} "
            f"({r['measured']['cpu_helpers']:.2f}) | {c['diff']:.2f} | {c['classify']:.2f} "
            f"| {c['store']:.2f} "
            f"| {c['reevaluate_alerts']:.2f} | {c['rest']:.2f} | {r['state_bytes_added'] / 2**20:.1f} |"
        )
    lines.append("")
    lines.append("CPU seconds by stage; fetch time is the sum over fetches (they overlap), from watcher.db.")
    return "\n".join(lines)


def hang_rounds(size: dict[str, Any]) -> set[int]:
    """The rounds in which some document hangs."""
    return {
        p["round"]
        for p in size["plans"]
        if any(e["detail"] == "hang" for e in p["events"].values() if e["category"] == "failure")
    }


def aggregate(rounds: list[Row], tool: str, hangs: set[int]) -> dict[str, float]:
    """The figures the summary compares, for one tool over all rounds."""
    mine = [r for r in rounds if r["tool"] == tool]
    later = [r for r in mine if r["round"] > 0] or mine
    quiet = [r for r in later if r["round"] not in hangs] or later

    def fa(category: str) -> float:
        return float(sum(r["score"]["false_alarms"].get(category, 0) for r in later))

    return {
        "cpu_round0": mine[0]["measured"]["cpu"],
        "cpu_later": mean(r["measured"]["cpu"] for r in later),
        "wall_round0": mine[0]["measured"]["wall"],
        "wall_later": mean(r["measured"]["wall"] for r in later),
        "wall_no_hang": mean(r["measured"]["wall"] for r in quiet),
        "rss": max(r["measured"]["maxrss_main_mib"] for r in mine),
        "pss": max(r["measured"]["tree_pss_peak_mib"] for r in mine),
        "fa_noise": fa("noise"),
        "fa_failure": fa("failure") + fa("recovery"),
        "fa_other": fa("unchanged"),
        "missed": float(sum(len(r["score"]["missed"]) for r in later)),
        "found": float(sum(r["score"]["found"] for r in later)),
        "substantive": float(sum(r["score"]["substantive"] for r in later)),
        "errors_elsewhere": float(sum(len(r["score"]["errors_elsewhere"]) for r in mine)),
        "state_mib": sum(r["state_bytes_added"] for r in mine) / 2**20,
    }


SUMMARY_ROWS: tuple[tuple[str, str, Callable[[float], str]], ...] = (
    ("CPU s, baseline round 0", "cpu_round0", lambda v: f"{v:.1f}"),
    ("CPU s per later round (mean)", "cpu_later", lambda v: f"{v:.1f}"),
    ("wall s, baseline round 0", "wall_round0", lambda v: f"{v:.1f}"),
    ("wall s per later round (mean)", "wall_later", lambda v: f"{v:.1f}"),
    ("wall s per later round without a hang (mean)", "wall_no_hang", lambda v: f"{v:.1f}"),
    ("peak RSS MiB (main process, any round)", "rss", lambda v: f"{v:.0f}"),
    ("peak tree PSS MiB (sampled, any round)", "pss", lambda v: f"{v:.0f}"),
    ("substantive changes found / made", "found", lambda v: f"{v:.0f}"),
    ("missed substantive changes", "missed", lambda v: f"{v:.0f}"),
    ("false alarms on noise", "fa_noise", lambda v: f"{v:.0f}"),
    ("false alarms on failures (failure or recovery round)", "fa_failure", lambda v: f"{v:.0f}"),
    ("false alarms on unchanged documents", "fa_other", lambda v: f"{v:.0f}"),
    ("errors shown for documents that did not fail", "errors_elsewhere", lambda v: f"{v:.0f}"),
    ("state added MiB (urlwatch cache.db / watcher snapshots/)", "state_mib", lambda v: f"{v:.1f}"),
)
RATIO_KEYS = (
    "cpu_round0",
    "cpu_later",
    "wall_round0",
    "wall_later",
    "wall_no_hang",
    "rss",
    "pss",
    "state_mib",
)


def summary_table(rounds: list[Row], hangs: set[int]) -> str:
    """Every tool's figures side by side, with the ratio watcher/urlwatch where it means something."""
    tools = sorted({r["tool"] for r in rounds}, key=lambda t: (t != "urlwatch", t))
    figures = {t: aggregate(rounds, t, hangs) for t in tools}
    base = figures.get("urlwatch")
    head = (
        "| | "
        + " | ".join(tools)
        + " | "
        + " | ".join(f"{t}/urlwatch" for t in tools if t != "urlwatch")
        + " |"
    )
    lines = [head, "|---" * (len(tools) * 2) + "|"]
    for label, key, fmt in SUMMARY_ROWS:
        values = [fmt(figures[t][key]) for t in tools]
        if key == "found":
            values = [f"{figures[t]['found']:.0f}/{figures[t]['substantive']:.0f}" for t in tools]
        ratios = [
            _ratio(figures[t][key], base[key]) if base and key in RATIO_KEYS else ""
            for t in tools
            if t != "urlwatch"
        ]
        lines.append(f"| {label} | " + " | ".join(values) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}" if base else "-"


TARGETS: tuple[tuple[str, Callable[[dict[str, float], dict[str, float]], tuple[float, bool]]], ...] = (
    (
        "false alarms on noise and failures = 0",
        lambda w, u: (w["fa_noise"] + w["fa_failure"], w["fa_noise"] + w["fa_failure"] == 0),
    ),
    ("missed substantive changes = 0", lambda w, u: (w["missed"], w["missed"] == 0)),
    (
        "CPU per later round <= 0.5 x urlwatch",
        lambda w, u: (w["cpu_later"] / u["cpu_later"], w["cpu_later"] <= 0.5 * u["cpu_later"]),
    ),
    (
        "CPU of the baseline round <= 0.5 x urlwatch",
        lambda w, u: (w["cpu_round0"] / u["cpu_round0"], w["cpu_round0"] <= 0.5 * u["cpu_round0"]),
    ),
    ("peak RSS of the main process <= urlwatch", lambda w, u: (w["rss"] / u["rss"], w["rss"] <= u["rss"])),
    ("peak PSS of the process tree <= urlwatch", lambda w, u: (w["pss"] / u["pss"], w["pss"] <= u["pss"])),
    (
        "wall per later round <= urlwatch",
        lambda w, u: (w["wall_later"] / u["wall_later"], w["wall_later"] <= u["wall_later"]),
    ),
    (
        "wall per later round without a hang <= urlwatch",
        lambda w, u: (w["wall_no_hang"] / u["wall_no_hang"], w["wall_no_hang"] <= u["wall_no_hang"]),
    ),
)


def targets(rounds: list[Row], n: int, hangs: set[int]) -> str:
    """The issue's targets, met or missed (counts, or ratios to urlwatch); resource targets are for N=1000."""
    tools = [t for t in WATCHERS if t in {r["tool"] for r in rounds}]
    if not any(r["tool"] == "urlwatch" for r in rounds) or not tools:
        return ""
    u = aggregate(rounds, "urlwatch", hangs)
    figures = {t: aggregate(rounds, t, hangs) for t in tools}
    lines = [
        f"Targets of the issue at N={n} (resource targets are set for N=1000; wall time is compared at "
        "equal concurrency, i.e. for watcher-relaxed):",
        "",
        "| target | " + " | ".join(tools) + " |",
        "|---" * (len(tools) + 1) + "|",
    ]
    for index, (label, check) in enumerate(TARGETS):
        cells = []
        for tool in tools:
            value, ok = check(figures[tool], u)
            shown = f"{value:.0f}" if index < 2 else f"{value:.2f}x"
            cells.append(f"{shown} {'met' if ok else '**missed**'}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
