"""Render times of the web UI on a large database: 1,000 sources x 20 versions, 30 KB of text a version.

    .venv/bin/python bench/web_bench.py               # build once (kept in bench/out/web-db-...), measure
    .venv/bin/python bench/web_bench.py --rebuild        # build the database again
    options: --sources 1000 --versions 20 --kb 30 --changed 3 --orgs 20 --samples 30 --seed 1 --out bench/out

The database is written through the Store API (sync_sources, record_blob, record_fetch, add_version,
add_change, index_version), in one transaction per source. Consecutive versions differ in `--changed`
paragraphs (a few words each); the hunks of each change are the real `compare()` output, with labels
drawn at random (material or editorial, commitment tags, direction, verdict): this measures rendering,
not classification. Snapshots are gzip level 1 and written without fsync, for build speed only.

Each source also gets 5 unchanged fetches per version and the odd failed fetch, so the fetches table has
the size months of checks give it. Then `watcher serve` runs in its own process (one uvicorn worker) and
each page type is requested `--samples` times over random ids with httpx; the table gives the median,
95th percentile and maximum, in milliseconds, of the complete HTTP response.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from watcher.diff import compare  # noqa: E402
from watcher.sources import Source  # noqa: E402
from watcher.store import Store, iso  # noqa: E402

TAGS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII")
DIRECTIONS = ("weaken", "strengthen", "add", "remove", "neutral")
VERDICTS = ("explained", "partial", "version_only", "silent")
COMMON = ("model evaluation threshold safeguards deployment will may must should risk capability security "
          "external review board pause training weights access").split()
START = datetime(2024, 6, 1, tzinfo=UTC)


class Words:
    """An invented vocabulary and paragraphs made of it (no real company text)."""

    def __init__(self, rng: random.Random) -> None:
        syllables = "ka to ri men sa lo ver di na pe qu ost ul an te bra mi fo gen cal pri sto lu ve".split()
        self.rng = rng
        made = ("".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) for _ in range(8000))
        self.words = sorted(set(made))

    def word(self) -> str:
        return self.rng.choice(self.words if self.rng.random() < 0.75 else COMMON)

    def paragraph(self) -> str:
        return " ".join(self.word() for _ in range(self.rng.randint(35, 60))).capitalize() + "."

    def document(self, kb: int) -> list[str]:
        paragraphs = [f"# {self.word().capitalize()} {self.word()} policy"]
        while sum(len(p) + 1 for p in paragraphs) < kb * 1024:
            heading = self.rng.random() < 0.08
            paragraphs.append(f"## Section {len(paragraphs)}" if heading else self.paragraph())
        return paragraphs

    def edit(self, paragraphs: list[str], changed: int) -> list[str]:
        edited = list(paragraphs)
        for index in self.rng.sample(range(1, len(edited)), changed):
            words = edited[index].split(" ")
            for _ in range(self.rng.randint(1, 4)):
                words[self.rng.randrange(len(words))] = self.word()
            edited[index] = " ".join(words)
        return edited


def _blob(store: Store, data: bytes, role: str, now: datetime) -> str:
    """Store a snapshot quickly (gzip level 1, no fsync: a benchmark, not evidence)."""
    digest = hashlib.sha256(data).hexdigest()
    path = store.blob_path(digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress(data, compresslevel=1, mtime=0))
    store.record_blob(digest, role, len(data), path.stat().st_size, now)
    return digest


def _labels(rng: random.Random, hunk: dict[str, Any]) -> dict[str, Any]:
    material = rng.random() < 0.5
    return {**hunk, "material": material, "editorial_reason": None if material else "typography",
            "tags": sorted(rng.sample(TAGS, rng.randint(1, 2))) if material else [],
            "direction": rng.choice(DIRECTIONS) if material else None, "section": "Section 4",
            "reasons": ["obligation will -> may (weaker)"] if material else [],
            "explanation": rng.choice(VERDICTS) if material else None}


def _change_columns(rng: random.Random, hunks: list[dict[str, Any]], detected_at: str,
                    pending: bool) -> dict[str, Any]:
    """Severity, reasons and verdict; the newest change of some sources is still `pending`."""
    material = any(h["material"] for h in hunks)
    weakened = any(h["direction"] in ("weaken", "remove") for h in hunks)
    verdict = "pending" if pending else rng.choice(VERDICTS)
    reasons = [f"{h['direction']} under {t}: hunk {i + 1}" for i, h in enumerate(hunks) if h["material"]
               for t in h["tags"]]
    return {"material": int(material), "severity": ("high" if weakened else "medium") if material else "info",
            "reasons": reasons or ["no material change (editorial only)"],
            "explanation": {"status": verdict, "reason_given": verdict == "explained", "evidence": []}
            if material else None, "settled_at": None if pending and material else detected_at}


def _fetch(store: Store, source_id: str, url: str, at: datetime, outcome: str, raw: str | None,
           version_id: int | None = None, status: int = 200) -> int:
    return store.record_fetch({
        "source_id": source_id, "url": url, "final_url": url, "started_at": iso(at), "elapsed_ms": 120.0,
        "status": status, "outcome": outcome, "error": "HTTP 503" if outcome == "error" else None,
        "bytes": 40000, "raw_sha256": raw, "content_type": "text/html; charset=utf-8", "format": "text",
        "etag": None, "last_modified": None, "version_id": version_id})


def build_source(store: Store, words: Words, rng: random.Random, source: Source,
                 args: argparse.Namespace) -> None:
    """Twenty versions of one source, each with its fetches, change and search index entries."""
    paragraphs, previous, old_text = words.document(args.kb), None, None
    for number in range(1, args.versions + 1):
        seen = START + timedelta(days=30 * (number - 1), hours=rng.randint(0, 23))
        text = "\n".join(paragraphs)
        digest = _blob(store, text.encode("utf-8"), "text", seen)
        fetch_id = _fetch(store, source.id, source.url or "", seen, "new_version", digest)
        version = store.add_version({
            "source_id": source.id, "text_sha256": digest, "raw_sha256": digest, "url": source.url,
            "format": "text", "content_type": "text/html; charset=utf-8", "http_status": 200, "etag": None,
            "last_modified": None, "title": source.title, "text_chars": len(text), "links": [],
            "fetch_id": fetch_id, "first_seen_at": iso(seen), "last_seen_at": iso(seen + timedelta(days=29))})
        store.link_fetch(fetch_id, version.id)
        store.index_version(version.id, text, iso(seen))
        pending = number == args.versions and rng.random() < 0.1
        _add_change(store, rng, source, version, previous, old_text, text, seen, fetch_id, pending)
        for day in range(5, 30, 5):
            failed = rng.random() < 0.01
            _fetch(store, source.id, source.url or "", seen + timedelta(days=day),
                   "error" if failed else "unchanged", None if failed else digest,
                   None if failed else version.id, 503 if failed else 200)
        previous, old_text, paragraphs = version, text, words.edit(paragraphs, args.changed)


def _add_change(store: Store, rng: random.Random, source: Source, version: Any, previous: Any,
                old_text: str | None, text: str, seen: datetime, fetch_id: int, pending: bool) -> None:
    row: dict[str, Any] = {"source_id": source.id, "detected_at": iso(seen), "url": source.url,
                           "fetch_id": fetch_id, "old_version_id": previous.id if previous else None,
                           "new_version_id": version.id}
    if old_text is None:
        store.add_change({**row, "kind": "first_seen", "chars_added": len(text), "material": 0,
                          "severity": "info", "reasons": ["first capture of this document"],
                          "settled_at": iso(seen)})
        return
    diff = compare(old_text, text)
    hunks = [_labels(rng, h) for h in diff.to_json()]
    store.add_change({**row, "kind": "modified", "chars_added": diff.chars_added,
                      "chars_removed": diff.chars_removed,
                      "hunk_count": len(hunks), "hunks": hunks,
                      **_change_columns(rng, hunks, iso(seen), pending)})


def build(data: Path, args: argparse.Namespace) -> float:
    """Make the database; return the seconds it took."""
    started = time.perf_counter()
    data.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    words = Words(rng)
    sources = tuple(Source(id=f"doc-{i:04d}", org=f"Organisation {i % args.orgs:02d}",
                           title=f"Document {i:04d}", kind="framework" if i % 3 else "companion",
                           url=f"https://example.org/doc-{i:04d}") for i in range(args.sources))
    store = Store(data)
    try:
        store.sync_sources(sources, START)
        for i, source in enumerate(sources):
            with store.db.atomic():
                build_source(store, words, rng, source, args)
            if (i + 1) % 100 == 0:
                print(f"  built {i + 1} sources, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        store.close()
    return time.perf_counter() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(data: Path) -> tuple[subprocess.Popen[bytes], str]:
    """`watcher serve` over the data folder in its own process; (process, base URL)."""
    port = _free_port()
    process = subprocess.Popen([str(ROOT / ".venv/bin/watcher"), "--config", str(data / "absent.toml"),
                                "--data", str(data), "serve", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            httpx.get(base + "/static/style.css", timeout=1)
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("watcher serve did not start")


def page_urls(data: Path, rng: random.Random, args: argparse.Namespace) -> dict[str, list[str]]:
    """Sample URLs of each page type."""
    store = Store(data)
    try:
        change_ids = [r[0] for r in store.db.execute("SELECT id FROM changes WHERE kind = 'modified'")]
        orgs = store.organisations()
        text = store.read_text(store.version("doc-0001", 5))
    finally:
        store.close()
    n, v = args.sources, args.versions

    def doc() -> str:
        return f"doc-{rng.randrange(n):04d}"

    def pair() -> str:
        a = rng.randrange(1, v)
        return f"{a}..{a + 1}"

    phrases = [" ".join(p.split(" ")[3:7]) for p in rng.sample(text.split("\n")[1:], 10)]
    k = args.samples
    return {
        "overview /": ["/"] * k,
        "change list /changes": [f"/changes?page={rng.randint(1, 50)}" for _ in range(k)],
        "change list, filtered": [f"/changes?org={orgs[rng.randrange(len(orgs))]}&tag={rng.choice(TAGS)}"
                                  f"&material=yes&min_severity=medium" for _ in range(k)],
        "change list JSON": [f"/changes.json?page={rng.randint(1, 50)}" for _ in range(k)],
        "change page": [f"/changes/{rng.choice(change_ids)}" for _ in range(k)],
        "document page": [f"/sources/{doc()}" for _ in range(k)],
        "version text": [f"/sources/{doc()}/versions/{rng.randint(1, v)}" for _ in range(k)],
        "diff, consecutive (stored)": [f"/sources/{doc()}/diff/{pair()}" for _ in range(k)],
        "diff, side by side": [f"/sources/{doc()}/diff/{pair()}?view=side" for _ in range(k)],
        f"diff, v1..v{v} (computed)": [f"/sources/{doc()}/diff/1..{v}" for _ in range(k)],
        "search, rare phrase": [f"/search?q={rng.choice(phrases)}" for _ in range(k)],
        "search, common words": [f"/search?q={rng.choice(COMMON)} {rng.choice(COMMON)}" for _ in range(k)],
        "feed, all": ["/feeds/changes.atom"] * k,
        "feed, organisation": [f"/feeds/orgs/{orgs[rng.randrange(len(orgs))]}.atom" for _ in range(k)],
        "feed, document": [f"/feeds/sources/{doc()}.atom?min_severity=info" for _ in range(k)],
    }


def measure(base: str, urls: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Time each URL (one warm-up request per page type first); milliseconds per page type."""
    rows = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for name, paths in urls.items():
            started = time.perf_counter()
            client.get(paths[0]).raise_for_status()
            first = (time.perf_counter() - started) * 1000
            times, sizes = [], []
            for path in paths:
                started = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                sizes.append(len(response.content))
            times.sort()
            rows.append({"page": name, "first_ms": round(first, 1),
                         "median_ms": round(statistics.median(times), 1),
                         "p95_ms": round(times[int(len(times) * 0.95) - 1], 1), "max_ms": round(times[-1], 1),
                         "kb": round(statistics.median(sizes) / 1024, 1)})
            print(f"  {name:<32} median {rows[-1]['median_ms']:>7} ms", file=sys.stderr)
    return rows


