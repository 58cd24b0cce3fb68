"""Compare watcher with urlwatch on the same served corpus, round by round, and print markdown tables.

    .venv/bin/python bench/urlwatch_compare.py                   # N=100 and N=1000, rounds 0 (baseline) to 3
    .venv/bin/python bench/urlwatch_compare.py --n 100 --rounds 3    # the quick run (a few minutes)

Setup (done by this command, idempotent): Debian's libpoppler-cpp-dev, pkg-config and g++ (apt-get, as
root), then a virtual environment bench/.urlwatch-venv with urlwatch and pdftotext from PyPI, so that
urlwatch's pdf2text filter works. watcher runs from the interpreter running this script (.venv).

Scenario (urlwatch_scenario.py): N generated documents (docgen.py, HTML and PDF alternating) served from
--addresses loopback addresses with --latency-ms per answer and ETags (urlwatch_server.py, which wraps
docserver.py with injected faults). Round 0 is the baseline; before every later round some documents
change in substance, some only in noise, some fail for that round (503, a hang past both tools' timeouts,
a challenge page with status 200), the rest stay the same. The ground truth is kept per document and round.

Tools, each with its own state folder under OUT/urlwatch-nN/TOOL/:
    urlwatch         urls.yaml with the html2text (method --html2text-method, urlwatch's default "re") or
                     pdf2text filter per job, the stdout reporter only; a fixed pool of 10 threads
    watcher          sources.toml with watcher's defaults ([fetch]: 2 per host, 1 s apart, 3 retries)
    watcher-relaxed  the same with concurrency_per_host = --relaxed-per-host, delay_per_host = "0s" and
                     max_in_flight = --relaxed-in-flight (10: urlwatch's pool, so equal total concurrency)

Per tool and round it measures (urlwatch_measure.py over measure.py) wall time, CPU of the process tree,
peak RSS and sampled peak PSS of the tree, and scores what the tool reported against the ground truth:
urlwatch's stdout report (NEW/CHANGED/ERROR lines), watcher's `changes --json` (kinds modified, removed and
restored are reported changes) and the failures on its stderr. watcher runs under urlwatch_stages.py, which
times its stages (normalize, diff, classify, store, ...); fetch times come from watcher.db (fetches).
Results: markdown on stdout and OUT/urlwatch/results.md, everything in OUT/urlwatch/results-nN.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import SITE_PREFIX, Corpus, build_corpus  # noqa: E402
from run_check_bench import folder_usage, load_average, machine, watcher_env  # noqa: E402
from urlwatch_measure import Measured, run_measured  # noqa: E402
from urlwatch_report import render_report  # noqa: E402
from urlwatch_scenario import DocumentStates, Event, RoundPlan, Shares, plan_rounds  # noqa: E402
from urlwatch_server import FaultServerProcess, write_faults  # noqa: E402

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VENV_BIN = Path(sys.executable).parent
APT_PACKAGES = ("libpoppler-cpp-dev", "pkg-config", "g++")
URLWATCH_REQUIREMENTS = ("urlwatch==2.29", "pdftotext==4.0.0")
TOOLS = ("urlwatch", "watcher", "watcher-relaxed")
WATCHER_REPORTED_KINDS = ("modified", "removed", "restored")
URLWATCH_LINE = re.compile(r"^\d+\. (NEW|CHANGED|ERROR|UNCHANGED): (\S+)\s*$")
WATCHER_ERROR_LINE = re.compile(r"^(doc-\d+): (.+)$")
RUN_TIMEOUT = 3 * 3600


# ---- setup ----------------------------------------------------------------------------------------


def ensure_debian_packages(packages: tuple[str, ...] = APT_PACKAGES) -> None:
    """Install the Debian packages pdftotext builds against, when any is missing (needs root)."""
    missing = [p for p in packages if not _dpkg_installed(p)]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(
            f"missing Debian packages {missing}: run `apt-get install {' '.join(missing)}` as root"
        )
    print(f"setup: apt-get install {' '.join(missing)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], check=True, env=env
    )


def _dpkg_installed(package: str) -> bool:
    completed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return completed.returncode == 0 and "install ok installed" in completed.stdout


def ensure_urlwatch_venv(venv: Path) -> dict[str, str]:
    """The virtual environment with urlwatch and pdftotext (made and filled when needed); their versions."""
    python = venv / "bin" / "python"
    if not python.exists():
        base = getattr(sys, "_base_executable", sys.executable)
        print(f"setup: {base} -m venv {venv}", flush=True)
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
    probe = (
        "import importlib.metadata as m, pdftotext, urlwatch; "
        "print(urlwatch.__version__, m.version('pdftotext'))"
    )
    completed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        print(f"setup: pip install {' '.join(URLWATCH_REQUIREMENTS)} into {venv}", flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *URLWATCH_REQUIREMENTS], check=True)
        completed = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True)
    urlwatch_version, pdftotext_version = completed.stdout.split()
    poppler = subprocess.run(
        ["pkg-config", "--modversion", "poppler-cpp"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return {"urlwatch": urlwatch_version, "pdftotext": pdftotext_version, "poppler-cpp": poppler}


def versions(urlwatch_versions: dict[str, str]) -> dict[str, str]:
    """Versions of both tools and the libraries that decide their cost."""
    import watcher

    found = {"watcher": watcher.__version__, **urlwatch_versions}
    for name in ("httpx", "beautifulsoup4", "lxml", "pypdfium2", "diff-match-patch", "sqlite-utils"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "missing"
    return found


# ---- tool configuration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tool:
    """One tool configuration with its own state folder."""

    name: str
    folder: Path

    @property
    def is_urlwatch(self) -> bool:
        """urlwatch rather than a watcher configuration."""
        return self.name == "urlwatch"


def doc_urls(corpus: Corpus, bases: list[str]) -> list[tuple[str, str, str]]:
    """(slug, format, URL) of every document, spread round-robin over the addresses."""
    return [
        (s.slug, s.fmt, f"{bases[s.index % len(bases)]}/{SITE_PREFIX}/{s.filename}") for s in corpus.specs
    ]


def write_urlwatch_config(folder: Path, corpus: Corpus, bases: list[str], html_method: str) -> None:
    """urls.yaml (one job per document, named by its slug) and urlwatch.yaml (the stdout report only)."""
    html_filter = "html2text" if html_method == "re" else f"html2text: {html_method}"
    jobs = [
        f"name: {slug}\nurl: {url}\nfilter:\n  - {'pdf2text' if fmt == 'pdf' else html_filter}\n"
        for slug, fmt, url in doc_urls(corpus, bases)
    ]
    (folder / "urls.yaml").write_text("---\n".join(jobs))
    (folder / "urlwatch.yaml").write_text(
        "display: {new: true, error: true, unchanged: false, empty-diff: true}\n"
        "report:\n"
        "  text: {line_length: 75, details: true, footer: true, minimal: false, separate: false}\n"
        "  stdout: {enabled: true, color: false}\n"
    )


def write_watcher_config(folder: Path, corpus: Corpus, bases: list[str], fetch: dict[str, str]) -> None:
    """sources.toml: every document a framework source; `fetch` becomes the [fetch] table when given."""
    lines = ["[fetch]", *(f"{k} = {v}" for k, v in fetch.items()), ""] if fetch else []
    for slug, _, url in doc_urls(corpus, bases):
        spec = corpus.specs[int(slug.split("-")[1])]
        lines += [
            "[[source]]",
            f'id = "{slug}"',
            f'org = "{spec.org}"',
            f'title = "{spec.title}"',
            'kind = "framework"',
            f'url = "{url}"',
            "",
        ]
    (folder / "sources.toml").write_text("\n".join(lines), encoding="utf-8")


def urlwatch_command(tool: Tool, venv: Path) -> list[str]:
    """The urlwatch command line with every file in the tool's folder."""
    f = tool.folder
    return [
        str(venv / "bin" / "urlwatch"),
        "--urls",
        str(f / "urls.yaml"),
        "--config",
        str(f / "urlwatch.yaml"),
        "--hooks",
        str(f / "hooks.py"),
        "--cache",
        str(f / "cache.db"),
    ]


