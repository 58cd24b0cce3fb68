"""The README is the user's manual: every command, option and config key must be in it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from watcher.cli import main
from watcher.sources import _CHANNEL_KEYS, _FETCH_DURATIONS, _SOURCE_KEYS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_and_option_is_documented(name: str) -> None:
    command = main.commands[name]
    assert f"watcher {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts), f"{name} {param.opts} missing from README"


def test_global_options_are_documented() -> None:
    for param in main.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts if opt.startswith("--")), param.opts


def test_every_config_key_is_documented() -> None:
    keys = set(_SOURCE_KEYS) | set(_FETCH_DURATIONS) | set().union(*_CHANNEL_KEYS.values())
    keys |= {"user_agent", "concurrency_per_host", "retries", "max_bytes", "robots", "pdf_memory",
             "grace_window", "taxonomy", "host", "port", "base_url"}
    missing = [key for key in sorted(keys) if not re.search(rf"`{key}`", README)]
    assert not missing, f"config keys missing from README: {missing}"


def test_every_table_is_in_the_schema_section() -> None:
    from watcher.store import m001_initial
    import inspect

    tables = re.findall(r"CREATE TABLE (\w+)", inspect.getsource(m001_initial))
    for table in tables:
        assert f"| `{table}` |" in README, table
