"""Benchmark `watcher check` against a real HTTP server with many documents on many loopback hosts.

    .venv/bin/python bench/run_check_bench.py [--docs 500] [--addresses 20] [--latency-ms 20]
                                              [--variants etag,none] [--seed 1] [--py-spy PATH]

For each server variant ("etag": ETag + 304 on If-None-Match; "none": no validators, always 200) it runs,
each in a fresh data folder under bench/out/run-VARIANT/:
    cycle 1   every document new                           (expect N new versions)
    cycle 2   10% of documents with a few words edited     (expect N/10 new, the rest unchanged)
    control   nothing changed                              (expect N unchanged)
`watcher check` runs as a subprocess under bench/measure.py, which collects the CPU and peak RSS of watcher
and of the PDF-extraction processes it leaves behind. Then it times watcher.diff.compare on a 1 MB pair.
Results: a table on stdout and bench/out/results.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docgen
from corpus import Corpus, build_corpus, publish
from docserver import DocServerProcess

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
SUMMARY = re.compile(r"checked (\d+), unchanged (\d+), new versions (\d+), gone (\d+), changes (\d+), "
                     r"failures (\d+)")


@dataclass
class CycleResult:
    """Measurements of one `watcher check` run."""

    name: str
    summary: dict[str, int]
    summary_line: str
    expected: dict[str, int]
    wall_seconds: float
    cpu_main: float
    cpu_helpers: float
    maxrss_main_mib: float
    maxrss_helpers_mib: float
    snapshot_bytes_added: int
    snapshot_disk_bytes_added: int
    snapshot_files_added: int
    db_bytes_added: int
    server: dict[str, Any] = field(default_factory=dict)
    load_before: float = 0.0
    watcher_source: str = ""

    @property
    def cpu_total(self) -> float:
        """CPU seconds of watcher and its helper processes together."""
        return self.cpu_main + self.cpu_helpers

    @property
    def as_expected(self) -> bool:
        """The summary counts are the ones the scenario should give."""
        return all(self.summary.get(key) == value for key, value in self.expected.items())


@dataclass
class VariantResult:
    """The three cycles of one server variant, and the derived per-document figures."""

    variant: str
    cycles: list[CycleResult]
    per_document: dict[str, float] = field(default_factory=dict)


# ---- measuring one run ----------------------------------------------------------------------------

def watcher_env(out: Path) -> dict[str, str]:
    """The environment for watcher: bytecode cached (under OUT/pycache), as on a normal install.

    With PYTHONDONTWRITEBYTECODE set (as in some sandboxes) the editable watcher package would be
    compiled from source on every start, which inflates the fixed cost of each run.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(out / "pycache")
    return env


def measured(command: list[str], out_json: Path, env: dict[str, str]) -> tuple[dict[str, Any], str, str]:
    """Run a command under measure.py: (measurements, stdout, stderr)."""
    wrapper = [sys.executable, str(BENCH / "measure.py"), "--json", str(out_json), "--", *command]
    completed = subprocess.run(wrapper, cwd=REPO, capture_output=True, text=True, check=False, env=env)
    if not out_json.exists():
        raise RuntimeError(f"measure.py failed: {completed.stderr}")
    return json.loads(out_json.read_text()), completed.stdout, completed.stderr


def cpu_of(usage: dict[str, Any]) -> float:
    """User + system seconds of one rusage record."""
    return float(usage["user"] + usage["system"])


def folder_usage(folder: Path) -> tuple[int, int, int]:
    """(apparent bytes, allocated bytes as du counts them, file count) of a folder tree."""
    size = disk = files = 0
    for root, _, names in os.walk(folder):
        for name in names:
            stat = os.lstat(os.path.join(root, name))
            size += stat.st_size
            disk += stat.st_blocks * 512
            files += 1
    return size, disk, files


def db_bytes(data: Path) -> int:
    """Size of watcher.db with its WAL and shared-memory files."""
    return sum(p.stat().st_size for p in data.glob("watcher.db*"))