def tool_env(tool: Tool, out: Path) -> dict[str, str]:
    """The environment of a tool: bytecode cached (watcher_env) and XDG folders inside its own folder."""
    env = watcher_env(out)
    env["XDG_CONFIG_HOME"] = env["XDG_CACHE_HOME"] = str(tool.folder / "xdg")
    return env


# ---- one round of one tool ---------------------------------------------------------------------------


@dataclass
class ToolRound:
    """What one tool did in one round, measured and scored."""

    tool: str
    n: int
    round: int
    measured: dict[str, Any]
    reported: list[str]
    new: list[str]
    errors: list[str]
    summary: str
    state_bytes_added: int
    score: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, Any] = field(default_factory=dict)
    fetches: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)
    load_before: float = 0.0


@dataclass
class WatcherCursor:
    """The newest change and fetch ids seen, so each round reads only its own rows."""

    change_id: int = 0
    fetch_id: int = 0


def run_urlwatch(tool: Tool, args: argparse.Namespace, n: int, number: int) -> ToolRound:
    """One measured `urlwatch` run; its report parsed."""
    before = _state_bytes(tool.folder)
    measured = run_measured(
        urlwatch_command(tool, args.urlwatch_venv),
        tool.folder / f"measure-r{number}.json",
        env=tool_env(tool, args.out),
        cwd=tool.folder,
        timeout=RUN_TIMEOUT,
    )
    (tool.folder / f"report-r{number}.txt").write_text(measured.stdout)
    (tool.folder / f"stderr-r{number}.txt").write_text(measured.stderr)
    verbs: dict[str, list[str]] = {"NEW": [], "CHANGED": [], "ERROR": [], "UNCHANGED": []}
    for line in measured.stdout.splitlines():
        if match := URLWATCH_LINE.match(line):
            verbs[match.group(1)].append(match.group(2))
    summary = f"new {len(verbs['NEW'])}, changed {len(verbs['CHANGED'])}, error {len(verbs['ERROR'])}"
    return ToolRound(
        tool.name,
        n,
        number,
        _measured_json(measured),
        sorted(verbs["CHANGED"]),
        sorted(verbs["NEW"]),
        sorted(verbs["ERROR"]),
        summary,
        _state_bytes(tool.folder) - before,
    )