def machine() -> str:
    """CPU model, cores, memory, Python and SQLite versions."""
    import sqlite3

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory = next((int(line.split()[1]) // 1024 // 1024 for line in meminfo if line.startswith("MemTotal")), 0)
    return (f"{cpu}, {os.cpu_count()} cores, {memory} GiB RAM, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    for name, default in (("sources", 1000), ("versions", 20), ("kb", 30), ("changed", 3), ("orgs", 20),
                          ("samples", 30), ("seed", 1)):
        parser.add_argument(f"--{name}", type=int, default=default)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    data = args.out / f"web-db-s{args.sources}-v{args.versions}-k{args.kb}-c{args.changed}-seed{args.seed}"
    build_seconds = None
    if args.rebuild or not (data / "watcher.db").exists():
        if data.exists():
            subprocess.run(["rm", "-rf", str(data)], check=True)
        build_seconds = build(data, args)
        print(f"built in {build_seconds:.0f} s", file=sys.stderr)
    size = sum(p.stat().st_size for p in data.rglob("*") if p.is_file())
    process, base = serve(data)
    load = [round(x, 2) for x in os.getloadavg()]
    try:
        rows = measure(base, page_urls(data, random.Random(args.seed), args))
    finally:
        process.terminate()
        process.wait(10)
    load += [round(x, 2) for x in os.getloadavg()]
    result = {"machine": machine(), "database": str(data), "bytes": size, "build_seconds": build_seconds,
              "db_bytes": (data / "watcher.db").stat().st_size, "load_average_before_after": load,
              "pages": rows}
    (args.out / "web-results.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{result['machine']}\nload average (1, 5, 15 min) before and after: {load}")
    print(f"data folder {size / 2**30:.2f} GiB (watcher.db {result['db_bytes'] / 2**20:.0f} MiB)\n")
    print("| page | first | median | p95 | max | size |\n|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['page']} | {r['first_ms']} | {r['median_ms']} | {r['p95_ms']} | {r['max_ms']} "
              f"| {r['kb']} KB |")


if __name__ == "__main__":
    main()