def startup_cpu(out: Path, runs: int = 3) -> float:
    """The smallest CPU of `watcher --version`: interpreter start and imports, a fixed cost per check."""
    samples = []
    for i in range(runs):
        usage, _, _ = measured([str(VENV_BIN / "watcher"), "--version"], out / f"startup-{i}.json",
                               watcher_env(out))
        samples.append(cpu_of(usage["total"]))
    return min(samples)


def run_cycle(name: str, config: Path, server: DocServerProcess, expected: dict[str, int],
              py_spy: str | None = None, source_ids: tuple[str, ...] = ()) -> CycleResult:
    """One `watcher --config CONFIG check [IDS]`, measured (and sampled by py-spy when given its path)."""
    data = config.parent
    snap_before, db_before = folder_usage(data / "snapshots"), db_bytes(data)
    stats_before, load_before, source = server.stats(), load_average(), watcher_fingerprint()
    command = [str(VENV_BIN / "watcher"), "--config", str(config), "check", *source_ids]
    if py_spy:
        command = [py_spy, "record", "--subprocesses", "--nonblocking", "-r", "100", "-f", "raw", "-o",
                   str(data / f"py-spy-{name}.txt"), "--", *command]
    usage, stdout, stderr = measured(command, data / f"measure-{name}.json", watcher_env(data.parent))
    (data / f"stderr-{name}.txt").write_text(stderr)
    line = next((x for x in reversed(stdout.splitlines()) if SUMMARY.search(x)), stdout.strip()[-200:])
    snap_after = folder_usage(data / "snapshots")
    return CycleResult(
        name=name, summary=parse_summary(line), summary_line=line, expected=expected,
        wall_seconds=usage["wall_seconds"], cpu_main=cpu_of(usage["main"]),
        cpu_helpers=sum(cpu_of(d) for d in usage["descendants"]),
        maxrss_main_mib=usage["main"]["maxrss_kib"] / 1024,
        maxrss_helpers_mib=max((d["maxrss_kib"] for d in usage["descendants"]), default=0) / 1024,
        snapshot_bytes_added=snap_after[0] - snap_before[0],
        snapshot_disk_bytes_added=snap_after[1] - snap_before[1],
        snapshot_files_added=snap_after[2] - snap_before[2],
        db_bytes_added=db_bytes(data) - db_before,
        server=stats_delta(stats_before, server.stats()), load_before=load_before, watcher_source=source,
    )


