"""Where watcher's CPU per document goes, next to the libraries urlwatch uses and the alternatives.

    .venv/bin/python bench/urlwatch_libs.py [--docs 40] [--repeat 3] [--pairs 12] [--profile]

On a sample of the benchmark corpus (docgen.py; half HTML, half PDF) it times, per document and in this
process (CPU time, best of --repeat):

HTML to text
    watcher          watcher.normalize.to_document (BeautifulSoup with the lxml tree builder)
    bs4 parse only   BeautifulSoup(markup, "lxml") and nothing else
    lxml direct      lxml.html with the same rules (noise and chrome removed, one block a line), written
                     here as a candidate; its output is compared with watcher's
    urlwatch re      urlwatch's default html2text method (a regular expression that strips tags)
PDF to text
    watcher          pdf_to_text: PDFium with geometry in a forkserver child, then the layout cleanup (wall)
    in process       extract_pdf called here (the same work without the child process)
    PDFium reading   only the PDFium calls with geometry (_read_page for every page)
    PDFium text      pypdfium2 get_text_range per page, no geometry and no cleanup
    pdftotext        poppler's pdftotext (urlwatch's pdf2text), run in the urlwatch venv
Change assessment, on --pairs (old, new) text pairs with one substantive edit each
    compare, classify_hunks, _explain, assess_change (all of it); --profile adds a cProfile top list.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import re
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import build_corpus  # noqa: E402
from urlwatch_scenario import SUBSTANTIVE, DocState, render  # noqa: E402

BENCH = Path(__file__).resolve().parent
NOISE_TAGS = (
    "head",
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "dialog",
    "object",
    "embed",
)
CHROME_TAGS = ("nav", "header", "footer", "aside")
BLOCKS = frozenset(
    (
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "br",
    )
)
PREFIX = {**{f"h{n}": "#" * n + " " for n in range(1, 7)}, "li": "- "}
SPACES = re.compile(r"\s+")
PDFTOTEXT_TIMER = """
import io, json, sys, time, pdftotext
out = {}
for path in sys.argv[1:]:
    data = open(path, 'rb').read()
    best = None
    for _ in range(int(sys.stdin.readline() or 3)):
        start = time.process_time()
        '\\n\\n'.join(pdftotext.PDF(io.BytesIO(data)))
        took = time.process_time() - start
        best = took if best is None else min(best, took)
    out[path] = best
print(json.dumps(out))
"""


def best_cpu(function: Callable[[], Any], repeat: int) -> float:
    """The smallest CPU time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.process_time()
        function()
        times.append(time.process_time() - start)
    return min(times)