def _state_bytes(folder: Path) -> int:
    """Bytes of urlwatch's cache database (with its journal files)."""
    return sum(p.stat().st_size for p in folder.glob("cache.db*"))


def run_watcher(
    tool: Tool, args: argparse.Namespace, n: int, number: int, cursor: WatcherCursor
) -> ToolRound:
    """One measured `watcher check` (under the stage timer); its changes and failures read back."""
    config, stages_json = tool.folder / "sources.toml", tool.folder / f"stages-r{number}.json"
    snapshots_before = folder_usage(tool.folder / "snapshots")[0]
    command = [
        sys.executable,
        str(BENCH / "urlwatch_stages.py"),
        "--json",
        str(stages_json),
        "--",
        "--config",
        str(config),
        "check",
    ]
    if args.py_spy:
        profile = tool.folder / f"py-spy-r{number}.txt"
        command = [
            args.py_spy,
            "record",
            "--subprocesses",
            "--nonblocking",
            "-r",
            "100",
            "-f",
            "raw",
            "-o",
            str(profile),
            "--",
            *command,
        ]
    measured = run_measured(
        command,
        tool.folder / f"measure-r{number}.json",
        env=tool_env(tool, args.out),
        cwd=REPO,
        timeout=RUN_TIMEOUT,
    )
    (tool.folder / f"stdout-r{number}.txt").write_text(measured.stdout)
    (tool.folder / f"stderr-r{number}.txt").write_text(measured.stderr)
    changes = watcher_changes(config, cursor)
    errors = sorted(
        {m.group(1) for line in measured.stderr.splitlines() if (m := WATCHER_ERROR_LINE.match(line))}
    )
    summary = next(
        (line for line in reversed(measured.stdout.splitlines()) if line.startswith("checked ")),
        measured.stdout.strip()[-200:],
    )
    return ToolRound(
        tool.name,
        n,
        number,
        _measured_json(measured),
        reported=sorted({c["source"] for c in changes if c["kind"] in WATCHER_REPORTED_KINDS}),
        new=sorted({c["source"] for c in changes if c["kind"] == "first_seen"}),
        errors=errors,
        summary=summary,
        state_bytes_added=folder_usage(tool.folder / "snapshots")[0] - snapshots_before,
        stages=json.loads(stages_json.read_text()) if stages_json.exists() else {},
        fetches=watcher_fetches(tool.folder / "watcher.db", cursor),
    )


