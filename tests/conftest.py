"""Shared fixtures: a real document server on loopback and a project folder with a sources.toml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.server import DocServer
from watcher.cli import main

FAST_FETCH = """
[fetch]
delay_per_host = "0s"
backoff = "0.01s"
retries = 2
connect_timeout = "2s"
read_timeout = "2s"
total_timeout = "10s"
"""


@pytest.fixture
def server() -> Iterator[DocServer]:
    doc_server = DocServer()
    yield doc_server
    doc_server.close()


class Project:
    """A folder with sources.toml and the data watcher writes next to it, driven through the CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "sources.toml"
        self.runner = CliRunner()

    def write_config(self, sources: str, extra: str = FAST_FETCH) -> None:
        self.config.write_text(extra + "\n" + sources, encoding="utf-8")

    def run(self, *args: str) -> "click.testing.Result":  # noqa: F821
        return self.runner.invoke(main, ["--config", str(self.config), *args], catch_exceptions=False)

    def changes(self, *args: str) -> list[dict]:
        result = self.run("changes", "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def source_entry(source_id: str, url: str, **extra: object) -> str:
    """A [[source]] table for a test config."""
    lines = ["[[source]]", f'id = "{source_id}"', 'org = "Example Lab"', f'title = "{source_id} title"',
             f'kind = "{extra.pop("kind", "framework")}"', f'url = "{url}"']
    for key, value in extra.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"