def best_wall(function: Callable[[], Any], repeat: int) -> float:
    """The smallest wall time of `repeat` calls (for work done in another process)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


# ---- HTML -----------------------------------------------------------------------------------------


def lxml_text(markup: str, base_url: str = "http://h/") -> str:
    """A candidate HTML normalizer on lxml alone, with watcher's rules (html.py): comments, noise tags,
    chrome outside article/main, cookie banners, hidden elements removed; one block a line, '#'/'- '
    marks, table rows joined with ' | ', <pre> kept line by line; links collected (and dropped here)."""
    import lxml.etree
    import lxml.html

    root = lxml.html.document_fromstring(markup)
    for element in list(root.iter(lxml.etree.Comment, *NOISE_TAGS)):
        element.drop_tree()
    for element in list(root.iter(*CHROME_TAGS)):
        if not any(a.tag in ("article", "main") for a in element.iterancestors()):
            element.drop_tree()
    for element in root.xpath(
        COOKIE_XPATH + " | //*[@hidden] | //*[@aria-hidden='true']", namespaces=XPATH_NAMESPACES
    ):
        if element.getparent() is not None and element.tag not in ("html", "body", "main", "article"):
            if not COOKIE.search(_attrs(element)) or len(element.text_content()) < 2000:
                element.drop_tree()
    body = root.find("body")
    region = body if body is not None else root
    lines: list[str] = []
    current: list[str] = []
    _walk(region, lines, current, "")
    _flush(lines, current, "")
    _links = [(a.get("href"), a.text_content()) for a in region.iter("a") if a.get("href")]
    return "\n".join(lines)


COOKIE = re.compile(r"cookie|consent|gdpr|onetrust|cookiebot|truste|ccpa", re.IGNORECASE)
COOKIE_XPATH = (
    "//*[re:test(concat(@id, ' ', @class, ' ', @role), "
    "'cookie|consent|gdpr|onetrust|cookiebot|truste|ccpa', 'i')]"
)
XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}


def _attrs(element: Any) -> str:
    return " ".join((element.get("id") or "", element.get("class") or "", element.get("role") or ""))


def _walk(element: Any, lines: list[str], current: list[str], prefix: str) -> None:
    """Depth-first text collection, starting a new line at every block element."""
    if element.tag == "tr":
        _flush(lines, current, prefix)
        cells = [SPACES.sub(" ", c.text_content()).strip() for c in element.iter("td", "th")]
        if row := " | ".join(c for c in cells if c):
            lines.append(row)
        return
    if element.tag == "pre":
        _flush(lines, current, prefix)
        lines += [line for line in element.text_content().splitlines() if line.strip()]
        return
    block = element.tag in BLOCKS
    if block:
        _flush(lines, current, prefix)
        prefix = PREFIX.get(element.tag, "")
    if element.text:
        current.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            _walk(child, lines, current, prefix)
        if child.tail:
            current.append(child.tail)
    if block:
        _flush(lines, current, prefix)


def _flush(lines: list[str], current: list[str], prefix: str) -> None:
    text = SPACES.sub(" ", "".join(current)).strip()
    current.clear()
    if text:
        lines.append(prefix + text)


def urlwatch_re(markup: str) -> str:
    """urlwatch 2.29's html2text method 're' (its default)."""
    stripped = re.sub(r"<[^>]*>", "", markup)
    return "\n".join(line.rstrip() for line in stripped.splitlines() if line.strip() != "")


def html_figures(paths: list[Path], repeat: int) -> dict[str, Any]:
    """ms per document for each HTML method, and whether lxml direct gives watcher's text."""
    from bs4 import BeautifulSoup

    from watcher.normalize import to_document

    sums = {"watcher": 0.0, "bs4 parse only": 0.0, "lxml direct": 0.0, "urlwatch re": 0.0}
    same = 0
    for path in paths:
        body = path.read_bytes()
        markup = body.decode("utf-8")
        sums["watcher"] += best_cpu(partial(to_document, body, fmt="html", url="http://h/"), repeat)
        sums["bs4 parse only"] += best_cpu(partial(BeautifulSoup, markup, "lxml"), repeat)
        sums["lxml direct"] += best_cpu(partial(lxml_text, markup), repeat)
        sums["urlwatch re"] += best_cpu(partial(urlwatch_re, markup), repeat)
        same += lxml_text(markup) == to_document(body, fmt="html", url="http://h/").text
    return {
        "ms_per_doc": {k: v * 1000 / len(paths) for k, v in sums.items()},
        "lxml_same_text": same,
        "docs": len(paths),
        "mean_kib": sum(p.stat().st_size for p in paths) / len(paths) / 1024,
    }


# ---- PDF --------------------------------------------------------------------------------------------


def pdf_figures(paths: list[Path], repeat: int, urlwatch_python: Path) -> dict[str, Any]:
    """ms per document for each PDF method."""
    import pypdfium2 as pdfium

    from watcher.normalize.pdf import extract

    sums = {
        "watcher (child process, wall)": 0.0,
        "in process": 0.0,
        "PDFium reading with geometry": 0.0,
        "layout cleanup (Python)": 0.0,
        "PDFium text only": 0.0,
    }
    pages = 0
    extract.pdf_to_text(paths[0].read_bytes())  # start the forkserver outside the timings
    for path in paths:
        data = path.read_bytes()
        sums["watcher (child process, wall)"] += best_wall(partial(extract.pdf_to_text, data), repeat)
        sums["in process"] += best_cpu(partial(extract.extract_pdf, data), repeat)
        sums["PDFium reading with geometry"] += best_cpu(partial(_read_all, data), repeat)
        lines = _read_all(data)
        sums["layout cleanup (Python)"] += best_cpu(partial(_cleanup, lines), repeat)
        sums["PDFium text only"] += best_cpu(partial(_pdfium_text, data), repeat)
        pages += len(pdfium.PdfDocument(data))
    figures = {k: v * 1000 / len(paths) for k, v in sums.items()}
    figures["pdftotext (poppler)"] = _pdftotext_ms(paths, repeat, urlwatch_python)
    return {"ms_per_doc": figures, "docs": len(paths), "mean_pages": pages / len(paths)}


