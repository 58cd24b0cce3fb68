"""The README is the user's manual: every command, option and config key must be in it."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from watcher.cli import main
from watcher.sources import _ALERT_KEYS, _CHANNEL_KEYS, _DAEMON_DURATIONS, _FETCH_DURATIONS, _SOURCE_KEYS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        found[prefix + name] = command
        if isinstance(command, click.Group):
            found |= _commands(command, f"{prefix}{name} ")
    return found


COMMANDS = _commands(main)


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_is_documented(name: str) -> None:
    command = COMMANDS[name]
    assert f"watcher {name}" in README
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts), f"{name} {param.opts} missing from README"


def test_global_options_are_documented() -> None:
    for param in main.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts if opt.startswith("--")), param.opts


def test_every_config_key_is_documented() -> None:
    keys = set(_SOURCE_KEYS) | set(_FETCH_DURATIONS) | set().union(*_CHANNEL_KEYS.values()) | set(_ALERT_KEYS) | set(_DAEMON_DURATIONS) | {"jitter"}
    keys |= {"user_agent", "concurrency_per_host", "max_in_flight", "retries", "max_bytes", "robots", "pdf_memory",
             "grace_window", "taxonomy", "host", "port", "base_url"}
    missing = [key for key in sorted(keys) if not re.search(rf"`{key}`", README)]
    assert not missing, f"config keys missing from README: {missing}"


def test_every_table_is_in_the_schema_section() -> None:
    import inspect

    from watcher import store

    tables = re.findall(r"CREATE TABLE (\w+)", inspect.getsource(store))
    for table in tables:
        assert f"| `{table}` |" in README, table
