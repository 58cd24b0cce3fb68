"""Summarise a py-spy raw profile (`py-spy record -f raw --subprocesses`): where the samples went.

    python bench/profile_summary.py PROFILE.txt [--top 25] [--package watcher/]

Prints samples per process, the hottest leaf frames, and the samples grouped by the deepest frame in
the package (which line of our code the time is spent under, library calls included).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_NOISE = re.compile(r"/\S*?/(?:site-packages|python3\.\d+)/")


@dataclass
class Profile:
    """Sample counts of one raw py-spy profile."""

    total: int = 0
    by_process: Counter[str] = field(default_factory=Counter)
    by_leaf: Counter[str] = field(default_factory=Counter)
    by_package_frame: Counter[str] = field(default_factory=Counter)


def short(frame: str) -> str:
    """A frame without the interpreter's and site-packages' directory prefixes."""
    return _NOISE.sub("", frame)


def process_label(process_frames: list[str]) -> str:
    """'main' for the profiled process, or the command of the innermost child process, shortened."""
    if len(process_frames) <= 1:
        return "main process"
    command = process_frames[-1].split(":", 1)[1].strip('"')
    return "child: " + command[:90]


def load(path: Path, package: str = "watcher/") -> Profile:
    """Read a raw profile: one `frame;frame;... count` line per distinct stack."""
    profile = Profile()
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        process = process_label([f for f in frames if f.startswith("process ")])
        code = [short(f) for f in frames if not f.startswith(("process ", "thread "))]
        ours = [f for f in code if package in f]
        profile.total += count
        profile.by_process[process] += count
        profile.by_leaf[code[-1] if code else "?"] += count
        profile.by_package_frame[ours[-1] if ours else "(outside " + package + ")"] += count
    return profile


def report(profile: Profile, top: int) -> str:
    """The three rankings as text."""
    lines = [f"{profile.total} samples"]
    for title, counter in (("processes", profile.by_process), ("hottest leaf frames", profile.by_leaf),
                           ("by deepest package frame", profile.by_package_frame)):
        lines.append(f"--- {title}")
        total = profile.total or 1
        lines += [f"{n:8d} {100 * n / total:5.1f}%  {name[:150]}" for name, n in counter.most_common(top)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print the summary of a profile."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--package", default="watcher/", help="path part that marks our own frames")
    args = parser.parse_args(argv)
    print(report(load(args.profile, args.package), args.top))


if __name__ == "__main__":
    main()