def _cleanup(lines: list[Any]) -> str:
    from watcher.normalize.pdf.cleanup import normalize_pages
    from watcher.normalize.pdf.geometry import mark_paragraph_gaps

    return normalize_pages(mark_paragraph_gaps(lines))


def _read_all(data: bytes) -> list[Any]:
    import pypdfium2 as pdfium

    from watcher.normalize.pdf import extract

    document = pdfium.PdfDocument(data)
    try:
        return [extract._read_page(document, i) for i in range(len(document))]
    finally:
        document.close()


def _pdfium_text(data: bytes) -> str:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        parts = []
        for page in document:
            textpage = page.get_textpage()
            parts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\n".join(parts)
    finally:
        document.close()


def _pdftotext_ms(paths: list[Path], repeat: int, python: Path) -> float:
    """Mean ms per document of poppler's pdftotext, timed inside the urlwatch venv."""
    if not python.exists():
        return float("nan")
    completed = subprocess.run(
        [str(python), "-c", PDFTOTEXT_TIMER, *map(str, paths)],
        input=f"{repeat}\n",
        capture_output=True,
        text=True,
        check=True,
    )
    times = json.loads(completed.stdout)
    return sum(times.values()) * 1000 / len(times)


# ---- change assessment ---------------------------------------------------------------------------------


def assessment_figures(corpus_specs: list[Any], pairs: int, profile: bool) -> dict[str, Any]:
    """ms per changed document for compare, classify, explain and all of assess_change."""
    from watcher.classify import load_taxonomy
    from watcher.normalize import to_document
    from watcher.sources import parse_config

    config = parse_config(
        {"source": [{"id": "doc", "org": "Org", "title": "T", "kind": "framework", "url": "http://h/doc"}]},
        Path("sources.toml"),
    )
    source, taxonomy = config.sources[0], load_taxonomy(config.classify.taxonomy)
    texts = []
    for i, spec in enumerate(corpus_specs[:pairs]):
        edited = DocState(spec, edits=[(SUBSTANTIVE[i % len(SUBSTANTIVE)], 7 + i)])
        old = to_document(render(DocState(spec)), fmt=spec.fmt, url="http://h/").text
        new = to_document(render(edited), fmt=spec.fmt, url="http://h/").text
        texts.append((old, new))
    times: dict[str, list[float]] = {
        "compare": [],
        "classify_hunks": [],
        "_explain": [],
        "same_label_reupload": [],
        "assess_change": [],
    }
    profiler = cProfile.Profile() if profile else None
    for old, new in texts:
        for step, seconds in time_assessment(config, taxonomy, source, old, new, profiler).items():
            times[step].append(seconds)
    result: dict[str, Any] = {
        "ms_per_change_median": {k: median(v) * 1000 for k, v in times.items()},
        "ms_per_change_mean": {k: sum(v) * 1000 / len(v) for k, v in times.items()},
        "pairs": len(texts),
        "mean_chars": sum(len(o) for o, _ in texts) / len(texts),
    }
    if profiler:
        result["profile"] = _profile_top(profiler)
    return result