def watcher_changes(config: Path, cursor: WatcherCursor) -> list[dict[str, Any]]:
    """The change records (`watcher changes --json`) added since the cursor; moves the cursor."""
    completed = subprocess.run(
        [str(VENV_BIN / "watcher"), "--config", str(config), "changes", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    records = [r for r in json.loads(completed.stdout) if r["id"] > cursor.change_id]
    cursor.change_id = max([cursor.change_id, *(r["id"] for r in records)])
    return records


def watcher_fetches(db: Path, cursor: WatcherCursor) -> dict[str, Any]:
    """The fetch rows added since the cursor: count, summed and longest elapsed time, outcomes; moves it."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        rows = connection.execute(
            "SELECT id, elapsed_ms, outcome, attempts FROM fetches WHERE id > ?", [cursor.fetch_id]
        ).fetchall()
    connection.close()
    if rows:
        cursor.fetch_id = max(r[0] for r in rows)
    outcomes: dict[str, int] = {}
    for _, _, outcome, _ in rows:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    elapsed = [r[1] or 0.0 for r in rows]
    return {
        "count": len(rows),
        "elapsed_sum_s": sum(elapsed) / 1000,
        "elapsed_max_s": max(elapsed, default=0) / 1000,
        "attempts": sum(len(json.loads(r[3] or "[]")) for r in rows),
        "outcomes": outcomes,
    }


def _measured_json(measured: Measured) -> dict[str, Any]:
    data = asdict(measured)
    data.pop("stdout")
    data.pop("stderr")
    data["cpu"] = measured.cpu
    return data


# ---- scoring -----------------------------------------------------------------------------------------


def score(result: ToolRound, truth: dict[str, Event]) -> dict[str, Any]:
    """Reported changes and errors against the ground truth of the round."""
    substantive = {s for s, e in truth.items() if e.category == "substantive"}
    reported = set(result.reported)
    false_alarms: dict[str, int] = {}
    for slug in reported - substantive:
        category = truth[slug].category
        false_alarms[category] = false_alarms.get(category, 0) + 1
    failed = {s for s, e in truth.items() if e.category == "failure"}
    baseline = {s for s, e in truth.items() if e.category == "baseline"}
    return {
        "substantive": len(substantive),
        "reported": len(reported),
        "found": len(reported & substantive),
        "missed": sorted(substantive - reported),
        "false_alarms": false_alarms,
        "false_alarm_total": sum(false_alarms.values()),
        "false_alarm_details": sorted(
            f"{s}:{truth[s].category}/{truth[s].detail}" for s in reported - substantive
        ),
        "errors_on_failures": len(set(result.errors) & failed),
        "errors_elsewhere": sorted(set(result.errors) - failed),
        "baseline": len(baseline),
        "baseline_captured": len(set(result.new) & baseline),
    }


# ---- a whole comparison at one N -----------------------------------------------------------------------


def compare_at(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Serve N documents, run every round for every tool, and return everything measured and scored."""
    corpus = build_corpus(args.out, seed=args.seed, count=n, change_share=0.0, words_changed=0)
    print(
        f"[n={n}] corpus: {n} documents ({corpus.bytes_by_format()}) "
        f"{'cached' if corpus.cached else f'generated in {corpus.generation_seconds:.0f} s'}",
        flush=True,
    )
    work = args.out / f"urlwatch-n{n}"
    shutil.rmtree(work, ignore_errors=True)
    site, faults = work / "site", work / "faults.json"
    states = DocumentStates(corpus)
    states.publish_all(site)
    write_faults(faults, {})
    plans = plan_rounds(
        corpus.specs,
        args.rounds,
        args.seed,
        Shares(args.substantive, args.noise, args.failure, args.hang_every, args.max_hangs),
    )
    tools = [Tool(name, work / name) for name in args.tools]
    results: list[ToolRound] = []
    with FaultServerProcess(
        site,
        faults,
        hang_seconds=args.hang_seconds,
        addresses=args.addresses,
        latency_ms=args.latency_ms,
        etag=True,
    ) as server:
        cursors = prepare_tools(tools, corpus, server.bases, args)
        for plan in plans:
            results += run_round(plan, tools, cursors, states, corpus, server, args, n)
    return {
        "n": n,
        "plans": [plan_json(p) for p in plans],
        "rounds": [asdict(r) for r in results],
        "corpus_bytes": corpus.bytes_by_format(),
        "corpus_generation_seconds": corpus.generation_seconds,
    }


def prepare_tools(
    tools: list[Tool], corpus: Corpus, bases: list[str], args: argparse.Namespace
) -> dict[str, WatcherCursor]:
    """Write every tool's configuration in its fresh folder and warm its bytecode cache."""
    relaxed = {"concurrency_per_host": str(args.relaxed_per_host), "delay_per_host": '"0s"',
               "max_in_flight": str(args.relaxed_in_flight)}
    for tool in tools:
        tool.folder.mkdir(parents=True)
        if tool.is_urlwatch:
            write_urlwatch_config(tool.folder, corpus, bases, args.html2text_method)
            warm = [str(args.urlwatch_venv / "bin" / "urlwatch"), "--version"]
        else:
            write_watcher_config(
                tool.folder, corpus, bases, relaxed if tool.name == "watcher-relaxed" else {}
            )
            warm = [str(VENV_BIN / "watcher"), "--version"]
        subprocess.run(warm, env=tool_env(tool, args.out), capture_output=True, check=True)
    return {t.name: WatcherCursor() for t in tools if not t.is_urlwatch}


def run_round(
    plan: RoundPlan,
    tools: list[Tool],
    cursors: dict[str, WatcherCursor],
    states: DocumentStates,
    corpus: Corpus,
    server: FaultServerProcess,
    args: argparse.Namespace,
    n: int,
) -> list[ToolRound]:
    """Apply the round's events to the served documents, then run every tool once against them."""
    if plan.number:
        states.apply(plan, args.out / f"urlwatch-n{n}" / "site", args.out / f"urlwatch-n{n}" / "faults.json")
    truth = plan.truth([s.slug for s in corpus.specs])
    print(
        f"[n={n}] round {plan.number}: "
        + ", ".join(f"{c} {plan.count(c)}" for c in ("substantive", "noise", "failure", "recovery")),
        flush=True,
    )
    results = []
    for tool in tools:
        stats_before, load = server.stats(), load_average()
        if tool.is_urlwatch:
            result = run_urlwatch(tool, args, n, plan.number)
        else:
            result = run_watcher(tool, args, n, plan.number, cursors[tool.name])
        result.server, result.load_before = stats_delta(stats_before, server.stats()), load
        result.score = score(result, truth)
        report_progress(result)
        results.append(result)
    return results


def stats_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What the server answered between two stats snapshots ("0": requests left without an answer)."""
    statuses = {k: v - before["status"].get(k, 0) for k, v in after["status"].items()}
    return {
        "requests": after["requests"] - before["requests"],
        "status": {k: v for k, v in statuses.items() if v},
    }


def report_progress(result: ToolRound) -> None:
    """One line per tool run."""
    s, m = result.score, result.measured
    print(
        f"    {result.tool:<16} wall {m['wall']:7.1f} s  CPU {m['cpu']:7.1f} s  "
        f"RSS {m['maxrss_main_mib']:5.0f} MiB  reported {s['reported']:4d}  "
        f"found {s['found']}/{s['substantive']}  false {s['false_alarm_total']}"
        f"  errors {len(result.errors)}  [{result.summary}]  server {result.server['status']}",
        flush=True,
    )


def plan_json(plan: RoundPlan) -> dict[str, Any]:
    """A round plan as JSON: the event of every document that has one."""
    return {"round": plan.number, "events": {s: asdict(e) for s, e in sorted(plan.events.items())}}


# ---- command line ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--n", default="100,1000", help="corpus sizes, comma-separated (default 100,1000)")
    p.add_argument("--rounds", type=int, default=3, help="rounds after the baseline round 0 (default 3)")
    p.add_argument("--seed", type=int, default=1, help="seed of documents and events (default 1)")
    p.add_argument("--addresses", type=int, default=20, help="loopback addresses from 127.0.0.2 (default 20)")
    p.add_argument("--latency-ms", type=float, default=20.0, help="added to every answer (default 20)")
    p.add_argument(
        "--substantive", type=float, default=0.05, help="share changed in substance per round (0.05)"
    )
    p.add_argument("--noise", type=float, default=0.05, help="share changed only in noise per round (0.05)")
    p.add_argument("--failure", type=float, default=0.03, help="share failing per round (0.03)")
    p.add_argument("--hang-every", type=int, default=2, help="hangs happen in every k-th round (2; 0: never)")
    p.add_argument("--max-hangs", type=int, default=2, help="documents hanging in such a round (2)")
    p.add_argument(
        "--hang-seconds",
        type=float,
        default=65.0,
        help="a hang lasts this long (65: past urlwatch's 60 s and watcher's 30 s read timeout)",
    )
    p.add_argument(
        "--relaxed-per-host",
        type=int,
        default=1,
        help="concurrency_per_host of watcher-relaxed (1: 20 hosts x 1 = 20 in flight at most)",
    )
    p.add_argument(
        "--relaxed-in-flight",
        type=int,
        default=10,
        help="max_in_flight of watcher-relaxed (10: the same total concurrency as urlwatch's 10 threads)",
    )
    p.add_argument(
        "--html2text-method", default="re", help="urlwatch html2text method (default: its default, re)"
    )
    p.add_argument("--tools", default=",".join(TOOLS), help=f"tools to run (default {','.join(TOOLS)})")
    p.add_argument("--urlwatch-venv", type=Path, default=BENCH / ".urlwatch-venv", help="urlwatch's venv")
    p.add_argument(
        "--py-spy",
        metavar="PATH",
        default=None,
        help="sample every watcher run with this py-spy (TOOL/py-spy-rR.txt; see profile_summary.py); "
        "its figures are then inflated",
    )
    p.add_argument(
        "--skip-setup", action="store_true", help="do not check apt packages and the urlwatch venv"
    )
    p.add_argument("--out", type=Path, default=BENCH / "out", help="work folder (default bench/out)")
    args = p.parse_args(argv)
    args.sizes = [int(x) for x in args.n.split(",") if x]
    args.tools = [t for t in args.tools.split(",") if t]
    unknown = set(args.tools) - set(TOOLS)
    if unknown:
        p.error(f"unknown tools {sorted(unknown)}")
    args.out = args.out.resolve()
    args.urlwatch_venv = args.urlwatch_venv.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    """Set up urlwatch, run the comparison for every N, print and write the results."""
    args = parse_args(argv)
    (args.out / "urlwatch").mkdir(parents=True, exist_ok=True)
    if not args.skip_setup:
        ensure_debian_packages()
    tool_versions = versions(ensure_urlwatch_venv(args.urlwatch_venv))
    started = time.time()
    run = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": machine(),
        "versions": tool_versions,
        "python_platform": platform.platform(),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "sizes": [],
    }
    print(f"machine: {run['machine']}\nversions: {tool_versions}", flush=True)
    for n in args.sizes:
        result = compare_at(n, args)
        (args.out / "urlwatch" / f"results-n{n}.json").write_text(json.dumps(result, indent=1))
        run["sizes"].append(result)
    run["seconds"] = time.time() - started
    report = render_report(run)
    (args.out / "urlwatch" / "results.md").write_text(report)
    print("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
