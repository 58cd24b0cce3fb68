#!/usr/bin/env python3
"""Replay a labelled corpus of real framework versions through watcher and score it (issue 3, part 9).

    .venv/bin/python bench/eval_corpus.py [DIR] [--format html|pdf|both] [--keep DIR] [--only PROVIDER_DOC]
                                          [--json FILE] [--jobs N] [--seed S] [--watcher CMD]

DIR is a folder laid out like ../shared/corpus (default: ../shared/corpus next to the repository, or
$EVAL_CORPUS). Every document stream is served from a local HTTP server, version by version, as HTML
and as PDF, with the provider's revision accounts accumulating on an updates page; `watcher check --at`
runs after each step; the changes are scored against the corpus labels. The corpus is read at run
time and nothing of it is written into the project. See bench/eval/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval import replay as replay_module
from eval.layout import CorpusError, load_corpus
from eval.render import blocks
from eval.replay import FORMATS, StreamRun, parse_time, replay
from eval.report import format_section, summary, verdicts
from eval.score import fidelity, score_format, tokens

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path(os.environ.get("EVAL_CORPUS") or REPO.parent / "shared" / "corpus")


def _version_at(run: StreamRun, at: str) -> int | None:
    """The version first stored by the check at this time (None if that check stored none)."""
    moment = parse_time(at)
    return next((int(v["version"]) for v in run.versions if parse_time(v["first_seen_at"]) == moment), None)


def text_checks(corpus, runs: list[StreamRun]) -> dict[str, dict]:
    """Per format: how faithfully the served text reached watcher; and HTML vs PDF agreement."""
    out: dict[str, dict] = {}
    served: dict[tuple[str, str], str] = {}
    step_texts: dict[tuple[str, str, str], str] = {}
    for run in runs:
        stream = corpus.stream(run.stream)
        if stream is None or run.error:
            continue
        ratios: list[tuple[float, str, list]] = []
        for step in run.steps:
            if step.kind not in ("version", "reupload"):
                continue
            number = _version_at(run, step.at)
            text = run.texts.get(number) if number is not None else None
            if text is None:
                continue
            version = next(v for v in stream.versions if v.label == step.label)
            key = (stream.key, step.label)
            if key not in served:
                served[key] = "\n".join(b.text for b in blocks(version.read()))
            ratio, examples = fidelity(served[key], text)
            ratios.append((ratio, f"{stream.key} {step.label}", examples))
            step_texts[(run.fmt, stream.key, step.label)] = text
        entry = out.setdefault(run.fmt, {"ratios": []})
        entry["ratios"] += ratios
    for fmt, entry in out.items():
        ratios = entry.pop("ratios")
        if ratios:
            worst = min(ratios, key=lambda r: r[0])
            entry.update({"mean": statistics.mean(r[0] for r in ratios), "min": worst[0], "worst": worst[1],
                          "worst_examples": worst[2],
                          "per_version": {name: round(ratio, 4) for ratio, name, _ in ratios}})
    pairs = []
    for (fmt, key, label), text in step_texts.items():
        if fmt != "html" or ("pdf", key, label) not in step_texts:
            continue
        other = step_texts[("pdf", key, label)]
        ratio, examples = fidelity(text, other)
        pairs.append({"version": f"{key} {label}", "similarity": round(ratio, 4),
                      "html_words": len(tokens(text)), "pdf_words": len(tokens(other)),
                      "html_lines": text.count("\n") + 1, "pdf_lines": other.count("\n") + 1,
                      "html_headings": sum(1 for line in text.splitlines() if line.startswith("#")),
                      "pdf_headings": sum(1 for line in other.splitlines() if line.startswith("#")),
                      "examples": examples[:5]})
    if pairs:
        out["html_vs_pdf"] = {"mean": statistics.mean(p["similarity"] for p in pairs),
                              "versions": sorted(pairs, key=lambda p: p["similarity"])}
    return out


def run_all(streams, formats, args) -> list[StreamRun]:
    """Replay every (stream, format), args.jobs at a time, longest first so the pool finishes together."""
    tasks = sorted(((s, f) for s in streams for f in formats),
                   key=lambda t: -sum(v.path.stat().st_size for v in t[0].versions) * (2 if t[1] == "pdf" else 1))
    print(f"replaying {len(streams)} streams x {len(formats)} formats ({args.jobs} at a time) ...",
          file=sys.stderr)
    runs = []
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(replay, s, f, keep=args.keep, seed=args.seed,
                               with_reupload_accounts=not args.no_reupload_accounts) for s, f in tasks]
        for future in futures:
            run = future.result()
            runs.append(run)
            print(f"  {run.stream} [{run.fmt}] {len(run.steps)} checks, {len(run.changes)} changes, "
                  f"{run.seconds:.1f} s{'  ERROR ' + run.error[:200] if run.error else ''}", file=sys.stderr)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS,
                        help=f"corpus directory (default {DEFAULT_CORPUS})")
    parser.add_argument("--format", choices=("html", "pdf", "both"), default="both")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep each replay's data folder (sources.toml, watcher.db, snapshots) under DIR")
    parser.add_argument("--only", action="append", default=[], metavar="PROVIDER_DOC",
                        help="replay only this stream, e.g. google-deepmind_fsf (repeatable)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE",
                        help="also write every number (and per-step details) as JSON to FILE ('-': stdout)")
    parser.add_argument("--jobs", type=int, default=max(1, os.cpu_count() or 1),
                        help="replays run at once (default: CPU count)")
    parser.add_argument("--seed", default="0", help="seed of the site noise (default 0)")
    parser.add_argument("--watcher", default=None,
                        help="watcher command to run (default: the `watcher` next to this Python)")
    parser.add_argument("--rescore", type=Path, default=None, metavar="KEPT",
                        help="score the replays kept earlier with --keep KEPT again, without replaying")
    parser.add_argument("--no-reupload-accounts", action="store_true",
                        help="do not post the corpus's re-upload accounts on the updates page")
    args = parser.parse_args(argv)

    try:
        corpus = load_corpus(args.corpus)
    except CorpusError as e:
        print(f"eval_corpus: {e}", file=sys.stderr)
        return 2
    if args.watcher:
        command = shlex.split(args.watcher)
        replay_module.watcher_command = lambda: command
    probe = replay_module._run([*replay_module.watcher_command(), "--version"], timeout=60)
    if probe.returncode != 0:
        print(f"eval_corpus: `{' '.join(replay_module.watcher_command())} --version` failed; is watcher "
              f"installed and importable?\n{probe.stderr.strip()[-1500:]}", file=sys.stderr)
        return 2
    streams = corpus.streams
    if args.only:
        streams = [s for s in streams if s.key in args.only]
        unknown = set(args.only) - {s.key for s in streams}
        if unknown:
            print(f"eval_corpus: no stream {', '.join(sorted(unknown))}; streams are: "
                  f"{', '.join(s.key for s in corpus.streams)}", file=sys.stderr)
            return 2
    formats = FORMATS if args.format == "both" else (args.format,)
    if args.keep:
        keep = args.keep.resolve()
        if keep == REPO or REPO in keep.parents:
            print(f"eval_corpus: --keep {args.keep} is inside the repository; kept snapshots hold corpus text, "
                  "which must not be copied into the project. Choose a folder outside it (e.g. /tmp/eval-kept).",
                  file=sys.stderr)
            return 2
        args.keep.mkdir(parents=True, exist_ok=True)
    for name in corpus.unparsed:
        print(f"eval_corpus: skipping documents/{name}: not <provider>_<doc>_<version>_<YYYY-MM-DD>.txt",
              file=sys.stderr)

    started = time.perf_counter()
    if args.rescore:
        wanted = {f"{s.key}-{f}" for s in streams for f in formats}
        runs = [replay_module.load_kept(folder) for folder in sorted(args.rescore.iterdir())
                if folder.name in wanted and (folder / replay_module.STEPS_FILE).exists()]
        if not runs:
            print(f"eval_corpus: no kept replays under {args.rescore}", file=sys.stderr)
            return 2
    else:
        runs = run_all(streams, formats, args)
    replay_seconds = time.perf_counter() - started
    scores = [score_format(corpus, runs, fmt) for fmt in formats]
    checks = text_checks(corpus, runs)
    for score in scores:
        score["fidelity"] = checks.get(score["format"])
    total = time.perf_counter() - started
    extra = []
    if "html_vs_pdf" in checks:
        hv = checks["html_vs_pdf"]
        worst = hv["versions"][0]
        versions = hv["versions"]
        extra.append(f"HTML vs PDF normalized text of the same versions: token similarity mean {hv['mean']:.3f}, "
                     f"lowest {worst['similarity']:.3f} ({worst['version']}); lines "
                     f"{sum(v['html_lines'] for v in versions)} vs {sum(v['pdf_lines'] for v in versions)}, "
                     f"heading lines {sum(v['html_headings'] for v in versions)} vs "
                     f"{sum(v['pdf_headings'] for v in versions)}")
    extra.append(f"replay {replay_seconds:.0f} s, scoring {total - replay_seconds:.0f} s; "
                 f"{sum(len(r.steps) for r in runs)} watcher checks")

    report = "\n\n".join([*(format_section(s) for s in scores), summary(scores, total, extra)])
    if args.json is None or str(args.json) != "-":
        print(report)
    if args.json is not None:
        raw = {"corpus": str(corpus.root), "formats": list(formats), "seconds": round(total, 1),
               "scores": scores, "verdicts": {s["format"]: verdicts(s) for s in scores},
               "text_checks": checks,
               "runs": [{"stream": r.stream, "format": r.fmt, "error": r.error, "seconds": round(r.seconds, 2),
                         "data_dir": r.data_dir,
                         "steps": [vars(s) for s in r.steps],
                         "changes": [{k: v for k, v in c.items() if k != "hunks"} | {"hunk_count": len(c.get("hunks") or [])}
                                     for c in r.changes + r.updates_changes]} for r in runs]}
        text = json.dumps(raw, indent=2, ensure_ascii=False, default=str)
        if str(args.json) == "-":
            print(text)
        else:
            args.json.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