def time_assessment(
    config: Any, taxonomy: Any, source: Any, old: str, new: str, profiler: cProfile.Profile | None
) -> dict[str, float]:
    """CPU seconds of each assessment step on one text pair (then assess_change again, profiled)."""
    from watcher.pipeline import assess

    now = datetime(2026, 3, 1, tzinfo=UTC)
    diff = assess.compare(old, new)
    verdicts = assess.classify_hunks(diff.hunks, old, new, taxonomy, companions=())
    figures = {
        "compare": best_cpu(partial(assess.compare, old, new), 1),
        "classify_hunks": best_cpu(
            partial(assess.classify_hunks, diff.hunks, old, new, taxonomy, companions=()), 1
        ),
        "_explain": best_cpu(
            partial(assess._explain, config, source, diff.hunks, verdicts, old, new, now, (), now=now), 1
        ),
    }
    figures["same_label_reupload"] = best_cpu(partial(assess.same_label_reupload, old, new), 1)
    run = partial(
        assess.assess_change,
        config,
        taxonomy,
        source,
        "modified",
        old,
        new,
        now,
        {},
        assess.Evidence((), (), 0),
        moved_to="http://h/doc",
        text_changed=True,
    )
    figures["assess_change"] = best_cpu(run, 1)
    if profiler:
        profiler.runcall(run)
    return figures


def _profile_top(profiler: cProfile.Profile, count: int = 25) -> str:
    """The functions with the most cumulative time, as pstats prints them."""
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(count)
    return stream.getvalue()


# ---- command line ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Time every method on a sample of the corpus; print a markdown table and write JSON."""
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--docs", type=int, default=40, help="documents from the corpus, half HTML half PDF (40)")
    p.add_argument("--repeat", type=int, default=3, help="best of this many runs per document (3)")
    p.add_argument("--pairs", type=int, default=12, help="changed text pairs for the assessment (12)")
    p.add_argument("--profile", action="store_true", help="print a cProfile top list of assess_change")
    p.add_argument("--urlwatch-venv", type=Path, default=BENCH / ".urlwatch-venv", help="for pdftotext")
    p.add_argument("--out", type=Path, default=BENCH / "out", help="corpus cache and results (bench/out)")
    args = p.parse_args(argv)
    corpus = build_corpus(args.out, seed=1, count=args.docs, change_share=0.0, words_changed=0)
    html = [corpus.original(s) for s in corpus.specs if s.fmt == "html"]
    pdf = [corpus.original(s) for s in corpus.specs if s.fmt == "pdf"]
    results = {
        "html": html_figures(html, args.repeat),
        "pdf": pdf_figures(pdf, args.repeat, args.urlwatch_venv / "bin" / "python"),
        "assessment": assessment_figures(corpus.specs, args.pairs, args.profile),
    }
    (args.out / "urlwatch").mkdir(parents=True, exist_ok=True)
    (args.out / "urlwatch" / "libs.json").write_text(json.dumps(results, indent=1))
    print(render_tables(results))
    if args.profile:
        print(results["assessment"]["profile"])
    return 0


def render_tables(results: dict[str, Any]) -> str:
    """Markdown tables of the figures."""
    h, f, a = results["html"], results["pdf"], results["assessment"]
    lines = [
        f"HTML to text, ms CPU per document ({h['docs']} documents, {h['mean_kib']:.0f} KiB on average; "
        f"lxml direct gave watcher's exact text for {h['lxml_same_text']}/{h['docs']}):",
        "",
        "| method | ms per document |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.1f} |" for k, v in h["ms_per_doc"].items()]
    lines += [
        "",
        f"PDF to text, ms per document ({f['docs']} documents, {f['mean_pages']:.0f} pages on "
        "average; CPU, except the child-process row, which is wall time of a serial call):",
        "",
        "| method | ms per document |",
        "|---|---|",
    ]
    lines += [f"| {k} | {v:.1f} |" for k, v in f["ms_per_doc"].items()]
    lines += [
        "",
        f"Change assessment, ms CPU per changed document ({a['pairs']} pairs, "
        f"{a['mean_chars'] / 1000:.0f}k characters on average):",
        "",
        "| step | median | mean |",
        "|---|---|---|",
    ]
    lines += [
        f"| {k} | {a['ms_per_change_median'][k]:.0f} | {a['ms_per_change_mean'][k]:.0f} |"
        for k in a["ms_per_change_median"]
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