def load_average() -> float:
    """The 1-minute load average (other work on the machine skews wall times)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def watcher_fingerprint() -> str:
    """A hash of the watcher package's source, to notice when it is edited during a run."""
    digest = hashlib.sha256()
    for path in sorted((REPO / "watcher").rglob("*.py")):
        digest.update(path.relative_to(REPO).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def parse_summary(line: str) -> dict[str, int]:
    """The counts of watcher's one-line summary."""
    match = SUMMARY.search(line)
    if not match:
        return {}
    keys = ("checked", "unchanged", "new_versions", "gone", "changes", "failures")
    return dict(zip(keys, map(int, match.groups()), strict=True))


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the server answered between two stats snapshots."""
    statuses = {k: v - before["status"].get(k, 0) for k, v in after["status"].items()}
    return {"requests": after["requests"] - before["requests"], "bytes_sent": after["bytes_sent"] -
            before["bytes_sent"], "status": {k: v for k, v in statuses.items() if v}}


# ---- the scenario ---------------------------------------------------------------------------------

def write_config(path: Path, corpus: Corpus, bases: list[str], delay: str) -> None:
    """sources.toml: every document as a framework source, spread round-robin over the addresses."""
    lines = ["[fetch]", f'delay_per_host = "{delay}"', "concurrency_per_host = 2", "retries = 0", ""]
    for spec in corpus.specs:
        url = bases[spec.index % len(bases)] + corpus.url_path(spec)
        lines += ["[[source]]", f'id = "{spec.slug}"', f'org = "{spec.org}"', f'title = "{spec.title}"',
                  'kind = "framework"', f'url = "{url}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def run_variant(variant: str, corpus: Corpus, args: argparse.Namespace) -> VariantResult:
    """Cycle 1, cycle 2 and the control run against a server of this variant, in a fresh data folder."""
    site, data = args.out / "site", args.out / f"run-{variant}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    publish(corpus, site)
    n, k = len(corpus.specs), len(corpus.changed)
    with DocServerProcess(site, addresses=args.addresses, latency_ms=args.latency_ms,
                          etag=variant == "etag") as server:
        config = data / "sources.toml"
        write_config(config, corpus, server.bases, args.delay)
        print(f"[{variant}] serving {n} documents from {len(server.bases)} addresses "
              f"({server.bases[0]} ... {server.bases[-1]})", flush=True)
        cycles = [run_cycle("cycle1", config, server, {"checked": n, "new_versions": n, "failures": 0},
                            args.py_spy)]
        report_cycle(variant, cycles[-1])
        publish(corpus, site, edited=True)
        cycles.append(run_cycle("cycle2", config, server, {"checked": n, "new_versions": k,
                                                          "unchanged": n - k, "failures": 0}, args.py_spy))
        report_cycle(variant, cycles[-1])
        cycles.append(run_cycle("control", config, server, {"checked": n, "unchanged": n, "failures": 0},
                                args.py_spy))
        report_cycle(variant, cycles[-1])
        unchanged_id = next(s.slug for s in corpus.specs if s not in corpus.changed)
        cycles.append(run_cycle("one-source", config, server, {"checked": 1, "unchanged": 1, "failures": 0},
                                source_ids=(unchanged_id,)))
        report_cycle(variant, cycles[-1])
    if len({c.watcher_source for c in cycles}) > 1:
        print(f"[{variant}] WARNING: the watcher source changed during this variant "
              f"({[c.watcher_source for c in cycles]}); its cycles ran different code", flush=True)
    return VariantResult(variant, cycles)


def report_cycle(variant: str, cycle: CycleResult) -> None:
    """One progress line per cycle, with watcher's own summary and whether it is as expected."""
    verdict = "as expected" if cycle.as_expected else f"UNEXPECTED (expected {cycle.expected})"
    print(f"[{variant}] {cycle.name}: {cycle.summary_line!r} -> {verdict}; wall {cycle.wall_seconds:.1f} s, "
          f"CPU {cycle.cpu_total:.1f} s, server {cycle.server['status']}, load {cycle.load_before:.1f}",
          flush=True)


def per_document(result: VariantResult, startup: float, n: int, k: int) -> dict[str, float]:
    """CPU per document: first-seen, unchanged and changed, and the fixed cost per run (README: method).

    cycle 1     = start-up + n * first_seen
    one-source  = start-up + per_run + 1 * unchanged     (per_run: work that does not depend on how many
    control     = start-up + per_run + n * unchanged      sources are checked, e.g. re-evaluating
    cycle 2     = start-up + per_run + (n - k) * unchanged + k * changed       pending changes)
    """
    first, second, control, one = result.cycles
    figures = {"first_seen": (first.cpu_total - startup) / n}
    for suffix, cpu in (("", lambda c: c.cpu_total), ("_main", lambda c: c.cpu_main)):
        unchanged = (cpu(control) - cpu(one)) / (n - 1)
        figures["unchanged" + suffix] = unchanged
        figures["changed" + suffix] = (cpu(second) - cpu(one) - (n - k - 1) * unchanged) / k
        figures["per_run" + suffix] = cpu(one) - startup - unchanged
    return figures


# ---- diff -----------------------------------------------------------------------------------------

def diff_benchmark(size: int, words: int, seed: int, repeats: int) -> dict[str, Any]:
    """Time watcher.diff.compare on a `size`-byte text pair with `words` scattered word changes."""
    try:
        from watcher.diff import compare
    except ImportError as e:
        return {"error": f"watcher.diff not importable: {e}"}
    spec = docgen.DocSpec(index=10**6, fmt="text", text_bytes=size, seed=seed)
    blocks = docgen.document_blocks(spec)
    old, new = docgen.text_of(blocks), docgen.text_of(docgen.edit_words(blocks, words, seed))
    wall, cpu, hunks = [], [], 0
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = compare(old, new)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        hunks = len(result.hunks)
    return {"old_chars": len(old), "new_chars": len(new), "words_changed": words, "hunks": hunks,
            "wall_min": min(wall), "wall_median": statistics.median(wall), "cpu_min": min(cpu),
            "repeats": repeats}


# ---- reporting ------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and Python version."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                  if line.startswith("model name")), platform.processor())
    mem_kib = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                       if line.startswith("MemTotal")))
    return {"cpu": model, "cores": os.cpu_count(), "ram_gib": round(mem_kib / 1024**2, 1),
            "python": platform.python_version(), "kernel": platform.release()}


def mib(value: float) -> str:
    """Bytes as MiB with one decimal."""
    return f"{value / 1024**2:.1f}"


def cycle_table(results: list[VariantResult]) -> str:
    """A Markdown table: one column per (variant, cycle)."""
    columns = [(r.variant, c) for r in results for c in r.cycles]
    rows: list[tuple[str, list[str]]] = [
        ("watcher summary (new / unchanged)",
         [f"{c.summary.get('new_versions', '?')} / {c.summary.get('unchanged', '?')}" for _, c in columns]),
        ("server answers", [" ".join(f"{k}:{v}" for k, v in c.server["status"].items()) for _, c in columns]),
        ("wall time (s)", [f"{c.wall_seconds:.2f}" for _, c in columns]),
        ("CPU total (s)", [f"{c.cpu_total:.2f}" for _, c in columns]),
        ("  watcher process (s)", [f"{c.cpu_main:.2f}" for _, c in columns]),
        ("  PDF helper processes (s)", [f"{c.cpu_helpers:.2f}" for _, c in columns]),
        ("peak RSS watcher (MiB)", [f"{c.maxrss_main_mib:.0f}" for _, c in columns]),
        ("peak RSS largest helper (MiB)", [f"{c.maxrss_helpers_mib:.0f}" for _, c in columns]),
        ("snapshots/ added (MiB, apparent)", [mib(c.snapshot_bytes_added) for _, c in columns]),
        ("snapshots/ added (MiB, du)", [mib(c.snapshot_disk_bytes_added) for _, c in columns]),
        ("snapshot files added", [str(c.snapshot_files_added) for _, c in columns]),
        ("watcher.db* growth (MiB)", [mib(c.db_bytes_added) for _, c in columns]),
        ("load average before", [f"{c.load_before:.1f}" for _, c in columns]),
    ]
    header = "| | " + " | ".join(f"{v}: {c.name}" for v, c in columns) + " |"
    lines = [header, "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(values) + " |" for label, values in rows]
    return "\n".join(lines)


def per_document_table(results: list[VariantResult], startup: float) -> str:
    """A Markdown table of the derived CPU per document, in milliseconds."""
    title = (f"CPU per document (ms; start-up cost of {startup * 1000:.0f} ms per run, from `watcher "
             "--version`, subtracted; per-run cost: besides start-up, in every run after cycle 2)")
    lines = [title, "",
             ("| server | first seen | unchanged | changed | per-run cost | unchanged (watcher process only) "
              "| changed (watcher process only) |"), "|---|---|---|---|---|---|---|"]
    for r in results:
        p = r.per_document
        flag = "" if all(c.as_expected for c in r.cycles) else " (counts not as expected: approximate)"
        ms = {key: value * 1000 for key, value in p.items()}
        lines.append(f"| {r.variant}{flag} | {ms['first_seen']:.1f} | {ms['unchanged']:.2f} | "
                     f"{ms['changed']:.1f} | {ms['per_run']:.0f} | {ms['unchanged_main']:.2f} "
                     f"| {ms['changed_main']:.1f} |")
    return "\n".join(lines)


def diff_line(diff: dict[str, Any]) -> str:
    """One line about the diff benchmark."""
    if "error" in diff:
        return f"diff: {diff['error']}"
    return (f"diff: compare() on {diff['old_chars'] / 1e6:.2f} MB text, {diff['words_changed']} scattered "
            f"word changes -> {diff['hunks']} hunks in {diff['wall_min'] * 1000:.0f} ms "
            f"(min of {diff['repeats']}, "
            f"median {diff['wall_median'] * 1000:.0f} ms)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--docs", type=int, default=500, help="documents, half HTML half PDF (default 500)")
    parser.add_argument("--addresses", type=int, default=20,
                        help="loopback addresses from 127.0.0.2 (default 20)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="added to every response (default 20)")
    parser.add_argument("--changed-share", type=float, default=0.1, help="documents edited for cycle 2 (0.1)")
    parser.add_argument("--words-changed", type=int, default=5, help="words replaced per edited document (5)")
    parser.add_argument("--delay", default="0s", help='[fetch] delay_per_host (default "0s")')
    parser.add_argument("--variants", default="etag,none", help="server variants: etag, none (default both)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated documents (default 1)")
    parser.add_argument("--diff-bytes", type=int, default=1_000_000, help="size of the diff pair (1 MB)")
    parser.add_argument("--diff-words", type=int, default=50, help="word changes in the diff pair (50)")
    parser.add_argument("--py-spy", metavar="PATH", default=None, help="sample every cycle with this "
                        "py-spy (bench/out/run-VARIANT/py-spy-CYCLE.txt; see profile_summary.py); CPU "
                        "figures are then inflated")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="work folder (default bench/out)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Generate (or load) the corpus, run the variants and the diff benchmark, print the tables."""
    args = parse_args(argv)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    corpus = build_corpus(args.out, seed=args.seed, count=args.docs, change_share=args.changed_share,
                          words_changed=args.words_changed)
    sizes = corpus.bytes_by_format()
    formats = ", ".join(f"{k} {mib(v)} MiB" for k, v in sizes.items())
    print(f"corpus: {len(corpus.specs)} documents ({formats}), "
          f"{len(corpus.changed)} edited; generated in {corpus.generation_seconds:.1f} s"
          f"{' (cached)' if corpus.cached else ''}", flush=True)
    startup = startup_cpu(args.out)
    results = []
    for variant in args.variants.split(","):
        result = run_variant(variant, corpus, args)
        result.per_document = per_document(result, startup, len(corpus.specs), len(corpus.changed))
        results.append(result)
    diff = diff_benchmark(args.diff_bytes, args.diff_words, args.seed, repeats=3)
    print()
    print(cycle_table(results))
    print()
    print(per_document_table(results, startup))
    print()
    print(diff_line(diff))
    write_results(args, corpus, startup, results, diff)
    return 0 if all(c.as_expected for r in results for c in r.cycles) else 1


def write_results(args: argparse.Namespace, corpus: Corpus, startup: float, results: list[VariantResult],
                  diff: dict[str, Any]) -> None:
    """Everything measured, as bench/out/results.json."""
    options = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    data = {"machine": machine(), "options": options,
            "corpus": {"documents": len(corpus.specs), "changed": len(corpus.changed),
                       "bytes_by_format": corpus.bytes_by_format(),
                       "generation_seconds": corpus.generation_seconds, "cached": corpus.cached},
            "startup_cpu_seconds": startup,
            "variants": [{"variant": r.variant, "per_document_cpu_seconds": r.per_document,
                          "cycles": [asdict(c) | {"cpu_total": c.cpu_total} for c in r.cycles]}
                         for r in results],
            "diff": diff}
    (args.out / "results.json").write_text(json.dumps(data, indent=2))
    print(f"\nwritten {args.out / 'results.json'}; machine: {data['machine']}")


if __name__ == "__main__":
    sys.exit(main())
